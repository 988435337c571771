import { TZDate } from '@date-fns/tz';

/** A half-open interval `[start, end)` in Unix seconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** A calendar date as `YYYY-MM-DD`. */
export type LocalDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `name` is an IANA zone this runtime knows. */
export function isValidTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
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

/** A wall-clock time on `date` in `timeZone`; a time inside a DST gap moves forward past it. */
export function startOfLocalTime(
  date: LocalDate,
  hours: number,
  minutes: number,
  seconds: number,
  timeZone: string,
): number {
  const parsed = parseLocalDate(date);
  if (!parsed) throw new RangeError(`not a date: ${date}`);
  const local = new TZDate(parsed.year, parsed.month - 1, parsed.day, hours, minutes, seconds, timeZone);
  return local.getTime() / 1000;
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
    const instant = new TZDate(startOfLocalTime(date, hour, 0, 0, timeZone) * 1000, timeZone);
    // A time inside a gap comes back moved forward, to another hour.
    if (instant.getHours() !== hour || instant.getMinutes() !== 0) return date;
  }
  return undefined;
}
