import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiKeysPath, FakeUsageApi } from '../../dev/fake-usage-api';
import { expectedKeyCostCents, type SampleKey, type SessionLog } from '../../dev/sample-usage';
import { createUsageApi } from '../../functions/report/adapters/usage-api';
import { costWindowOf } from '../../functions/report/core/cost';
import { previousLocalDay } from '../../functions/report/core/local-time';
import type { UnusualProject } from '../../functions/report/core/unusual';
import type { ReportLogger } from '../../functions/report/logger';
import { fetchSpikeKeys } from '../../functions/report/spike-keys-fetch';
import { sampleUsageLog } from '../../scripts/sample-report';

/** The keys behind a spike, against the fake API over HTTP: the costs by key and the keys listings. */
const KEY = 'sk-admin-spike-keys-0123456789';
const DAY = 86_400;
const COST_DAY = {
  start: Date.parse('2026-11-21T00:00:00Z') / 1000,
  end: Date.parse('2026-11-22T00:00:00Z') / 1000,
};
const [A, B, C] = ['proj_alpha', 'proj_beta', 'proj_gamma'];
const key = (
  id: string,
  name: string,
  weight: number,
  owner: SampleKey['owner'],
  deleted = false,
): SampleKey => ({
  id,
  name,
  redacted_value: `sk-...${id.slice(-4)}`,
  owner,
  weight,
  ...(deleted ? { deleted } : {}),
});
const CI_BOT = { type: 'service_account', name: 'ci-bot' } as const;
const ADA = { type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' } as const;
const sessions = (count: number) =>
  Float64Array.from({ length: count }, (_, i) => COST_DAY.start + 3_600 + i * 97);
const LOG: SessionLog = {
  projects: [A, B, C].map((id) => ({ id, name: id })),
  sessions: new Map<string | null, Float64Array>([
    [A, sessions(300)],
    [B, sessions(80)],
    [C, sessions(120)],
    [null, sessions(10)],
  ]),
  keys: new Map([
    [A, [key('key_a1run', 'eval-runner', 0.8, CI_BOT), key('key_a2nbk', 'notebook', 0.2, ADA)]],
    [B, [key('key_b1run', 'batch', 1, CI_BOT)]],
    [C, [key('key_c1new', 'current', 0.3, ADA), key('key_c2old', 'retired', 0.7, CI_BOT, true)]],
  ]),
};
// The fake names code interpreter's line by the day's parity, as the API's spelling may vary:
// the exact name is what the query must carry.
const CI_LINE =
  Math.round(COST_DAY.start / DAY) % 2 === 0 ? 'Code Interpreter sessions' : 'code interpreter sessions';
const LINE_ITEMS = new Map<string | null, readonly string[]>([
  [A, [CI_LINE]],
  [B, [CI_LINE]],
  [C, [CI_LINE]],
  [null, [CI_LINE]],
]);

const api = new FakeUsageApi({ log: LOG, adminKey: KEY });
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => api.reset());

function recordingLogger(): ReportLogger & { warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  return { warnings, info: () => {}, warn: (message, ...extra) => void warnings.push([message, ...extra]) };
}
const unusual = (project_id: string | null): UnusualProject => ({
  project_id,
  reason: 'spike',
  num_sessions: 300,
  mean_7d: 20,
  cost_usd: 1,
});
const usageApi = () => createUsageApi({ baseUrl: api.baseUrl, adminKey: KEY, maxAttempts: 1 });
const usd = (project: string, keyId: string) =>
  (expectedKeyCostCents(LOG, project, COST_DAY.start, COST_DAY.end).get(keyId) ?? 0) / 100;

