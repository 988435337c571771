import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createOpenAiHttp,
  MAX_BODY_BYTES,
  type UsageApiOptions,
} from '../../functions/report/adapters/openai-http';
import { AuthError, UsageApiError } from '../../functions/report/errors';
import { closeServer, listenOnLoopback } from '../support/loopback';

/**
 * The shared HTTP client of the OpenAI organization APIs, against a local server whose every answer
 * a test writes (and, for what HTTP servers will not send, a raw TCP one).
 */
type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const seen: IncomingMessage[] = [];
let answer: Answer = (_, res) => res.end();
const server = createServer((req, res) => {
  seen.push(req);
  answer(req, res);
});
let raw: (socket: Socket) => void = (socket) => socket.end();
const tcp = createTcpServer((socket) => raw(socket));
let baseUrl = '';
let rawUrl = '';
const KEY = 'plain-secret-key-123';

beforeAll(async () => {
  baseUrl = `http://127.0.0.1:${await listenOnLoopback(server)}/v1`;
  rawUrl = `http://127.0.0.1:${await listenOnLoopback(tcp)}/v1`;
});
afterAll(async () => {
  await closeServer(server);
  await closeServer(tcp);
});
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
const http = (options: Partial<UsageApiOptions> = {}) =>
  createOpenAiHttp({ baseUrl, adminKey: KEY, maxAttempts: 1, requestTimeoutMs: 5_000, ...options });
const get = (options: Partial<UsageApiOptions> = {}, path = '/organization/usage/x', cancel?: AbortSignal) =>
  http(options).getJson(path, new URLSearchParams({ a: '1' }), cancel);
const failure = (run: Promise<unknown>) =>
  run.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );

