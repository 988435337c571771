import { describe, expect, it } from 'vitest';
import { deliveryKey } from '../../functions/report/core/delivery-key';
import { parseEvent, parseInstant, parseRecipients, parseTimeZone } from '../../functions/report/core/event';
import { localDayWindow } from '../../functions/report/core/local-time';

const at = (iso: string) => Date.parse(iso) / 1000;
const defaults = {
  now: at('2026-11-23T07:00:00Z'),
  timeZone: 'Europe/Berlin',
  recipients: ['ops@example.com'],
};

describe('Function: parseEvent', () => {
  it('turns a Scheduler event into the previous local day with seven trend days', () => {
    const request = parseEvent({ time: '2026-11-23T06:00:00Z' }, defaults);
    expect(request.kind).toBe('daily');
    expect(request.window).toEqual(localDayWindow('2026-11-22', 'Europe/Berlin'));
    expect(request.trendWindows).toHaveLength(7);
    expect(request.trendWindows[0]).toEqual(localDayWindow('2026-11-15', 'Europe/Berlin'));
    expect(request.trendWindows[6]).toEqual(localDayWindow('2026-11-21', 'Europe/Berlin'));
    expect(request.recipients).toEqual(['ops@example.com']);
    expect(request.idempotencyKey).toBe('daily:2026-11-22');
    expect(request.dryRun).toBe(false);
  });

  it('reads {} and null as the day before now', () => {
    expect(parseEvent({}, defaults).window).toEqual(localDayWindow('2026-11-22', 'Europe/Berlin'));
    expect(parseEvent(null, defaults).window).toEqual(localDayWindow('2026-11-22', 'Europe/Berlin'));
  });

  it('reads a manual range of dates as local midnights, without trend or idempotency key', () => {
    const request = parseEvent(
      { start_time: '2026-11-01', end_time: '2026-11-08', timezone: 'America/New_York', dry_run: true },
      defaults,
    );
    expect(request).toMatchObject({
      kind: 'range',
      window: { start: at('2026-11-01T04:00:00Z'), end: at('2026-11-08T05:00:00Z') },
      timeZone: 'America/New_York',
      trendWindows: [],
      dryRun: true,
    });
    expect(request.idempotencyKey).toBeUndefined();
  });

  it('keeps an explicit idempotency_key, recipients and project filter', () => {
    const request = parseEvent(
      {
        start_time: 1_793_000_000 - (1_793_000_000 % 60),
        end_time: '2026-11-20T10:30:00Z',
        project_ids: ['proj_a', 'proj_b', 'proj_a'],
        recipients: 'a@example.com, b@example.org',
        idempotency_key: 'backfill-1',
      },
      defaults,
    );
    expect(request.projectIds).toEqual(['proj_a', 'proj_b']);
    expect(request.recipients).toEqual(['a@example.com', 'b@example.org']);
    expect(request.idempotencyKey).toBe('backfill-1');
  });

  it.each([
    [{ start_time: '2026-11-01' }, 'end_time: is required with start_time'],
    [{ end_time: '2026-11-01' }, 'start_time: is required with end_time'],
    [{ start_time: '2026-11-02', end_time: '2026-11-02' }, 'end_time: must be after start_time'],
    [
      { start_time: '2026-11-20T10:00:30Z', end_time: '2026-11-21' },
      'start_time: must fall on a whole minute',
    ],
    [{ start_time: '2026-11-20', end_time: '2026-11-30' }, 'end_time: is in the future'],
    [{ start_time: '2026-02-30', end_time: '2026-03-02' }, 'start_time: "2026-02-30" is not a valid date'],
    [{ start_time: 1.5, end_time: 120 }, 'start_time: must be whole Unix seconds'],
    [{ start_time: '2026-11-01', end_time: '2026-11-02', dry_run: 'yes' }, 'dry_run: must be true or false'],
    [{ start_time: '2026-11-01', end_time: '2026-11-02', project_ids: [] }, 'project_ids: must not be empty'],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', project_ids: ['ok', 'bad id'] },
      'project_ids: "bad id"',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: [] },
      'recipients: must name at least one',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['a@b'] },
      'recipients: "a@b" is not an email',
    ],
    [{ start_time: '2026-11-01', end_time: '2026-11-02', colour: 'red' }, 'colour: is not a field'],
    [{ strat_time: '2026-11-01' }, 'strat_time: is not a known field'],
    [{ start_time: '2023-11-22', end_time: '2026-11-23' }, 'end_time: the range is longer than 1096 days'],
    [{ time: '2026-11-23T07:05:01Z' }, 'time: is more than 5 minutes in the future'],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['cto@elsewhere.example'] },
      'recipients: cto@elsewhere.example is outside the allowed recipient domains (example.com)',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: 'a@x.example,b@y.example' },
      'recipients: a@x.example, b@y.example are outside the allowed recipient domains (example.com)',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['ops@bücher.example'] },
      'recipients: "ops@bücher.example" is not ASCII; write its domain as punycode: ops@xn--bcher-kva.example',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['jürgen@example.com'] },
      'recipients: "jürgen@example.com" is not ASCII; SES sends only to ASCII addresses',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['@example.com'] },
      'recipients: "@example.com" is not an email',
    ],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: [7] },
      'recipients: 7 is not an email address',
    ],
    [[], 'event: must be a JSON object'],
  ])('rejects %j', (event, message) => {
    expect(() => parseEvent(event, { ...defaults, allowedRecipientDomains: ['example.com'] })).toThrow(
      message,
    );
  });

  it('takes a range of exactly 1096 days, and a time up to 5 minutes ahead of the clock', () => {
    const request = parseEvent({ start_time: '2023-11-23', end_time: '2026-11-23' }, defaults);
    expect(request.window.end - request.window.start).toBe(1_096 * 86_400);
    expect(parseEvent({ time: '2026-11-23T07:05:00Z' }, defaults).window).toEqual(
      localDayWindow('2026-11-22', 'Europe/Berlin'),
    );
  });

  it('takes recipients inside the allowed domains, whatever their case', () => {
    const request = parseEvent(
      { start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['CTO@Example.COM'] },
      { ...defaults, allowedRecipientDomains: ['example.com'] },
    );
    expect(request.recipients).toEqual(['CTO@example.com']);
  });
});

