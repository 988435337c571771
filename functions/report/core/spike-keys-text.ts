import { formatUsd } from './cost';
import { neutralizeText } from './text';
import type { UnusualProject } from './unusual';

/** How many keys a digest names under an unusual project. */
export const SPIKE_KEYS_SHOWN = 3;

/** One key behind an unusual project's day, ready to show: every field from users neutralized. */
export interface KeyShare {
  /** `82%`, `<1%`, or the cost (`$1.20`) when the project's day cost is unknown or zero. */
  readonly share: string;
  readonly api_key_id: string;
  /** The key's name; null when unnamed or deleted. */
  readonly name: string | null;
  /** `sk-...a1B2`; null when the key is gone (deleted since). */
  readonly redacted_value: string | null;
  readonly owner: string | null;
}

/** How a format shows the parts that come from users (quoted name, redacted value, owner, id). */
export interface KeyTextParts {
  readonly name: (name: string) => string;
  readonly value: (redacted: string) => string;
  readonly owner: (owner: string) => string;
  readonly id: (id: string) => string;
}

const AS_TEXT: KeyTextParts = { name: (n) => `"${n}"`, value: (v) => v, owner: (o) => o, id: (i) => i };

/**
 * The top SPIKE_KEYS_SHOWN keys of an unusual project with their share of its day's code
 * interpreter cost (the keys' own sum when the project's is unknown), most first; none when the
 * keys could not be read.
 */
export function keyShares(unusual: UnusualProject): KeyShare[] {
  const keys = [...(unusual.keys ?? [])].sort((a, b) => b.cost_usd - a.cost_usd);
  const keysTotal = keys.reduce((sum, k) => sum + k.cost_usd, 0);
  const total =
    // Stryker disable ConditionalExpression: null > 0 is false, so the null test (for TypeScript) changes nothing
    unusual.cost_usd !== null &&
    // Stryker restore ConditionalExpression
    unusual.cost_usd > 0
      ? unusual.cost_usd
      : keysTotal;
  return keys.slice(0, SPIKE_KEYS_SHOWN).map((k) => ({
    share: total > 0 ? percent(k.cost_usd / total) : formatUsd(k.cost_usd),
    api_key_id: neutralizeText(k.api_key_id),
    name: k.name === null || k.name.trim() === '' ? null : neutralizeText(k.name),
    redacted_value: k.redacted_value === null ? null : neutralizeText(k.redacted_value),
    owner: k.owner === null || k.owner.trim() === '' ? null : neutralizeText(k.owner),
  }));
}

function percent(fraction: number): string {
  const rounded = Math.round(fraction * 100);
  return rounded === 0 && fraction > 0 ? '<1%' : `${Math.min(100, rounded)}%`;
}

/**
 * `82% from key "eval-runner" (sk-...a1B2), owned by ci-bot`; `10% from key_abc, a key since
 * deleted`; `5% from an unnamed key (sk-...zz99)`. `parts` marks up what came from users.
 */
export function keyShareText(key: KeyShare, parts: KeyTextParts = AS_TEXT): string {
  if (key.redacted_value === null)
    return `${key.share} from ${parts.id(key.api_key_id)}, a key since deleted`;
  const name = key.name === null ? 'an unnamed key' : `key ${parts.name(key.name)}`;
  const owner = key.owner === null ? '' : `, owned by ${parts.owner(key.owner)}`;
  return `${key.share} from ${name} (${parts.value(key.redacted_value)})${owner}`;
}
