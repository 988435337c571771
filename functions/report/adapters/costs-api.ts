import {
  type CostBucket,
  type CostQuery,
  CostTally,
  isCodeInterpreterLine,
  parseCostPage,
  planCostQueries,
  roundUsd,
} from '../core/cost';
import { DailySpendTally, projectSetKey, type SpendByDay } from '../core/daily-spend';
import type { LocalDate, Window } from '../core/local-time';
import { MalformedPageError } from '../core/usage-page';
import { PaginationError, UsageApiError } from '../errors';
import type { OpenAiHttp } from './openai-http';

/**
 * Pages one day may take before we call the cursor endless: a query asks for all its days in one
 * page, so more pages come only from days cut by rows (projects × line items), as with usage.
 */
const PAGES_PER_DAY_ALLOWANCE = 20;

/**
 * Code interpreter cost per project (USD; null = unattributed) over `window`, whole UTC days, from
 * `GET /organization/costs`: through the same HTTP client as usage (retries, deadline, body cap,
 * redaction), its chunks of up to 180 days at once, each page followed with a loop guard. With
 * `lineItems` (the exact code interpreter line item names, as daily runs saw them) it asks for
 * those lines alone: a year of every line item is some 3× the bytes to fetch and parse.
 */
export async function fetchCodeInterpreterCosts(
  http: OpenAiHttp,
  window: Window,
  projectIds?: readonly string[],
  lineItems?: readonly string[],
): Promise<Map<string | null, number>> {
  const tally = new CostTally(window);
  await fetchAllAtOnce(http, window, [
    [
      tally,
      {
        groupBy: ['project_id', 'line_item'],
        ...(projectIds ? { projectIds } : {}),
        ...(lineItems?.length ? { lineItems } : {}),
      },
    ],
  ]);
  return tally.perProject();
}

/**
 * One project's code interpreter cost per API key over `window` (key id → USD; null: cost tied to
 * no key), from one query: `group_by=api_key_id` (and `line_item`, so only code interpreter lines
 * count even if the API ignored the filter), `project_ids=[projectId]`, `line_items=lineItems`.
 */
export async function fetchCostsByKey(
  http: OpenAiHttp,
  window: Window,
  projectId: string,
  lineItems: readonly string[],
): Promise<Map<string | null, number>> {
  const tally = new CostTally(window, 'api_key_id');
  await fetchAllAtOnce(http, window, [
    [
      tally,
      {
        groupBy: ['api_key_id', 'line_item'],
        projectIds: [projectId],
        ...(lineItems.length ? { lineItems } : {}),
      },
    ],
  ]);
  return tally.perKey();
}

/** Per UTC day (`YYYY-MM-DD`), each project's cost in USD (null: unattributed). */
export type CostsByDay = ReadonlyMap<LocalDate, ReadonlyMap<string | null, number>>;

/** Each project's code interpreter cost and its total (every line item), per UTC day. */
export interface DailyCosts {
  /** Every day of the window, with the projects that had code interpreter cost that day. */
  readonly codeInterpreter: CostsByDay;
  /** Every day of the window, with each project's cost of all its line items that day. */
  readonly total: CostsByDay;
}

/**
 * Each project's code interpreter cost and total cost per UTC day over `window` (whole UTC days),
 * in one wave: the days grouped by project and line item (code interpreter lines kept) and by
 * project alone (every line item summed by the API), each query's rows merged under the same rules
 * as the report's (a continued bucket adds, an exact repeat is dropped, a conflict fails).
 */
export async function fetchDailyCosts(
  http: OpenAiHttp,
  window: Window,
  projectIds?: readonly string[],
): Promise<DailyCosts> {
  const codeInterpreter = new DailySpendTally(window);
  const total = new DailySpendTally(window);
  const ids = projectIds ? { projectIds } : {};
  await fetchAllAtOnce(http, window, [
    [codeInterpreter, { groupBy: ['project_id', 'line_item'], ...ids }],
    [total, { groupBy: ['project_id'], keepLine: () => true, ...ids }],
  ]);
  const days: LocalDate[] = [];
  for (let t = window.start; t < window.end; t += 86_400)
    days.push(new Date(t * 1000).toISOString().slice(0, 10));
  const byDay = (tally: DailySpendTally): CostsByDay => {
    const result = new Map(days.map((day) => [day, new Map<string | null, number>()]));
    for (const [project, series] of tally.perProject()) {
      for (const { date, usd } of series) result.get(date)?.set(project, roundUsd(usd));
    }
    return result;
  };
  return { codeInterpreter: byDay(codeInterpreter), total: byDay(total) };
}

/**
 * Runs every query over `window` (cut into chunks of up to 180 days) concurrently, each into its
 * sink; the first failure cancels the others.
 */
