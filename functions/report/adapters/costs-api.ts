import {
  type CostBucket,
  type CostQuery,
  CostTally,
  isCodeInterpreterLine,
  parseCostPage,
  planCostQueries,
} from '../core/cost';
import { DailySpendTally, projectSetKey, type SpendByDay } from '../core/daily-spend';
import type { Window } from '../core/local-time';
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
 * redaction), its chunks of up to 180 days at once, each page followed with a loop guard.
 */
export async function fetchCodeInterpreterCosts(
  http: OpenAiHttp,
  window: Window,
  projectIds?: readonly string[],
): Promise<Map<string | null, number>> {
  const tally = new CostTally(window);
  const cancel = new AbortController();
  try {
    await Promise.all(
      planCostQueries(window).map((query) => fetchQuery(http, query, projectIds, tally, cancel.signal)),
    );
  } catch (error) {
    cancel.abort(error);
    throw error;
  }
  return tally.perProject();
}

/** What a scheduled digest asks the Costs API: its own cost, and the runway's daily spend. */
export interface SpendQuery {
  /** The report's cost window (whole UTC days): code interpreter cost per project over it, as always. */
  readonly costWindow: Window;
  /** The runway's UTC days (the month to date and the 7 pace days). */
  readonly runwayWindow: Window;
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
  const codeInterpreter = new DailySpendTally(runwayWindow);
  const routeProjects = new DailySpendTally(runwayWindow);
  const routes = new Map<string, readonly string[]>();
  const cancel = new AbortController();
  const fetches: Promise<void>[] = [];
  const fetchAll = (
    window: Window,
    groupBy: readonly CostGroup[],
    ids: readonly string[] | undefined,
    sink: CostSink,
    keepLine: (lineItem: string | null) => boolean,
  ) => {
    for (const part of planCostQueries(window)) {
      fetches.push(fetchQuery(http, part, ids, sink, cancel.signal, keepLine, groupBy));
    }
  };
  fetchAll(costWindow, ['project_id', 'line_item'], projectIds, report, isCodeInterpreterLine);
  fetchAll(runwayWindow, ['project_id'], projectIds, total, () => true);
  fetchAll(runwayWindow, ['line_item'], projectIds, codeInterpreter, isCodeInterpreterLine);
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
    fetchAll(runwayWindow, ['project_id', 'line_item'], routeIds, routeProjects, isCodeInterpreterLine);
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
    };
  } catch (error) {
    if (error instanceof MalformedPageError) {
      throw new UsageApiError(`the costs API sent a malformed page: ${error.message}`);
    }
    throw error;
  }
}

/** What the Costs API groups by (openai-node UsageCostsParams: "any combination of them"). */
type CostGroup = 'project_id' | 'line_item';

/** Where a cost query's pages go as they arrive. */
interface CostSink {
  addPage(buckets: readonly CostBucket[]): void;
}

async function fetchQuery(
  http: OpenAiHttp,
  query: CostQuery,
  projectIds: readonly string[] | undefined,
  tally: CostSink,
  cancel: AbortSignal,
  keepLine: (lineItem: string | null) => boolean = isCodeInterpreterLine,
  groupBy: readonly CostGroup[] = ['project_id', 'line_item'],
): Promise<void> {
  const maxPages = query.limit * PAGES_PER_DAY_ALLOWANCE;
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let pageNumber = 1; ; pageNumber++) {
    const params = new URLSearchParams({
      start_time: String(query.start),
      end_time: String(query.end),
      bucket_width: '1d',
      limit: String(query.limit),
    });
    for (const group of groupBy) params.append('group_by', group);
    for (const id of projectIds ?? []) params.append('project_ids', id);
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
