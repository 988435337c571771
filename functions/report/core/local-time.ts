import { TZDate, tzOffset } from '@date-fns/tz';

/** A half-open interval `[start, end)` in Unix seconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** A calendar date as `YYYY-MM-DD`. */
export type LocalDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** IANA's geographic areas: a zone named after a place is `Area/Location` (tzdata's region files). */
const GEOGRAPHIC_AREAS = new Set([
  'africa',
  'america',
  'antarctica',
  'arctic',
  'asia',
  'atlantic',
  'australia',
  'europe',
  'indian',
  'pacific',
]);

/**
 * The one rule for a time zone, wherever one is given (settings, construct props, the function's
 * REPORT_TIMEZONE, an event's `timezone`, the CLI): the zone's IANA name in IANA's case, or
 * undefined when it is not a zone we take.
 *
 * Taken: `UTC` (and what the runtime reads as UTC: `utc`, `Etc/UTC`, `GMT`), and the geographic
 * zones `Area/Location` the runtime knows (Europe/Berlin, America/Argentina/Buenos_Aires), in any
 * case: `europe/berlin` is `Europe/Berlin`. Refused: UTC offsets (`+02:00`, `Etc/GMT-2`), the
 * legacy abbreviation and rule zones (`EST`, `MST`, `HST`, `CET`, `EST5EDT`) and the country
 * aliases (`US/Eastern`): they name no place, and EST, MST and HST never follow the daylight saving
 * time of the places that say "EST". An alias of a place (`Asia/Calcutta`) is kept as written.
 *
 * Not `Intl.supportedValuesOf('timeZone')`: that lists CLDR's ids, which omit `UTC` and keep old
 * names (`Asia/Calcutta`, not `Asia/Kolkata`), and the runtime's resolved name is CLDR's too.
 */
export function canonicalTimeZone(name: string): string | undefined {
  const resolved = resolvedTimeZone(name);
  if (resolved === undefined) return undefined;
  if (resolved === 'UTC') return 'UTC';
  const typed = name.trim();
  const [area] = typed.split('/');
  if (!typed.includes('/') || !GEOGRAPHIC_AREAS.has((area as string).toLowerCase())) return undefined;
  if (resolved.toLowerCase() === typed.toLowerCase()) return resolved;
  // An alias CLDR resolves to another id (Asia/Kolkata -> Asia/Calcutta): IANA's case is its words'.
  return typed.split('/').every((part) => /^[A-Z]/.test(part) && /[a-z]/.test(part))
    ? typed
    : typed.replace(/[A-Za-z]+/g, (word) => word[0]?.toUpperCase() + word.slice(1).toLowerCase());
}

/** The place a zone that names none stands for, when it is an alias of one (`US/Eastern`). */
export function placeOfTimeZoneAlias(name: string): string | undefined {
  const resolved = resolvedTimeZone(name);
  if (!name.includes('/') || resolved === undefined || canonicalTimeZone(name) !== undefined)
    return undefined;
  return canonicalTimeZone(resolved);
}

/** The runtime's own id of a zone (CLDR's), or undefined when it knows no such zone. */
function resolvedTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name.trim() }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** True when `name` is a zone `canonicalTimeZone` takes. */
export function isValidTimeZone(name: string): boolean {
  return canonicalTimeZone(name) !== undefined;
}

/** Parses `YYYY-MM-DD` strictly (rejects 2026-02-30); undefined when it is not a real date. */
export function parseLocalDate(text: string): { year: number; month: number; day: number } | undefined {
  const match = DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return undefined;
  }
  return { year, month, day };
}

/**
 * The first instant of `date` in `timeZone`, in Unix seconds. Where midnight does not exist
 * (a DST jump at 00:00, as in America/Havana) the day starts at the first instant that does.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const parsed = parseLocalDate(date);
  if (!parsed) throw new RangeError(`not a date: ${date}`);
  return new TZDate(parsed.year, parsed.month - 1, parsed.day, timeZone).getTime() / 1000;
}

/**
 * What a wall-clock time on a date is in a zone: one instant (`exact`), two when clocks go back
 * (`repeated`: the earlier is given), or none when clocks go forward over it (`skipped`, with the
 * wall-clock times the clocks jump between).
 */
