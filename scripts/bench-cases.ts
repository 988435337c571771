/**
 * The benchmark's fixed workload, shared by `npm run bench` and the test that keeps the README's
 * table honest: fixed dates and a fixed seed, so every machine plans and sends the same requests in
 * the same waves (only the times differ).
 */

import { CreateTableCommand, DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type BenchApi, startBenchApi } from '../dev/bench-api-process';
import { BENCH_END, benchLog, LARGE_ORG_PROJECTS } from '../dev/bench-log';
import type { RecordedRequest } from '../dev/fake-usage-api';
import { expectedTotals, type SessionLog } from '../dev/sample-usage';
import {
  createLimitsCache,
  LIMITS_CACHE_KEY,
  type LimitsCache,
} from '../functions/report/adapters/limits-cache';
import { createNamesCache, type NamesCache } from '../functions/report/adapters/names-cache';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { parseEvent, type ReportRequest } from '../functions/report/core/event';
import type { Window } from '../functions/report/core/local-time';
import { cachedNames, listedNames } from '../functions/report/project-names';
import { cachedSpendLimits } from '../functions/report/project-spend-limits';
import { computeReport, stderrLogger } from '../functions/report/run-report';
import { IDEMPOTENCY_TABLE_KEY } from '../functions/report/table-schema';
import { startLocalDynamoDb } from '../test/support/local-aws';

const DAY = 86_400;
export const BENCH_KEY = 'sk-admin-bench';
export { BENCH_END, BENCH_SEED, benchLog, LARGE_ORG_PROJECTS } from '../dev/bench-log';

export interface BenchCase {
  readonly name: string;
  readonly event: Record<string, unknown>;
  readonly timeZone: string;
  /** Projects in the organization (default 60). */
  readonly projects?: number;
  /** Names from the table's cache (stored by the warm-up run) instead of the listing. */
  readonly namesCached?: boolean;
  /**
   * The projects' spend limits: `warm` (default) from the table, as the warm-up run stored them;
   * `cold` with none stored, so the run reads every spending project's limit, then stores them.
   */
  readonly limits?: 'cold' | 'warm';
  /**
   * Names and code interpreter line item names from the table, as a daily run (unmeasured, before
   * the warm-up) stored them: the range then asks the Costs API for those lines alone.
   */
  readonly lineItemsKnown?: boolean;
}

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const dailyRunAt = new Date((BENCH_END + 7 * 3600) * 1000).toISOString();

export const BENCH_CASES: readonly BenchCase[] = [
  { name: 'daily run, UTC (+7 trend days)', event: { time: dailyRunAt }, timeZone: 'UTC' },
  {
    name: 'daily run, America/New_York (+7 trend days)',
    event: { time: dailyRunAt },
    timeZone: 'America/New_York',
  },
  { name: 'daily run, Asia/Kolkata (+7 trend days)', event: { time: dailyRunAt }, timeZone: 'Asia/Kolkata' },
  {
    name: 'daily run, Asia/Kathmandu (+7 trend days)',
    event: { time: dailyRunAt },
    timeZone: 'Asia/Kathmandu',
  },
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
    name: '365 days UTC, line items known',
    event: { start_time: iso(BENCH_END - 365 * DAY), end_time: iso(BENCH_END) },
    timeZone: 'UTC',
    namesCached: true,
    lineItemsKnown: true,
  },
  {
    name: 'daily run, UTC, 1,500 projects, names listed (first run)',
    event: { time: dailyRunAt },
    timeZone: 'UTC',
    projects: LARGE_ORG_PROJECTS,
  },
  {
    name: 'daily run, UTC, 1,500 projects, names cached',
    event: { time: dailyRunAt },
    timeZone: 'UTC',
    projects: LARGE_ORG_PROJECTS,
    namesCached: true,
  },
  {
    name: 'daily run, UTC, 1,500 projects, names cached, spend limits cold (none stored)',
    event: { time: dailyRunAt },
    timeZone: 'UTC',
    projects: LARGE_ORG_PROJECTS,
    namesCached: true,
    limits: 'cold',
  },
  {
    name: '90 days America/New_York',
    event: { start_time: iso(BENCH_END - 91 * DAY), end_time: iso(BENCH_END - DAY) },
    timeZone: 'America/New_York',
  },
  // The scheduled weekly and monthly digests: the period and the one before, day by day for the chart.
  {
    name: 'weekly run, UTC (+ the week before)',
    event: { time: dailyRunAt, digest: 'weekly' },
    timeZone: 'UTC',
  },
  {
    name: 'weekly run, Asia/Kolkata (+ the week before)',
    event: { time: dailyRunAt, digest: 'weekly' },
    timeZone: 'Asia/Kolkata',
  },
  {
    name: 'monthly run, UTC (+ the month before)',
    event: { time: dailyRunAt, digest: 'monthly' },
    timeZone: 'UTC',
  },
  {
    name: 'monthly run, America/New_York (+ the month before)',
    event: { time: dailyRunAt, digest: 'monthly' },
    timeZone: 'America/New_York',
  },
  {
    name: 'monthly run, Asia/Kolkata (+ the month before)',
    event: { time: dailyRunAt, digest: 'monthly' },
    timeZone: 'Asia/Kolkata',
  },
];

