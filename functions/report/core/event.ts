import { domainToASCII } from 'node:url';
import { InputError } from '../errors';
import {
  canonicalTimeZone,
  parseLocalDate,
  placeOfTimeZoneAlias,
  resolveLocalTime,
  startOfLocalDay,
  type Window,
} from './local-time';
import { DIGEST_KINDS, type DigestKind, digestPeriod } from './windows';

export { TREND_DAYS } from './windows';

/** SES accepts at most 50 recipients per message. */
const MAX_RECIPIENTS = 50;
/** The longest range a report covers: three years, leap day included. Longer is refused before any request. */
export const MAX_RANGE_DAYS = 1_096;
/** How far ahead of our clock a scheduled `time` may be (clock skew), before it is refused. */
export const MAX_FUTURE_TIME_SECONDS = 5 * 60;

const EMAIL_PATTERN =
  /^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const PROJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const MANUAL_FIELDS = new Set([
  'start_time',
  'end_time',
  'project_ids',
  'recipients',
  'dry_run',
  'timezone',
  'idempotency_key',
]);

/** What one invocation is asked to report, fully validated. */
export interface ReportRequest {
  /** `daily` for scheduled events and `{}` (or the event's `digest`); `range` for a manual start/end. */
  readonly kind: DigestKind | 'range';
  readonly window: Window;
  readonly timeZone: string;
  /** What a digest is compared with, oldest first (digestPeriod); empty for a range. */
  readonly trendWindows: readonly Window[];
  readonly projectIds?: readonly string[];
  readonly recipients: readonly string[];
  /** The event named its own recipients: an ad-hoc email, not the configured digest (no chat, no routes). */
  readonly customRecipients: boolean;
  readonly dryRun: boolean;
  /** Set for daily reports, and for manual ones that pass `idempotency_key`. */
  readonly idempotencyKey?: string;
}

export interface EventDefaults {
  /** Unix seconds; the only clock the core sees. */
  readonly now: number;
  readonly timeZone: string;
  readonly recipients: readonly string[];
  /** Domains a manual `recipients` may name (lower case); undefined: any. */
  readonly allowedRecipientDomains?: readonly string[];
}

/**
 * Turns a Lambda event into a report request, or throws an InputError naming the field.
 * Accepts an EventBridge (Scheduler or rule) event with `time`, `{}`, or a manual range.
 */
export function parseEvent(event: unknown, defaults: EventDefaults): ReportRequest {
  if (event === null || event === undefined) event = {};
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new InputError('event', 'must be a JSON object');
  }
  const fields = event as Record<string, unknown>;
  const timeZone =
    fields.timezone === undefined ? defaults.timeZone : parseTimeZone(fields.timezone, 'timezone');
  const recipients =
    fields.recipients === undefined
      ? [...defaults.recipients]
      : allowedRecipients(parseRecipients(fields.recipients, 'recipients'), defaults.allowedRecipientDomains);
  const projectIds = fields.project_ids === undefined ? undefined : parseProjectIds(fields.project_ids);
  const dryRun = parseOptionalBoolean(fields.dry_run, 'dry_run');
  const manualKey = parseOptionalKey(fields.idempotency_key);
  const shared = {
    timeZone,
    recipients,
    customRecipients: fields.recipients !== undefined,
    dryRun,
    ...(projectIds ? { projectIds } : {}),
  };

  if (fields.start_time !== undefined || fields.end_time !== undefined) {
    for (const key of Object.keys(fields)) {
      if (!MANUAL_FIELDS.has(key)) throw new InputError(key, 'is not a field of a manual report');
    }
    const window = parseRange(fields, timeZone, defaults.now);
    return {
      kind: 'range',
      window,
      trendWindows: [],
      ...shared,
      ...(manualKey ? { idempotencyKey: manualKey } : {}),
    };
  }

  const kind = parseDigestKind(fields.digest);
  let reference = defaults.now;
  if (fields.time !== undefined) {
    reference = parseInstant(fields.time, 'time', timeZone);
    if (reference > defaults.now + MAX_FUTURE_TIME_SECONDS)
      throw new InputError('time', 'is more than 5 minutes in the future');
  } else {
    for (const key of Object.keys(fields)) {
      if (!MANUAL_FIELDS.has(key) && key !== 'digest')
        throw new InputError(key, 'is not a known field (did you mean start_time?)');
    }
  }
  const period = digestPeriod(kind, reference, timeZone);
  return {
    kind,
    window: period.window,
    trendWindows: period.trendWindows,
    ...shared,
    idempotencyKey: manualKey ?? period.key,
  };
}

