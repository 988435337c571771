import { FakeUsageApi } from '../dev/fake-usage-api';
import { generateSessionLog, type SessionLog, withExtraSessions } from '../dev/sample-usage';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { parseEvent } from '../functions/report/core/event';
import { previousLocalDay } from '../functions/report/core/local-time';
import { type RenderedDigest, renderDigest } from '../functions/report/core/render';
import { computeReport, stderrLogger } from '../functions/report/run-report';

/** The sample API's admin key: shaped like one so the real client accepts it, and nothing else. */
export const SAMPLE_ADMIN_KEY = 'sk-admin-sample';

/** `npm run sample-api`'s port: one rarely taken on a developer's machine (`--port` picks another). */
export const SAMPLE_API_PORT = 8787;

/** The command that tries the `usage-digest` CLI against the sample API at `baseUrl`. */
export const tryCommand = (baseUrl: string) =>
  `OPENAI_ADMIN_KEY=${SAMPLE_ADMIN_KEY} npx usage-digest --base-url ${baseUrl}`;

/**
 * The sample organization up to `now`: 90 days of a dozen named projects with a weekly rhythm, and
 * a day before `now` (local, in `timeZone`) with something unusual: one project spikes and a new
 * one appears.
 */
export function sampleUsageLog(now: number, timeZone: string): SessionLog {
  const day = previousLocalDay(now, timeZone).window;
  const regular = generateSessionLog({ from: now - 90 * 86_400, to: now, projectCount: 12, seed: 2026 });
  const spiking = regular.projects[2] as { id: string; name: string };
  return withExtraSessions(
    withExtraSessions(regular, spiking, { from: day.start, to: day.end }, 160),
    { id: 'proj_00zznew', name: 'Agent Evaluations' },
    { from: day.start + 9 * 3600, to: day.start + 17 * 3600 },
    64,
  );
}

/**
 * The daily report for the day before `now`, computed by the real code against the sample usage
 * and costs API (sampleUsageLog) started in-process.
 */
export async function runSampleReport(options: { now: number; timeZone: string; latencyMs?: number }) {
  const log = sampleUsageLog(options.now, options.timeZone);
  const api = new FakeUsageApi({ log, adminKey: SAMPLE_ADMIN_KEY, latencyMs: options.latencyMs ?? 0 });
  const baseUrl = await api.start();
  try {
    const started = performance.now();
    const request = parseEvent(
      {},
      { now: options.now, timeZone: options.timeZone, recipients: ['you@example.com'] },
    );
    const usageApi = createUsageApi({ baseUrl, adminKey: SAMPLE_ADMIN_KEY });
    const { result, trend, costUnavailable } = await computeReport(request, usageApi, stderrLogger);
    const notes = costUnavailable ? { costUnavailable } : {};
    const digest: RenderedDigest = renderDigest(result, request.timeZone, trend, notes);
    return {
      request,
      result,
      trend,
      notes,
      digest,
      elapsedMs: performance.now() - started,
      requests: api.requests.length,
      usageRequests: api.usageRequests().length,
    };
  } finally {
    await api.stop();
  }
}