/** One client's run of a case: requests sent, in how many waves, how long, and the total it got. */
export interface ClientRun {
  readonly requests: number;
  readonly waves: number;
  /** The most requests the API had in hand at once. */
  readonly inFlight: number;
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

/** The most requests the API had in hand at one moment. */
export function peakInFlight(requests: readonly RecordedRequest[]): number {
  const edges = requests.flatMap((r) => [
    [r.receivedAt, 1],
    [r.answeredAt, -1],
  ]);
  // At a tie an answer leaves before the next request counts.
  edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let now = 0;
  let peak = 0;
  for (const [, step] of edges) {
    now += step as number;
    peak = Math.max(peak, now);
  }
  return peak;
}

/** Where a case runs: the fake API serving its organization, and the table caching names. */
export interface BenchTarget {
  readonly api: BenchApi;
  readonly log: SessionLog;
  readonly namesCache?: NamesCache;
  /** The projects' spend limits kept in the same table. */
  readonly limitsCache?: LimitsCache;
  /** Deletes the stored spend limits, as on a first run. */
  readonly forgetLimits?: () => Promise<void>;
}

/** Runs one case with our client, then with the usual one, against `target` (already started). */
export async function runCase(target: BenchTarget, c: BenchCase): Promise<CaseRun> {
  const request = benchRequest(c);
  const expected = [...expectedTotals(target.log, request.window.start, request.window.end).values()].reduce(
    (a, b) => a + b,
    0,
  );
  const ours = await runOurs(target, c);
  const usual = await measure(target.api, () => usualApproach(target.api.baseUrl, request.window));
  return { expected, ours, usual };
}

/** Our client's run of a case, as the handler runs it: names, usage and cost, then the report. */
export function runOurs(
  { api, namesCache, limitsCache, forgetLimits }: BenchTarget,
  c: BenchCase,
): Promise<ClientRun> {
  const request = benchRequest(c);
  if (c.namesCached && !namesCache) throw new Error(`${c.name}: needs a names cache`);
  if (!limitsCache || !forgetLimits) throw new Error(`${c.name}: needs a spend limits cache`);
  const learned =
    c.lineItemsKnown && namesCache ? learnLineItems(api, namesCache, limitsCache) : Promise.resolve();
  return measure(api, async () => {
    await learned;
    // Not a request to the API: the table is the stack's, beside it.
    if (c.limits === 'cold') await forgetLimits();
    const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: BENCH_KEY });
    const list = () => usageApi.listProjectNames();
    const now = () => BENCH_END + 7 * 3_600;
    const names =
      c.namesCached && namesCache
        ? cachedNames({ cache: namesCache, list, now, logger: stderrLogger })
        : listedNames(list);
    const spendLimits = cachedSpendLimits({
      cache: limitsCache,
      read: (projectId) => usageApi.fetchSpendLimit(projectId),
      now,
      logger: stderrLogger,
    });
    const report = await computeReport(request, usageApi, stderrLogger, undefined, undefined, names, {
      spendLimits,
    });
    await Promise.all([names.settled(), spendLimits.settled()]);
    return report.result.total_sessions;
  });
}

