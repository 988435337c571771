import { isNoSpendLimitAnswer, NO_SPEND_LIMIT, parseSpendLimit, type SpendLimit } from '../core/spend-limit';
import { UsageApiError } from '../errors';
import type { OpenAiHttp } from './openai-http';

/**
 * A scope's hard monthly spend limit, through the shared HTTP client (retries, deadline, body cap,
 * redaction): `GET /organization/spend_limit` for the organization (`projectId` null), else
 * `GET /organization/projects/{project_id}/spend_limit`. A 404 is no limit, as `threshold_amount: 0`
 * is; a 403, a 5xx that outlasts the retries or a timeout throws as the client throws it, and a body
 * that is not a spend limit throws a MalformedSpendLimitError.
 */
export async function fetchSpendLimit(
  http: OpenAiHttp,
  projectId: string | null,
  cancel?: AbortSignal,
): Promise<SpendLimit> {
  const path =
    projectId === null
      ? '/organization/spend_limit'
      : `/organization/projects/${encodeURIComponent(projectId)}/spend_limit`;
  let body: unknown;
  try {
    body = await http.getJson(path, new URLSearchParams(), cancel);
  } catch (error) {
    // A scope without a hard limit may answer not found instead of a zero threshold.
    if (error instanceof UsageApiError && isNoSpendLimitAnswer(error.status ?? 0)) {
      return NO_SPEND_LIMIT;
    }
    throw error;
  }
  return parseSpendLimit(body);
}
