import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createUsageApi,
  parseRetryAfter,
  type UsageApiEvent,
  type UsageApiOptions,
  type UsageSink,
} from '../../functions/report/adapters/usage-api';
import type { UsageQuery } from '../../functions/report/core/plan';
import { MalformedPageError } from '../../functions/report/core/usage-page';
import { AuthError, PaginationError, UsageApiError } from '../../functions/report/errors';
import { closeServer, listenOnLoopback } from '../support/loopback';

/**
 * The usage client against a local server whose every answer a test writes: the wire-level cases
 * (headers, statuses, bodies, timing) the sample API does not produce.
 */
type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const seen: IncomingMessage[] = [];
let answer: Answer = (_, res) => res.end();
const server = createServer((req, res) => {
  seen.push(req);
  answer(req, res);
});
let baseUrl = '';
const KEY = 'plain-secret-key-123';

beforeAll(async () => {
  baseUrl = `http://127.0.0.1:${await listenOnLoopback(server)}/v1`;
});
afterAll(() => closeServer(server));
afterEach(() => {
  seen.length = 0;
  vi.restoreAllMocks();
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (_, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const page = (buckets: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  object: 'page',
  data: buckets,
  has_more: false,
  next_page: null,
  ...extra,
});
const QUERY: UsageQuery = { width: '1d', start: 0, end: 86_400, limit: 1 };
const api = (options: Partial<UsageApiOptions> = {}) =>
  createUsageApi({ baseUrl, adminKey: KEY, maxAttempts: 3, requestTimeoutMs: 2_000, ...options });
const sink = (): UsageSink & { pages: unknown[][] } => {
  const pages: unknown[][] = [];
  return { pages, addPage: (_, buckets) => void pages.push([...buckets]), finishQuery: () => {} };
};
const failure = (run: Promise<unknown>) =>
  run.then(
    () => undefined as unknown as Error,
    (e: Error) => e,
  );

describe('Requests', () => {
  it('send the key as a bearer token and ask for JSON, with the planned parameters', async () => {
    answer = json(200, page());
    await api().fetchUsage([{ ...QUERY, projectIds: ['p1', 'p2'] }], sink());
    const [req] = seen;
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.headers.accept).toBe('application/json');
    const url = new URL(req?.url ?? '', 'http://x');
    expect(url.pathname).toBe('/v1/organization/usage/code_interpreter_sessions');
    expect([...url.searchParams]).toEqual([
      ['start_time', '0'],
      ['end_time', '86400'],
      ['bucket_width', '1d'],
      ['limit', '1'],
      ['group_by', 'project_id'],
      ['project_ids', 'p1'],
      ['project_ids', 'p2'],
    ]);
  });

  it('follow next_page to the end of a query, then tell the sink the query is finished', async () => {
    const calls: string[] = [];
    answer = (req, res) => {
      const cursor = new URL(req.url ?? '', 'http://x').searchParams.get('page');
      json(200, page([], cursor ? {} : { has_more: true, next_page: 'c1' }))(req, res);
    };
    await api().fetchUsage([QUERY], {
      addPage: (query, buckets) => void calls.push(`page ${query.start} ${buckets.length}`),
      finishQuery: (query) => void calls.push(`finish ${query.start}`),
    });
    expect(calls).toEqual(['page 0 0', 'page 0 0', 'finish 0']);
    expect(seen.map((r) => new URL(r.url ?? '', 'http://x').searchParams.get('page'))).toEqual([null, 'c1']);
  });

  it('ask for no project ids when the query names none', async () => {
    answer = json(200, page());
    await api().fetchUsage([QUERY], sink());
    expect([...new URL(seen[0]?.url ?? '', 'http://x').searchParams.keys()]).toEqual([
      'start_time',
      'end_time',
      'bucket_width',
      'limit',
      'group_by',
    ]);
  });

  it('report progress as queries finish', async () => {
    answer = json(200, page());
    const progress: [number, number][] = [];
    await api().fetchUsage([QUERY, { ...QUERY, start: 86_400, end: 172_800 }], sink(), (done, total) =>
      progress.push([done, total]),
    );
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });
});

describe('Retries', () => {
  it('retry 408, 429 and 5xx up to maxAttempts, waiting full-jitter backoff', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    answer = json(408, { error: { message: 'timeout' } });
    const events: UsageApiEvent[] = [];
    const error = await failure(api({ onEvent: (e) => events.push(e) }).fetchUsage([QUERY], sink()));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toBe('GET /organization/usage/code_interpreter_sessions failed: HTTP 408');
    expect(seen).toHaveLength(3);
    // Half of 250 ms · 2^(attempt-1): 125, then 250.
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([
      125, 250,
    ]);
    expect(events.filter((e) => e.type === 'request').map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it('retry a 200 whose body is not JSON, naming its type', async () => {
    answer = (_, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html>');
    };
    expect((await failure(api({ maxAttempts: 1 }).fetchUsage([QUERY], sink()))).message).toBe(
      'GET /organization/usage/code_interpreter_sessions failed: HTTP 200 with a body that is not JSON (text/html)',
    );
    answer = (_, res) => {
      res.writeHead(204);
      res.end();
    };
    expect((await failure(api({ maxAttempts: 1 }).fetchUsage([QUERY], sink()))).message).toContain(
      'HTTP 204 with a body that is not JSON (unknown type)',
    );
  });

  it('name a reset connection a network error, with its code', async () => {
    answer = (req) => req.socket.destroy();
    const error = await failure(api({ maxAttempts: 1 }).fetchUsage([QUERY], sink()));
    expect(error.message).toMatch(/failed: network error \([A-Z_]+\)$/);
  });

  it('time out a request that hangs, never later than the deadline', async () => {
    answer = () => {};
    const started = Date.now();
    const error = await failure(
      api({ maxAttempts: 1, requestTimeoutMs: 10_000, deadline: Date.now() + 400 }).fetchUsage(
        [QUERY],
        sink(),
      ),
    );
    expect(error.message).toMatch(/failed: timed out after (3\d\d|400) ms$/);
    expect(Date.now() - started).toBeLessThan(2_000);
    const short = await failure(api({ maxAttempts: 1, requestTimeoutMs: 200 }).fetchUsage([QUERY], sink()));
    expect(short.message).toContain('timed out after 200 ms');
  });

  it('make no request once the deadline has passed', async () => {
    answer = json(200, page());
    const error = await failure(api({ deadline: Date.now() - 1 }).fetchUsage([QUERY], sink()));
    expect(error.message).toBe(
      'GET /organization/usage/code_interpreter_sessions failed: no time left before the deadline',
    );
    expect(seen).toHaveLength(0);
  });

  it('send nothing from a query that waited for its place past the deadline', async () => {
    answer = json(200, page());
    const deadline = Date.now() + 200;
    let calls = 0;
    // A first answer that comes late, after the deadline, whatever its timeout says.
    const slowFirst: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return fetch(input, { ...init, signal: null });
      }
      return fetch(input, init);
    };
    const error = await failure(
      api({ concurrency: 1, deadline, fetch: slowFirst }).fetchUsage(
        [QUERY, { ...QUERY, start: 86_400, end: 172_800 }],
        sink(),
      ),
    );
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toBe(
      'GET /organization/usage/code_interpreter_sessions failed: no time left before the deadline',
    );
    expect(seen).toHaveLength(1);
  });

  it('stop at once when the backoff or Retry-After would pass the deadline, saying when to try again', async () => {
    answer = json(429, { error: { message: 'slow down' } }, { 'retry-after': '3600' });
    const before = Date.now();
    const error = await failure(api({ deadline: Date.now() + 5_000 }).fetchUsage([QUERY], sink()));
    const until = /wait until (\S+), past this run's deadline: try again after then$/.exec(
      error.message,
    )?.[1];
    expect(Math.abs(Date.parse(until ?? '') - (before + 3_600_000))).toBeLessThan(5_000);
    expect(seen).toHaveLength(1);

    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    answer = json(500, { error: { message: 'boom' } });
    const late = await failure(api({ deadline: Date.now() + 150 }).fetchUsage([QUERY], sink()));
    expect(late.message).toBe(
      'GET /organization/usage/code_interpreter_sessions failed: HTTP 500; no time left to retry before the deadline',
    );
  });

  it.each([
    ['a delta too large for a date', '9999999999999', '9999999999999 s'],
    ['a delta too large for a number', `1${'0'.repeat(400)}`, 'for ever'],
    // The moment is read back from a delay, so it may be some milliseconds off on a loaded machine.
    ['a far-future HTTP date', 'Fri, 31 Dec 9999 23:59:59 GMT', 'until 9999-12-31T23:59:59\\.\\d{3}Z'],
  ])('end a Retry-After of %s in the same clear error, asking no more', async (_, retryAfter, wait) => {
    answer = json(429, { error: { message: 'slow down' } }, { 'retry-after': retryAfter });
    const error = await failure(api({ deadline: Date.now() + 5_000 }).fetchUsage([QUERY], sink()));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toMatch(
      new RegExp(
        `^GET /organization/usage/code_interpreter_sessions failed: HTTP 429; the API asked to wait ${wait}, past this run's deadline: try again after then$`,
      ),
    );
    expect(seen).toHaveLength(1);
  });

  it('never sleeps on a Retry-After longer than a timer can wait, deadline or not', async () => {
    // Node fires a timer over 2^31-1 ms at once: a 300-year wait would be a retry storm.
    answer = json(503, {}, { 'retry-after': '9999999999' });
    const error = await failure(api().fetchUsage([QUERY], sink()));
    expect(error.message).toMatch(/HTTP 503; the API asked to wait until 2343-\S+, past this run's deadline/);
    expect(seen).toHaveLength(1);
  });

  it('retries at once after a Retry-After in the past, or one that is junk or negative', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    for (const retryAfter of ['Mon, 01 Jan 2001 00:00:00 GMT', '-5', 'soon', '0']) {
      seen.length = 0;
      let calls = 0;
      answer = (req, res) =>
        ++calls === 1 ? json(429, {}, { 'retry-after': retryAfter })(req, res) : json(200, page())(req, res);
      const started = Date.now();
      await api({ deadline: Date.now() + 5_000 }).fetchUsage([QUERY], sink());
      expect(seen).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('stop the other queries and their backoff once one query fails the run', async () => {
    answer = (req, res) => {
      const start = new URL(req.url ?? '', 'http://x').searchParams.get('start_time');
      if (start === '0') return json(503, {}, { 'retry-after': '1' })(req, res);
      setTimeout(() => json(401, {})(req, res), 100);
    };
    const error = await failure(api().fetchUsage([QUERY, { ...QUERY, start: 86_400, end: 172_800 }], sink()));
    expect(error).toBeInstanceOf(AuthError);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    // The first query was asleep on its Retry-After when the second failed: it never asks again.
    expect(seen).toHaveLength(2);
  });
});

describe('Errors that are not retried', () => {
  it('report the API message of a 4xx, redacted and cut to 300 characters', async () => {
    answer = json(400, { error: { message: `bad key ${KEY} ${'x'.repeat(400)}` } });
    const error = await failure(api().fetchUsage([QUERY], sink()));
    expect(error.message).toBe(
      `the usage API answered HTTP 400: bad key [redacted] ${'x'.repeat(300 - 'bad key [redacted] '.length)}`,
    );
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['not JSON', 'oops'],
    ['without a message', JSON.stringify({ error: { message: 7 } })],
    ['null', 'null'],
  ])('say "no error message" for a 4xx body %s', async (_, body) => {
    answer = (_, res) => {
      res.writeHead(404);
      res.end(body);
    };
    expect((await failure(api().fetchUsage([QUERY], sink()))).message).toBe(
      'the usage API answered HTTP 404: no error message',
    );
  });

  it('pass on what the sink throws, wrapping only inconsistent data', async () => {
    answer = json(200, page([{ start_time: 0, end_time: 86_400, results: [] }]));
    const boom: UsageSink = {
      addPage: () => {
        throw new TypeError('boom');
      },
      finishQuery: () => {},
    };
    const error = await failure(api().fetchUsage([QUERY], boom));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('boom');
  });

  it('fail on a page that is not a usage page', async () => {
    answer = json(200, { object: 'page', data: 'nothing', has_more: false });
    const error = await failure(api().fetchUsage([QUERY], sink()));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toMatch(/^the usage API sent a malformed page: \S/);
  });

  it('fail on has_more without a next_page', async () => {
    answer = json(200, page([], { has_more: true, next_page: null }));
    const error = await failure(api().fetchUsage([QUERY], sink()));
    expect(error).toBeInstanceOf(PaginationError);
    expect(error.message).toBe('the usage API said has_more but gave no next_page cursor');
    expect(seen).toHaveLength(1);
  });

  it('fail on a next_page cursor it was given before', async () => {
    const cursors = ['c1', 'c2', 'c1'];
    answer = (req, res) =>
      json(200, page([], { has_more: true, next_page: cursors[seen.length - 1] }))(req, res);
    const error = await failure(api().fetchUsage([{ ...QUERY, limit: 7 }], sink()));
    expect(error).toBeInstanceOf(PaginationError);
    expect(error.message).toBe('the usage API repeated a next_page cursor after 3 pages (a pagination loop)');
    expect(seen).toHaveLength(3);
  });

  it('name data the sink finds inconsistent', async () => {
    answer = json(200, page([{ start_time: 0, end_time: 86_400, results: [] }]));
    const inconsistent: UsageSink = {
      addPage: () => {
        throw new MalformedPageError('bucket 0 arrived twice');
      },
      finishQuery: () => {},
    };
    const error = await failure(api().fetchUsage([QUERY], inconsistent));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toBe('the usage API sent inconsistent data: bucket 0 arrived twice');
  });

  it('fail after as many pages as the plan allows: 20 per bucket', async () => {
    let n = 0;
    answer = (req, res) => json(200, page([], { has_more: true, next_page: `c${++n}` }))(req, res);
    const error = await failure(api().fetchUsage([QUERY], sink()));
    expect(error).toBeInstanceOf(PaginationError);
    expect(error.message).toBe('the usage API kept paginating past 20 pages for 1 buckets');
    expect(seen).toHaveLength(20);
  });

  it('decode characters split across chunks of a large body', async () => {
    const name = 'é'.repeat(100_000);
    answer = (_, res) => {
      const body = Buffer.from(JSON.stringify({ data: [{ id: 'p1', name }], has_more: false }));
      res.writeHead(200, { 'content-type': 'application/json' });
      // Odd-sized chunks cut two-byte characters in half.
      for (let i = 0; i < body.length; i += 1_001) res.write(body.subarray(i, i + 1_001));
      res.end();
    };
    expect((await api().listProjectNames()).get('p1')).toBe(name);
  });
});

describe('Project names', () => {
  const projects = (data: unknown[], extra: Record<string, unknown> = {}) => ({
    object: 'list',
    data,
    ...extra,
  });

  it('follow last_id, or the last id of the page, including archived projects', async () => {
    const pages = [
      projects([{ id: 'p1', name: 'One' }], { has_more: true, last_id: 'p1' }),
      projects([{ id: 'p2', name: 'Two' }], { has_more: true }),
      projects([{ id: 'p3', name: `Key ${KEY}` }, { id: 4, name: 'no id' }, { id: 'p5' }, null], {
        has_more: false,
      }),
    ];
    answer = (req, res) => json(200, pages[seen.length - 1])(req, res);
    const names = await api().listProjectNames();
    expect([...names]).toEqual([
      ['p1', 'One'],
      ['p2', 'Two'],
      ['p3', 'Key [redacted]'],
    ]);
    expect(seen.map((r) => new URL(r.url ?? '', 'http://x').search)).toEqual([
      '?limit=100&include_archived=true',
      '?limit=100&include_archived=true&after=p1',
      '?limit=100&include_archived=true&after=p2',
    ]);
  });

  it.each([
    [
      'a page without data',
      projects(undefined as unknown as unknown[]),
      'the projects API sent a page without data',
    ],
    [
      'a cursor that does not advance',
      projects([], { has_more: true }),
      'the projects API said has_more but its cursor did not advance',
    ],
  ])('fail on %s', async (_, body, message) => {
    answer = json(200, body);
    expect((await failure(api().listProjectNames())).message).toBe(message);
  });

  it('follow a last_id that is not the last id of the page', async () => {
    const pages = [
      projects([{ id: 'p1', name: 'One' }], { has_more: true, last_id: 'p9' }),
      projects([{ id: 'p2', name: 'Two' }], { has_more: false }),
    ];
    answer = (req, res) => json(200, pages[seen.length - 1])(req, res);
    expect([...(await api().listProjectNames()).keys()]).toEqual(['p1', 'p2']);
    expect(seen.map((r) => new URL(r.url ?? '', 'http://x').searchParams.get('after'))).toEqual([null, 'p9']);
  });

  it.each([
    ['an id that is no text', projects([{ id: 4, name: 'Four' }], { has_more: true })],
    ['a last_id that is no text and no ids', projects([], { has_more: true, last_id: 7 })],
  ])('fail on more pages after %s', async (_, body) => {
    answer = json(200, body);
    expect((await failure(api().listProjectNames())).message).toBe(
      'the projects API said has_more but its cursor did not advance',
    );
    expect(seen).toHaveLength(1);
  });

  it('fail on a page that is null', async () => {
    answer = json(200, null);
    const error = await failure(api().listProjectNames());
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toBe('the projects API sent a page without data');
  });

  it('fail after 1,000 pages that each advance', async () => {
    answer = (req, res) =>
      json(200, projects([{ id: `p${seen.length}`, name: 'x' }], { has_more: true }))(req, res);
    const error = await failure(api().listProjectNames());
    expect(error).toBeInstanceOf(PaginationError);
    expect(error.message).toBe('the projects API kept paginating past 1000 pages');
    expect(seen).toHaveLength(1_000);
  }, 60_000);

  it('fail on a last_id that repeats', async () => {
    answer = json(200, projects([{ id: 'p1', name: 'One' }], { has_more: true, last_id: 'p1' }));
    expect((await failure(api().listProjectNames())).message).toContain('cursor did not advance');
    expect(seen).toHaveLength(2);
  });
});

describe('API keys of a project', () => {
  const keysPage = (data: unknown[], extra: Record<string, unknown> = {}) => ({
    object: 'list',
    data,
    ...extra,
  });
  const key = (id: string, owner: unknown, name: unknown = `name ${id}`) => ({
    object: 'organization.project.api_key',
    id,
    name,
    redacted_value: `sk-...${id}`,
    owner,
  });

  it('follow last_id with every enabled key, naming a user by name or email and a service account by name', async () => {
    const pages = [
      keysPage(
        [
          key('k1', { type: 'service_account', service_account: { id: 's1', name: 'ci-bot' } }),
          key('k2', { type: 'user', user: { id: 'u1', name: 'Ada', email: 'ada@example.com' } }),
        ],
        { has_more: true, last_id: 'k2' },
      ),
      keysPage(
        [
          key('k3', { type: 'user', user: { id: 'u2', name: '', email: 'grace@example.com' } }),
          key('k4', {}, `leaked ${KEY}`),
          { id: 5, name: 'no id' },
        ],
        { has_more: false },
      ),
    ];
    answer = (req, res) => json(200, pages[seen.length - 1])(req, res);
    expect(await api().listApiKeys('proj/1')).toEqual([
      { id: 'k1', name: 'name k1', redacted_value: 'sk-...k1', owner: 'ci-bot' },
      { id: 'k2', name: 'name k2', redacted_value: 'sk-...k2', owner: 'Ada' },
      { id: 'k3', name: 'name k3', redacted_value: 'sk-...k3', owner: 'grace@example.com' },
      { id: 'k4', name: 'leaked [redacted]', redacted_value: 'sk-...k4', owner: null },
    ]);
    expect(seen.map((r) => r.url)).toEqual([
      '/v1/organization/projects/proj%2F1/api_keys?limit=100&owner_project_access=any',
      '/v1/organization/projects/proj%2F1/api_keys?limit=100&owner_project_access=any&after=k2',
    ]);
  });

  it.each([
    [
      'a page without data',
      keysPage(undefined as unknown as unknown[]),
      'the API keys listing sent a page without data',
    ],
    [
      'a cursor that does not advance',
      keysPage([], { has_more: true }),
      'the API keys listing said has_more but its cursor did not advance',
    ],
  ])('fail on %s', async (_, body, message) => {
    answer = json(200, body);
    expect((await failure(api().listApiKeys('p1'))).message).toBe(message);
  });
});

describe('Function: parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T07:00:00Z');
  it.each([
    ['12', 12_000],
    [' 2 ', 2_000],
    ['1.25', 1_250],
    ['Mon, 23 Nov 2026 07:00:05 GMT', 5_000],
    ['Mon, 23 Nov 2026 06:00:00 GMT', 0],
  ])('reads %j as %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([
    'soon',
    '2x',
    'x2',
    '',
    '-5',
    '-1',
    '+5',
    '1e3',
    'Infinity',
    '0x10',
    '2026-11-23T07:00:05Z',
    'x Mon, 23 Nov 2026 07:00:05 GMT',
  ])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('reads the obsolete HTTP date forms too (RFC 9110 §5.6.7)', () => {
    expect(parseRetryAfter('Monday, 23-Nov-26 07:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Mon Nov 23 07:00:05 2026', now)).toBe(5_000);
  });
});
