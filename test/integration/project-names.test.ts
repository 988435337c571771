import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSessionLog, type SessionLog } from '../../dev/sample-usage';
import {
  createNamesCache,
  MAX_NAMES_BYTES,
  NAMES_CACHE_KEY,
  type NamesCache,
} from '../../functions/report/adapters/names-cache';
import type { ReportLogger } from '../../functions/report/logger';
import { cachedNames, listedNames } from '../../functions/report/project-names';
import { ADMIN_KEY, Harness, IDEMPOTENCY_TABLE, lambdaContext, NOW, SAMPLE_LOG } from '../support/harness';

/** Project names are kept in the stack's table: one read names every project, the listing refreshes them. */
const harness = new Harness({ idempotency: true });
const HOUR = 3_600;
const NOW_S = NOW / 1000;
// A manual day: dry, so no delivery record; only the names item is written.
const DAY = { start_time: '2026-11-20', end_time: '2026-11-21', dry_run: true };

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  harness.usageApi.reset();
  harness.usageApi.configure({ log: SAMPLE_LOG });
  await harness.clearDeliveryRecords();
  harness.output.length = 0;
});

const cache = () => {
  const client = harness.dynamodb?.client;
  if (!client) throw new Error('no DynamoDB');
  return createNamesCache({ client, tableName: IDEMPOTENCY_TABLE });
};
const projectPages = () => harness.usageApi.requests.filter((r) => r.path.endsWith('/projects'));
const run = (env: Record<string, string> = {}) =>
  harness.handler({ REPORT_TIMEZONE: 'UTC', ...env })(DAY, lambdaContext());
/** The sample log with every project renamed: "Support Copilot" becomes "Support Copilot v2". */
const renamed = (log: SessionLog): SessionLog => ({
  ...log,
  projects: log.projects.map((p) => ({ ...p, name: `${p.name} v2` })),
});
const namesOf = (result: Awaited<ReturnType<typeof run>>) =>
  result.projects.filter((p) => p.project_id !== null).map((p) => p.project_name);
const storeNames = async (log: SessionLog, listedAt: number) =>
  cache().write({ names: new Map(log.projects.map((p) => [p.id, p.name])), listedAt });

