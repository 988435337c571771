/**
 * Deterministic sample usage: named projects with a weekly and daily rhythm, archived ones, and
 * unattributed sessions. Sessions are single instants, so any bucket width sums exactly.
 */
export interface SampleProject {
  readonly id: string;
  readonly name: string;
  readonly archived?: boolean;
}

export interface SessionLog {
  readonly projects: readonly SampleProject[];
  /** Sorted session start times (Unix seconds) per project id; the key `null` is unattributed. */
  readonly sessions: ReadonlyMap<string | null, Float64Array>;
  /** Each project's API keys; a project without any spends through no key (`api_key_id` null). */
  readonly keys?: ReadonlyMap<string, readonly SampleKey[]>;
}

/** A project's API key, as `GET /organization/projects/{id}/api_keys` lists it. */
export interface SampleKey {
  readonly id: string;
  readonly name: string;
  /** `sk-...a1B2`. */
  readonly redacted_value: string;
  readonly owner:
    | { readonly type: 'user'; readonly name: string; readonly email: string }
    | { readonly type: 'service_account'; readonly name: string };
  /** The share of the project's sessions started through this key (the project's keys' weights sum to 1). */
  readonly weight: number;
  /** Deleted since: the Costs API still has its cost, the listing no longer has the key. */
  readonly deleted?: boolean;
}

const DEMO_NAMES = [
  'Checkout & Payments',
  'Data Science Sandbox',
  'Support Copilot',
  'Growth Analytics',
  'Finance Forecasting',
  'Internal Tools',
  'Mobile App',
  'Search Relevance',
  'Legal <Review>',
  'Security Research',
  'Marketing Ops',
  'Platform Experiments',
];

/** A small seeded PRNG (mulberry32): the same seed always yields the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SampleOptions {
  /** First instant with data (Unix seconds). */
  readonly from: number;
  /** End of the data, exclusive. */
  readonly to: number;
  readonly projectCount?: number;
  /** Mean sessions per project per weekday for the busiest project. */
  readonly peakDaily?: number;
  readonly seed?: number;
}

/** Builds a session log with a weekday/weekend rhythm, office-hours peaks and a long tail of projects. */
export function generateSessionLog(options: SampleOptions): SessionLog {
  const random = seededRandom(options.seed ?? 7);
  const count = options.projectCount ?? DEMO_NAMES.length;
  const peak = options.peakDaily ?? 120;
  const projects: SampleProject[] = Array.from({ length: count }, (_, i) => ({
    id: `proj_${(i + 1).toString(36).padStart(4, '0')}${String.fromCharCode(97 + (i % 26))}x`,
    name: DEMO_NAMES[i] ?? `Project ${i + 1}`,
    ...(i % 9 === 8 ? { archived: true } : {}),
  }));
  const sessions = new Map<string | null, Float64Array>();
  const owners: (string | null)[] = [...projects.map((p) => p.id), null];
  owners.forEach((owner, index) => {
    const scale = owner === null ? 0.08 : 1 / (1 + index * 0.6);
    const times: number[] = [];
    for (let hour = Math.floor(options.from / 3600) * 3600; hour < options.to; hour += 3600) {
      const date = new Date(hour * 1000);
      const weekday = date.getUTCDay();
      const weekly = weekday === 0 || weekday === 6 ? 0.25 : 1;
      const utcHour = date.getUTCHours();
      const daily = 0.2 + Math.max(0, Math.sin(((utcHour - 6) / 24) * 2 * Math.PI)) * 1.6;
      const expected = ((peak * scale * weekly * daily) / 24) * (0.6 + random() * 0.8);
      const n = Math.floor(expected) + (random() < expected % 1 ? 1 : 0);
      for (let k = 0; k < n; k++) {
        const t = hour + Math.floor(random() * 3600);
        if (t >= options.from && t < options.to) times.push(t);
      }
    }
    sessions.set(owner, Float64Array.from(times.sort((a, b) => a - b)));
  });
  return { projects, sessions };
}

/** Sessions of one owner in `[start, end)`, by binary search. */
export function countSessions(times: Float64Array, start: number, end: number): number {
  return lowerBound(times, end) - lowerBound(times, start);
}

