import { FakeUsageApi } from '../dev/fake-usage-api';
import { generateSessionLog } from '../dev/sample-usage';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { parseEvent } from '../functions/report/core/event';
import { type RenderedDigest, renderDigest } from '../functions/report/core/render';
import { computeReport, stderrLogger } from '../functions/report/run-report';

const SAMPLE_KEY = 'sk-admin-sample-not-a-real-key';

/**
 * The daily report for the day before `now`, computed by the real code against a sample usage
 * API started in-process: 90 days of a dozen named projects with a weekly rhythm.
 */
export async function runSampleReport(options: { now: number; timeZone: string; latencyMs?: number }) {
  const log = generateSessionLog({
    from: options.now - 90 * 86_400,
    to: options.now,
    projectCount: 12,
    seed: 2026,
  });
  const api = new FakeUsageApi({ log, adminKey: SAMPLE_KEY, latencyMs: options.latencyMs ?? 0 });
  const baseUrl = await api.start();
  try {
    const started = performance.now();
    const request = parseEvent(
      {},
      { now: options.now, timeZone: options.timeZone, recipients: ['you@example.com'] },
    );
    const usageApi = createUsageApi({ baseUrl, adminKey: SAMPLE_KEY });
    const { result, trend } = await computeReport(request, usageApi, stderrLogger);
    const digest: RenderedDigest = renderDigest(result, request.timeZone, trend);
    return {
      request,
      result,
      trend,
      digest,
      elapsedMs: performance.now() - started,
      requests: api.requests.length,
      usageRequests: api.usageRequests().length,
    };
  } finally {
    await api.stop();
  }
}
