import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUsageApi, type SpendLimitAnswer } from '../../dev/fake-usage-api';
import { createLimitsCache } from '../../functions/report/adapters/limits-cache';
import { createOpenAiHttp } from '../../functions/report/adapters/openai-http';
import { fetchSpendLimit } from '../../functions/report/adapters/spend-limits';
import { MalformedSpendLimitError, NO_SPEND_LIMIT } from '../../functions/report/core/spend-limit';
import { AuthError } from '../../functions/report/errors';
import type { ReportLogger } from '../../functions/report/logger';
import {
  cachedSpendLimits,
  LIMITS_MAX_AGE_SECONDS,
  LIMITS_REFRESH_AFTER_SECONDS,
  limitFailureReason,
  readSpendLimits,
} from '../../functions/report/project-spend-limits';
import { startLocalDynamoDb } from '../support/local-aws';

/**
 * The projects' hard limits as a report reads them: over HTTP from the fake API (one request a
 * project), kept in a DynamoDB table (dynalite) between runs.
 */
const KEY = 'sk-admin-limits-0123456789';
const TABLE = 'project-limits-test';
const A = 'proj_a';
const B = 'proj_b';
const C = 'proj_c';
const HOUR = 3_600;
const T = 1_795_000_000;
const LIMITS: Record<string, SpendLimitAnswer> = {
  [A]: { cents: 40_000, enforcing: true },
  [B]: { cents: 1_250 },
};
const A_LIMIT = { limitUsd: 400, enforcing: true };
const B_LIMIT = { limitUsd: 12.5, enforcing: false };

const api = new FakeUsageApi({ log: { projects: [], sessions: new Map() }, adminKey: KEY });
let db: Awaited<ReturnType<typeof startLocalDynamoDb>>;
beforeAll(async () => {
  await api.start();
  db = await startLocalDynamoDb(TABLE);
});
afterAll(async () => {
  await api.stop();
  await db.stop();
});
beforeEach(async () => {
  api.reset();
  api.configure({ spendLimits: { projects: LIMITS } });
  await db.clearItems();
});

const read = (id: string) =>
  fetchSpendLimit(createOpenAiHttp({ baseUrl: api.baseUrl, adminKey: KEY, maxAttempts: 1 }), id);
const asked = () => api.spendLimitRequests().map((r) => decodeURIComponent(r.path.split('/')[4] ?? ''));
const cache = (tableName = TABLE, maxBytes?: number) =>
  createLimitsCache({ client: db.client, tableName, ...(maxBytes ? { maxBytes } : {}) });

function recordingLogger(): ReportLogger & { lines: unknown[][] } {
  const lines: unknown[][] = [];
  return {
    lines,
    info: (message, ...extra) => void lines.push(['info', message, ...extra]),
    warn: (message, ...extra) => void lines.push(['warn', message, ...extra]),
  };
}

/** Limits stored `ageHours` before T, as a run then would have stored them. */
async function storedHoursAgo(ageHours: number, limits = new Map([[A, NO_SPEND_LIMIT]])) {
  await cache().write({ limits, listedAt: T - ageHours * HOUR });
}

describe('Function: limitFailureReason', () => {
  it('names the key for a 401/403, the body for a malformed limit, else the error', () => {
    expect(limitFailureReason(new AuthError(403))).toBe('the admin key may not read them (HTTP 403)');
    expect(limitFailureReason(new AuthError(401), false)).toBe('the admin key may not read it (HTTP 401)');
    expect(limitFailureReason(new MalformedSpendLimitError('currency', 'currency is "EUR", not USD'))).toBe(
      'OpenAI sent a malformed limit: currency is "EUR", not USD',
    );
    expect(limitFailureReason(new Error(`boom ${KEY}`))).toBe('boom [redacted]');
  });
});

describe('Function: readSpendLimits', () => {
  it('reads every project on every call; 404 is no limit', async () => {
    const limits = readSpendLimits(read);
    expect(await limits.limitsFor([A, B, C])).toEqual({
      limits: new Map([
        [A, A_LIMIT],
        [B, B_LIMIT],
        [C, NO_SPEND_LIMIT],
      ]),
    });
    expect(await limits.limitsFor([B])).toEqual({ limits: new Map([[B, B_LIMIT]]) });
    expect(asked()).toEqual([A, B, C, B]);
    await expect(limits.settled()).resolves.toBeUndefined();
  });

  it('says which limits are missing and why, one project by its id, several by their count', async () => {
    api.configure({
      spendLimits: {
        projects: {
          [A]: { status: 403 },
          [B]: { status: 403 },
          [C]: { status: 500 },
          d: { body: { threshold_amount: -1 } },
          e: { cents: 100 },
        },
      },
    });
    const result = await readSpendLimits(read).limitsFor([A, B, C, 'd', 'e']);
    expect(result).toEqual({
      limits: new Map([['e', { limitUsd: 1, enforcing: false }]]),
      unavailable: [
        `the spend limits of 2 projects (e.g. ${A}) are unavailable: the admin key may not read them (HTTP 403)`,
        `the spend limit of project ${C} is unavailable: GET /organization/projects/${C}/spend_limit failed: HTTP 500`,
        'the spend limit of project d is unavailable: OpenAI sent a malformed limit: threshold_amount is -1, not a whole number of cents',
      ].join('; '),
    });
  });
});

