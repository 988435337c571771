import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  countSessions,
  expectedCostCents,
  expectedKeyCostCents,
  type SampleKey,
  type SessionLog,
} from './sample-usage';

/** A fault the next matching request meets (consumed once, in order). */
export type Fault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'html' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang'; readonly ms: number }
  | { readonly kind: 'repeat-cursor' }
  | { readonly kind: 'missing-cursor' }
  | { readonly kind: 'endless' }
  | { readonly kind: 'garbage-json' }
  /** The page's next_page points back at the page itself, once: its rows arrive again. */
  | { readonly kind: 'rewind' }
  /** The first row of the page counts one more session than it should. */
  | { readonly kind: 'inflate' }
  /** The first row's count becomes `value` (absent when undefined). */
  | { readonly kind: 'count'; readonly value: unknown }
  /** The first bucket is moved past the end of the query. */
  | { readonly kind: 'shift' }
  /** A 400 whose message echoes the request's Authorization header, as some proxies do. */
  | { readonly kind: 'echo-auth' }
  /** A 200 whose gzip body inflates to `bytes`. */
  | { readonly kind: 'bomb'; readonly bytes: number }
  /** A 200 that declares a Content-Length of `bytes` (and sends none of it). */
  | { readonly kind: 'oversized'; readonly bytes: number }
  /** Costs: the first code interpreter result's amount.value becomes `value`. */
  | { readonly kind: 'cost-value'; readonly value: unknown }
  /** Costs: every amount comes in `currency`. */
  | { readonly kind: 'currency'; readonly currency: string };

/** A cost line the sample log does not imply, e.g. a project billed on a day it had no sessions. */
export interface ExtraCost {
  /** The UTC day it falls on (any instant of it). */
  readonly time: number;
  readonly project_id: string | null;
  readonly line_item: string;
  readonly cents: number;
}

/** Line items beside code interpreter, as the Costs API lists them: not ours to count. */
const OTHER_LINE_ITEMS = [
  { line_item: 'gpt-4.1-2025-04-14, input', perCent: 2.5 },
  { line_item: 'File search tool calls', perCent: 0.4 },
];

/**
 * How the fake answers one spend-limit request: a limit in cents (0: none), a bare HTTP status
 * (404: no limit; 403, 500: unavailable), or a body of its own (a malformed limit).
 */
export type SpendLimitAnswer =
  | { readonly cents: number; readonly enforcing?: boolean }
  | { readonly status: number }
  | { readonly body: unknown };

export interface FakeUsageApiOptions {
  readonly log: SessionLog;
  /** The key the API accepts as `Authorization: Bearer …`. */
  readonly adminKey: string;
  /** Added before every response, like a distant server. */
  readonly latencyMs?: number;
  /**
   * Answers a request it has answered before from memory, body and all, gzipped when the client
   * accepts it, as OpenAI's API does: for the bench, whose data never changes, so that after a
   * warm-up the fake answers as fast as a remote API would.
   */
  readonly memoize?: boolean;
  /** Cut each page after this many result rows, continuing the bucket on the next page. */
  readonly rowsPerPage?: number;
  /** Bucket alignment: UTC multiples of the width (default) or the query's start_time. */
  readonly alignment?: 'utc' | 'start';
  /** Answer with the older field names `result` and `sessions`. */
  readonly legacyFields?: boolean;
  /** Cost lines added to what the sessions imply. */
  readonly extraCosts?: readonly ExtraCost[];
  /** Costs: daily buckets per page, fewer than `limit` asks for, to make the client follow pages. */
  readonly costBucketsPerPage?: number;
  /**
   * Costs: cut each page after this many result rows (every line item counts), continuing the day
   * on the next page, as the API does for an organization with more projects × line items than a
   * page holds.
   */
  readonly costRowsPerPage?: number;
  /**
   * Hard spend limits (`GET /organization/spend_limit`, `GET /organization/projects/{id}/spend_limit`).
   * A scope without an answer here is not found (404), as a scope without a limit may be.
   */
  readonly spendLimits?: {
    readonly organization?: SpendLimitAnswer;
    readonly projects?: Readonly<Record<string, SpendLimitAnswer>>;
  };
}

