import { describe, expect, it } from 'vitest';
import {
  addDays,
  canonicalTimeZone,
  firstDateWithoutHour,
  instantOfLocalTime,
  isValidTimeZone,
  localDateOf,
  localDayWindow,
  parseLocalDate,
  previousLocalDay,
  startOfLocalDay,
} from '../../functions/report/core/local-time';

const at = (iso: string) => Date.parse(iso) / 1000;
const hours = (w: { start: number; end: number }) => (w.end - w.start) / 3600;

describe('Function: localDayWindow', () => {
  it.each([
    // zone, date, start (UTC), length in hours
    ['UTC', '2026-11-22', '2026-11-22T00:00:00Z', 24],
    ['Europe/Berlin', '2026-03-29', '2026-03-28T23:00:00Z', 23], // spring forward
    ['Europe/Berlin', '2026-10-25', '2026-10-24T22:00:00Z', 25], // fall back
    ['America/New_York', '2026-03-08', '2026-03-08T05:00:00Z', 23],
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00Z', 25],
    ['Australia/Adelaide', '2026-04-05', '2026-04-04T13:30:00Z', 25], // +10:30 -> +09:30
    ['Australia/Adelaide', '2026-10-04', '2026-10-03T14:30:00Z', 23], // +09:30 -> +10:30
    ['Asia/Kolkata', '2026-11-22', '2026-11-21T18:30:00Z', 24],
    ['Asia/Kathmandu', '2026-11-22', '2026-11-21T18:15:00Z', 24],
    ['America/Havana', '2026-03-08', '2026-03-08T05:00:00Z', 23], // midnight does not exist: the day starts at 01:00
    ['UTC', '2028-02-29', '2028-02-29T00:00:00Z', 24], // leap day
    ['Pacific/Auckland', '2027-01-01', '2026-12-31T11:00:00Z', 24], // year boundary
  ])('%s %s starts at %s and lasts %i hours', (zone, date, start, length) => {
    const window = localDayWindow(date, zone);
    expect(window.start).toBe(at(start));
    expect(hours(window)).toBe(length);
  });
});

describe('Function: previousLocalDay', () => {
  it('is the local yesterday, not the UTC one', () => {
    // 2026-11-23T06:00Z is already 2026-11-23 in Tokyo and still 2026-11-22 in Los Angeles.
    expect(previousLocalDay(at('2026-11-23T06:00:00Z'), 'Asia/Tokyo').date).toBe('2026-11-22');
    expect(previousLocalDay(at('2026-11-23T06:00:00Z'), 'America/Los_Angeles').date).toBe('2026-11-21');
  });

  it('crosses a year boundary', () => {
    expect(previousLocalDay(at('2027-01-01T08:00:00Z'), 'Europe/Berlin')).toEqual({
      date: '2026-12-31',
      window: { start: at('2026-12-30T23:00:00Z'), end: at('2026-12-31T23:00:00Z') },
    });
  });
});