describe('Project names cached in the table', () => {
  it('are listed on the first run and stored, with the time the listing began', async () => {
    const result = await run();
    expect(projectPages()).toHaveLength(1);
    const stored = await cache().read();
    expect(stored?.listedAt).toBe(NOW_S);
    expect(stored?.names).toEqual(new Map(SAMPLE_LOG.projects.map((p) => [p.id, p.name])));
    expect(namesOf(result).every((name) => name !== undefined)).toBe(true);
  });

  it('name every project of the next run without a request to the projects API', async () => {
    await storeNames(SAMPLE_LOG, NOW_S - HOUR);
    const result = await run();
    expect(projectPages()).toHaveLength(0);
    expect(namesOf(result)).not.toContain(undefined);
    expect(result.projects.find((p) => p.project_id === SAMPLE_LOG.projects[0]?.id)?.project_name).toBe(
      SAMPLE_LOG.projects[0]?.name,
    );
  });

  it('are refreshed in the background of a run that finds them older than 20 hours, and stored before it returns', async () => {
    await storeNames(SAMPLE_LOG, NOW_S - 21 * HOUR);
    harness.usageApi.configure({ log: renamed(SAMPLE_LOG) });
    const result = await run();
    // Still fresh (under a day): this run shows them; the next one gets the new names.
    expect(namesOf(result).some((name) => name?.endsWith(' v2'))).toBe(false);
    expect(projectPages()).toHaveLength(1);
    const stored = await cache().read();
    expect(stored?.listedAt).toBe(NOW_S);
    expect([...(stored?.names.values() ?? [])].every((name) => name.endsWith(' v2'))).toBe(true);
  });

  it('are never shown more than a day old: 26 hours old, the run waits for the listing', async () => {
    await storeNames(SAMPLE_LOG, NOW_S - 26 * HOUR);
    harness.usageApi.configure({ log: renamed(SAMPLE_LOG) });
    const result = await run();
    expect(namesOf(result).every((name) => name?.endsWith(' v2'))).toBe(true);
  });

  it('are listed again when usage names a project the cache does not know', async () => {
    const [known, ...others] = SAMPLE_LOG.projects;
    await storeNames({ ...SAMPLE_LOG, projects: others }, NOW_S - HOUR);
    const result = await run();
    expect(projectPages()).toHaveLength(1);
    expect(result.projects.find((p) => p.project_id === known?.id)?.project_name).toBe(known?.name);
    expect((await cache().read())?.names.get(known?.id ?? '')).toBe(known?.name);
    expect(harness.logs()).toContain('the cache does not know 1 project(s)');
  });

  it('keep the fresh names they know when that listing fails, and show the id of the one they do not', async () => {
    const [known, ...others] = SAMPLE_LOG.projects;
    await storeNames({ ...SAMPLE_LOG, projects: others }, NOW_S - HOUR);
    harness.usageApi.inject('projects', { kind: 'status', status: 400 });
    const result = await run();
    expect(result.projects.find((p) => p.project_id === known?.id)?.project_name).toBeUndefined();
    expect(result.projects.find((p) => p.project_id === others[0]?.id)?.project_name).toBe(others[0]?.name);
  });

  it('are listed, and the report goes out, when the table cannot be read', async () => {
    const result = await harness.handler({ REPORT_TIMEZONE: 'UTC', IDEMPOTENCY_TABLE: 'no-such-table' })(
      DAY,
      lambdaContext(),
    );
    expect(projectPages()).toHaveLength(1);
    expect(namesOf(result)).not.toContain(undefined);
    expect(harness.logs()).toContain('project names cache unavailable; listing them');
    expect(harness.logs()).toContain('project names not cached');
  });

  it('are listed when the item is not what this code writes', async () => {
    await harness.dynamodb?.client.send(
      new PutItemCommand({
        TableName: IDEMPOTENCY_TABLE,
        Item: {
          id: { S: NAMES_CACHE_KEY },
          listed_at: { N: String(NOW_S) },
          names: { B: Buffer.from('not gzip') },
        },
      }),
    );
    const result = await run();
    expect(projectPages()).toHaveLength(1);
    expect(namesOf(result)).not.toContain(undefined);
  });

  it('never hold the admin key: a project named after it is stored redacted', async () => {
    harness.usageApi.configure({
      log: {
        ...SAMPLE_LOG,
        projects: SAMPLE_LOG.projects.map((p, i) => (i === 0 ? { ...p, name: `leak ${ADMIN_KEY}` } : p)),
      },
    });
    await run();
    const item = await harness.dynamodb?.client.send(
      new GetItemCommand({ TableName: IDEMPOTENCY_TABLE, Key: { id: { S: NAMES_CACHE_KEY } } }),
    );
    const names = [...((await cache().read())?.names.values() ?? [])];
    expect(names.join('\n')).not.toContain(ADMIN_KEY);
    expect(JSON.stringify(item)).not.toContain(ADMIN_KEY);
  });
});

