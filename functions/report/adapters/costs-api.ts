import {
  type CostBucket,
  type CostQuery,
  CostTally,
  isCodeInterpreterLine,
  parseCostPage,
  planCostQueries,
} from '../core/cost';
import { DailySpendTally, type SpendByDay } from '../core/daily-spend';
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

/** The report's code interpreter cost and the runway's daily spend, from one family of cost queries. */
export interface CostsAndSpend {
  /** Code interpreter cost per project over the report's cost window, as {@link fetchCodeInterpreterCosts} gives it. */
  readonly codeInterpreter: Map<string | null, number>;
  /** Spend per project and UTC day over the whole window fetched, every line item. */
  readonly spend: SpendByDay;
}

/**
 * Cost over `window` (whole UTC days, holding the report's `costWindow`), every line item kept:
 * the report's code interpreter cost per project over `costWindow`, summed from the same rows in the
 * same order as {@link fetchCodeInterpreterCosts} would, and the daily spend a runway needs. The
 * same queries, pages and checks; only the window is the union of both needs.
 */
export async function fetchCostsAndSpend(
  http: OpenAiHttp,
  window: Window,
  costWindow: Window,
  projectIds?: readonly string[],
): Promise<CostsAndSpend> {
  const costs = new CostTally(costWindow);
  const daily = new DailySpendTally(window);
  const sink = {
    addPage(buckets: readonly CostBucket[]) {
      daily.addPage(buckets);
      costs.addPage(buckets.filter((b) => b.start_time >= costWindow.start && b.end_time <= costWindow.end));
    },
  };
  const cancel = new AbortController();
  try {
    await Promise.all(
      planCostQueries(window).map((query) =>
        fetchQuery(http, query, projectIds, sink, cancel.signal, () => true),
      ),
    );
  } catch (error) {
    cancel.abort(error);
    throw error;
  }
  return { codeInterpreter: costs.perProject(), spend: daily.spend() };
}

async function fetchQuery(
  http: OpenAiHttp,
  query: CostQuery,
  projectIds: readonly string[] | undefined,
  tally: { addPage(buckets: readonly CostBucket[]): void },
  cancel: AbortSignal,
  keepLine: (lineItem: string | null) => boolean = isCodeInterpreterLine,
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
    params.append('group_by', 'project_id');
    params.append('group_by', 'line_item');
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