describe('Function: fetchSpikeKeys', () => {
  it("asks each unusual project's cost by key (group_by=api_key_id, project_ids=[p], the exact line_items) and its keys, most cost first", async () => {
    const logger = recordingLogger();
    const keys = await fetchSpikeKeys(usageApi(), [unusual(A), unusual(B)], COST_DAY, LINE_ITEMS, logger);
    const costQueries = api.costRequests().map((r) => ({
      group_by: r.params.getAll('group_by'),
      project_ids: r.params.getAll('project_ids'),
      line_items: r.params.getAll('line_items'),
      start: Number(r.params.get('start_time')),
      end: Number(r.params.get('end_time')),
    }));
    expect(
      costQueries.sort((x, y) => String(x.project_ids[0]).localeCompare(String(y.project_ids[0]))),
    ).toEqual(
      [A, B].map((p) => ({
        group_by: ['api_key_id', 'line_item'],
        project_ids: [p],
        line_items: [CI_LINE],
        start: COST_DAY.start,
        end: COST_DAY.end,
      })),
    );
    expect(
      api
        .apiKeyRequests()
        .map((r) => r.path)
        .sort(),
    ).toEqual([apiKeysPath(A), apiKeysPath(B)]);
    expect(keys.get(A)).toEqual([
      {
        api_key_id: 'key_a1run',
        name: 'eval-runner',
        redacted_value: 'sk-...1run',
        owner: 'ci-bot',
        cost_usd: usd(A, 'key_a1run'),
      },
      {
        api_key_id: 'key_a2nbk',
        name: 'notebook',
        redacted_value: 'sk-...2nbk',
        owner: 'Ada Lovelace',
        cost_usd: usd(A, 'key_a2nbk'),
      },
    ]);
    expect(usd(A, 'key_a1run')).toBeGreaterThan(usd(A, 'key_a2nbk'));
    expect(keys.get(B)?.map((k) => k.api_key_id)).toEqual(['key_b1run']);
    expect(logger.warnings).toEqual([]);
  });

  it('sends every request of every project at once: one wave', async () => {
    const slow = new FakeUsageApi({ log: LOG, adminKey: KEY, latencyMs: 150 });
    const baseUrl = await slow.start();
    try {
      const started = performance.now();
      await fetchSpikeKeys(
        createUsageApi({ baseUrl, adminKey: KEY, maxAttempts: 1 }),
        [unusual(A), unusual(B), unusual(C)],
        COST_DAY,
        LINE_ITEMS,
        recordingLogger(),
      );
      expect(slow.requests).toHaveLength(6);
      // Every request arrived before the first was answered.
      const firstAnswer = Math.min(...slow.requests.map((r) => r.answeredAt));
      expect(slow.requests.every((r) => r.receivedAt < firstAnswer)).toBe(true);
      expect(performance.now() - started).toBeLessThan(2 * 150 + 100);
    } finally {
      await slow.stop();
    }
  });

  it('names a key deleted since with nulls, keeping its cost', async () => {
    const keys = await fetchSpikeKeys(usageApi(), [unusual(C)], COST_DAY, LINE_ITEMS, recordingLogger());
    expect(keys.get(C)).toEqual([
      {
        api_key_id: 'key_c2old',
        name: null,
        redacted_value: null,
        owner: null,
        cost_usd: usd(C, 'key_c2old'),
      },
      {
        api_key_id: 'key_c1new',
        name: 'current',
        redacted_value: 'sk-...1new',
        owner: 'Ada Lovelace',
        cost_usd: usd(C, 'key_c1new'),
      },
    ]);
  });

  it('leaves a project whose keys listing fails without keys, logs why, and still names the others', async () => {
    api.inject(apiKeysPath(B), { kind: 'status', status: 500 });
    const logger = recordingLogger();
    const keys = await fetchSpikeKeys(usageApi(), [unusual(A), unusual(B)], COST_DAY, LINE_ITEMS, logger);
    expect([...keys.keys()]).toEqual([A]);
    expect(logger.warnings).toEqual([
      [
        'keys behind an unusual project unavailable; the digest shows it without them',
        { project_id: B, error: expect.objectContaining({ message: expect.stringContaining('HTTP 500') }) },
      ],
    ]);
  });

  it('leaves a project whose cost by key fails without keys', async () => {
    api.inject('costs', { kind: 'status', status: 400 });
    const logger = recordingLogger();
    const keys = await fetchSpikeKeys(usageApi(), [unusual(A)], COST_DAY, LINE_ITEMS, logger);
    expect(keys).toEqual(new Map());
    expect(logger.warnings).toHaveLength(1);
  });

  it('sends no request at all on a day with nothing unusual', async () => {
    expect(await fetchSpikeKeys(usageApi(), [], COST_DAY, LINE_ITEMS, recordingLogger())).toEqual(new Map());
    expect(api.requests).toEqual([]);
  });

  it('asks nothing for unattributed usage, nor for a project without code interpreter cost that day', async () => {
    const lines = new Map<string | null, readonly string[]>([[null, [CI_LINE]]]);
    const keys = await fetchSpikeKeys(
      usageApi(),
      [unusual(null), unusual(A)],
      COST_DAY,
      lines,
      recordingLogger(),
    );
    expect(keys).toEqual(new Map());
    expect(await fetchSpikeKeys(usageApi(), [unusual(A)], COST_DAY, null, recordingLogger())).toEqual(
      new Map(),
    );
    expect(api.requests).toEqual([]);
  });
});

