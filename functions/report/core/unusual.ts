/** When a project's day is worth a look. */
export interface UnusualThresholds {
  /** A spike is at least this many times the project's 7-day mean. @default 3 */
  readonly factor: number;
  /** …and at least this many sessions above it; also the floor for a new project. @default 50 */
  readonly minSessions: number;
  /** A day's code interpreter cost at or above this (USD) is flagged; off when undefined. */
  readonly alertCostUsd?: number;
}

export const DEFAULT_THRESHOLDS: UnusualThresholds = { factor: 3, minSessions: 50 };

/** One project's day beside its baseline, as the daily report knows it. */
export interface ProjectDay {
  readonly project_id: string | null;
  readonly num_sessions: number;
  /** Mean sessions a day over the 7 days before (unrounded). */
  readonly mean_7d: number;
  /** The day's code interpreter cost, or null when cost is unavailable. */
  readonly cost_usd: number | null;
}

export interface UnusualProject {
  readonly project_id: string | null;
  readonly reason: 'spike' | 'new' | 'cost';
  readonly num_sessions: number;
  readonly mean_7d: number;
  readonly cost_usd: number | null;
  /**
   * The API keys behind the day's code interpreter cost, most first (from a second wave, only when
   * something is unusual); absent when they could not be read.
   */
  readonly keys?: readonly SpikeKey[];
}

/** One API key's share of an unusual project's day. */
export interface SpikeKey {
  readonly api_key_id: string;
  /** The key's name in its project; null when the key is gone (deleted since) or unnamed. */
  readonly name: string | null;
  /** `sk-...a1B2`, as OpenAI shows it; null when the key is gone. */
  readonly redacted_value: string | null;
  /** Who owns the key (a user's name or email, or a service account's name); null when unknown. */
  readonly owner: string | null;
  /** The key's code interpreter cost that day (USD). */
  readonly cost_usd: number;
}

/**
 * The projects whose day needs a look, biggest first (by sessions above their mean, then cost).
 * Unattributed usage is judged like a project. One entry per project, with the first reason that
 * holds: new (nothing in the 7 days before), spike, then cost.
 */
export function findUnusual(days: readonly ProjectDay[], thresholds: UnusualThresholds): UnusualProject[] {
  const found: UnusualProject[] = [];
  for (const day of days) {
    const reason = reasonFor(day, thresholds);
    if (reason) {
      found.push({
        project_id: day.project_id,
        reason,
        num_sessions: day.num_sessions,
        mean_7d: Math.round(day.mean_7d * 10) / 10,
        cost_usd: day.cost_usd,
      });
    }
  }
  return found.sort(
    (a, b) =>
      b.num_sessions - b.mean_7d - (a.num_sessions - a.mean_7d) || (b.cost_usd ?? 0) - (a.cost_usd ?? 0),
  );
}

function reasonFor(day: ProjectDay, t: UnusualThresholds): UnusualProject['reason'] | undefined {
  if (day.mean_7d === 0 && day.num_sessions >= t.minSessions) return 'new';
  // A mean of 0 with enough sessions is "new" above; with fewer it is not a spike either.
  if (day.num_sessions >= t.factor * day.mean_7d && day.num_sessions - day.mean_7d >= t.minSessions) {
    return 'spike';
  }
  // Stryker disable next-line ConditionalExpression,LogicalOperator: null >= a positive threshold and x >= undefined are false anyway
  if (t.alertCostUsd !== undefined && day.cost_usd !== null && day.cost_usd >= t.alertCostUsd) return 'cost';
  return undefined;
}