describe('Function: parseInstant', () => {
  it('reads local date-times in the zone', () => {
    expect(parseInstant('2026-11-20T10:30', 'f', 'Europe/Berlin')).toBe(at('2026-11-20T09:30:00Z'));
    expect(parseInstant('2026-11-20T10:30:00+05:30', 'f', 'UTC')).toBe(at('2026-11-20T05:00:00Z'));
    expect(parseInstant('1793000000', 'f', 'UTC')).toBe(1_793_000_000);
  });
});

describe('Function: parseInstant, across daylight saving time', () => {
  // A wall-clock time that happens twice (clocks go back) is its earlier instant, as Temporal's
  // "compatible" disambiguation and RFC 5545 resolve it; one that never happens (clocks go
  // forward) is refused, naming the field.
  it.each([
    ['Europe/Berlin', '2026-10-25T02:30', '2026-10-25T00:30:00Z'],
    ['America/New_York', '2026-11-01T01:30', '2026-11-01T05:30:00Z'],
    ['Australia/Lord_Howe', '2026-04-05T01:45', '2026-04-04T14:45:00Z'], // +11:00 -> +10:30
    ['Asia/Kolkata', '2026-10-25T02:30', '2026-10-24T21:00:00Z'], // no DST: every time once
  ])('reads a repeated time in %s (%s) as the earlier instant', (zone, local, instant) => {
    expect(parseInstant(local, 'start_time', zone)).toBe(at(instant));
  });

  it.each([
    ['Europe/Berlin', '2026-03-29T02:30', 'clocks go from 02:00 to 03:00'],
    ['America/New_York', '2026-03-08 02:00', 'clocks go from 02:00 to 03:00'],
    ['Australia/Lord_Howe', '2026-10-04T02:15', 'clocks go from 02:00 to 02:30'],
  ])('refuses a time that %s skips (%s), naming the field', (zone, local, change) => {
    expect(() => parseInstant(local, 'start_time', zone)).toThrow(
      `start_time: "${local}" does not exist in ${zone} (${change} for daylight saving time)`,
    );
  });

  it('takes the minutes around a gap and a :30 zone without one', () => {
    expect(parseInstant('2026-03-29T01:59', 'f', 'Europe/Berlin')).toBe(at('2026-03-29T00:59:00Z'));
    expect(parseInstant('2026-03-29T03:00', 'f', 'Europe/Berlin')).toBe(at('2026-03-29T01:00:00Z'));
    expect(parseInstant('2026-03-29T02:30', 'f', 'Asia/Kolkata')).toBe(at('2026-03-28T21:00:00Z'));
    expect(parseInstant('2026-10-04T02:30', 'f', 'Australia/Lord_Howe')).toBe(at('2026-10-03T15:30:00Z'));
  });

  it('refuses a gap in a manual range, naming start_time or end_time', () => {
    expect(() =>
      parseEvent(
        { start_time: '2026-03-29T02:30', end_time: '2026-03-30' },
        { ...defaults, now: at('2026-04-01T00:00:00Z') },
      ),
    ).toThrow('start_time: "2026-03-29T02:30" does not exist in Europe/Berlin');
  });
});

