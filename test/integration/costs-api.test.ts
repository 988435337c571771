import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchCodeInterpreterCosts } from '../../functions/report/adapters/costs-api';
import { createOpenAiHttp } from '../../functions/report/adapters/openai-http';
import { AuthError, PaginationError, UsageApiError } from '../../functions/report/errors';

/**
 * The costs client against a local server whose every answer a test writes: the pagination and
 * failure cases over HTTP that the sample API does not produce.
 */
type Answer = (url: URL, res: ServerResponse) => void;
const seen: URL[] = [];
let answer: Answer = (_, res) => res.end();
const server = createServer((req: IncomingMessage, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  seen.push(url);
  answer(url, res);
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

const DAY = 86_400;
const START = Date.parse('2026-11-21T00:00:00Z') / 1000;
const WINDOW = { start: START, end: START + 2 * DAY };
const http = () =>
  createOpenAiHttp({ baseUrl, adminKey: 'sk-admin-test', maxAttempts: 1, requestTimeoutMs: 2_000 });
const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const row = (project_id: string | null, value: number, line_item = 'Code Interpreter sessions') => ({
  object: 'organization.costs.result',
  amount: { value, currency: 'usd' },
  line_item,
  project_id,
});
const bucket = (start: number, results: unknown[]) => ({
  object: 'bucket',
  start_time: start,
  end_time: start + DAY,
  results,
});
const page = (data: unknown[], next_page: string | null = null, has_more = next_page !== null) => ({
  object: 'page',
  data,
  has_more,
  next_page,
});
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

describe('Function: fetchCodeInterpreterCosts', () => {
  it('asks for whole UTC days grouped by project and line item, for the projects asked for', async () => {
    answer = (_, res) => send(res, 200, page([bucket(START, [row('p1', 1)]), bucket(START + DAY, [])]));
    const costs = await fetchCodeInterpreterCosts(http(), WINDOW, ['p1', 'p2']);
    expect(costs).toEqual(new Map([['p1', 1]]));
    const [url] = seen;
    expect(url?.pathname).toBe('/v1/organization/costs');
    expect([...(url?.searchParams ?? [])]).toEqual([
      ['start_time', String(START)],
      ['end_time', String(START + 2 * DAY)],
      ['bucket_width', '1d'],
      ['limit', '2'],
      ['group_by', 'project_id'],
      ['group_by', 'line_item'],
      ['project_ids', 'p1'],
      ['project_ids', 'p2'],
    ]);
  });

  it('follows next_page with the same parameters, merging a day continued on the next page', async () => {
    answer = (url, res) =>
      url.searchParams.get('page') === 'c2'
        ? send(res, 200, page([bucket(START, [row('p2', 2)]), bucket(START + DAY, [row('p1', 4)])]))
        : send(res, 200, page([bucket(START, [row('p1', 1), row(null, 0.5)])], 'c2'));
    const costs = await fetchCodeInterpreterCosts(http(), WINDOW);
    expect(costs).toEqual(
      new Map<string | null, number>([
        ['p1', 5],
        [null, 0.5],
        ['p2', 2],
      ]),
    );
    expect(seen.map((url) => url.searchParams.get('page'))).toEqual([null, 'c2']);
    expect(seen[1]?.searchParams.get('start_time')).toBe(String(START));
    expect(seen[0]?.searchParams.has('project_ids')).toBe(false);
  });

  it('runs a year as chunks of 180 days at once', async () => {
    answer = (_, res) => send(res, 200, page([]));
    await fetchCodeInterpreterCosts(http(), { start: START, end: START + 365 * DAY });
    expect(seen.map((url) => url.searchParams.get('limit')).sort()).toEqual(['180', '180', '5']);
  });

  it.each([
    [page([], null, true), PaginationError, 'the costs API said has_more but gave no next_page'],
    [{ data: 'none' }, UsageApiError, 'the costs API sent a malformed page: the page has no data array'],
    [
      page([bucket(START, [row('p1', 1)]), bucket(START, [row('p1', 2)])]),
      UsageApiError,
      'the costs API sent a malformed page: the cost bucket 2026-11-21 repeats project p1, line item "Code Interpreter sessions", with $2 after $1',
    ],
  ])('fails on %j', async (body, kind, message) => {
    answer = (_, res) => send(res, 200, body);
    const error = await failure(fetchCodeInterpreterCosts(http(), WINDOW));
    expect(error).toBeInstanceOf(kind);
    expect(error.message).toBe(message);
  });

  it('fails on a cursor it has followed before: a pagination loop', async () => {
    answer = (url, res) =>
      send(
        res,
        200,
        page([], url.searchParams.get('page') === 'b' ? 'a' : url.searchParams.has('page') ? 'b' : 'a'),
      );
    const error = await failure(fetchCodeInterpreterCosts(http(), WINDOW));
    expect(error).toBeInstanceOf(PaginationError);
    expect(error.message).toBe('the costs API repeated a next_page cursor after 3 pages (a pagination loop)');
    expect(seen).toHaveLength(3);
  });

  it('fails after as many pages as the days allow: 20 a day', async () => {
    let n = 0;
    answer = (_, res) => send(res, 200, page([], `c${++n}`));
    const error = await failure(fetchCodeInterpreterCosts(http(), WINDOW));
    expect(error.message).toBe('the costs API kept paginating past 40 pages for 2 days');
    expect(seen).toHaveLength(40);
  });

  it('stops the other chunks once one fails the run', async () => {
    answer = (url, res) => {
      if (url.searchParams.get('limit') === '180') return send(res, 401, { error: { message: 'no' } });
      // The other chunk pages on slowly: it must not ask for its next page after the failure.
      setTimeout(() => send(res, 200, page([], `after-${seen.length}`)), 150);
    };
    const error = await failure(fetchCodeInterpreterCosts(http(), { start: START, end: START + 181 * DAY }));
    expect(error).toBeInstanceOf(AuthError);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen).toHaveLength(2);
  });
});
