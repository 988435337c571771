import type { Window } from '../core/local-time';
import type { UsageQuery } from '../core/plan';
import { redactSecrets } from '../core/redact';
import type { SpendLimit } from '../core/spend-limit';
import type { ListedKey } from '../core/spike-keys';
import { MalformedPageError, parseUsagePage, type UsageBucket, type UsagePage } from '../core/usage-page';
import { PaginationError, UsageApiError } from '../errors';
import { listProjectApiKeys } from './api-keys';
import {
  type CostsAndSpend,
  type DailyCosts,
  fetchCodeInterpreterCosts,
  fetchCostsAndSpend,
  fetchCostsByKey,
  fetchDailyCosts,
  type SpendQuery,
} from './costs-api';
import { createOpenAiHttp, type UsageApiOptions } from './openai-http';
import { fetchSpendLimit } from './spend-limits';

export type { CostsAndSpend, CostsByDay, DailyCosts, SpendQuery } from './costs-api';
export { MAX_BODY_BYTES, parseRetryAfter, type UsageApiEvent, type UsageApiOptions } from './openai-http';

/** Where pages go as they arrive (the core's UsageTally); it may throw a MalformedPageError. */
export interface UsageSink {
  addPage(query: UsageQuery, buckets: readonly UsageBucket[]): void;
  finishQuery(query: UsageQuery): void;
}

export interface UsageApi {
  /** Feeds every bucket of every query to `sink`, all pages followed, queries run concurrently. */
  fetchUsage(
    queries: readonly UsageQuery[],
    sink: UsageSink,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void>;
  /** Project id → name, archived projects included. */
  listProjectNames(): Promise<Map<string, string>>;
  /**
   * Code interpreter cost (USD) per project over whole UTC days (null key: unattributed); with
   * `lineItems` (exact code interpreter line item names) only those lines are asked for.
   */
  fetchCosts(
    window: Window,
    projectIds?: readonly string[],
    lineItems?: readonly string[],
  ): Promise<Map<string | null, number>>;
  /** Each project's code interpreter cost and total cost per UTC day over whole UTC days, in one wave. */
  fetchDailyCosts(window: Window, projectIds?: readonly string[]): Promise<DailyCosts>;
  /** One project's code interpreter cost per API key over whole UTC days, of lines named `lineItems`. */
  fetchCostsByKey(
    window: Window,
    projectId: string,
    lineItems: readonly string[],
  ): Promise<Map<string | null, number>>;
  /** A project's API keys: id, name, redacted value and owner. */
  listApiKeys(projectId: string): Promise<ListedKey[]>;
  /** The code interpreter cost per project over the cost window and the runway's daily spend, in one wave. */
  fetchCostsAndSpend(query: SpendQuery): Promise<CostsAndSpend>;
  /** The hard monthly spend limit of the organization (null) or a project; 404 and 0 read as no limit. */
  fetchSpendLimit(projectId: string | null): Promise<SpendLimit>;
}

/**
 * Pages one bucket may take before we call the cursor endless: we ask for every bucket of a query
 * in one page, so more pages only come from buckets cut by rows (2,000 projects at 100 a page is 20).
 */
const PAGES_PER_BUCKET_ALLOWANCE = 20;
const MAX_PROJECT_PAGES = 1_000;
const PROJECTS_PAGE_SIZE = 100;
/** A client for the organization usage API that never logs, throws or returns the admin key. */
export function createUsageApi(options: UsageApiOptions): UsageApi {
  const http = createOpenAiHttp(options);
  const getJson = http.getJson;

  async function* pagesOf(query: UsageQuery, cancel: AbortSignal): AsyncGenerator<UsagePage> {
    const maxPages = query.limit * PAGES_PER_BUCKET_ALLOWANCE;
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let pageNumber = 1; ; pageNumber++) {
      const params = queryParams(query);
      if (cursor !== undefined) params.set('page', cursor);
      const body = await getJson('/organization/usage/code_interpreter_sessions', params, cancel);
      let page: UsagePage;
      try {
        page = parseUsagePage(body);
      } catch (error) {
        // parseUsagePage throws only MalformedPageError.
        throw new UsageApiError(`the usage API sent a malformed page: ${(error as Error).message}`);
      }
      yield page;
      if (!page.hasMore) return;
      if (page.nextPage === null)
        throw new PaginationError('the usage API said has_more but gave no next_page cursor');
      if (seen.has(page.nextPage)) {
        throw new PaginationError(
          `the usage API repeated a next_page cursor after ${pageNumber} pages (a pagination loop)`,
        );
      }
      if (pageNumber >= maxPages) {
        throw new PaginationError(
          `the usage API kept paginating past ${maxPages} pages for ${query.limit} buckets`,
        );
      }
      seen.add(page.nextPage);
      cursor = page.nextPage;
    }
  }