/** A daily run with the table's names, as the stack's schedule runs it: it stores the line items it saw. */
async function learnLineItems(
  api: BenchApi,
  namesCache: NamesCache,
  limitsCache: LimitsCache,
): Promise<void> {
  const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: BENCH_KEY });
  // An hour before the cases' runs: the names it stores are older than those the later cases'
  // listings store (a later listing wins), so theirs replace them.
  const now = () => BENCH_END + 6 * 3_600;
  const names = cachedNames({
    cache: namesCache,
    list: () => usageApi.listProjectNames(),
    now,
    logger: stderrLogger,
  });
  const spendLimits = cachedSpendLimits({
    cache: limitsCache,
    read: (projectId) => usageApi.fetchSpendLimit(projectId),
    now,
    logger: stderrLogger,
  });
  const daily = benchRequest({ name: 'daily', event: { time: dailyRunAt }, timeZone: 'UTC' });
  await computeReport(daily, usageApi, stderrLogger, undefined, undefined, names, { spendLimits });
  await Promise.all([names.settled(), spendLimits.settled()]);
}

function benchRequest(c: BenchCase): ReportRequest {
  return parseEvent(
    { ...c.event, timezone: c.timeZone },
    { now: BENCH_END + 8 * 3600, timeZone: 'UTC', recipients: ['a@example.com'] },
  );
}

/** Times the second of two runs: the first lets the API build and remember its pages, and compiles the client. */
async function measure(api: BenchApi, run: () => Promise<number>): Promise<ClientRun> {
  await run();
  await api.reset();
  const started = performance.now();
  const total = await run();
  const ms = performance.now() - started;
  const requests = await api.requests();
  return {
    requests: requests.length,
    waves: countWaves(requests),
    inFlight: peakInFlight(requests),
    ms,
    total,
  };
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

/** Every target the cases need: a fake API per organization size, and a local table for names. */
export async function startBenchTargets(latencyMs: number): Promise<{
  for(c: BenchCase): BenchTarget;
  stop(): Promise<void>;
}> {
  const sizes = [...new Set(BENCH_CASES.map((c) => c.projects ?? 60))];
  const [apis, table] = await Promise.all([
    Promise.all(sizes.map((projects) => startBenchApi({ adminKey: BENCH_KEY, latencyMs, projects }))),
    startLocalDynamoDb(NAMES_TABLE),
  ]);
  const namesCache = createNamesCache({ client: table.client, tableName: NAMES_TABLE });
  const logs = new Map(sizes.map((projects) => [projects, benchLog(projects)]));
  // One stored set of limits per organization: the two sizes' project ids differ.
  const limitsCaches = sizes.map((projects) => {
    const tableName = `${NAMES_TABLE}-limits-${projects}`;
    return { tableName, cache: createLimitsCache({ client: table.client, tableName }) };
  });
  await Promise.all(limitsCaches.map(({ tableName }) => createTableLike(table.client, tableName)));
  return {
    for: (c) => {
      const size = sizes.indexOf(c.projects ?? 60);
      const limits = limitsCaches[size] as (typeof limitsCaches)[number];
      return {
        api: apis[size] as BenchApi,
        log: logs.get(c.projects ?? 60) as SessionLog,
        namesCache,
        limitsCache: limits.cache,
        forgetLimits: async () => {
          await table.client.send(
            new DeleteItemCommand({
              TableName: limits.tableName,
              Key: { [IDEMPOTENCY_TABLE_KEY]: { S: LIMITS_CACHE_KEY } },
            }),
          );
        },
      };
    },
    stop: async () => {
      await Promise.all([...apis.map((api) => api.stop()), table.stop()]);
    },
  };
}
const NAMES_TABLE = 'usage-digest-bench';

/** A second table of the same shape on the local DynamoDB, for one organization's cached limits. */
async function createTableLike(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