export type LocalTimeResolution =
  | { readonly kind: 'exact' | 'repeated'; readonly epochSeconds: number }
  | { readonly kind: 'skipped'; readonly clocksFrom: string; readonly clocksTo: string };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Resolves a wall-clock time the way Temporal's `compatible` disambiguation and RFC 5545 do for
 * a repeated time, the earlier instant (02:30 on 2026-10-25 in Europe/Berlin is 00:30Z, not
 * 01:30Z), in every zone; a skipped time is reported, not moved (the caller decides). The
 * candidates are the wall-clock time at the zone's offsets a day before and a day after, kept
 * where the zone agrees with them: Temporal's own method (GetPossibleEpochNanoseconds).
 */
export function resolveLocalTime(
  date: LocalDate,
  hours: number,
  minutes: number,
  seconds: number,
  timeZone: string,
): LocalTimeResolution {
  const parsed = parseLocalDate(date);
  if (!parsed) throw new RangeError(`not a date: ${date}`);
  const wall = Date.UTC(parsed.year, parsed.month - 1, parsed.day, hours, minutes, seconds);
  const before = tzOffset(timeZone, new Date(wall - DAY_MS));
  const after = tzOffset(timeZone, new Date(wall + DAY_MS));
  const instants = [...new Set([wall - before * MINUTE_MS, wall - after * MINUTE_MS])]
    .filter((instant) => instant + tzOffset(timeZone, new Date(instant)) * MINUTE_MS === wall)
    .sort((a, b) => a - b);
  const [earliest] = instants;
  if (earliest !== undefined) {
    return { kind: instants.length > 1 ? 'repeated' : 'exact', epochSeconds: earliest / 1000 };
  }
  // Skipped: find the change, the first instant of the day around it at the later offset.
  let [low, high] = [wall - DAY_MS, wall + DAY_MS];
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (tzOffset(timeZone, new Date(middle)) === after) high = middle;
    else low = middle;
  }
  const clock = (instant: number) => new Date(instant).toISOString().slice(11, 16);
  return {
    kind: 'skipped',
    clocksFrom: clock(high + before * MINUTE_MS),
    clocksTo: clock(high + after * MINUTE_MS),
  };
}

/** A wall-clock time on `date` in `timeZone` (the earlier instant if it happens twice), or undefined in a DST gap. */
export function instantOfLocalTime(
  date: LocalDate,
  hours: number,
  minutes: number,
  seconds: number,
  timeZone: string,
): number | undefined {
  const resolved = resolveLocalTime(date, hours, minutes, seconds, timeZone);
  return resolved.kind === 'skipped' ? undefined : resolved.epochSeconds;
}

/** The local calendar date of an instant in `timeZone`. */
export function localDateOf(epochSeconds: number, timeZone: string): LocalDate {
  const local = new TZDate(epochSeconds * 1000, timeZone);
  return formatDate(local.getFullYear(), local.getMonth() + 1, local.getDate());
}

/** `date` shifted by whole calendar days (not by 24 hours). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const parsed = parseLocalDate(date);
  if (!parsed) throw new RangeError(`not a date: ${date}`);
  const shifted = new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day + days));
  return formatDate(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}

/** The whole local day `date` as a window: 23, 24 or 25 hours long. */
export function localDayWindow(date: LocalDate, timeZone: string): Window {
  return { start: startOfLocalDay(date, timeZone), end: startOfLocalDay(addDays(date, 1), timeZone) };
}

/** The local calendar day before the one containing `now`. */
export function previousLocalDay(nowSeconds: number, timeZone: string): { date: LocalDate; window: Window } {
  const date = addDays(localDateOf(nowSeconds, timeZone), -1);
  return { date, window: localDayWindow(date, timeZone) };
}

function formatDate(year: number, month: number, day: number): LocalDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The first of `days` dates from `from` on which the wall-clock time `hour`:00 does not exist in
 * `timeZone` (clocks jump over it for DST); undefined when it exists on every one of them.
 */
export function firstDateWithoutHour(
  hour: number,
  timeZone: string,
  from: LocalDate,
  days: number,
): LocalDate | undefined {
  for (let i = 0; i < days; i++) {
    const date = addDays(from, i);
    if (instantOfLocalTime(date, hour, 0, 0, timeZone) === undefined) return date;
  }
  return undefined;
}