  async function fetchQuery(query: UsageQuery, sink: UsageSink, cancel: AbortSignal): Promise<void> {
    for await (const page of pagesOf(query, cancel)) {
      try {
        sink.addPage(query, page.buckets);
      } catch (error) {
        if (error instanceof MalformedPageError)
          throw new UsageApiError(`the usage API sent inconsistent data: ${error.message}`);
        throw error;
      }
    }
    sink.finishQuery(query);
  }

  return {
    async fetchUsage(queries, sink, onProgress) {
      let done = 0;
      // The first failure fails the report: stop the other queries rather than let them retry on.
      const cancel = new AbortController();
      try {
        // All at once: the HTTP client keeps the requests in flight under its limit.
        await Promise.all(
          queries.map(async (query) => {
            await fetchQuery(query, sink, cancel.signal);
            onProgress?.(++done, queries.length);
          }),
        );
      } catch (error) {
        cancel.abort(error);
        throw error;
      }
    },

    fetchCosts: (window, projectIds, lineItems) =>
      fetchCodeInterpreterCosts(http, window, projectIds, lineItems),
    fetchDailyCosts: (window, projectIds) => fetchDailyCosts(http, window, projectIds),
    fetchCostsByKey: (window, projectId, lineItems) => fetchCostsByKey(http, window, projectId, lineItems),
    listApiKeys: (projectId) => listProjectApiKeys(http, projectId),
    fetchCostsAndSpend: (query) => fetchCostsAndSpend(http, query),
    fetchSpendLimit: (projectId) => fetchSpendLimit(http, projectId),

    async listProjectNames() {
      const names = new Map<string, string>();
      let after: string | undefined;
      for (let page = 0; page < MAX_PROJECT_PAGES; page++) {
        const params = new URLSearchParams({ limit: String(PROJECTS_PAGE_SIZE), include_archived: 'true' });
        if (after) params.set('after', after);
        const body = (await getJson('/organization/projects', params)) as {
          data?: { id?: unknown; name?: unknown }[];
          has_more?: unknown;
          last_id?: unknown;
        };
        if (!Array.isArray(body?.data)) throw new UsageApiError('the projects API sent a page without data');
        for (const project of body.data) {
          if (typeof project?.id === 'string' && typeof project.name === 'string')
            names.set(project.id, redactSecrets(project.name, [options.adminKey]));
        }
        const lastId = typeof body.last_id === 'string' ? body.last_id : body.data.at(-1)?.id;
        if (body.has_more !== true) return names;
        if (typeof lastId !== 'string' || lastId === after) {
          throw new PaginationError('the projects API said has_more but its cursor did not advance');
        }
        after = lastId;
      }
      throw new PaginationError(`the projects API kept paginating past ${MAX_PROJECT_PAGES} pages`);
    },
  };
}

/** The query string for one planned query; the cursor is only valid with these exact parameters. */
function queryParams(query: UsageQuery): URLSearchParams {
  const params = new URLSearchParams({
    start_time: String(query.start),
    end_time: String(query.end),
    bucket_width: query.width,
    limit: String(query.limit),
    group_by: 'project_id',
  });
  for (const id of query.projectIds ?? []) params.append('project_ids', id);
  return params;
}
