/**
 * The benchmark's fixed workload, shared by `npm run bench` and the test that keeps the README's
 * table honest: fixed dates and a fixed seed, so every machine plans and sends the same requests in
 * the same waves (only the times differ).
 */
import type { FakeUsageApi, RecordedRequest } from '../dev/fake-usage-api';
import { expectedTotals, generateSessionLog, type SessionLog } from '../dev/sample-usage';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { parseEvent } from '../functions/report/core/event';
import type { Window } from '../functions/report/core/local-time';
import { computeReport, stderrLogger } from '../functions/report/run-report';

const DAY = 86_400;
export const BENCH_KEY = 'sk-admin-bench';
/** Monday 23 Nov 2026, 00:00 UTC: the day the runs report up to. */
export const BENCH_END = Date.parse('2026-11-23T00:00:00Z') / 1000;
export const BENCH_SEED = 42;

/** A year and a bit of sessions for 60 projects, the same on every machine. */
export function benchLog(): SessionLog {
  return generateSessionLog({
    from: BENCH_END - 380 * DAY,
    to: BENCH_END + DAY,
    projectCount: 60,
    seed: BENCH_SEED,
  });
}

export interface BenchCase {
  readonly name: string;
  readonly event: Record<string, unknown>;
  readonly timeZone: string;
}

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const dailyRunAt = new Date((BENCH_END + 7 * 3600) * 1000).toISOString();

export const BENCH_CASES: readonly BenchCase[] = [
  { name: 'daily run, UTC (+7 trend days)', event: { time: dailyRunAt }, timeZone: 'UTC' },
  { name: 'daily run, Asia/Kolkata (+7 trend days)', event: { time: dailyRunAt }, timeZone: 'Asia/Kolkata' },
  {
    name: '31 days UTC',
    event: { start_time: iso(BENCH_END - 31 * DAY), end_time: iso(BENCH_END) },
    timeZone: 'UTC',
  },
  {
    name: '365 days UTC',
    event: { start_time: iso(BENCH_END - 365 * DAY), end_time: iso(BENCH_END) },
    timeZone: 'UTC',
  },
  {
    name: '90 days America/New_York',
    event: { start_time: iso(BENCH_END - 91 * DAY), end_time: iso(BENCH_END - DAY) },
    timeZone: 'America/New_York',
  },
];

/** One client's run of a case: requests sent, in how many waves, how long, and the total it got. */
export interface ClientRun {
  readonly requests: number;
  readonly waves: number;
  readonly ms: number;
  readonly total: number;
}

export interface CaseRun {
  readonly expected: number;
  readonly ours: ClientRun;
  readonly usual: ClientRun;
}

/**
 * Waves: the longest chain of requests each sent only after an earlier one was answered, i.e. the
 * round trips the run could not overlap. With a fixed API latency it does not depend on the machine.
 */
export function countWaves(requests: readonly RecordedRequest[]): number {
  const sorted = [...requests].sort((a, b) => a.receivedAt - b.receivedAt);
  const depth: number[] = [];
  sorted.forEach((request, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) {
      const earlier = sorted[j] as RecordedRequest;
      if (earlier.answeredAt <= request.receivedAt) before = Math.max(before, depth[j] as number);
    }
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}

/** Runs one case with our client, then with the usual one, against `api` (already started). */
export async function runCase(
  api: FakeUsageApi,
  baseUrl: string,
  log: SessionLog,
  c: BenchCase,
): Promise<CaseRun> {
  const request = parseEvent(
    { ...c.event, timezone: c.timeZone },
    { now: BENCH_END + 8 * 3600, timeZone: 'UTC', recipients: ['a@example.com'] },
  );
  const expected = [...expectedTotals(log, request.window.start, request.window.end).values()].reduce(
    (a, b) => a + b,
    0,
  );
  const measure = async (run: () => Promise<number>): Promise<ClientRun> => {
    api.reset();
    const started = performance.now();
    const total = await run();
    const ms = performance.now() - started;
    return { requests: api.requests.length, waves: countWaves(api.requests), ms, total };
  };
  const ours = await measure(async () => {
    const usageApi = createUsageApi({ baseUrl, adminKey: BENCH_KEY });
    return (await computeReport(request, usageApi, stderrLogger)).result.total_sessions;
  });
  const usual = await measure(() => usualApproach(baseUrl, request.window));
  return { expected, ours, usual };
}

/** The usual client: one query over the window, default bucket width and page size, page after page. */
async function usualApproach(baseUrl: string, window: Window): Promise<number> {
  let total = 0;
  let page: string | null = null;
  do {
    const params = new URLSearchParams({
      start_time: String(window.start),
      end_time: String(window.end),
      group_by: 'project_id',
    });
    if (page) params.set('page', page);
    const response = await fetch(`${baseUrl}/organization/usage/code_interpreter_sessions?${params}`, {
      headers: { Authorization: `Bearer ${BENCH_KEY}` },
    });
    const body = (await response.json()) as {
      data: { results: { num_sessions: number }[] }[];
      has_more: boolean;
      next_page: string | null;
    };
    for (const bucket of body.data) for (const row of bucket.results) total += row.num_sessions;
    page = body.has_more ? body.next_page : null;
  } while (page);
  return total;
}
