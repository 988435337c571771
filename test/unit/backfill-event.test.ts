import { describe, expect, it } from 'vitest';
import {
  BACKFILL_CHUNK_DAYS,
  backfillChunks,
  datesOf,
  isBackfillEvent,
  MAX_BACKFILL_DAYS,
  parseBackfillEvent,
} from '../../functions/report/core/backfill-event';
import { addDays } from '../../functions/report/core/local-time';
import { InputError } from '../../functions/report/errors';

/** Saturday 2026-12-05, 14:00 UTC. */
const NOW = Date.parse('2026-12-05T14:00:00Z') / 1000;
const BERLIN = { now: NOW, timeZone: 'Europe/Berlin' };

const refusal = (event: unknown, defaults = BERLIN) => {
  try {
    parseBackfillEvent(event, defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('Function: parseBackfillEvent', () => {
  it('reads dates as local days, end exclusive', () => {
    // Act
    const range = parseBackfillEvent(
      { backfill: { start_time: '2026-01-01', end_time: '2026-12-01' } },
      BERLIN,
    );
    // Assess
    expect(range).toEqual({ from: '2026-01-01', to: '2026-12-01', timeZone: 'Europe/Berlin' });
    expect(datesOf(range)).toHaveLength(334);
  });

  it('takes the manual event formats: Unix seconds and date-times that are local midnights', () => {
    const start = Date.parse('2026-10-31T23:00:00Z') / 1000;
    expect(
      parseBackfillEvent({ backfill: { start_time: start, end_time: '2026-11-03T00:00+01:00' } }, BERLIN),
    ).toMatchObject({ from: '2026-11-01', to: '2026-11-03' });
    // 29 March 2026 is 23 hours long in Berlin (clocks go forward at 02:00); its midnight exists.
    expect(
      parseBackfillEvent({ backfill: { start_time: '2026-03-29', end_time: '2026-03-30T00:00' } }, BERLIN),
    ).toMatchObject({ from: '2026-03-29', to: '2026-03-30' });
  });

  it('takes days up to today, the last one ended, and a range of exactly the longest allowed', () => {
    // Act: 5 December has not ended in Berlin, so the 4th is the last day written.
    const upToToday = parseBackfillEvent(
      { backfill: { start_time: '2026-12-04', end_time: '2026-12-05' } },
      BERLIN,
    );
    const longest = parseBackfillEvent(
      { backfill: { start_time: addDays('2026-12-05', -MAX_BACKFILL_DAYS), end_time: '2026-12-05' } },
      BERLIN,
    );
    // Assess
    expect(datesOf(upToToday)).toEqual(['2026-12-04']);
    expect(longest).toEqual({ from: '2023-12-05', to: '2026-12-05', timeZone: 'Europe/Berlin' });
    expect(datesOf(longest)).toHaveLength(MAX_BACKFILL_DAYS);
  });

  it.each([
    [undefined, /^backfill: is required$/],
    [{}, /^backfill: is required$/],
    [{ start_time: '2026-01-01', end_time: '2026-02-01' }, /^backfill: is required$/],
    [
      { backfill: { start_time: '2026-01-01', end_time: '2026-01-01' } },
      /^backfill\.end_time: must be after backfill\.start_time/,
    ],
    [
      { backfill: { start_time: '2023-12-04', end_time: '2026-12-05' } },
      new RegExp(`^backfill\\.end_time: the range is 1097 days, more than ${MAX_BACKFILL_DAYS}; split it`),
    ],
    [{ backfill: { end_time: '2026-02-01' } }, /^backfill\.start_time: is required/],
    [{ backfill: { start_time: '2026-01-01' } }, /^backfill\.end_time: is required/],
    [{ backfill: { start_time: 'yesterday', end_time: '2026-02-01' } }, /^backfill\.start_time: /],
    [
      { backfill: { start_time: '2026-02-30', end_time: '2026-03-01' } },
      /^backfill\.start_time: .*not a valid date/,
    ],
    [
      { backfill: { start_time: '2026-01-01T12:00', end_time: '2026-02-01' } },
      /^backfill\.start_time: must be a local midnight in Europe\/Berlin/,
    ],
    [
      { backfill: { start_time: '2026-01-01', end_time: '2026-01-01T00:00Z' } },
      /^backfill\.end_time: must be a local midnight/,
    ],
    [
      { backfill: { start_time: '2026-02-01', end_time: '2026-01-01' } },
      /^backfill\.end_time: must be after backfill\.start_time/,
    ],
    [
      { backfill: { start_time: '2026-12-05', end_time: '2026-12-06' } },
      /^backfill\.start_time: must be a day that has ended \(today is 2026-12-05\)/,
    ],
    [
      { backfill: { start_time: '2026-12-01', end_time: '2026-12-06' } },
      /^backfill\.end_time: is after today \(2026-12-05\).*give 2026-12-05 at most/,
    ],
    [
      { backfill: { start_time: '2022-01-01', end_time: '2026-01-01' } },
      new RegExp(`^backfill\\.end_time: the range is 1461 days, more than ${MAX_BACKFILL_DAYS}`),
    ],
    [
      { backfill: { start_time: '2026-01-01', end_time: '2026-02-01', timezone: 'UTC' } },
      /^backfill\.timezone: is not a field of a backfill/,
    ],
    [
      { backfill: { start_time: '2026-01-01', end_time: '2026-02-01' }, dry_run: true },
      /^dry_run: is not a field of a backfill/,
    ],
    [{ backfill: '2026-01-01' }, /^backfill: must be an object with start_time and end_time/],
    [{ backfill: null }, /^backfill: must be an object/],
  ])('refuses %j naming the field', (event, message) => {
    expect(refusal(event)).toMatch(message);
  });

  it('is told apart from report events by its key', () => {
    expect(isBackfillEvent({ backfill: {} })).toBe(true);
    expect(isBackfillEvent({ start_time: '2026-01-01' })).toBe(false);
    expect(isBackfillEvent(null)).toBe(false);
    expect(isBackfillEvent(undefined)).toBe(false);
    expect(isBackfillEvent(42)).toBe(false);
    expect(isBackfillEvent('backfill')).toBe(false);
  });
});

describe('Function: backfillChunks', () => {
  it('cuts 62 days into two chunks of 31', () => {
    const dates = datesOf({ from: '2026-01-01', to: '2026-03-04' });
    const chunks = backfillChunks(dates);
    expect(chunks.map((c) => [c[0], c.at(-1), c.length])).toEqual([
      ['2026-01-01', '2026-01-31', 31],
      ['2026-02-01', '2026-03-03', 31],
    ]);
  });

  it('keeps each chunk within 31 calendar days, however many days are already written', () => {
    // Prepare: every third day is missing.
    const dates = datesOf({ from: '2026-01-01', to: '2026-07-01' }).filter((_, i) => i % 3 === 0);
    // Act
    const chunks = backfillChunks(dates);
    // Assess
    expect(chunks.flat()).toEqual(dates);
    for (const chunk of chunks) {
      expect((chunk.at(-1) as string) < addDays(chunk[0] as string, BACKFILL_CHUNK_DAYS)).toBe(true);
    }
    expect(chunks).toHaveLength(6);
  });

  it('sorts and drops repeats; nothing to write is no chunk', () => {
    expect(backfillChunks(['2026-01-03', '2026-01-01', '2026-01-03'])).toEqual([
      ['2026-01-01', '2026-01-03'],
    ]);
    expect(backfillChunks([])).toEqual([]);
  });
});