/** `digest`: which scheduled digest an event asks for; daily when absent. */
function parseDigestKind(value: unknown): DigestKind {
  if (value === undefined) return 'daily';
  if (typeof value === 'string' && (DIGEST_KINDS as readonly string[]).includes(value))
    return value as DigestKind;
  throw new InputError('digest', `must be one of ${DIGEST_KINDS.join(', ')}`);
}

/**
 * Parses a comma list or array of addresses; used for the event, the environment and the CLI.
 * Addresses are trimmed, their domains lower-cased, and repeats (in any case) dropped.
 */
export function parseRecipients(value: unknown, field: string): string[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items)) throw new InputError(field, 'must be a list of email addresses');
  const addresses = items
    .map((item) => (typeof item === 'string' ? item.trim() : item))
    .filter((a) => a !== '');
  if (addresses.length === 0) throw new InputError(field, 'must name at least one email address');
  const unique = new Map<string, string>();
  for (const address of addresses) {
    if (typeof address !== 'string')
      throw new InputError(field, `${JSON.stringify(address)} is not an email address`);
    const normalized = normalizeAddress(address, field);
    // Stryker disable next-line MethodExpression: upper or lower, one case folds repeats the same
    const identity = normalized.toLowerCase();
    if (!unique.has(identity)) unique.set(identity, normalized);
  }
  if (unique.size > MAX_RECIPIENTS) {
    throw new InputError(field, `at most ${MAX_RECIPIENTS} addresses (an SES limit), got ${unique.size}`);
  }
  return [...unique.values()];
}

/** `Name@Example.COM` → `Name@example.com`; refuses what is not an ASCII address, saying how to write it. */
function normalizeAddress(address: string, field: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  // SES takes ASCII addresses only; an internationalised domain goes as punycode.
  if (/[^\x20-\x7e]/.test(address)) {
    const ascii = at > 0 && /^[\x20-\x7e]+$/.test(local) ? domainToASCII(domain) : '';
    throw new InputError(
      field,
      `${JSON.stringify(address)} is not ASCII` +
        (ascii ? `; write its domain as punycode: ${local}@${ascii}` : '; SES sends only to ASCII addresses'),
    );
  }
  const normalized = `${local}@${domain.toLowerCase()}`;
  if (at < 1 || !isEmailAddress(normalized))
    throw new InputError(field, `${JSON.stringify(address)} is not an email address`);
  return normalized;
}

const DOMAIN_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/**
 * The recipient allow-list from a comma list (lower-cased, without repeats), or the recipients'
 * own domains when unset. It must hold every configured recipient. One parser for the stack's
 * settings and the function's environment, so what synth accepts the function accepts too.
 */
export function parseAllowedDomains(
  value: string | undefined,
  recipients: readonly string[],
  field: string,
): string[] {
  if (value === undefined) return [...new Set(recipients.map(domainOf))];
  const domains = [...new Set(value.split(',').map((d) => d.trim().toLowerCase()))].filter(Boolean);
  if (domains.length === 0) throw new InputError(field, 'must name at least one domain');
  const bad = domains.find((d) => !DOMAIN_PATTERN.test(d));
  if (bad !== undefined) throw new InputError(field, `"${bad}" is not a domain`);
  const outside = recipients.filter((r) => !domains.includes(domainOf(r)));
  if (outside.length) {
    throw new InputError(field, `must include the domain of every recipient (${outside.join(', ')})`);
  }
  return domains;
}

/** The domain of an address, lower case. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function allowedRecipients(recipients: string[], allowed?: readonly string[]): string[] {
  if (!allowed) return recipients;
  const outside = recipients.filter((address) => !allowed.includes(domainOf(address)));
  if (outside.length) {
    throw new InputError(
      'recipients',
      `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside the allowed recipient domains (${allowed.join(', ')})`,
    );
  }
  return recipients;
}

export function isEmailAddress(text: string): boolean {
  return text.length <= 254 && EMAIL_PATTERN.test(text);
}

/**
 * A time zone by the one rule of `canonicalTimeZone`: returned as its IANA name (`europe/berlin`
 * is `Europe/Berlin`); offsets, abbreviations (EST) and country aliases (US/Eastern) are refused.
 */
export function parseTimeZone(value: unknown, field: string): string {
  const zone = typeof value === 'string' ? canonicalTimeZone(value) : undefined;
  if (zone !== undefined) return zone;
  const place = typeof value === 'string' ? placeOfTimeZoneAlias(value) : undefined;
  const why =
    typeof value === 'string' && /^[+-]|^Etc\/GMT[+-]|^[A-Z]{3,4}(\d[A-Z]{3})?$/i.test(value.trim())
      ? ': offsets and abbreviations (+02:00, EST, CET) name no place; give the zone of the place'
      : '';
  throw new InputError(
    field,
    `${JSON.stringify(value)} is not an IANA time zone (e.g. Europe/Berlin)${place ? `; did you mean ${place}?` : why}`,
  );
}