describe('The names item', () => {
  it('keeps the later listing when two runs store theirs out of order', async () => {
    await storeNames(SAMPLE_LOG, NOW_S);
    await storeNames(renamed(SAMPLE_LOG), NOW_S - 60);
    expect([...((await cache().read())?.names.values() ?? [])]).toEqual(
      SAMPLE_LOG.projects.map((p) => p.name),
    );
  });

  it('holds 1,600 projects in one item, far under its size check', async () => {
    const large = generateSessionLog({ from: NOW_S - 86_400, to: NOW_S, projectCount: 1_600, seed: 3 });
    const names = new Map(large.projects.map((p) => [p.id, `${p.name} — a project with a longer name`]));
    expect(await cache().write({ names, listedAt: NOW_S })).toBe(true);
    const item = await harness.dynamodb?.client.send(
      new GetItemCommand({ TableName: IDEMPOTENCY_TABLE, Key: { id: { S: NAMES_CACHE_KEY } } }),
    );
    expect(item?.Item?.names?.B?.byteLength).toBeLessThan(MAX_NAMES_BYTES / 4);
    expect((await cache().read())?.names).toEqual(names);
  });

  it('is not written when the names would not fit, and the run says so and still names its projects', async () => {
    const client = harness.dynamodb?.client;
    if (!client) throw new Error('no DynamoDB');
    const result = await harness.handler(
      { REPORT_TIMEZONE: 'UTC' },
      { namesCache: (tableName) => createNamesCache({ client, tableName, maxBytes: 100 }) },
    )(DAY, lambdaContext());
    expect(namesOf(result)).not.toContain(undefined);
    expect(await cache().read()).toBeUndefined();
    expect(harness.logs()).toContain('project names not cached: too many to fit in one item');
  });

  it('expires by the table TTL 30 days after its listing', async () => {
    await storeNames(SAMPLE_LOG, NOW_S);
    const item = await harness.dynamodb?.client.send(
      new GetItemCommand({ TableName: IDEMPOTENCY_TABLE, Key: { id: { S: NAMES_CACHE_KEY } } }),
    );
    expect(Number(item?.Item?.expiration?.N)).toBe(NOW_S + 30 * 86_400);
  });
});

