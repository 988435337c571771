import { redactSecrets } from '../core/redact';
import type { ListedKey } from '../core/spike-keys';
import { PaginationError, UsageApiError } from '../errors';
import type { OpenAiHttp } from './openai-http';

/** A project's keys are few; past this many pages the cursor is not advancing as it should. */
const MAX_KEY_PAGES = 100;
/** openai-node's ConversationCursorPageParams take a `limit`; the API reference allows 1 to 100. */
const KEYS_PAGE_SIZE = 100;

/** openai-node's ProjectAPIKey (src/resources/admin/organization/projects/api-keys.ts), as far as we read it. */
interface ProjectApiKeyBody {
  readonly id?: unknown;
  readonly name?: unknown;
  readonly redacted_value?: unknown;
  readonly owner?: {
    readonly type?: unknown;
    readonly user?: { readonly name?: unknown; readonly email?: unknown };
    readonly service_account?: { readonly name?: unknown };
  };
}

/**
 * Every API key of a project, from `GET /organization/projects/{project_id}/api_keys`, page after
 * page (`after` = the page's `last_id` while `has_more`), with `owner_project_access=any`: without
 * it the API "applies its existing membership-based visibility rules, which may exclude some enabled
 * keys" (openai-node APIKeyListParams), and such a key would read as deleted. Names and owners are
 * redacted of the admin key, as project names are.
 */
export async function listProjectApiKeys(http: OpenAiHttp, projectId: string): Promise<ListedKey[]> {
  const keys: ListedKey[] = [];
  const path = `/organization/projects/${encodeURIComponent(projectId)}/api_keys`;
  const text = (value: unknown) =>
    typeof value === 'string' && value !== '' ? redactSecrets(value, [http.adminKey]) : null;
  let after: string | undefined;
  for (let page = 0; page < MAX_KEY_PAGES; page++) {
    const params = new URLSearchParams({ limit: String(KEYS_PAGE_SIZE), owner_project_access: 'any' });
    if (after) params.set('after', after);
    const body = (await http.getJson(path, params)) as {
      data?: ProjectApiKeyBody[];
      has_more?: unknown;
      last_id?: unknown;
    };
    if (!Array.isArray(body?.data)) throw new UsageApiError('the API keys listing sent a page without data');
    for (const key of body.data) {
      if (typeof key?.id !== 'string') continue;
      const owner = key.owner;
      keys.push({
        id: key.id,
        name: text(key.name),
        redacted_value: text(key.redacted_value),
        owner:
          owner?.type === 'service_account'
            ? text(owner.service_account?.name)
            : (text(owner?.user?.name) ?? text(owner?.user?.email) ?? text(owner?.service_account?.name)),
      });
    }
    const lastId = typeof body.last_id === 'string' ? body.last_id : body.data.at(-1)?.id;
    if (body.has_more !== true) return keys;
    if (typeof lastId !== 'string' || lastId === after) {
      throw new PaginationError('the API keys listing said has_more but its cursor did not advance');
    }
    after = lastId;
  }
  throw new PaginationError(`the API keys listing kept paginating past ${MAX_KEY_PAGES} pages`);
}