export function parseProjectIds(value: unknown, field = 'project_ids'): string[] {
  if (!Array.isArray(value)) throw new InputError(field, 'must be an array of project ids');
  if (value.length === 0) throw new InputError(field, 'must not be empty (omit it to report every project)');
  for (const id of value) {
    if (typeof id !== 'string' || !PROJECT_ID_PATTERN.test(id)) {
      throw new InputError(field, `${JSON.stringify(id)} is not a project id`);
    }
  }
  return [...new Set(value as string[])];
}

function parseRange(fields: Record<string, unknown>, timeZone: string, now: number): Window {
  if (fields.start_time === undefined) throw new InputError('start_time', 'is required with end_time');
  if (fields.end_time === undefined) throw new InputError('end_time', 'is required with start_time');
  const start = parseInstant(fields.start_time, 'start_time', timeZone);
  const end = parseInstant(fields.end_time, 'end_time', timeZone);
  for (const [field, value] of [
    ['start_time', start],
    ['end_time', end],
  ] as const) {
    if (value % 60 !== 0)
      throw new InputError(field, 'must fall on a whole minute (the API has no finer bucket)');
  }
  if (start >= end) throw new InputError('end_time', 'must be after start_time');
  if (end - start > MAX_RANGE_DAYS * 86_400) {
    throw new InputError('end_time', `the range is longer than ${MAX_RANGE_DAYS} days (3 years); split it`);
  }
  if (start > now) throw new InputError('start_time', 'is in the future');
  if (end > Math.ceil(now / 60) * 60) throw new InputError('end_time', 'is in the future');
  return { start, end };
}

const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const DATE_TIME_WITH_OFFSET =
  /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i;

/**
 * Unix seconds, an ISO date (local midnight in `timeZone`), an ISO date-time with an offset, or
 * one without (read as local time in `timeZone`). A date or time that does not exist (2026-02-30,
 * 24:00, an offset of +24:00) is refused with or without an offset. A local time that happens
 * twice, when clocks go back, is its earlier instant (Temporal's `compatible`, RFC 5545); one that
 * never happens, when clocks go forward, is refused naming the field and the change.
 */
export function parseInstant(value: unknown, field: string, timeZone: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new InputError(field, 'must be whole Unix seconds');
    if (value > 10_000_000_000) throw new InputError(field, 'looks like milliseconds; give Unix seconds');
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError(field, 'must be Unix seconds or an ISO-8601 date or date-time');
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) return parseInstant(Number(text), field, timeZone);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    if (!parseLocalDate(text)) throw new InputError(field, `${JSON.stringify(value)} is not a valid date`);
    return startOfLocalDay(text, timeZone);
  }
  const invalid = () => new InputError(field, `${JSON.stringify(value)} is not a valid date-time`);
  const local = LOCAL_DATE_TIME.exec(text);
  const withOffset = local ? null : DATE_TIME_WITH_OFFSET.exec(text);
  const parts = local ?? withOffset;
  if (!parts) throw new InputError(field, `${JSON.stringify(value)} is not an ISO-8601 date or date-time`);
  const [, date, hh, mm, ss, offsetHours, offsetMinutes] = parts as unknown as [
    string,
    string,
    string,
    string,
    string?,
    string?,
    string?,
  ];
  const [hours, minutes, seconds] = [Number(hh), Number(mm), Number(ss ?? 0)];
  if (!parseLocalDate(date) || hours > 23 || minutes > 59 || seconds > 59) throw invalid();
  if (withOffset) {
    // Date.parse would roll 2026-02-30 over to March 2: every part is checked above and here.
    if (Number(offsetHours ?? 0) > 23 || Number(offsetMinutes ?? 0) > 59) throw invalid();
    return Math.floor(Date.parse(text) / 1000);
  }
  const resolved = resolveLocalTime(date, hours, minutes, seconds, timeZone);
  if (resolved.kind === 'skipped') {
    throw new InputError(
      field,
      `${JSON.stringify(value)} does not exist in ${timeZone} (clocks go from ${resolved.clocksFrom} to ${resolved.clocksTo} for daylight saving time); give a time from ${resolved.clocksTo} or one with an offset`,
    );
  }
  return resolved.epochSeconds;
}

function parseOptionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InputError(field, 'must be true or false');
  return value;
}

function parseOptionalKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
    throw new InputError('idempotency_key', 'must be a non-empty string of at most 200 characters');
  }
  return value.trim();
}
