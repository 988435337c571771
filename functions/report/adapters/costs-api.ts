import { type CostQuery, CostTally, parseCostPage, planCostQueries } from '../core/cost';
import type { Window } from '../core/local-time';
import { MalformedPageError } from '../core/usage-page';
import { PaginationError, UsageApiError } from '../errors';
import type { OpenAiHttp } from './openai-http';

/** Pages one cost query may take: it asks for all its days in one page, so a second is already odd. */
const MAX_COST_PAGES = 10;

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

async function fetchQuery(
  http: OpenAiHttp,
  query: CostQuery,
  projectIds: readonly string[] | undefined,
  tally: CostTally,
  cancel: AbortSignal,
): Promise<void> {
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
      const page = parseCostPage(body);
      tally.addPage(page.buckets);
      if (!page.hasMore) return;
      if (page.nextPage === null)
        throw new PaginationError('the costs API said has_more but gave no next_page');
      if (seen.has(page.nextPage) || pageNumber >= MAX_COST_PAGES) {
        throw new PaginationError(
          `the costs API kept paginating (${pageNumber} pages for ${query.limit} days)`,
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