function lowerBound(times: Float64Array, value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((times[mid] as number) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Exact sessions per owner over a window: the reference the tests and the benchmark compare with. */
export function expectedTotals(log: SessionLog, start: number, end: number, projectIds?: readonly string[]) {
  const totals = new Map<string | null, number>();
  for (const [owner, times] of log.sessions) {
    if (projectIds && (owner === null || !projectIds.includes(owner))) continue;
    const n = countSessions(times, start, end);
    if (n > 0) totals.set(owner, n);
  }
  return totals;
}

/**
 * The sample's code interpreter cost of one session, in cents: billed per container-minute with a
 * minimum, so sessions differ (3 to 12 cents here), and cost is never a multiple of the count.
 */
export function sessionCostCents(time: number): number {
  return 3 * (1 + (Math.floor(time) % 4));
}

/** Exact code interpreter cost per owner (in cents) over a window: the reference for cost tests. */
export function expectedCostCents(
  log: SessionLog,
  start: number,
  end: number,
  projectIds?: readonly string[],
) {
  const costs = new Map<string | null, number>();
  for (const [owner, times] of log.sessions) {
    if (projectIds && (owner === null || !projectIds.includes(owner))) continue;
    let cents = 0;
    for (let i = lowerBound(times, start); i < times.length && (times[i] as number) < end; i++) {
      cents += sessionCostCents(times[i] as number);
    }
    if (cents > 0) costs.set(owner, cents);
  }
  return costs;
}

/**
 * The key a session at `time` was started through: a fixed hash of the time placed on the keys'
 * cumulative weights, so a key's share of a project's sessions is about its weight, on every day.
 */
export function keyOfSession(keys: readonly SampleKey[], time: number): SampleKey | undefined {
  if (keys.length === 0) return undefined;
  const spot = (Math.imul(Math.floor(time), 2654435761) >>> 0) / 4294967296;
  let cumulative = 0;
  for (const key of keys) {
    cumulative += key.weight;
    if (spot < cumulative) return key;
  }
  return keys.at(-1);
}

/**
 * Exact code interpreter cost (cents) of one owner over a window, per key id (null: no key): the
 * reference for the keys behind a spike. The keys' sums are the owner's {@link expectedCostCents}.
 */
export function expectedKeyCostCents(
  log: SessionLog,
  owner: string | null,
  start: number,
  end: number,
): Map<string | null, number> {
  const costs = new Map<string | null, number>();
  const times = log.sessions.get(owner) ?? new Float64Array();
  const keys = owner === null ? [] : (log.keys?.get(owner) ?? []);
  for (let i = lowerBound(times, start); i < times.length && (times[i] as number) < end; i++) {
    const time = times[i] as number;
    const id = keyOfSession(keys, time)?.id ?? null;
    costs.set(id, (costs.get(id) ?? 0) + sessionCostCents(time));
  }
  return costs;
}

const KEY_OWNERS: SampleKey['owner'][] = [
  { type: 'service_account', name: 'ci-bot' },
  { type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' },
  { type: 'user', name: 'Grace Hopper', email: 'grace@example.com' },
];

/**
 * The log with a few keys per project: a heavy service-account key ("eval-runner", 82% of the
 * sessions), a user's key, and on every third project a key deleted since (the Costs API still
 * reports its cost, the listing has it no more). Usage and cost per project are unchanged.
 */
export function withSampleKeys(log: SessionLog): SessionLog {
  const keys = new Map<string, SampleKey[]>();
  log.projects.forEach((project, i) => {
    const tag = project.id.slice(-6);
    const key = (n: number, name: string, weight: number, deleted = false): SampleKey => ({
      id: `key_${tag}${n}`,
      name,
      redacted_value: `sk-...${tag.slice(0, 2)}${n}${String.fromCharCode(65 + ((i + n) % 26))}`,
      owner: KEY_OWNERS[n - 1] as SampleKey['owner'],
      weight,
      ...(deleted ? { deleted } : {}),
    });
    keys.set(
      project.id,
      i % 3 === 2
        ? [key(1, 'eval-runner', 0.82), key(2, 'notebook', 0.12), key(3, 'old-batch', 0.06, true)]
        : [key(1, 'eval-runner', 0.82), key(2, 'notebook', 0.18)],
    );
  });
  return { ...log, keys };
}

/**
 * The log with `count` more sessions for `project` spread evenly over [from, to): a spike for a
 * known project, or a new project (added to the list) that had none before.
 */
export function withExtraSessions(
  log: SessionLog,
  project: SampleProject,
  window: { from: number; to: number },
  count: number,
): SessionLog {
  const extra = Float64Array.from(
    { length: count },
    (_, i) => window.from + ((i + 0.5) * (window.to - window.from)) / count,
  );
  const before = log.sessions.get(project.id) ?? new Float64Array();
  const merged = Float64Array.from([...before, ...extra]).sort();
  const sessions = new Map(log.sessions);
  sessions.set(project.id, merged);
  const projects = log.projects.some((p) => p.id === project.id) ? log.projects : [...log.projects, project];
  return { ...log, projects, sessions };
}