describe('Function: calendar helpers', () => {
  it('rejects impossible dates and shifts by calendar days', () => {
    expect(parseLocalDate('2026-02-30')).toBeUndefined();
    expect(parseLocalDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(localDateOf(at('2026-11-21T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11-22');
    expect(() => startOfLocalDay('2026-13-01', 'UTC')).toThrow(RangeError);
  });
});

describe('Function: firstDateWithoutHour', () => {
  it('finds the spring-forward day on which an hour does not exist', () => {
    expect(firstDateWithoutHour(2, 'Europe/Berlin', '2026-01-01', 366)).toBe('2026-03-29');
    expect(firstDateWithoutHour(2, 'America/New_York', '2026-03-08', 1)).toBe('2026-03-08');
    expect(firstDateWithoutHour(0, 'America/Havana', '2026-01-01', 366)).toBe('2026-03-08');
  });

  it('finds none for an hour every day has, or before the gap, or in a zone without DST', () => {
    expect(firstDateWithoutHour(3, 'Europe/Berlin', '2026-01-01', 732)).toBeUndefined();
    expect(firstDateWithoutHour(2, 'Europe/Berlin', '2026-01-01', 87)).toBeUndefined();
    expect(firstDateWithoutHour(2, 'Europe/Berlin', '2026-01-01', 88)).toBe('2026-03-29');
    expect(firstDateWithoutHour(2, 'Asia/Kolkata', '2026-01-01', 366)).toBeUndefined();
    expect(firstDateWithoutHour(5, 'UTC', '2026-01-01', 0)).toBeUndefined();
  });
});

describe('Local dates, at their edges', () => {
  it('parses only whole, real dates', () => {
    expect(parseLocalDate('x2026-11-20')).toBeUndefined();
    expect(parseLocalDate('2026-13-01')).toBeUndefined();
    expect(parseLocalDate('2026-02-30')).toBeUndefined();
    expect(parseLocalDate('0050-01-01')).toBeUndefined();
    expect(parseLocalDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it('refuses what is not a date, naming it', () => {
    expect(() => startOfLocalDay('2026-02-30', 'UTC')).toThrow('not a date: 2026-02-30');
    expect(() => instantOfLocalTime('tomorrow', 1, 0, 0, 'UTC')).toThrow('not a date: tomorrow');
    expect(() => addDays('2026-13-01', 1)).toThrow('not a date: 2026-13-01');
  });

  it('knows IANA zones from anything else, and pads years to four digits', () => {
    expect(isValidTimeZone('Asia/Kathmandu')).toBe(true);
    expect(isValidTimeZone('Moon/Base')).toBe(false);
    expect(addDays('0999-12-31', 0)).toBe('0999-12-31');
    expect(addDays('0999-12-31', 1)).toBe('1000-01-01');
  });
});

describe('Function: instantOfLocalTime', () => {
  it.each([
    // zone, date, time, the instant (the earlier of two in an overlap), or undefined in a gap
    ['Europe/Berlin', '2026-10-25', [2, 30], '2026-10-25T00:30:00Z'],
    ['Europe/Berlin', '2026-10-25', [3, 0], '2026-10-25T02:00:00Z'],
    ['Europe/Berlin', '2026-03-29', [2, 30], undefined],
    ['Europe/Berlin', '2026-03-29', [3, 0], '2026-03-29T01:00:00Z'],
    ['America/New_York', '2026-11-01', [1, 30], '2026-11-01T05:30:00Z'],
    ['America/New_York', '2026-03-08', [2, 0], undefined],
    ['Australia/Lord_Howe', '2026-04-05', [1, 45], '2026-04-04T14:45:00Z'],
    ['Australia/Lord_Howe', '2026-10-04', [2, 15], undefined],
    ['Australia/Lord_Howe', '2026-10-04', [2, 30], '2026-10-03T15:30:00Z'],
    ['Asia/Kolkata', '2026-03-29', [2, 30], '2026-03-28T21:00:00Z'],
    ['America/Havana', '2026-03-08', [0, 0], undefined],
  ] as const)('%s %s %j is %s', (zone, date, [h, m], instant) => {
    expect(instantOfLocalTime(date, h, m, 0, zone)).toBe(instant === undefined ? undefined : at(instant));
  });
});

describe('Function: canonicalTimeZone', () => {
  it('gives the IANA name of a place in its case, and nothing for offsets and abbreviations', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('ASIA/KOLKATA')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('america/argentina/buenos_aires')).toBe('America/Argentina/Buenos_Aires');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    for (const zone of [
      '+02:00',
      '-0500',
      'Etc/GMT+5',
      'EST',
      'MST',
      'HST',
      'CET',
      'EST5EDT',
      'US/Eastern',
      'Moon/Base',
    ]) {
      expect(canonicalTimeZone(zone)).toBeUndefined();
    }
  });
});
