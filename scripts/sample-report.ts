import { FakeUsageApi } from '../dev/fake-usage-api';
import { generateSessionLog, withExtraSessions } from '../dev/sample-usage';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { parseEvent } from '../functions/report/core/event';
import { previousLocalDay } from '../functions/report/core/local-time';
import { type RenderedDigest, renderDigest } from '../functions/report/core/render';
import { computeReport, stderrLogger } from '../functions/report/run-report';

const SAMPLE_KEY = 'sk-admin-sample-not-a-real-key';

/**
 * The daily report for the day before `now`, computed by the real code against a sample usage
 * and costs API started in-process: 90 days of a dozen named projects with a weekly rhythm, and a
 * day with something unusual: one project spikes and a new one appears.
 */
export async function runSampleReport(options: { now: number; timeZone: string; latencyMs?: number }) {
  const day = previousLocalDay(options.now, options.timeZone).window;
  const regular = generateSessionLog({
    from: options.now - 90 * 86_400,
    to: options.now,
    projectCount: 12,
    seed: 2026,
  });
  const spiking = regular.projects[2] as { id: string; name: string };
  const log = withExtraSessions(
    withExtraSessions(regular, spiking, { from: day.start, to: day.end }, 160),
    { id: 'proj_00zznew', name: 'Agent Evaluations' },
    { from: day.start + 9 * 3600, to: day.start + 17 * 3600 },
    64,
  );
  const api = new FakeUsageApi({ log, adminKey: SAMPLE_KEY, latencyMs: options.latencyMs ?? 0 });
  const baseUrl = await api.start();
  try {
    const started = performance.now();
    const request = parseEvent(
      {},
      { now: options.now, timeZone: options.timeZone, recipients: ['you@example.com'] },
    );
    const usageApi = createUsageApi({ baseUrl, adminKey: SAMPLE_KEY });
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
