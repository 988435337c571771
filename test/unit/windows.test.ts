import { describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import { digestPeriod } from '../../functions/report/core/windows';

const at = (iso: string) => Date.parse(iso) / 1000;
const hours = (w: { start: number; end: number }) => (w.end - w.start) / 3600;
const local = (date: string, zone: string) => localDayWindow(date, zone).start;

describe('Function: digestPeriod', () => {
  describe('weekly', () => {
    it('covers the Monday-to-Monday week before the run, compared with the week before, across the end of DST', () => {
      // Monday 2 Nov 2026, 07:00 in Berlin; clocks went back on Sunday 25 Oct.
      const period = digestPeriod('weekly', at('2026-11-02T06:00:00Z'), 'Europe/Berlin');
      expect(period.key).toBe('weekly:2026-10-26');
      expect(period.window).toEqual({
        start: local('2026-10-26', 'Europe/Berlin'),
        end: local('2026-11-02', 'Europe/Berlin'),
      });
      expect(hours(period.window)).toBe(168);
      expect(period.trendWindows).toEqual([
        { start: local('2026-10-19', 'Europe/Berlin'), end: local('2026-10-26', 'Europe/Berlin') },
      ]);
      expect(hours(period.trendWindows[0] as { start: number; end: number })).toBe(169);
    });

    it('reports the last whole week whatever day it runs', () => {
      for (const iso of ['2026-11-04T12:00:00Z', '2026-11-08T22:00:00Z']) {
        expect(digestPeriod('weekly', at(iso), 'Europe/Berlin').key).toBe('weekly:2026-10-26');
      }
    });

    it('takes the week in the report zone: Sunday evening in New York is Monday in Kolkata', () => {
      const sundayNight = at('2026-11-09T01:00:00Z');
      expect(digestPeriod('weekly', sundayNight, 'America/New_York').key).toBe('weekly:2026-10-26');
      expect(digestPeriod('weekly', sundayNight, 'Asia/Kolkata').key).toBe('weekly:2026-11-02');
    });
  });

  describe('monthly', () => {
    it('covers the calendar month before the run, compared with the month before, across the start of DST', () => {
      // 1 Apr 2027, 07:00 in Berlin; clocks went forward on Sunday 28 Mar.
      const period = digestPeriod('monthly', at('2027-04-01T05:00:00Z'), 'Europe/Berlin');
      expect(period.key).toBe('monthly:2027-03');
      expect(period.window).toEqual({
        start: local('2027-03-01', 'Europe/Berlin'),
        end: local('2027-04-01', 'Europe/Berlin'),
      });
      expect(hours(period.window)).toBe(31 * 24 - 1);
      expect(period.trendWindows).toEqual([
        { start: local('2027-02-01', 'Europe/Berlin'), end: local('2027-03-01', 'Europe/Berlin') },
      ]);
    });

    it('wraps the year: the January run reports December, compared with November', () => {
      const period = digestPeriod('monthly', at('2027-01-01T12:00:00Z'), 'UTC');
      expect(period.key).toBe('monthly:2026-12');
      expect(period.window).toEqual({ start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
      expect(period.trendWindows[0]).toEqual({
        start: at('2026-11-01T00:00:00Z'),
        end: at('2026-12-01T00:00:00Z'),
      });
    });
  });

  describe('daily', () => {
    it('covers the local day before, with the 7 days before it, oldest first', () => {
      const period = digestPeriod('daily', at('2026-11-23T06:00:00Z'), 'Europe/Berlin');
      expect(period.key).toBe('daily:2026-11-22');
      expect(period.window).toEqual(localDayWindow('2026-11-22', 'Europe/Berlin'));
      expect(period.trendWindows).toHaveLength(7);
      expect(period.trendWindows[0]).toEqual(localDayWindow('2026-11-15', 'Europe/Berlin'));
      expect(period.trendWindows[6]).toEqual(localDayWindow('2026-11-21', 'Europe/Berlin'));
    });
  });
});