describe("The sample organization's spike", () => {
  it('comes mostly from one key, "eval-runner", owned by ci-bot', async () => {
    const now = Date.parse('2026-11-23T07:00:00Z') / 1000;
    const log = sampleUsageLog(now, 'UTC');
    const sample = new FakeUsageApi({ log, adminKey: KEY });
    const baseUrl = await sample.start();
    try {
      const sampleApi = createUsageApi({ baseUrl, adminKey: KEY, maxAttempts: 1 });
      const costDay = costWindowOf(previousLocalDay(now, 'UTC').window, 'UTC');
      const { lineItems } = await sampleApi.fetchCostsAndSpend({
        costWindow: costDay,
        runwayWindow: costDay,
      });
      const spiking = log.projects[2]?.id as string;
      const keys = await fetchSpikeKeys(sampleApi, [unusual(spiking)], costDay, lineItems, recordingLogger());
      const found = keys.get(spiking) ?? [];
      const total = found.reduce((sum, k) => sum + k.cost_usd, 0);
      expect(found[0]).toMatchObject({ name: 'eval-runner', owner: 'ci-bot' });
      expect(found[0]?.redacted_value).toMatch(/^sk-\.\.\./);
      expect((found[0]?.cost_usd ?? 0) / total).toBeGreaterThan(0.7);
      expect(found.length).toBeGreaterThanOrEqual(2);
    } finally {
      await sample.stop();
    }
  });
});

describe('The fake Costs API, by key', () => {
  const costs = async (params: [string, string][]) => {
    const query = new URLSearchParams([
      ['start_time', String(COST_DAY.start)],
      ['end_time', String(COST_DAY.end)],
      ['bucket_width', '1d'],
      ...params,
    ]);
    const response = await fetch(`${api.baseUrl}/organization/costs?${query}`, {
      headers: { Authorization: `Bearer ${KEY}` },
    });
    const body = (await response.json()) as {
      data: {
        results: { api_key_id?: string | null; line_item: string | null; amount: { value: unknown } }[];
      }[];
    };
    return body.data.flatMap((bucket) => bucket.results);
  };

  it('filters by api_key_ids and exact line_items names, and groups by key', async () => {
    const rows = await costs([
      ['group_by', 'api_key_id'],
      ['api_key_ids', 'key_a2nbk'],
      ['api_key_ids', 'key_b1run'],
    ]);
    // Every line item of those two keys, summed per key (other lines go through a project's first key).
    expect(rows.map((r) => r.api_key_id).sort()).toEqual(['key_a2nbk', 'key_b1run']);
    const ci = await costs([
      ['group_by', 'api_key_id'],
      ['group_by', 'line_item'],
      ['project_ids', A],
      ['line_items', CI_LINE],
    ]);
    expect(ci.map((r) => [r.api_key_id, r.line_item, Number(r.amount.value)])).toEqual([
      ['key_a1run', CI_LINE, usd(A, 'key_a1run')],
      ['key_a2nbk', CI_LINE, usd(A, 'key_a2nbk')],
    ]);
    // A spelling the day's lines do not carry matches none.
    expect(await costs([['line_items', CI_LINE.toUpperCase()]])).toEqual([]);
  });
});