describe('Function: parseInstant, impossible dates', () => {
  it.each([
    ['2026-02-30T00:00Z'],
    ['2026-02-30T00:00:00+02:00'],
    ['2026-13-01T00:00+02:00'],
    ['2026-02-29T10:00:00Z'],
    ['2026-04-31T10:00:00.5Z'],
    ['2026-11-20T24:00Z'],
    ['2026-11-20T10:60+01:00'],
    ['2026-11-20T10:30+24:00'],
  ])('refuses %s, with an offset as without', (value) => {
    expect(() => parseInstant(value, 'start_time', 'UTC')).toThrow(
      `start_time: "${value}" is not a valid date-time`,
    );
  });

  it('takes the last day of February in a leap year, with an offset', () => {
    expect(parseInstant('2028-02-29T23:00-01:00', 'f', 'UTC')).toBe(at('2028-03-01T00:00:00Z'));
  });
});

describe('Function: parseTimeZone', () => {
  it.each([
    ['europe/berlin', 'Europe/Berlin'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['australia/lord_howe', 'Australia/Lord_Howe'],
    ['antarctica/mcmurdo', 'Antarctica/McMurdo'],
    ['UTC', 'UTC'],
    ['Etc/UTC', 'UTC'],
  ])('takes %s as %s', (zone, name) => {
    expect(parseTimeZone(zone, 'timezone')).toBe(name);
    expect(parseEvent({ timezone: zone }, defaults).timeZone).toBe(name);
  });

  it.each([
    ['+02:00', 'offsets and abbreviations'],
    ['Etc/GMT-2', 'offsets and abbreviations'],
    ['EST', 'offsets and abbreviations'],
    ['MST', 'offsets and abbreviations'],
    ['HST', 'offsets and abbreviations'],
    ['EST5EDT', 'offsets and abbreviations'],
    ['US/Eastern', 'did you mean America/New_York?'],
  ])('refuses %s, which names no place', (zone, why) => {
    expect(() => parseEvent({ timezone: zone }, defaults)).toThrow(
      `timezone: "${zone}" is not an IANA time zone (e.g. Europe/Berlin)`,
    );
    expect(() => parseTimeZone(zone, 'timezone')).toThrow(why);
  });
});

describe('Function: parseRecipients', () => {
  it('caps the list at the SES limit of 50', () => {
    const many = Array.from({ length: 51 }, (_, i) => `user${i}@example.com`);
    expect(() => parseRecipients(many, 'recipients')).toThrow('at most 50 addresses (an SES limit), got 51');
    expect(parseRecipients(many.slice(0, 50), 'recipients')).toHaveLength(50);
  });

  it('trims, lower-cases domains and drops repeats in any case, keeping the first spelling', () => {
    expect(parseRecipients(' Ops@Example.COM, ops@example.com ,OPS@EXAMPLE.com,b@example.org', 'r')).toEqual([
      'Ops@example.com',
      'b@example.org',
    ]);
    // 51 spellings of 50 addresses are 50 recipients
    const many = [...Array.from({ length: 50 }, (_, i) => `user${i}@example.com`), 'USER0@example.com'];
    expect(parseRecipients(many, 'r')).toHaveLength(50);
  });
});

describe('Function: deliveryKey', () => {
  const daily = (event: Record<string, unknown>) =>
    deliveryKey(parseEvent({ time: '2026-11-23T06:00:00Z', ...event }, defaults));

  it('differs for a filtered run of the same day, so it never stands in for the full digest', () => {
    expect(daily({ project_ids: ['proj_a'] })).not.toEqual(daily({}));
    expect(daily({ project_ids: ['proj_a'] })).toMatchObject({ project_ids: ['proj_a'] });
    expect(daily({})).toMatchObject({ project_ids: null });
  });

  it('is the same for the same emails: filter order, recipient case, spacing and repeats aside', () => {
    expect(daily({ project_ids: ['proj_b', 'proj_a'], recipients: 'B@Example.com, a@example.com' })).toEqual(
      daily({
        project_ids: ['proj_a', 'proj_b'],
        recipients: ['a@EXAMPLE.com', 'b@example.com', 'A@example.com'],
      }),
    );
  });

  it('covers kind, report, window, zone and recipients', () => {
    expect(daily({})).toEqual({
      kind: 'daily',
      report: 'daily:2026-11-22',
      ...{ start_time: at('2026-11-21T23:00:00Z'), end_time: at('2026-11-22T23:00:00Z') },
      time_zone: 'Europe/Berlin',
      project_ids: null,
      recipients: ['ops@example.com'],
    });
    expect(daily({ timezone: 'UTC' })).toMatchObject({
      time_zone: 'UTC',
      start_time: at('2026-11-22T00:00:00Z'),
    });
  });

  it('is absent for a manual range without idempotency_key', () => {
    expect(
      deliveryKey(parseEvent({ start_time: '2026-11-01', end_time: '2026-11-02' }, defaults)),
    ).toBeUndefined();
    expect(
      deliveryKey(
        parseEvent({ start_time: '2026-11-01', end_time: '2026-11-02', idempotency_key: 'k' }, defaults),
      ),
    ).toMatchObject({ kind: 'range', report: 'k' });
  });
});

describe('Function: parseEvent, at its edges', () => {
  const now = defaults.now;
  it.each([
    ['a string event', 'yesterday', 'event: must be a JSON object'],
    [
      'a bad zone',
      { timezone: 'Moon/Base' },
      'timezone: "Moon/Base" is not an IANA time zone (e.g. Europe/Berlin)',
    ],
    ['a zone that is no string', { timezone: 5 }, 'timezone: 5 is not an IANA time zone'],
    ['a bad time', { time: 'yesterday' }, 'time: "yesterday" is not an ISO-8601 date or date-time'],
    ['recipients that are no list', { recipients: 5 }, 'recipients: must be a list of email addresses'],
    [
      'project_ids that are no array',
      { project_ids: 'proj_a' },
      'project_ids: must be an array of project ids',
    ],
    ['a project id that is no string', { project_ids: [5] }, 'project_ids: 5 is not a project id'],
    ['a start in the future', { start_time: now + 60, end_time: now + 120 }, 'start_time: is in the future'],
    ['a start at now', { start_time: now, end_time: now + 60 }, 'end_time: is in the future'],
    [
      'an idempotency_key that is no string',
      { idempotency_key: 5 },
      'idempotency_key: must be a non-empty string',
    ],
    ['a blank idempotency_key', { idempotency_key: '  ' }, 'idempotency_key: must be a non-empty string'],
    ['a 201-character idempotency_key', { idempotency_key: 'k'.repeat(201) }, 'of at most 200 characters'],
    [
      'an address without @',
      { recipients: ['bob.example.com'] },
      'recipients: "bob.example.com" is not an email address',
    ],
    [
      'an address without local part',
      { recipients: ['@bücher.example'] },
      'is not ASCII; SES sends only to ASCII addresses',
    ],
    ['an address in brackets', { recipients: ['<a@example.com>'] }, 'is not an email address'],
    ['a domain ending in a hyphen', { recipients: ['a@example-.com'] }, 'is not an email address'],
    [
      'a 255-character address',
      { recipients: [`${'a'.repeat(243)}@example.com`] },
      'is not an email address',
    ],
  ])('rejects %s', (_, event, message) => {
    expect(() => parseEvent(event, defaults)).toThrow(message);
  });

  it('reads undefined as {}, and takes known fields without a time as the day before now', () => {
    expect(parseEvent(undefined, defaults).window).toEqual(localDayWindow('2026-11-22', 'Europe/Berlin'));
    const request = parseEvent({ project_ids: ['proj_a'], dry_run: true, idempotency_key: ' k ' }, defaults);
    expect(request).toMatchObject({
      kind: 'daily',
      projectIds: ['proj_a'],
      dryRun: true,
      idempotencyKey: 'k',
    });
  });

  it('takes a range that ends at now, an address of 254 characters and a key of 200', () => {
    const address = `${'a'.repeat(242)}@example.com`;
    const request = parseEvent(
      { start_time: now - 3600, end_time: now, recipients: [address], idempotency_key: 'k'.repeat(200) },
      defaults,
    );
    expect(request.window).toEqual({ start: now - 3600, end: now });
    expect(request.recipients).toEqual([address]);
  });
});

describe('Function: parseInstant, at its edges', () => {
  it.each([
    [0, 0],
    [10_000_000_000, 10_000_000_000],
    [' 2026-11-20 ', at('2026-11-20T00:00:00Z')],
    ['2026-11-20T23:59:59', at('2026-11-20T23:59:59Z')],
    ['2026-11-20 10:30', at('2026-11-20T10:30:00Z')],
    ['2026-11-20T10:30:00.5Z', at('2026-11-20T10:30:00Z')],
    ['2026-11-20T10:30:00+0530', at('2026-11-20T05:00:00Z')],
    ['2026-11-20T10:30-01:00', at('2026-11-20T11:30:00Z')],
  ])('reads %j', (value, expected) => {
    expect(parseInstant(value, 'f', 'UTC')).toBe(expected);
  });

  it.each([
    [-60, 'f: must be whole Unix seconds'],
    [10_000_000_001, 'f: looks like milliseconds; give Unix seconds'],
    ['   ', 'f: must be Unix seconds or an ISO-8601 date or date-time'],
    [true, 'f: must be Unix seconds or an ISO-8601 date or date-time'],
    ['2026-11-20T24:00', 'f: "2026-11-20T24:00" is not a valid date-time'],
    ['2026-11-20T10:60', 'is not a valid date-time'],
    ['2026-11-20T10:30:60', 'is not a valid date-time'],
    ['2026-02-30T10:00', 'is not a valid date-time'],
    ['x2026-11-20T10:30', 'is not an ISO-8601 date or date-time'],
    ['2026-11-20T10:30:5', 'is not an ISO-8601 date or date-time'],
    ['2026-11-20T10:30:00.Z', 'is not an ISO-8601 date or date-time'],
    ['x2026-11-20T10:30:00Z', 'is not an ISO-8601 date or date-time'],
    ['2026-11-20T10:30:00Zx', 'is not an ISO-8601 date or date-time'],
    ['2026-11-20T10:30:00+05:3', 'is not an ISO-8601 date or date-time'],
  ])('rejects %j', (value, message) => {
    expect(() => parseInstant(value, 'f', 'UTC')).toThrow(message);
  });
});

describe('Function: parseEvent, scheduled digests', () => {
  it('reads { digest, time } as the weekly or monthly digest, keyed by kind and period', () => {
    const weekly = parseEvent({ digest: 'weekly', time: '2026-11-23T06:00:00Z' }, defaults);
    expect(weekly).toMatchObject({ kind: 'weekly', idempotencyKey: 'weekly:2026-11-16' });
    const monthly = parseEvent({ digest: 'monthly', time: '2026-11-01T06:00:00Z' }, defaults);
    expect(monthly).toMatchObject({ kind: 'monthly', idempotencyKey: 'monthly:2026-10' });
    expect(parseEvent({ digest: 'daily', time: '2026-11-23T06:00:00Z' }, defaults).kind).toBe('daily');
    // The same period under two kinds never shares a delivery record.
    expect(deliveryKey(weekly)?.kind).toBe('weekly');
  });

  it.each([['yearly'], [7], [null]])('refuses digest %j, naming the field', (digest) => {
    expect(() => parseEvent({ digest, time: '2026-11-23T06:00:00Z' }, defaults)).toThrow(
      'digest: must be one of daily, weekly, monthly',
    );
  });
});