export interface RecordedRequest {
  readonly path: string;
  readonly params: URLSearchParams;
  readonly status: number;
  /** `performance.now()` when the request arrived and when it was answered. */
  readonly receivedAt: number;
  readonly answeredAt: number;
}

const ENDPOINTS = {
  usage: '/v1/organization/usage/code_interpreter_sessions',
  projects: '/v1/organization/projects',
  costs: '/v1/organization/costs',
  organizationSpendLimit: '/v1/organization/spend_limit',
} as const;

/** `/v1/organization/projects/{project_id}/spend_limit`, the project id captured. */
const PROJECT_SPEND_LIMIT = /^\/v1\/organization\/projects\/([^/]+)\/spend_limit$/;
/** `/v1/organization/projects/{project_id}/api_keys`, the project id captured. */
const PROJECT_API_KEYS = /^\/v1\/organization\/projects\/([^/]+)\/api_keys$/;

/** The path of a project's keys listing, e.g. to `inject` a fault into that project's alone. */
export const apiKeysPath = (projectId: string): `/v1/${string}` =>
  `/v1/organization/projects/${encodeURIComponent(projectId)}/api_keys`;

const WIDTH_SECONDS: Record<string, number> = { '1m': 60, '1h': 3600, '1d': 86400 };
const MAX_LIMIT: Record<string, number> = { '1m': 1440, '1h': 168, '1d': 31 };
const DEFAULT_LIMIT: Record<string, number> = { '1m': 60, '1h': 24, '1d': 7 };

/**
 * A local stand-in for the OpenAI organization usage and projects endpoints, speaking real HTTP:
 * opaque cursors bound to the query, bucket limits, archived projects, and injectable faults.
 */
export class FakeUsageApi {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: { path: string; fault: Fault }[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly sockets = new Set<import('node:net').Socket>();
  private cursorNonce = 0;
  private lastCursor: string | null = null;
  private options: FakeUsageApiOptions;
  /** Each UTC day's code interpreter cents per owner, for the log as configured: cost pages are big. */
  private dayCosts = new Map<number, Map<string | null, number>>();
  private answered = new Map<string, { status: number; body: string; gzipped: Buffer }>();

  constructor(options: FakeUsageApiOptions) {
    this.options = { ...options };
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts on a loopback port (0: a free one); resolves with the base URL (`http://127.0.0.1:PORT/v1`). */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', resolve);
    });
    return this.baseUrl;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Changes behaviour between tests (data, latency, page sizes, alignment, field names). */
  configure(options: Partial<FakeUsageApiOptions>): void {
    this.options = { ...this.options, ...options };
    this.dayCosts.clear();
    this.answered.clear();
  }

