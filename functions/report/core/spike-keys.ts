import type { SpikeKey, UnusualProject } from './unusual';

/** One key of a project as its listing gives it (`GET /organization/projects/{id}/api_keys`). */
export interface ListedKey {
  readonly id: string;
  readonly name: string | null;
  /** `sk-...a1B2`. */
  readonly redacted_value: string | null;
  /** A user's name (or email), or a service account's name; null when the listing names none. */
  readonly owner: string | null;
}

/**
 * A project's keys behind its day, most cost first (then by id), every key with a positive cost:
 * named from the project's listing, or with name, redacted value and owner null when the key is
 * not in it (deleted since). Cost tied to no key is no key's, so it is left out.
 */
export function spikeKeysOf(
  costs: ReadonlyMap<string | null, number>,
  listing: readonly ListedKey[],
): SpikeKey[] {
  const listed = new Map(listing.map((key) => [key.id, key]));
  const keys: SpikeKey[] = [];
  for (const [id, cost] of costs) {
    if (id === null || !(cost > 0)) continue;
    const key = listed.get(id);
    keys.push({
      api_key_id: id,
      name: key?.name ?? null,
      redacted_value: key?.redacted_value ?? null,
      owner: key?.owner ?? null,
      cost_usd: cost,
    });
  }
  // Stryker disable next-line EqualityOperator: ids are a map's keys, so two keys never share one and <= orders as <
  return keys.sort((a, b) => b.cost_usd - a.cost_usd || (a.api_key_id < b.api_key_id ? -1 : 1));
}

/** The unusual projects, each with its keys when `keys` has them (a project without stays as it was). */
export function withSpikeKeys(
  unusual: readonly UnusualProject[],
  keys: ReadonlyMap<string, readonly SpikeKey[]>,
): UnusualProject[] {
  return unusual.map((project) => {
    // Stryker disable next-line ConditionalExpression: keys has string ids only, so keys.get(null) is undefined all the same
    const found = project.project_id === null ? undefined : keys.get(project.project_id);
    return found ? { ...project, keys: found } : project;
  });
}
