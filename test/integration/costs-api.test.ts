import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  fetchCodeInterpreterCosts,
  fetchCostsAndSpend,
  fetchDailyCosts,
} from '../../functions/report/adapters/costs-api';
import { createOpenAiHttp } from '../../functions/report/adapters/openai-http';
import { AuthError, PaginationError, UsageApiError } from '../../functions/report/errors';
import { closeServer, listenOnLoopback } from '../support/loopback';

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
  baseUrl = `http://127.0.0.1:${await listenOnLoopback(server)}/v1`;
});
afterAll(() => closeServer(server));
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

  it('asks for the code interpreter lines alone with the exact names known, and for every line with none known', async () => {
    answer = (_, res) => send(res, 200, page([bucket(START, [row('p1', 1)]), bucket(START + DAY, [])]));
    const names = ['Code Interpreter sessions', 'code interpreter sessions'];
    expect(await fetchCodeInterpreterCosts(http(), WINDOW, undefined, names)).toEqual(new Map([['p1', 1]]));
    expect(seen[0]?.searchParams.getAll('line_items')).toEqual(names);
    seen.length = 0;
    await fetchCodeInterpreterCosts(http(), WINDOW, undefined, []);
    await fetchCodeInterpreterCosts(http(), WINDOW);
    expect(seen.map((url) => url.searchParams.has('line_items'))).toEqual([false, false]);
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

describe('Function: fetchCostsAndSpend', () => {
  const D0 = '2026-11-21';
  const D1 = '2026-11-22';
  const COST_WINDOW = { start: START + DAY, end: START + 2 * DAY };
  /** A request as `group_by start..end project_ids`, days as offsets from START. */
  const shape = (url: URL) =>
    [
      url.searchParams.getAll('group_by').join('+'),
      `${(Number(url.searchParams.get('start_time')) - START) / DAY}..${(Number(url.searchParams.get('end_time')) - START) / DAY}`,
      url.searchParams.getAll('project_ids').join(','),
    ].join(' ');

  it("asks, all at once, for the report days by project and line item, the runway days by project alone and by line item alone, and the routes' projects by project and line item", async () => {
    const held: (() => void)[] = [];
    const answers: Record<string, unknown> = {
      // OpenAI's costs parameters take project_id, line_item and api_key_id "and any combination of
      // them" (openai/openai-node src/resources/admin/organization/usage.ts, UsageCostsParams).
      'project_id+line_item 1..2 ': page([
        bucket(START + DAY, [row('p1', 1), row('p1', 5, 'gpt-4.1, input'), row(null, 0.5)]),
      ]),
      'project_id 0..2 ': page([
        bucket(START, [row('p1', 10, null as never), row('p2', 3, null as never)]),
        bucket(START + DAY, [row('p1', 6, null as never), row(null, 0.5, null as never)]),
      ]),
      'line_item 0..2 ': page([
        bucket(START, [row(null, 2), row(null, 11, 'gpt-4.1, input')]),
        bucket(START + DAY, [row(null, 1.5, 'code interpreter sessions')]),
      ]),
      'project_id+line_item 0..2 p1': page([
        bucket(START, [row('p1', 1.25), row('p1', 9, 'gpt-4.1, input')]),
        bucket(START + DAY, []),
      ]),
    };
    answer = (url, res) => {
      held.push(() => send(res, 200, answers[shape(url)] ?? page([])));
      // Answered only once all four have arrived: one wave, or the test times out.
      if (held.length === 4) for (const release of held) release();
    };
    const both = await fetchCostsAndSpend(http(), {
      costWindow: COST_WINDOW,
      runwayWindow: WINDOW,
      routes: [['p1'], []],
    });
    expect(seen.map(shape).sort()).toEqual(Object.keys(answers).sort());
    expect(both.codeInterpreter).toEqual(
      new Map<string | null, number>([
        ['p1', 1],
        [null, 0.5],
      ]),
    );
    expect(both.spend.total).toEqual(
      new Map<string | null, unknown>([
        [
          'p1',
          [
            { date: D0, usd: 10 },
            { date: D1, usd: 6 },
          ],
        ],
        ['p2', [{ date: D0, usd: 3 }]],
        [null, [{ date: D1, usd: 0.5 }]],
      ]),
    );
    expect(both.spend.codeInterpreter).toEqual([
      { date: D0, usd: 2 },
      { date: D1, usd: 1.5 },
    ]);
    expect(both.spend.routeCodeInterpreter).toEqual(
      new Map([
        ['p1', [{ date: D0, usd: 1.25 }]],
        ['', []],
      ]),
    );
  });

  it("takes a monthly digest's runway, inside its own cost window, from the report's query: no query by project", async () => {
    // The month is the cost window and the runway (month to date, its last 7 days) alike.
    answer = (url, res) =>
      send(
        res,
        200,
        shape(url) === 'project_id+line_item 0..2 '
          ? page([
              bucket(START, [row('p1', 1), row('p1', 9, 'gpt-4.1, input'), row('p2', 3, 'gpt-4.1, input')]),
              bucket(START + DAY, [row('p1', 2), row(null, 0.5)]),
            ])
          : page([]),
      );
    const { codeInterpreter, spend } = await fetchCostsAndSpend(http(), {
      costWindow: WINDOW,
      runwayWindow: WINDOW,
    });
    expect(seen.map(shape).sort()).toEqual(['line_item 0..2 ', 'project_id+line_item 0..2 ']);
    expect(codeInterpreter).toEqual(
      new Map<string | null, number>([
        ['p1', 3],
        [null, 0.5],
      ]),
    );
    // Each project's total of every line, per day, as the query by project alone would give it.
    expect(spend.total).toEqual(
      new Map<string | null, unknown>([
        [
          'p1',
          [
            { date: D0, usd: 10 },
            { date: D1, usd: 2 },
          ],
        ],
        ['p2', [{ date: D0, usd: 3 }]],
        [null, [{ date: D1, usd: 0.5 }]],
      ]),
    );
  });

  it("asks for the routes' projects among those the report covers, and none when no route has one", async () => {
    answer = (_, res) => send(res, 200, page([]));
    await fetchCostsAndSpend(http(), {
      costWindow: COST_WINDOW,
      runwayWindow: WINDOW,
      projectIds: ['p1', 'p2'],
      routes: [['p2', 'p3'], ['p4']],
    });
    expect(seen.map(shape).sort()).toEqual(
      [
        'line_item 0..2 p1,p2',
        'project_id+line_item 0..2 p2',
        'project_id 0..2 p1,p2',
        'project_id+line_item 1..2 p1,p2',
      ].sort(),
    );
    seen.length = 0;
    const { spend } = await fetchCostsAndSpend(http(), {
      costWindow: COST_WINDOW,
      runwayWindow: WINDOW,
      projectIds: ['p1', 'p2'],
      routes: [['p3'], ['p4']],
    });
    expect(seen.map(shape).sort()).toEqual(
      ['line_item 0..2 p1,p2', 'project_id 0..2 p1,p2', 'project_id+line_item 1..2 p1,p2'].sort(),
    );
    expect(spend.routeCodeInterpreter).toEqual(
      new Map([
        ['p3', []],
        ['p4', []],
      ]),
    );
  });

  it('asks once for every route, two routes sharing a project each counting it, a continued day merged', async () => {
    const held: (() => void)[] = [];
    answer = (url, res) => {
      const reply =
        shape(url) !== 'project_id+line_item 0..2 p1,p2,p3'
          ? page([])
          : url.searchParams.get('page') !== 'c2'
            ? page([bucket(START, [row('p1', 1.25), row('p2', 0.5), row('p2', 7, 'gpt-4.1, input')])], 'c2')
            : page([
                bucket(START, [row('p2', 0.5), row('p3', 2)]),
                bucket(START + DAY, [row('p2', 0.75), row('p3', 4, 'File search tool calls')]),
              ]);
      if (url.searchParams.has('page')) return send(res, 200, reply);
      held.push(() => send(res, 200, reply));
      // Answered only once all four first pages have arrived: one wave, or the test times out.
      if (held.length === 4) for (const release of held) release();
    };
    const { spend } = await fetchCostsAndSpend(http(), {
      costWindow: COST_WINDOW,
      runwayWindow: WINDOW,
      routes: [['p2', 'p1'], ['p3', 'p2', 'p2'], ['p1', 'p2'], ['p3']],
    });
    expect(seen.map(shape).sort()).toEqual(
      [
        'project_id+line_item 1..2 ',
        'project_id 0..2 ',
        'line_item 0..2 ',
        'project_id+line_item 0..2 p1,p2,p3',
        'project_id+line_item 0..2 p1,p2,p3',
      ].sort(),
    );
    expect(spend.routeCodeInterpreter).toEqual(
      new Map([
        [
          'p1\u0000p2',
          [
            { date: D0, usd: 1.75 },
            { date: D1, usd: 0.75 },
          ],
        ],
        [
          'p2\u0000p3',
          [
            { date: D0, usd: 2.5 },
            { date: D1, usd: 0.75 },
          ],
        ],
        ['p3', [{ date: D0, usd: 2 }]],
      ]),
    );
  });

  it.each([
    ['project_id', row('p1', 4, null as never), row('p1', 5, null as never), 'project p1, line item null'],
    ['line_item', row(null, 4), row(null, 5), 'project unattributed, line item "Code Interpreter sessions"'],
  ])(
    'grouped by %s alone: merges a day continued on the next page, drops an exact repeat, fails on a conflicting one',
    async (group, first, conflicting, named) => {
      let conflict = false;
      answer = (url, res) => {
        if (url.searchParams.getAll('group_by').join('+') !== group) return send(res, 200, page([]));
        if (url.searchParams.get('page') !== 'c2') {
          return send(res, 200, page([bucket(START, [first])], 'c2'));
        }
        const other = group === 'project_id' ? row('p2', 2, null as never) : row(null, 2, 'code interpreter');
        return send(res, 200, page([bucket(START, [conflict ? conflicting : first, other])]));
      };
      const query = { costWindow: COST_WINDOW, runwayWindow: WINDOW };
      const { spend } = await fetchCostsAndSpend(http(), query);
      if (group === 'project_id') {
        expect(spend.total).toEqual(
          new Map([
            ['p1', [{ date: D0, usd: 4 }]],
            ['p2', [{ date: D0, usd: 2 }]],
          ]),
        );
      } else {
        expect(spend.codeInterpreter).toEqual([{ date: D0, usd: 6 }]);
      }
      conflict = true;
      const error = await failure(fetchCostsAndSpend(http(), query));
      expect(error).toBeInstanceOf(UsageApiError);
      expect(error.message).toBe(
        `the costs API sent a malformed page: the cost bucket ${D0} repeats ${named}, with $5 after $4`,
      );
    },
  );
});

describe('Function: fetchCostsAndSpend, line item names', () => {
  it("gives the code interpreter line item names each project's cost lines carried over the cost window", async () => {
    answer = (url, res) =>
      send(
        res,
        200,
        url.searchParams.getAll('group_by').join('+') === 'project_id+line_item'
          ? page([
              bucket(START + DAY, [
                row('p1', 1),
                row('p1', 2, 'code interpreter sessions'),
                row('p1', 5, 'gpt-4.1, input'),
                row(null, 0.5, 'Code Interpreter sessions'),
                row('p2', 3, 'gpt-4.1, input'),
              ]),
            ])
          : page([]),
      );
    const { lineItems } = await fetchCostsAndSpend(http(), {
      costWindow: { start: START + DAY, end: START + 2 * DAY },
      runwayWindow: WINDOW,
    });
    expect(lineItems).toEqual(
      new Map<string | null, readonly string[]>([
        ['p1', ['Code Interpreter sessions', 'code interpreter sessions']],
        [null, ['Code Interpreter sessions']],
      ]),
    );
  });
});

describe('Function: fetchDailyCosts', () => {
  it("gives each project's code interpreter cost and total per UTC day, from one wave of two queries", async () => {
    const held: (() => void)[] = [];
    const answers: Record<string, unknown> = {
      'project_id+line_item': page([
        bucket(START, [row('p1', 1), row('p1', 4, 'gpt-4.1, input'), row(null, 0.5)]),
        bucket(START + DAY, [row('p2', 2, 'code interpreter sessions')]),
      ]),
      project_id: page([
        bucket(START, [row('p1', 5, null as never), row(null, 0.5, null as never)]),
        bucket(START + DAY, [row('p2', 2, null as never), row('p3', 9, null as never)]),
      ]),
    };
    answer = (url, res) => {
      held.push(() => send(res, 200, answers[url.searchParams.getAll('group_by').join('+')] ?? page([])));
      // Answered only once both have arrived: one wave, or the test times out.
      if (held.length === 2) for (const release of held) release();
    };
    const costs = await fetchDailyCosts(http(), WINDOW, ['p1', 'p2', 'p3']);
    expect(seen.map((url) => url.searchParams.getAll('project_ids').join(','))).toEqual([
      'p1,p2,p3',
      'p1,p2,p3',
    ]);
    expect(costs.codeInterpreter).toEqual(
      new Map([
        [
          '2026-11-21',
          new Map<string | null, number>([
            ['p1', 1],
            [null, 0.5],
          ]),
        ],
        ['2026-11-22', new Map([['p2', 2]])],
      ]),
    );
    expect(costs.total).toEqual(
      new Map([
        [
          '2026-11-21',
          new Map<string | null, number>([
            ['p1', 5],
            [null, 0.5],
          ]),
        ],
        [
          '2026-11-22',
          new Map([
            ['p2', 2],
            ['p3', 9],
          ]),
        ],
      ]),
    );
  });

  it('lists a day without cost as empty, merges a continued day and fails on a conflicting repeat', async () => {
    answer = (url, res) =>
      send(
        res,
        200,
        url.searchParams.get('page') === 'c2'
          ? page([bucket(START, [row('p2', 2), row('p1', 1)])])
          : page([bucket(START, [row('p1', 1)])], 'c2'),
      );
    const costs = await fetchDailyCosts(http(), WINDOW);
    expect(costs.codeInterpreter.get('2026-11-21')).toEqual(
      new Map([
        ['p1', 1],
        ['p2', 2],
      ]),
    );
    expect(costs.codeInterpreter.get('2026-11-22')).toEqual(new Map());
    answer = (_, res) => send(res, 200, page([bucket(START, [row('p1', 1), row('p1', 3)])]));
    const error = await failure(fetchDailyCosts(http(), WINDOW));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toContain('repeats project p1');
  });
});