describe('Requests', () => {
  it('GET base URL, path and query with the key as a bearer token; hand back the parsed JSON', async () => {
    answer = json(200, { ok: [1, 'é'] });
    expect(await get()).toEqual({ ok: [1, 'é'] });
    expect(seen.map((r) => [r.method, r.url, r.headers.authorization, r.headers.accept])).toEqual([
      ['GET', '/v1/organization/usage/x?a=1', `Bearer ${KEY}`, 'application/json'],
    ]);
    expect(http().adminKey).toBe(KEY);
  });

  it('keep at most `concurrency` requests in flight, the others waiting their turn', async () => {
    let open = 0;
    let peak = 0;
    answer = (req, res) => {
      peak = Math.max(peak, ++open);
      setTimeout(() => {
        open--;
        json(200, {})(req, res);
        // Long enough that every request of a wave is sent before the first is answered.
      }, 300);
    };
    const client = http({ concurrency: 2 });
    await Promise.all([1, 2, 3, 4, 5].map(() => client.getJson('/p', new URLSearchParams())));
    expect(peak).toBe(2);
    expect(seen).toHaveLength(5);
    peak = 0;
    const wide = http();
    await Promise.all(Array.from({ length: 20 }, () => wide.getJson('/p', new URLSearchParams())));
    expect(peak).toBe(16);
  });

  it('send nothing for a request cancelled while it waited for its place', async () => {
    answer = (req, res) => setTimeout(() => json(200, {})(req, res), 100);
    const client = http({ concurrency: 1 });
    const cancel = new AbortController();
    const first = client.getJson('/first', new URLSearchParams());
    const second = failure(client.getJson('/second', new URLSearchParams(), cancel.signal));
    cancel.abort(new Error('the run failed'));
    expect(await first).toEqual({});
    expect((await second).message).toBe('the run failed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen.map((r) => r.url)).toEqual(['/v1/first']);
  });

  it('fail a request cancelled before it starts at once, without waiting for a place', async () => {
    answer = (req, res) => setTimeout(() => json(200, {})(req, res), 1_000);
    const client = http({ concurrency: 1 });
    const first = client.getJson('/first', new URLSearchParams());
    const started = Date.now();
    const error = await failure(
      client.getJson('/second', new URLSearchParams(), AbortSignal.abort(new Error('the run failed'))),
    );
    expect(error.message).toBe('the run failed');
    expect(Date.now() - started).toBeLessThan(500);
    await first;
    expect(seen.map((r) => r.url)).toEqual(['/v1/first']);
  });

  it('stop sleeping on a backoff once cancelled', async () => {
    answer = json(503, {}, { 'retry-after': '2' });
    const cancel = new AbortController();
    const started = Date.now();
    const run = failure(get({ maxAttempts: 3 }, '/organization/usage/x', cancel.signal));
    setTimeout(() => cancel.abort(new Error('the run failed')), 200);
    const error = await run;
    expect(error.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(seen).toHaveLength(1);
  });

  it('stop a request in flight once cancelled, with the reason it was cancelled for', async () => {
    answer = () => {};
    const cancel = new AbortController();
    const run = failure(get({}, '/organization/usage/x', cancel.signal));
    const started = Date.now();
    setTimeout(() => cancel.abort(new Error('the run failed')), 100);
    expect((await run).message).toBe('the run failed');
    // Not when its 5-second timeout would have ended it.
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('Retries and the deadline', () => {
  it('retry a 408, 429 and 5xx and no 4xx; events name the attempt, the delay and the reason', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const statuses = [408, 429, 500, 599, 200];
    answer = (req, res) => json(statuses[seen.length - 1] ?? 200, { n: seen.length })(req, res);
    const events: unknown[] = [];
    expect(await get({ maxAttempts: 5, onEvent: (e) => events.push(e) })).toEqual({ n: 5 });
    const path = '/organization/usage/x';
    expect(events).toEqual([
      { type: 'request', path, attempt: 1 },
      { type: 'retry', path, attempt: 1, delayMs: 0, reason: 'HTTP 408' },
      { type: 'request', path, attempt: 2 },
      { type: 'retry', path, attempt: 2, delayMs: 0, reason: 'HTTP 429' },
      { type: 'request', path, attempt: 3 },
      { type: 'retry', path, attempt: 3, delayMs: 0, reason: 'HTTP 500' },
      { type: 'request', path, attempt: 4 },
      { type: 'retry', path, attempt: 4, delayMs: 0, reason: 'HTTP 599' },
      { type: 'request', path, attempt: 5 },
    ]);
    for (const status of [400, 404, 409, 422, 499]) {
      seen.length = 0;
      answer = json(status, { error: { message: 'no' } });
      const error = await failure(get({ maxAttempts: 3 }));
      expect(error).toBeInstanceOf(UsageApiError);
      expect(error.message).toBe(`the usage API answered HTTP ${status}: no`);
      expect((error as UsageApiError).status).toBe(status);
      expect(seen).toHaveLength(1);
    }
  });

  it('back off 250 ms · 2^(attempt-1) at most, capped at 8 s, scaled by the jitter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.001);
    answer = json(500, {});
    const delays: number[] = [];
    await failure(get({ maxAttempts: 8, onEvent: (e) => e.type === 'retry' && delays.push(e.delayMs) }));
    // 0.001 of 250, 500, 1000, 2000, 4000, 8000, 8000 ms.
    expect(delays).toEqual([0, 1, 1, 2, 4, 8, 8]);
  });

  it('wait the Retry-After when it is longer than the backoff, and say so when it passes the deadline', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let calls = 0;
    answer = (req, res) =>
      (++calls === 1 ? json(429, {}, { 'retry-after': '0.3' }) : json(200, {}))(req, res);
    const events: { type: string; delayMs?: number }[] = [];
    const started = Date.now();
    expect(await get({ maxAttempts: 2, onEvent: (e) => events.push(e) })).toEqual({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(events.find((e) => e.type === 'retry')?.delayMs).toBe(300);
  });

  it('give up when the wait ends exactly at the deadline', async () => {
    const now = Date.parse('2026-11-23T07:00:00Z');
    vi.spyOn(Date, 'now').mockReturnValue(now);
    answer = json(429, {}, { 'retry-after': '1' });
    const error = await failure(get({ maxAttempts: 3, deadline: now + 1_000 }));
    expect(error.message).toBe(
      "GET /organization/usage/x failed: HTTP 429; the API asked to wait until 2026-11-23T07:00:01.000Z, past this run's deadline: try again after then",
    );
    expect(seen).toHaveLength(1);
  });

  it('sleep on a Retry-After up to the longest timer Node keeps (2^31-1 ms), and give up past it', async () => {
    // Node's timers documentation: a delay over 2147483647 ms is set to 1 ms.
    answer = json(429, {}, { 'retry-after': '2147483.648' });
    const error = await failure(get({ maxAttempts: 2 }));
    expect(error.message).toMatch(/HTTP 429; the API asked to wait until \S+, past this run's deadline/);
    expect(seen).toHaveLength(1);

    seen.length = 0;
    answer = json(429, {}, { 'retry-after': '2147483.647' });
    const cancel = new AbortController();
    const asleep = failure(get({ maxAttempts: 2 }, '/organization/usage/x', cancel.signal));
    setTimeout(() => cancel.abort(), 300);
    expect((await asleep).name).toBe('AbortError');
    expect(seen).toHaveLength(1);
  });

  it('send nothing when the deadline is now', async () => {
    const now = Date.parse('2026-11-23T07:00:00Z');
    vi.spyOn(Date, 'now').mockReturnValue(now);
    answer = json(200, {});
    const error = await failure(get({ deadline: now }));
    expect(error.message).toBe('GET /organization/usage/x failed: no time left before the deadline');
    expect(seen).toHaveLength(0);
  });

  it('make every attempt it is allowed, and no more', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    answer = json(502, {});
    const error = await failure(get({ maxAttempts: 4 }));
    expect(error.message).toBe('GET /organization/usage/x failed: HTTP 502');
    expect(seen).toHaveLength(4);
    seen.length = 0;
    await failure(http({ maxAttempts: undefined }).getJson('/p', new URLSearchParams()));
    expect(seen).toHaveLength(5);
  });
});

describe('Failures', () => {
  it('name the API a 401 or 403 came from', async () => {
    for (const [path, api] of [
      ['/organization/usage/code_interpreter_sessions', 'usage'],
      ['/organization/costs', 'costs'],
      ['/organization/projects', 'projects'],
      ['/organization/projects/p/spend_limit', 'projects'],
    ] as const) {
      answer = json(403, {});
      const error = await failure(get({}, path));
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toBe(new AuthError(403, api).message);
      answer = json(401, {});
      expect((await failure(get({}, path))).message).toBe(new AuthError(401, api).message);
      answer = json(418, {});
      expect((await failure(get({}, path))).message).toBe(
        `the ${api} API answered HTTP 418: no error message`,
      );
    }
  });

  it.each([
    ['no error', '{}'],
    ['an error that is null', '{"error":null}'],
    ['an error without a message', '{"error":{}}'],
    ['a message that is no text', '{"error":{"message":["x"]}}'],
  ])('say "no error message" for a 4xx body with %s', async (_, body) => {
    answer = (_, res) => {
      res.writeHead(400);
      res.end(body);
    };
    expect((await failure(get())).message).toBe('the usage API answered HTTP 400: no error message');
  });

  it.each([
    [
      'a reset connection, by the code of its cause',
      { cause: { code: 'ECONNRESET' } },
      'network error (ECONNRESET)',
    ],
    ['an error with a code of its own', { code: 'EPIPE' }, 'network error (EPIPE)'],
    ['a cause that is no error', { cause: 'socket', code: 'EPIPE' }, 'network error (EPIPE)'],
    ['an error without a code', {}, 'network error'],
    ['a code that is no text', { code: 7 }, 'network error'],
  ])('name %s', async (_, fields, reason) => {
    const { cause, ...own } = fields as { cause?: unknown };
    const thrown = Object.assign(
      new TypeError('fetch failed', {
        cause: typeof cause === 'object' ? Object.assign(new Error('x'), cause) : cause,
      }),
      own,
    );
    const fetch = async () => {
      throw thrown;
    };
    expect((await failure(get({ fetch }))).message).toBe(`GET /organization/usage/x failed: ${reason}`);
  });

  it('name a throw that is no error a network error', async () => {
    for (const value of [undefined, null, 'boom']) {
      const fetch = async () => {
        throw value;
      };
      expect((await failure(get({ fetch }))).message).toBe('GET /organization/usage/x failed: network error');
    }
  });

  it('call a request aborted without a reason timed out', async () => {
    const fetch = async () => {
      throw new DOMException('This operation was aborted', 'AbortError');
    };
    expect((await failure(get({ fetch, requestTimeoutMs: 123 }))).message).toBe(
      'GET /organization/usage/x failed: timed out after 123 ms',
    );
  });

  it('time out a body that stops halfway', async () => {
    answer = (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    };
    expect((await failure(get({ requestTimeoutMs: 200 }))).message).toBe(
      'GET /organization/usage/x failed: timed out after 200 ms',
    );
  });

  it('refuse a body cut in the middle of a character', async () => {
    answer = (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.concat([Buffer.from('{"a":1}'), Buffer.from([0xc3])]));
    };
    expect((await failure(get())).message).toBe(
      'GET /organization/usage/x failed: HTTP 200 with a body that is not JSON (application/json)',
    );
  });
});

describe('The body cap', () => {
  const body = (bytes: number) => Buffer.from(`"${'a'.repeat(bytes - 2)}"`);

  it(`reads a body of exactly ${MAX_BODY_BYTES / 1024 / 1024} MiB, declared or streamed, and refuses one byte more`, async () => {
    expect(MAX_BODY_BYTES).toBe(32 * 1024 * 1024);
    const exact = body(MAX_BODY_BYTES);
    answer = (_, res) => {
      res.writeHead(200, { 'content-length': String(exact.length) });
      res.end(exact);
    };
    expect(((await get({ requestTimeoutMs: 30_000 })) as string).length).toBe(MAX_BODY_BYTES - 2);
    answer = (_, res) => {
      res.writeHead(200);
      for (let i = 0; i < exact.length; i += 1 << 20) res.write(exact.subarray(i, i + (1 << 20)));
      res.end();
    };
    expect(((await get({ requestTimeoutMs: 30_000 })) as string).length).toBe(MAX_BODY_BYTES - 2);
    answer = (_, res) => {
      res.writeHead(200);
      for (let i = 0; i < exact.length; i += 1 << 20) res.write(exact.subarray(i, i + (1 << 20)));
      res.end('x');
    };
    const error = await failure(get({ requestTimeoutMs: 30_000 }));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toBe('the usage API sent a body over 32 MiB; refusing to read it');
  }, 60_000);

  it('refuse a declared size over the cap even when no body may follow', async () => {
    raw = (socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 304 Not Modified\r\nContent-Length: 40000000\r\n\r\n'));
    const error = await failure(
      createOpenAiHttp({ baseUrl: rawUrl, adminKey: KEY, maxAttempts: 1 }).getJson(
        '/p',
        new URLSearchParams(),
      ),
    );
    expect(error.message).toBe('the usage API sent a body over 32 MiB; refusing to read it');
  });
});