  /** Forgets recorded requests and queued faults. */
  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
  }

  /**
   * Queues faults for requests to one endpoint (`usage`, `projects`, `costs`, …), or to one exact
   * path (e.g. {@link apiKeysPath} of one project).
   */
  inject(path: keyof typeof ENDPOINTS | `/v1/${string}`, ...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ path, fault });
  }

  usageRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === ENDPOINTS.usage);
  }

  costRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === ENDPOINTS.costs);
  }

  /** Requests for the organization's and the projects' spend limits. */
  spendLimitRequests(): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.path === ENDPOINTS.organizationSpendLimit || PROJECT_SPEND_LIMIT.test(r.path),
    );
  }

  /** Requests for projects' API key listings. */
  apiKeyRequests(): RecordedRequest[] {
    return this.requests.filter((r) => PROJECT_API_KEYS.test(r.path));
  }

  private takeFault(path: string): Fault | undefined {
    const index = this.faults.findIndex(
      (f) => path === (ENDPOINTS[f.path as keyof typeof ENDPOINTS] ?? f.path),
    );
    return index < 0 ? undefined : this.faults.splice(index, 1)[0]?.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const receivedAt = performance.now();
    const record = (status: number) =>
      this.requests.push({
        path: url.pathname,
        params: url.searchParams,
        status,
        receivedAt,
        answeredAt: performance.now(),
      });
    // The answer leaves `latencyMs` after the request came, however long the page took to build: a
    // remote API builds it on its own machine, so its work must not count as the client's time.
    const answerAt = receivedAt + (this.options.latencyMs ?? 0);
    const untilAnswer = () => delay(Math.max(0, answerAt - performance.now()));
    if (req.headers.authorization !== `Bearer ${this.options.adminKey}`) {
      await untilAnswer();
      record(401);
      return json(res, 401, {
        error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' },
      });
    }
    const fault = this.takeFault(url.pathname);
    if (fault) await untilAnswer();
    if (fault?.kind === 'status') {
      record(fault.status);
      const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
      return json(res, fault.status, { error: { message: 'injected fault' } }, headers);
    }
    if (fault?.kind === 'html') {
      record(502);
      res.writeHead(502, { 'content-type': 'text/html' });
      return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    }
    if (fault?.kind === 'garbage-json') {
      record(200);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"object":"page","data":[{"start_time"');
    }
    if (fault?.kind === 'echo-auth') {
      record(400);
      return json(res, 400, {
        error: { message: `invalid request; received headers: Authorization: ${req.headers.authorization}` },
      });
    }
    if (fault?.kind === 'bomb') {
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipBomb(fault.bytes));
    }
    if (fault?.kind === 'oversized') {
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(fault.bytes) });
      res.write('{');
      return;
    }
    if (fault?.kind === 'reset') {
      record(0);
      return void req.socket.destroy();
    }
    if (fault?.kind === 'hang') {
      record(0);
      await delay(fault.ms);
      return void req.socket.destroy();
    }
    const remembered = this.options.memoize && !fault ? this.answered.get(url.href) : undefined;
    if (remembered) {
      const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      await untilAnswer();
      record(remembered.status);
      res.writeHead(remembered.status, {
        'content-type': 'application/json',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      return void res.end(gzip ? remembered.gzipped : remembered.body);
    }
    const projectLimit = PROJECT_SPEND_LIMIT.exec(url.pathname);
    const projectKeys = PROJECT_API_KEYS.exec(url.pathname);
    const page = projectKeys
      ? this.apiKeysPage(decodeURIComponent(projectKeys[1] as string), url.searchParams)
      : url.pathname === ENDPOINTS.organizationSpendLimit
        ? this.spendLimit('organization', this.options.spendLimits?.organization)
        : projectLimit
          ? this.spendLimit(
              'project',
              this.options.spendLimits?.projects?.[decodeURIComponent(projectLimit[1] as string)],
            )
          : url.pathname === '/v1/organization/projects'
            ? { status: 200, body: this.projectsPage(url.searchParams) }
            : url.pathname === ENDPOINTS.costs
              ? this.costsPage(url.searchParams, fault)
              : url.pathname === ENDPOINTS.usage
                ? this.usagePage(url.searchParams, fault)
                : undefined;
    if (page) {
      const body = JSON.stringify(page.body);
      if (this.options.memoize && !fault) {
        this.answered.set(url.href, { status: page.status, body, gzipped: gzipSync(body) });
      }
      await untilAnswer();
      record(page.status);
      res.writeHead(page.status, { 'content-type': 'application/json' });
      return void res.end(body);
    }
    await untilAnswer();
    record(404);
    return json(res, 404, { error: { message: `no route ${url.pathname}` } });
  }

  /** A spend limit as openai-node's OrganizationSpendLimit / ProjectSpendLimit types read it. */
  private spendLimit(
    scope: 'organization' | 'project',
    answer: SpendLimitAnswer | undefined,
  ): { status: number; body: unknown } {
    if (!answer) return { status: 404, body: { error: { message: 'No spend limit found.' } } };
    if ('status' in answer)
      return { status: answer.status, body: { error: { message: 'spend limit fault' } } };
    if ('body' in answer) return { status: 200, body: answer.body };
    return {
      status: 200,
      body: {
        object: `${scope}.spend_limit`,
        currency: 'USD',
        interval: 'month',
        threshold_amount: answer.cents,
        enforcement: { status: answer.enforcing ? 'enforcing' : 'inactive' },
      },
    };
  }

  /**
   * A project's keys as openai-node's ProjectAPIKey types them (`owner.type` user or
   * service_account), `limit` (1 to 100, default 20) and `after` (a key id), `has_more` and
   * `last_id`; a deleted key is not listed; an unknown project is not found.
   */
  private apiKeysPage(projectId: string, params: URLSearchParams): { status: number; body: unknown } {
    if (!this.options.log.projects.some((p) => p.id === projectId)) {
      return { status: 404, body: { error: { message: `No such project: ${projectId}` } } };
    }
    const limit = params.has('limit') ? Number(params.get('limit')) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return { status: 400, body: { error: { message: 'limit must be between 1 and 100' } } };
    }
    const all = (this.options.log.keys?.get(projectId) ?? []).filter((key) => !key.deleted);
    const after = params.get('after');
    const from = after ? all.findIndex((key) => key.id === after) + 1 : 0;
    const slice = all.slice(from, from + limit);
    const owner = (key: SampleKey) =>
      key.owner.type === 'user'
        ? {
            type: 'user',
            user: { id: `user_${key.id}`, name: key.owner.name, email: key.owner.email, role: 'owner' },
          }
        : { type: 'service_account', service_account: { id: `svc_${key.id}`, name: key.owner.name } };
    return {
      status: 200,
      body: {
        object: 'list',
        data: slice.map((key) => ({
          object: 'organization.project.api_key',
          id: key.id,
          name: key.name,
          redacted_value: key.redacted_value,
          created_at: 1_700_000_000,
          last_used_at: 1_790_000_000,
          owner: owner(key),
          owner_project_access: 'active',
        })),
        first_id: slice[0]?.id ?? null,
        last_id: slice.at(-1)?.id ?? null,
        has_more: from + limit < all.length,
      },
    };
  }

  private projectsPage(params: URLSearchParams) {
    const limit = Math.min(100, Number(params.get('limit') ?? 20));
    const includeArchived = params.get('include_archived') === 'true';
    const all = this.options.log.projects.filter((p) => includeArchived || !p.archived);
    const after = params.get('after');
    const from = after ? all.findIndex((p) => p.id === after) + 1 : 0;
    const slice = all.slice(from, from + limit);
    return {
      object: 'list',
      data: slice.map((p) => ({
        id: p.id,
        object: 'organization.project',
        name: p.name,
        created_at: 1_700_000_000,
        archived_at: p.archived ? 1_750_000_000 : null,
        status: p.archived ? 'archived' : 'active',
      })),
      first_id: slice[0]?.id ?? null,
      last_id: slice.at(-1)?.id ?? null,
      has_more: from + limit < all.length,
    };
  }

  private usagePage(params: URLSearchParams, fault: Fault | undefined): { status: number; body: unknown } {
    const bad = (message: string) => ({
      status: 400,
      body: { error: { message, type: 'invalid_request_error' } },
    });
    const width = params.get('bucket_width') ?? '1d';
    const size = WIDTH_SECONDS[width];
    if (!size) return bad(`invalid bucket_width ${width}`);
    const start = Number(params.get('start_time'));
    if (!Number.isInteger(start) || params.get('start_time') === null) return bad('start_time is required');
    const end = params.has('end_time')
      ? Number(params.get('end_time'))
      : start + (DEFAULT_LIMIT[width] as number) * size;
    const limit = params.has('limit') ? Number(params.get('limit')) : (DEFAULT_LIMIT[width] as number);
    if (!Number.isInteger(limit) || limit < 1 || limit > (MAX_LIMIT[width] as number)) {
      return bad(`limit must be between 1 and ${MAX_LIMIT[width]} for bucket_width ${width}`);
    }
    const projectIds = [...params.getAll('project_ids'), ...params.getAll('project_ids[]')];
    const grouped = [...params.getAll('group_by'), ...params.getAll('group_by[]')].includes('project_id');
    const signature = querySignature(params);

    let bucketOffset = 0;
    let rowOffset = 0;
    const cursor = params.get('page');
    if (cursor) {
      const decoded = decodeCursor(cursor);
      if (!decoded || decoded.sig !== signature) return bad('invalid page cursor for these query parameters');
      bucketOffset = decoded.bucket;
      rowOffset = decoded.row;
    }
    // Bucket edges: UTC multiples of the width, or counted from start_time.
    const first = this.options.alignment === 'start' ? start : Math.floor(start / size) * size;
    const bucketStarts: number[] = [];
    for (let t = first; t < end; t += size) bucketStarts.push(t);

    const rowsPerPage = this.options.rowsPerPage ?? Number.POSITIVE_INFINITY;
    const data: unknown[] = [];
    let rowsLeft = rowsPerPage;
    let index = bucketOffset;
    let nextRow = 0;
    while (index < bucketStarts.length && index < bucketOffset + limit) {
      const bucketStart = bucketStarts[index] as number;
      const rows = this.bucketRows(bucketStart, bucketStart + size, grouped, projectIds);
      const from = index === bucketOffset ? rowOffset : 0;
      const take = rows.slice(from, from + rowsLeft);
      data.push(this.bucket(bucketStart, bucketStart + size, take));
      rowsLeft -= take.length;
      if (from + take.length < rows.length) {
        nextRow = from + take.length;
        break;
      }
      index++;
      if (rowsLeft <= 0) break;
    }
    const hasMore = index < bucketStarts.length;
    let nextPage: string | null = hasMore
      ? this.encodeCursor({ sig: signature, bucket: index, row: nextRow })
      : null;
    // A cursor the client has already followed: a loop unless the client notices.
    if (fault?.kind === 'repeat-cursor' && this.lastCursor) nextPage = this.lastCursor;
    if (nextPage) this.lastCursor = nextPage;
    if (fault?.kind === 'missing-cursor') nextPage = null;
    if (fault?.kind === 'endless' || fault?.kind === 'rewind') {
      nextPage = this.encodeCursor({ sig: signature, bucket: bucketOffset, row: rowOffset });
      if (fault.kind === 'endless') this.faults.unshift({ path: 'usage', fault });
    }
    type Rows = { results?: Record<string, unknown>[]; result?: Record<string, unknown>[] };
    const firstRow = (data as Rows[])
      .map((b) => b.results ?? b.result ?? [])
      .find((rows) => rows.length)?.[0];
    if (fault?.kind === 'inflate' && firstRow) firstRow.num_sessions = (firstRow.num_sessions as number) + 1;
    if (fault?.kind === 'count' && firstRow) {
      if (fault.value === undefined) delete firstRow.num_sessions;
      else firstRow.num_sessions = fault.value;
    }
    if (fault?.kind === 'shift' && data.length) {
      const bucket = data[0] as { start_time: number; end_time: number };
      const past = Math.ceil(end / size) * size;
      Object.assign(bucket, { start_time: past, end_time: past + size });
    }
    return {
      status: 200,
      body: {
        object: 'page',
        data,
        has_more:
          hasMore ||
          fault?.kind === 'endless' ||
          fault?.kind === 'rewind' ||
          fault?.kind === 'missing-cursor',
        next_page: nextPage,
      },
    };
  }

  private bucketRows(start: number, end: number, grouped: boolean, projectIds: string[]) {
    const rows: { project_id: string | null; n: number }[] = [];
    let total = 0;
    for (const [owner, times] of this.options.log.sessions) {
      if (projectIds.length && (owner === null || !projectIds.includes(owner))) continue;
      const n = countSessions(times, start, end);
      if (n === 0) continue;
      rows.push({ project_id: owner, n });
      total += n;
    }
    if (!grouped) return total ? [{ project_id: null, n: total }] : [];
    return rows;
  }

  private bucket(start: number, end: number, rows: { project_id: string | null; n: number }[]) {
    const results = rows.map((r) =>
      this.options.legacyFields
        ? {
            object: 'organization.usage.code_interpreter_sessions.result',
            sessions: r.n,
            project_id: r.project_id,
          }
        : {
            object: 'organization.usage.code_interpreter_sessions.result',
            num_sessions: r.n,
            project_id: r.project_id,
          },
    );
    return this.options.legacyFields
      ? { object: 'bucket', start_time: start, end_time: end, result: results }
      : { object: 'bucket', start_time: start, end_time: end, results };
  }

  /**
   * The Costs API: whole UTC days only (`bucket_width=1d`), up to 180 a page, grouped by project and
   * line item; amounts in USD, as numbers on some days and numeric strings on others.
   */
  private costsPage(params: URLSearchParams, fault: Fault | undefined): { status: number; body: unknown } {
    const bad = (message: string) => ({
      status: 400,
      body: { error: { message, type: 'invalid_request_error' } },
    });
    const day = 86_400;
    if ((params.get('bucket_width') ?? '1d') !== '1d') return bad('bucket_width must be 1d');
    const start = Number(params.get('start_time'));
    if (params.get('start_time') === null || !Number.isInteger(start)) return bad('start_time is required');
    const limit = params.has('limit') ? Number(params.get('limit')) : 7;
    if (!Number.isInteger(limit) || limit < 1 || limit > 180) return bad('limit must be between 1 and 180');
    const end = params.has('end_time') ? Number(params.get('end_time')) : start + limit * day;
    const groups = [...params.getAll('group_by'), ...params.getAll('group_by[]')];
    const projectIds = [...params.getAll('project_ids'), ...params.getAll('project_ids[]')];
    const apiKeyIds = [...params.getAll('api_key_ids'), ...params.getAll('api_key_ids[]')];
    const lineItems = [...params.getAll('line_items'), ...params.getAll('line_items[]')];
    const byKey = groups.includes('api_key_id');
    // Lines by key are built only when a query groups or filters by key: other queries stay as fast.
    const keyed = byKey || apiKeyIds.length > 0;
    const signature = querySignature(params);
    let offset = 0;
    let rowOffset = 0;
    const cursor = params.get('page');
    if (cursor) {
      const decoded = decodeCursor(cursor);
      if (!decoded || decoded.sig !== signature) return bad('invalid page cursor for these query parameters');
      offset = decoded.bucket;
      rowOffset = decoded.row;
    }
    const days: number[] = [];
    for (let t = Math.floor(start / day) * day; t < end; t += day) days.push(t);
    const perPage = Math.min(limit, this.options.costBucketsPerPage ?? limit);
    let currency = 'usd';
    if (fault?.kind === 'currency') currency = fault.currency;
    const dayBucket = (t: number) => {
      const index = Math.round(t / day);
      const lines: {
        project_id: string | null;
        line_item: string;
        api_key_id?: string | null;
        cents: number;
      }[] = [];
      const ci = index % 2 === 0 ? 'Code Interpreter sessions' : 'code interpreter sessions';
      let dayCosts = this.dayCosts.get(t);
      if (!dayCosts) {
        dayCosts = expectedCostCents(this.options.log, t, t + day);
        this.dayCosts.set(t, dayCosts);
      }
      for (const [owner, cents] of dayCosts) {
        if (projectIds.length && (owner === null || !projectIds.includes(owner))) continue;
        // Other lines go through the project's first key: only code interpreter's are split.
        const firstKey = owner === null ? null : (this.options.log.keys?.get(owner)?.[0]?.id ?? null);
        if (keyed) {
          for (const [api_key_id, keyCents] of expectedKeyCostCents(this.options.log, owner, t, t + day))
            lines.push({ project_id: owner, line_item: ci, api_key_id, cents: keyCents });
        } else lines.push({ project_id: owner, line_item: ci, cents });
        for (const other of OTHER_LINE_ITEMS)
          lines.push({
            project_id: owner,
            line_item: other.line_item,
            ...(keyed ? { api_key_id: firstKey } : {}),
            cents: Math.round(cents * other.perCent),
          });
      }
      for (const extra of this.options.extraCosts ?? []) {
        if (Math.floor(extra.time / day) * day !== t) continue;
        if (projectIds.length && (extra.project_id === null || !projectIds.includes(extra.project_id)))
          continue;
        lines.push(extra);
      }
      const byProject = groups.includes('project_id');
      const byLine = groups.includes('line_item');
      const merged = new Map<
        string,
        { project_id: string | null; line_item: string | null; api_key_id: string | null; cents: number }
      >();
      for (const line of lines) {
        // The API's filters: exact line item names, and keys.
        if (lineItems.length && !lineItems.includes(line.line_item)) continue;
        if (apiKeyIds.length && (line.api_key_id == null || !apiKeyIds.includes(line.api_key_id))) continue;
        const keyId = byKey ? (line.api_key_id ?? null) : null;
        const key = `${byProject ? line.project_id : null}\u0000${byLine ? line.line_item : null}\u0000${keyId}`;
        const row = merged.get(key) ?? {
          project_id: byProject ? line.project_id : null,
          line_item: byLine ? line.line_item : null,
          api_key_id: keyId,
          cents: 0,
        };
        row.cents += line.cents;
        merged.set(key, row);
      }
      const results = [...merged.values()].map((row) => ({
        object: 'organization.costs.result',
        amount: { value: index % 3 === 0 ? String(row.cents / 100) : row.cents / 100, currency },
        line_item: row.line_item,
        project_id: row.project_id,
        // openai-node: "When group_by=api_key_id, this field provides the API Key ID".
        ...(byKey ? { api_key_id: row.api_key_id } : {}),
      }));
      if (fault?.kind === 'cost-value') {
        const first = results.find((r) => /code interpreter/i.test(r.line_item ?? ''));
        if (first) (first.amount as { value: unknown }).value = fault.value;
      }
      return { object: 'bucket', start_time: t, end_time: t + day, results };
    };
    // Whole days up to `perPage`, and rows up to `costRowsPerPage`: a day cut mid-way continues
    // on the next page, where its bucket comes again with the rest of its rows.
    const data: ReturnType<typeof dayBucket>[] = [];
    let rowsLeft = this.options.costRowsPerPage ?? Number.POSITIVE_INFINITY;
    let index = offset;
    let nextRow = 0;
    while (index < days.length && index < offset + perPage) {
      const bucket = dayBucket(days[index] as number);
      const from = index === offset ? rowOffset : 0;
      const take = bucket.results.slice(from, from + rowsLeft);
      data.push({ ...bucket, results: take });
      rowsLeft -= take.length;
      if (from + take.length < bucket.results.length) {
        nextRow = from + take.length;
        break;
      }
      index++;
      if (rowsLeft <= 0) break;
    }
    const hasMore = index < days.length;
    return {
      status: 200,
      body: {
        object: 'page',
        data,
        has_more: hasMore,
        next_page: hasMore ? this.encodeCursor({ sig: signature, bucket: index, row: nextRow }) : null,
      },
    };
  }

  private encodeCursor(state: { sig: string; bucket: number; row: number }): string {
    // A nonce keeps cursors opaque and distinct, as real ones are.
    return Buffer.from(JSON.stringify({ ...state, n: ++this.cursorNonce })).toString('base64url');
  }
}

function decodeCursor(cursor: string): { sig: string; bucket: number; row: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof value?.sig === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A cursor is valid only with the query that produced it: everything but `page` must match. */
function querySignature(params: URLSearchParams): string {
  const entries = [...params.entries()].filter(([k]) => k !== 'page').sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const bombs = new Map<number, Buffer>();
/** A gzip body inflating to `bytes`, made once: compressing 40 MiB would stall this server mid-test. */
function gzipBomb(bytes: number): Buffer {
  const bomb = bombs.get(bytes) ?? gzipSync(Buffer.alloc(bytes, 0x20));
  bombs.set(bytes, bomb);
  return bomb;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
