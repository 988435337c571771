import { InputError } from '../errors';
import { MAX_RANGE_DAYS, parseInstant } from './event';
import { addDays, type LocalDate, localDateOf, startOfLocalDay } from './local-time';

/** Days a backfill fetches in one wave: a month of daily usage buckets fits one page (the API's `1d` limit is 31). */
export const BACKFILL_CHUNK_DAYS = 31;
/** The longest range one backfill covers, as for a report: three years. Longer is refused before any request. */
export const MAX_BACKFILL_DAYS = MAX_RANGE_DAYS;

const BACKFILL_FIELDS = new Set(['start_time', 'end_time']);

/** The local days a backfill writes: `from` up to `to` (exclusive), in `timeZone`. */
export interface BackfillRange {
  readonly from: LocalDate;
  /** The day after the last one written. */
  readonly to: LocalDate;
  readonly timeZone: string;
}

/** The invoke `{ "backfill": { … } }`: told apart from a report's event by its one key. */
export function isBackfillEvent(event: unknown): event is { backfill: unknown } {
  return typeof event === 'object' && event !== null && Object.hasOwn(event, 'backfill');
}

/**
 * `{ "backfill": { "start_time", "end_time" } }` in the formats of a manual report's start and end
 * (a date is local midnight in `timeZone`), or an InputError naming the field (`backfill.start_time`).
 * Both ends must be local midnights: each day is written whole, as the daily digest wrote it.
 */
export function parseBackfillEvent(
  event: unknown,
  defaults: { readonly now: number; readonly timeZone: string },
): BackfillRange {
  if (!isBackfillEvent(event)) throw new InputError('backfill', 'is required');
  for (const key of Object.keys(event)) {
    if (key !== 'backfill') throw new InputError(key, 'is not a field of a backfill (only "backfill" is)');
  }
  const body = event.backfill;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('backfill', 'must be an object with start_time and end_time');
  }
  for (const key of Object.keys(body)) {
    if (!BACKFILL_FIELDS.has(key)) throw new InputError(`backfill.${key}`, 'is not a field of a backfill');
  }
  const fields = body as Record<string, unknown>;
  return parseBackfillRange(
    { start: fields.start_time, end: fields.end_time },
    { start: 'backfill.start_time', end: 'backfill.end_time' },
    defaults.timeZone,
    defaults.now,
  );
}

/**
 * A backfill's days from its two ends, as the event or the CLI gives them; errors name `fields`.
 * The range holds only days that have ended in `timeZone` (the daily digest of a day runs after it).
 */
export function parseBackfillRange(
  values: { readonly start: unknown; readonly end: unknown },
  fields: { readonly start: string; readonly end: string },
  timeZone: string,
  now: number,
): BackfillRange {
  if (values.start === undefined) throw new InputError(fields.start, 'is required');
  if (values.end === undefined) throw new InputError(fields.end, 'is required');
  const from = localMidnight(values.start, fields.start, timeZone);
  const to = localMidnight(values.end, fields.end, timeZone);
  if (to <= from) throw new InputError(fields.end, `must be after ${fields.start}`);
  const today = localDateOf(now, timeZone);
  if (from >= today) throw new InputError(fields.start, `must be a day that has ended (today is ${today})`);
  if (to > today) {
    throw new InputError(
      fields.end,
      `is after today (${today}), a day that has not ended; give ${today} at most`,
    );
  }
  const days = daysBetween(from, to);
  if (days > MAX_BACKFILL_DAYS) {
    throw new InputError(fields.end, `the range is ${days} days, more than ${MAX_BACKFILL_DAYS}; split it`);
  }
  return { from, to, timeZone };
}

/** The local date an end names, refused unless it is that date's local midnight. */
function localMidnight(value: unknown, field: string, timeZone: string): LocalDate {
  const instant = parseInstant(value, field, timeZone);
  const date = localDateOf(instant, timeZone);
  if (startOfLocalDay(date, timeZone) !== instant) {
    throw new InputError(
      field,
      `must be a local midnight in ${timeZone} (a date such as ${date}): a backfill writes whole days`,
    );
  }
  return date;
}

/** Calendar days from `from` to `to` (exclusive). */
function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Every date of the range, in order. */
export function datesOf(range: Pick<BackfillRange, 'from' | 'to'>): LocalDate[] {
  const dates: LocalDate[] = [];
  for (let date = range.from; date < range.to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/**
 * The dates to write, in chunks fetched one after another: each chunk spans at most `maxDays`
 * calendar days from its first, so its usage (plus the 7 days before) and its cost go in one wave.
 * Dates already written leave gaps; a chunk never reaches past `maxDays` to fill them.
 */
export function backfillChunks(
  dates: Iterable<LocalDate>,
  maxDays: number = BACKFILL_CHUNK_DAYS,
): LocalDate[][] {
  const chunks: LocalDate[][] = [];
  // Stryker disable next-line StringLiteral: never read before it is set: the first date always starts a chunk
  let limit = '';
  for (const date of [...new Set(dates)].sort()) {
    const chunk = chunks.at(-1);
    if (chunk && date < limit) chunk.push(date);
    else {
      chunks.push([date]);
      limit = addDays(date, maxDays);
    }
  }
  return chunks;
}