describe('Function: cachedNames', () => {
  const logged: { level: 'info' | 'warn'; message: string; extra: Record<string, unknown> }[] = [];
  const logger: ReportLogger = {
    info: (message, extra = {}) => void logged.push({ level: 'info', message, extra }),
    warn: (message, extra = {}) => void logged.push({ level: 'warn', message, extra }),
  };
  const LISTED = new Map([
    ['p1', 'One'],
    ['p2', 'Two'],
  ]);
  /** A projects listing as the usage API gives it, counting its calls. */
  const listing = (result: () => Promise<Map<string, string>> = async () => new Map(LISTED)) => {
    const list = Object.assign(
      () => {
        list.calls++;
        return result();
      },
      { calls: 0 },
    );
    return list;
  };
  const names = (options: { list?: ReturnType<typeof listing>; cache?: NamesCache } = {}) =>
    cachedNames({
      cache: options.cache ?? cache(),
      list: options.list ?? listing(),
      now: () => NOW_S,
      logger,
    });
  const missingTable = () => {
    const client = harness.dynamodb?.client;
    if (!client) throw new Error('no DynamoDB');
    return createNamesCache({ client, tableName: 'no-such-table' });
  };
  const messages = () => logged.map((entry) => `${entry.level}: ${entry.message}`);
  beforeEach(() => {
    logged.length = 0;
  });

  it('lists, stores and answers when nothing is cached, once however often it is asked', async () => {
    const list = listing();
    const source = names({ list });
    expect(await source.namesFor(['p1'])).toEqual(LISTED);
    expect(await source.namesFor(['p2'])).toEqual(LISTED);
    await source.settled();
    expect(list.calls).toBe(1);
    expect(logged).toEqual([
      { level: 'info', message: 'listing project names', extra: { why: 'none cached' } },
    ]);
    expect(await cache().read()).toEqual({ names: LISTED, listedAt: NOW_S });
  });

  it.each([
    [20 * HOUR, false],
    [20 * HOUR + 1, true],
  ])('refreshes names %i seconds old in the background: %s', async (age, refreshed) => {
    await cache().write({ names: LISTED, listedAt: NOW_S - age });
    const list = listing(async () => new Map([['p1', 'One, renamed']]));
    const source = names({ list });
    expect(await source.namesFor(['p1'])).toEqual(LISTED);
    await source.settled();
    expect(list.calls).toBe(refreshed ? 1 : 0);
    expect(messages()).toEqual(refreshed ? ['info: listing project names'] : []);
    if (refreshed) expect(logged[0]?.extra).toEqual({ why: 'the cached names are 20 h old' });
    expect((await cache().read())?.names.get('p1')).toBe(refreshed ? 'One, renamed' : 'One');
  });

  it.each([
    [25 * HOUR, 'One'],
    [25 * HOUR + 1, 'One, renamed'],
  ])('shows names %i seconds old only while a day old: %s', async (age, shown) => {
    await cache().write({ names: LISTED, listedAt: NOW_S - age });
    const source = names({ list: listing(async () => new Map([['p1', 'One, renamed']])) });
    expect((await source.namesFor(['p1'])).get('p1')).toBe(shown);
    await source.settled();
    expect(logged[0]?.extra).toEqual({ why: 'the cached names are 25 h old' });
  });

  it('lists again for a project the fresh names do not know, naming it', async () => {
    await cache().write({ names: LISTED, listedAt: NOW_S - HOUR });
    const list = listing(async () => new Map([...LISTED, ['p3', 'Three']]));
    const source = names({ list });
    expect(await source.namesFor(['p1', 'p3', 'p4'])).toEqual(new Map([...LISTED, ['p3', 'Three']]));
    await source.settled();
    expect(logged).toEqual([
      {
        level: 'info',
        message: 'listing project names',
        extra: { why: 'the cache does not know 2 project(s), e.g. p3' },
      },
    ]);
  });

  it('keeps the fresh names when that listing fails, and says why it listed', async () => {
    await cache().write({ names: LISTED, listedAt: NOW_S - HOUR });
    const source = names({ list: listing(() => Promise.reject(new Error('projects API down'))) });
    expect(await source.namesFor(['p3'])).toEqual(LISTED);
    await source.settled();
    expect(logged.at(-1)).toEqual({
      level: 'warn',
      message: 'project names not listed',
      extra: {
        why: 'the cache does not know 1 project(s), e.g. p3',
        error: { name: 'Error', message: 'projects API down' },
      },
    });
  });

  it('fails when nothing fresh is cached and the listing fails', async () => {
    const source = names({ list: listing(() => Promise.reject(new Error('projects API down'))) });
    await expect(source.namesFor(['p1'])).rejects.toThrow('projects API down');
    await source.settled();
    expect(messages()).toEqual(['info: listing project names', 'warn: project names not listed']);
  });

  it('lists, and says why, when the table cannot be read or written', async () => {
    const source = names({ cache: missingTable() });
    expect(await source.namesFor(['p1'])).toEqual(LISTED);
    await source.settled();
    expect(messages()).toEqual([
      'warn: project names cache unavailable; listing them',
      'info: listing project names',
      'warn: project names not cached',
    ]);
    expect(logged[0]?.extra).toMatchObject({ error: { name: 'ResourceNotFoundException' } });
    expect(logged[1]?.extra).toEqual({ why: 'the cache is unavailable' });
    expect(logged[2]?.extra).toMatchObject({ error: { name: 'ResourceNotFoundException' } });
  });

  it('says when the names are too many to cache, and how many', async () => {
    const client = harness.dynamodb?.client;
    if (!client) throw new Error('no DynamoDB');
    const small = createNamesCache({ client, tableName: IDEMPOTENCY_TABLE, maxBytes: 10 });
    const source = names({ cache: small });
    expect(await source.namesFor(['p1'])).toEqual(LISTED);
    await source.settled();
    expect(logged.at(-1)).toEqual({
      level: 'warn',
      message: 'project names not cached: too many to fit in one item; every run lists them',
      extra: { projects: 2 },
    });
  });

  it('settles once the background refresh is stored', async () => {
    await cache().write({ names: LISTED, listedAt: NOW_S - 21 * HOUR });
    let finish: (names: Map<string, string>) => void = () => {};
    const source = names({ list: listing(() => new Promise((resolve) => (finish = resolve))) });
    await source.namesFor(['p1']);
    let settled = false;
    const done = source.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    finish(new Map([['p1', 'later']]));
    await done;
    expect((await cache().read())?.names).toEqual(new Map([['p1', 'later']]));
  });
});

