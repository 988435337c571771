import type { UsageApi } from './adapters/usage-api';
import type { Window } from './core/local-time';
import { spikeKeysOf } from './core/spike-keys';
import type { SpikeKey, UnusualProject } from './core/unusual';
import { errorSummary } from './errors';
import type { ReportLogger } from './logger';

/**
 * The API keys behind each unusual project's day, in ONE extra wave, only when something is
 * unusual: per project, its code interpreter cost by key over `costDay` (`group_by=api_key_id`,
 * `project_ids=[p]`, `line_items=` the exact code interpreter names its cost lines carried that
 * day) and its keys listing, every request at once. A project with no code interpreter cost that
 * day (no line item names), and unattributed usage, have no keys to ask for. Nothing here fails
 * the digest: a project whose cost or listing fails is logged and left without keys.
 */
export async function fetchSpikeKeys(
  usageApi: Pick<UsageApi, 'fetchCostsByKey' | 'listApiKeys'>,
  unusual: readonly UnusualProject[],
  costDay: Window,
  lineItemsByProject: ReadonlyMap<string | null, readonly string[]> | null | undefined,
  logger: ReportLogger,
): Promise<Map<string, SpikeKey[]>> {
  const keys = new Map<string, SpikeKey[]>();
  const asked = [
    ...new Set(unusual.map((project) => project.project_id).filter((id): id is string => id !== null)),
  ].flatMap((projectId) => {
    const lineItems = lineItemsByProject?.get(projectId) ?? [];
    return lineItems.length ? [{ projectId, lineItems }] : [];
  });
  await Promise.all(
    asked.map(async ({ projectId, lineItems }) => {
      try {
        const [costs, listing] = await Promise.all([
          usageApi.fetchCostsByKey(costDay, projectId, lineItems),
          usageApi.listApiKeys(projectId),
        ]);
        keys.set(projectId, spikeKeysOf(costs, listing));
      } catch (error) {
        logger.warn('keys behind an unusual project unavailable; the digest shows it without them', {
          project_id: projectId,
          error: errorSummary(error),
        });
      }
    }),
  );
  return keys;
}