describe('Function: cachedSpendLimits', () => {
  const start = (logger = recordingLogger(), limitsCache = cache()) => ({
    logger,
    limits: cachedSpendLimits({ cache: limitsCache, read, now: () => T, logger }),
  });

  it('cold: reads every project, stores what it read with the time the reads began', async () => {
    const { logger, limits } = start();
    api.configure({ spendLimits: { projects: { ...LIMITS, [C]: { status: 500 } } } });
    const result = await limits.limitsFor([A, B, C]);
    expect(result.limits).toEqual(
      new Map([
        [A, A_LIMIT],
        [B, B_LIMIT],
      ]),
    );
    expect(result.unavailable).toBe(
      `the spend limit of project ${C} is unavailable: GET /organization/projects/${C}/spend_limit failed: HTTP 500`,
    );
    expect(asked()).toEqual([A, B, C]);
    expect(await cache().read()).toEqual({ limits: result.limits, listedAt: T });
    expect(logger.lines).toEqual([['info', 'reading spend limits', { why: 'none cached', projects: 3 }]]);
  });

  it('fresh: asks for no project it knows, reads a new one now and leaves it for the next refresh', async () => {
    await storedHoursAgo(2, new Map([[A, A_LIMIT]]));
    const { logger, limits } = start();
    expect(await limits.limitsFor([A])).toEqual({ limits: new Map([[A, A_LIMIT]]) });
    expect(asked()).toEqual([]);
    api.configure({ spendLimits: { projects: { ...LIMITS, [C]: { status: 500 } } } });
    expect(await limits.limitsFor([A, B, C])).toEqual({
      limits: new Map([
        [A, A_LIMIT],
        [B, B_LIMIT],
      ]),
      unavailable: `the spend limit of project ${C} is unavailable: GET /organization/projects/${C}/spend_limit failed: HTTP 500`,
    });
    expect(asked()).toEqual([B, C]);
    await limits.settled();
    expect((await cache().read())?.limits).toEqual(new Map([[A, A_LIMIT]]));
    expect(logger.lines).toEqual([]);
  });

  it(`shows limits ${LIMITS_MAX_AGE_SECONDS / HOUR} h old, and reads them again in the background once over ${LIMITS_REFRESH_AFTER_SECONDS / HOUR} h, once a run`, async () => {
    expect([LIMITS_MAX_AGE_SECONDS, LIMITS_REFRESH_AFTER_SECONDS]).toEqual([25 * HOUR, 20 * HOUR]);
    await storedHoursAgo(25);
    const { logger, limits } = start();
    expect(await limits.limitsFor([A])).toEqual({ limits: new Map([[A, NO_SPEND_LIMIT]]) });
    expect(await limits.limitsFor([A])).toEqual({ limits: new Map([[A, NO_SPEND_LIMIT]]) });
    await limits.settled();
    expect(asked()).toEqual([A]);
    expect(await cache().read()).toEqual({ limits: new Map([[A, A_LIMIT]]), listedAt: T });
    expect(logger.lines).toEqual([
      [
        'info',
        'refreshing spend limits in the background',
        { why: 'the cached limits are 25 h old', projects: 1 },
      ],
    ]);
  });

  it('leaves limits just 20 h old as they are', async () => {
    await storedHoursAgo(20);
    const { logger, limits } = start();
    expect(await limits.limitsFor([A])).toEqual({ limits: new Map([[A, NO_SPEND_LIMIT]]) });
    await limits.settled();
    expect(asked()).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('reads limits over 25 h old before the report, and stores them', async () => {
    await cache().write({ limits: new Map([[A, NO_SPEND_LIMIT]]), listedAt: T - 25 * HOUR - 1 });
    const { logger, limits } = start();
    expect(await limits.limitsFor([A, B])).toEqual({
      limits: new Map([
        [A, A_LIMIT],
        [B, B_LIMIT],
      ]),
    });
    expect(asked()).toEqual([A, B]);
    expect((await cache().read())?.listedAt).toBe(T);
    expect(logger.lines).toEqual([
      ['info', 'reading spend limits', { why: 'the cached limits are 25 h old', projects: 2 }],
    ]);
  });

  it('says so when the limits do not fit in one item, and still shows them', async () => {
    const logger = recordingLogger();
    const { limits } = start(logger, cache(TABLE, 10));
    expect((await limits.limitsFor([A, B])).limits.size).toBe(2);
    expect(await cache().read()).toBeUndefined();
    expect(logger.lines.at(-1)).toEqual([
      'warn',
      'spend limits not cached: too many to fit in one item; every run reads them',
      { projects: 2 },
    ]);
  });

  it('a table it cannot read or write costs the reads, never the report', async () => {
    const { logger, limits } = start(recordingLogger(), cache('no-such-table'));
    expect(await limits.limitsFor([A])).toEqual({ limits: new Map([[A, A_LIMIT]]) });
    await limits.settled();
    const error = { name: 'ResourceNotFoundException', message: 'Requested resource not found' };
    expect(logger.lines).toEqual([
      ['warn', 'spend limits cache unavailable; reading them', { error }],
      ['info', 'reading spend limits', { why: 'none cached', projects: 1 }],
      ['warn', 'spend limits not cached', { error }],
    ]);
  });
});