describe('Function: listedNames', () => {
  it('lists once, at once, and answers every ask with that listing', async () => {
    let calls = 0;
    const source = listedNames(async () => {
      calls++;
      return new Map([['p1', 'One']]);
    });
    expect(calls).toBe(1);
    expect(await source.namesFor(['p1'])).toEqual(new Map([['p1', 'One']]));
    expect(await source.namesFor([])).toEqual(new Map([['p1', 'One']]));
    await source.settled();
    expect(calls).toBe(1);
  });

  it('fails where it is asked, never unhandled', async () => {
    const source = listedNames(() => Promise.reject(new Error('down')));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(source.namesFor(['p1'])).rejects.toThrow('down');
  });
});

describe('Code interpreter line item names kept with the names', () => {
  const DAILY = { time: '2026-11-23T06:00:00Z', dry_run: true };
  // The fake spells code interpreter's line by the UTC day's parity: the cost day, 22 Nov, is even.
  const COST_DAY_LINE =
    Math.round(Date.parse('2026-11-22T00:00:00Z') / 86_400_000) % 2 === 0
      ? 'Code Interpreter sessions'
      : 'code interpreter sessions';
  const costRequests = () => harness.usageApi.costRequests();

  it('are learned by a daily run and asked for alone by the next range report', async () => {
    await harness.handler({ REPORT_TIMEZONE: 'UTC' })(DAILY, lambdaContext());
    expect((await cache().readWithLineItems()).lineItems).toEqual([COST_DAY_LINE]);
    harness.usageApi.reset();
    const result = await run();
    const [range] = costRequests();
    expect(costRequests()).toHaveLength(1);
    expect(range?.params.getAll('line_items')).toEqual([COST_DAY_LINE]);
    expect(result.total_cost_usd).toBeGreaterThan(0);
  });

  it('are asked for as every line when none are known yet (a first run)', async () => {
    await run();
    const [range] = costRequests();
    expect(range?.params.has('line_items')).toBe(false);
    expect((await cache().readWithLineItems()).lineItems).toBeUndefined();
  });

  it('grow as daily runs see new spellings, none dropped, and survive a refresh of the names', async () => {
    await cache().learnLineItems(['code interpreter sessions (legacy)'], NOW_S);
    await storeNames(SAMPLE_LOG, NOW_S - 21 * HOUR);
    await harness.handler({ REPORT_TIMEZONE: 'UTC' })(DAILY, lambdaContext());
    const stored = await cache().readWithLineItems();
    expect(stored.names?.listedAt).toBe(NOW_S);
    expect(stored.lineItems).toEqual([COST_DAY_LINE, 'code interpreter sessions (legacy)'].sort());
  });
});

describe('Function: cachedNames, line items', () => {
  const silent: ReportLogger = { info: () => {}, warn: () => {} };
  it('learns only code interpreter names it does not know, and reads them with the names however old', async () => {
    await cache().learnLineItems(['Code Interpreter sessions'], NOW_S);
    const names = cachedNames({
      cache: cache(),
      list: async () => new Map(),
      now: () => NOW_S,
      logger: silent,
    });
    expect(await names.lineItems?.()).toEqual(['Code Interpreter sessions']);
    names.learnLineItems?.(['Code Interpreter sessions', 'gpt-4.1, input', 'code interpreter sessions']);
    await names.settled();
    expect(await rawLineItems()).toEqual(['Code Interpreter sessions', 'code interpreter sessions']);
  });
});

const rawLineItems = async () => {
  const client = harness.dynamodb?.client;
  if (!client) throw new Error('no DynamoDB');
  const { Item } = await client.send(
    new GetItemCommand({ TableName: IDEMPOTENCY_TABLE, Key: { id: { S: NAMES_CACHE_KEY } } }),
  );
  return Item?.line_items?.SS?.sort();
};