async function fetchAllAtOnce(
  http: OpenAiHttp,
  window: Window,
  queries: readonly (readonly [CostSink, CostQueryOptions])[],
): Promise<void> {
  const cancel = new AbortController();
  try {
    await Promise.all(
      queries.flatMap(([target, opts]) =>
        planCostQueries(window).map((query) => fetchQuery(http, query, opts, target, cancel.signal)),
      ),
    );
  } catch (error) {
    cancel.abort(error);
    if (error instanceof MalformedPageError) {
      throw new UsageApiError(`the costs API sent a malformed page: ${error.message}`);
    }
    throw error;
  }
}

/** What a scheduled digest asks the Costs API: its own cost, and the runway's daily spend. */
export interface SpendQuery {
  /** The report's cost window (whole UTC days): code interpreter cost per project over it, as always. */
  readonly costWindow: Window;
  /** The runway's UTC days (the month to date and the 7 pace days). */
  readonly runwayWindow: Window;
  /**
   * The UTC days of code interpreter's part per day (the organization's and the routes'), when they
   * reach further than the runway's: a digest's chart. Each project's total stays on the runway's.
   */
  readonly chartWindow?: Window;
  /** The projects the report covers; every project when absent. */
  readonly projectIds?: readonly string[];
  /** Each route's projects, whose code interpreter spend per day its digest shows. */
  readonly routes?: readonly (readonly string[])[];
}

/** The report's code interpreter cost and the runway's daily spend, from one wave of cost queries. */
export interface CostsAndSpend {
  /** Code interpreter cost per project over the report's cost window, as {@link fetchCodeInterpreterCosts} gives it. */
  readonly codeInterpreter: Map<string | null, number>;
  /** Spend per UTC day over the runway's days. */
  readonly spend: SpendByDay;
  /**
   * The exact code interpreter line item names each project's cost lines carried over the cost
   * window (a daily digest: its cost day), as `line_items` of a later query of those lines alone.
   */
  readonly lineItems: ReadonlyMap<string | null, readonly string[]>;
}

/**
 * The report's code interpreter cost and the runway's daily spend, all queries at once:
 * - the cost window grouped by project and line item, exactly as {@link fetchCodeInterpreterCosts};
 * - the runway's days grouped by project alone: each project's total of every line item per day;
 * - the runway's days grouped by line item alone: code interpreter's part per day, for the projects
 *   the report covers;
 * - for the routes, one query whatever their number: the runway's days grouped by project and line
 *   item for the routes' projects together (`project_ids`: their union), each route's series the sum
 *   of its projects' (a project in two routes counts in both).
 * Grouping by project and line item over a month for every project would be a row per line item
 * of every project and day (1,500 projects: some 100,000 rows, 14 MB); the first three are about a
 * third of that, and routes usually name a few projects. Each query
 * follows its pages with the same checks, and its rows merge under its own key (day, and the
 * project and line item it groups by): a continued bucket adds, an exact repeat is dropped, a
 * conflicting one fails.
 */
export async function fetchCostsAndSpend(http: OpenAiHttp, query: SpendQuery): Promise<CostsAndSpend> {
  const { costWindow, runwayWindow, projectIds } = query;
  const report = new CostTally(costWindow);
  const total = new DailySpendTally(runwayWindow);
  const lineWindow = query.chartWindow ?? runwayWindow;
  const codeInterpreter = new DailySpendTally(lineWindow);
  const routeProjects = new DailySpendTally(lineWindow);
  const routes = new Map<string, readonly string[]>();
  const cancel = new AbortController();
  const fetches: Promise<void>[] = [];
  const fetchAll = (window: Window, sink: CostSink, options: CostQueryOptions) => {
    for (const part of planCostQueries(window)) {
      fetches.push(fetchQuery(http, part, options, sink, cancel.signal));
    }
  };
  const ids = projectIds ? { projectIds } : {};
  if (runwayWindow.start >= costWindow.start && runwayWindow.end <= costWindow.end) {
    // A monthly digest's runway (the month to date, its last 7 days) lies inside its own cost
    // window: the report's query, grouped by project and line item, already holds each project's
    // total of every line, so it feeds both and the runway's query by project is not sent.
    const inRunway = (bucket: CostBucket) =>
      bucket.start_time >= runwayWindow.start && bucket.end_time <= runwayWindow.end;
    const both: CostSink = {
      addPage(buckets) {
        report.addPage(buckets);
        total.addPage(buckets.filter(inRunway));
      },
    };
    fetchAll(costWindow, both, { groupBy: ['project_id', 'line_item'], keepLine: () => true, ...ids });
  } else {
    fetchAll(costWindow, report, { groupBy: ['project_id', 'line_item'], ...ids });
    fetchAll(runwayWindow, total, { groupBy: ['project_id'], keepLine: () => true, ...ids });
  }
  fetchAll(lineWindow, codeInterpreter, { groupBy: ['line_item'], ...ids });
  const covered = projectIds ? new Set(projectIds) : undefined;
  for (const route of query.routes ?? []) {
    routes.set(
      projectSetKey(route),
      route.filter((id) => !covered || covered.has(id)),
    );
  }
  const routeIds = [...new Set([...routes.values()].flat())].sort();
  // No project_ids at all would ask for every project: routes without any have no spend.
  if (routeIds.length > 0) {
    fetchAll(lineWindow, routeProjects, { groupBy: ['project_id', 'line_item'], projectIds: routeIds });
  }
  try {
    await Promise.all(fetches);
  } catch (error) {
    cancel.abort(error);
    throw error;
  }
  try {
    return {
      codeInterpreter: report.perProject(),
      spend: {
        total: total.perProject(),
        codeInterpreter: codeInterpreter.overall(),
        routeCodeInterpreter: new Map([...routes].map(([key, ids]) => [key, routeProjects.overall(ids)])),
      },
      lineItems: report.lineItems(),
    };
  } catch (error) {
    if (error instanceof MalformedPageError) {
      throw new UsageApiError(`the costs API sent a malformed page: ${error.message}`);
    }
    throw error;
  }
}

/**
 * What the Costs API groups by: openai-node's UsageCostsParams (src/resources/admin/organization/
 * usage.ts) types `group_by` as `project_id`, `line_item`, `api_key_id` "and any combination of them".
 */
export type CostGroup = 'project_id' | 'line_item' | 'api_key_id';

/** One cost query's parameters, beside its days. */
export interface CostQueryOptions {
  readonly groupBy: readonly CostGroup[];
  /** `project_ids`: only these projects (openai-node: "Return only costs for these projects"). */
  readonly projectIds?: readonly string[];
  /** `api_key_ids`: only these keys (openai-node: "Return only costs for these API keys"). */
  readonly apiKeyIds?: readonly string[];
  /**
   * `line_items`: only lines with these exact names. Not in openai-node's UsageCostsParams (commit
   * 7b7d6ca, Aug 2026), which types `project_ids`, `api_key_ids` and `group_by` only; sent per the
   * Costs API's reference as issue 21 cites it. Every parser here still keeps only code interpreter
   * lines, so an API that ignored it would cost bytes, never a wrong sum.
   */
  readonly lineItems?: readonly string[];
  /** Which parsed lines a page keeps. @default isCodeInterpreterLine */
  readonly keepLine?: (lineItem: string | null) => boolean;
}

/** Where a cost query's pages go as they arrive. */
interface CostSink {
  addPage(buckets: readonly CostBucket[]): void;
}

/** The query string of one cost query; a cursor is valid only with these exact parameters. */
export function costQueryParams(query: CostQuery, options: CostQueryOptions): URLSearchParams {
  const params = new URLSearchParams({
    start_time: String(query.start),
    end_time: String(query.end),
    bucket_width: '1d',
    limit: String(query.limit),
  });
  for (const group of options.groupBy) params.append('group_by', group);
  for (const id of options.projectIds ?? []) params.append('project_ids', id);
  for (const id of options.apiKeyIds ?? []) params.append('api_key_ids', id);
  for (const name of options.lineItems ?? []) params.append('line_items', name);
  return params;
}

async function fetchQuery(
  http: OpenAiHttp,
  query: CostQuery,
  options: CostQueryOptions,
  tally: CostSink,
  cancel: AbortSignal,
): Promise<void> {
  const keepLine = options.keepLine ?? isCodeInterpreterLine;
  const maxPages = query.limit * PAGES_PER_DAY_ALLOWANCE;
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let pageNumber = 1; ; pageNumber++) {
    const params = costQueryParams(query, options);
    if (cursor !== undefined) params.set('page', cursor);
    const body = await http.getJson('/organization/costs', params, cancel);
    try {
      const page = parseCostPage(body, keepLine);
      tally.addPage(page.buckets);
      if (!page.hasMore) return;
      if (page.nextPage === null)
        throw new PaginationError('the costs API said has_more but gave no next_page');
      if (seen.has(page.nextPage)) {
        throw new PaginationError(
          `the costs API repeated a next_page cursor after ${pageNumber} pages (a pagination loop)`,
        );
      }
      if (pageNumber >= maxPages) {
        throw new PaginationError(
          `the costs API kept paginating past ${maxPages} pages for ${query.limit} days`,
        );
      }
      seen.add(page.nextPage);
      cursor = page.nextPage;
    } catch (error) {
      if (error instanceof MalformedPageError) {
        throw new UsageApiError(`the costs API sent a malformed page: ${error.message}`);
      }
      throw error;
    }
  }
}
