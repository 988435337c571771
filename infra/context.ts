import { isEmailAddress, parseAllowedDomains, parseRecipients } from '../functions/report/core/event';
import { firstDateWithoutHour, isValidTimeZone } from '../functions/report/core/local-time';

/** What the stack is built from; every field comes from a `-c key=value` context key or cdk.json. */
export interface ReportSettings {
  readonly sender: string;
  readonly recipients: readonly string[];
  /** IANA zone of the schedule and of the report's days. @default UTC */
  readonly timeZone: string;
  /** Local hour (0-23) the report runs. @default 7 */
  readonly scheduleHour: number;
  /** Secrets Manager name of the admin key. @default openai/admin-key */
  readonly secretName: string;
  /** Customer managed key the secret is encrypted with, if not the AWS managed one. */
  readonly secretKmsKeyArn?: string;
  readonly alarmEmail?: string;
  /** Create the sender's SES identity in the stack (it still needs verifying). @default false */
  readonly createSenderIdentity: boolean;
  /** The verified SES identity the sender belongs to: the address itself or its domain. @default the sender */
  readonly senderIdentity: string;
  /** In the SES sandbox, SES also authorizes each recipient's identity. @default false */
  readonly sesSandbox: boolean;
  /** Domains a manual invoke may mail (lower case). @default the domains of `recipients` */
  readonly allowedRecipientDomains: readonly string[];
}

/** Raised for context that cannot build a working stack; the message names the keys. */
export class ContextError extends Error {
  override name = 'ContextError';
}

type Lookup = (key: string) => unknown;

/** Years ahead checked for DST gaps at the schedule hour: zones change their rules rarely. */
const DST_CHECK_DAYS = 2 * 366;

/** Reads and validates the context keys; `today` (YYYY-MM-DD) starts the DST-gap check. */
export function readSettings(lookup: Lookup, today = new Date().toISOString().slice(0, 10)): ReportSettings {
  const text = (key: string): string | undefined => {
    const value = lookup(key);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value).trim();
  };
  const missing = ['sender', 'recipients'].filter((key) => text(key) === undefined);
  if (missing.length) {
    throw new ContextError(
      `missing context ${missing.map((k) => `"${k}"`).join(' and ')}: run cdk synth/deploy with -c sender=reports@example.com -c recipients=a@example.com,b@example.com`,
    );
  }
  const sender = text('sender') as string;
  if (!isEmailAddress(sender))
    throw new ContextError(`context "sender": "${sender}" is not an email address`);
  const recipients = asContextError(() => parseRecipients(text('recipients'), 'recipients'));
  const timeZone = text('timezone') ?? 'UTC';
  if (!isValidTimeZone(timeZone))
    throw new ContextError(`context "timezone": "${timeZone}" is not an IANA time zone`);
  const scheduleHour = Number(text('scheduleHour') ?? 7);
  if (!Number.isInteger(scheduleHour) || scheduleHour < 0 || scheduleHour > 23) {
    throw new ContextError('context "scheduleHour": must be a whole hour from 0 to 23');
  }
  checkScheduleHourExists(scheduleHour, timeZone, today);
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !isEmailAddress(alarmEmail)) {
    throw new ContextError(`context "alarmEmail": "${alarmEmail}" is not an email address`);
  }
  const senderIdentity = text('senderIdentity') ?? sender;
  if (senderIdentity !== sender && sender.split('@')[1]?.toLowerCase() !== senderIdentity.toLowerCase()) {
    throw new ContextError(
      `context "senderIdentity": must be the sender address or its domain, got "${senderIdentity}"`,
    );
  }
  const secretKmsKeyArn = text('secretKmsKeyArn');
  if (
    secretKmsKeyArn !== undefined &&
    !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(secretKmsKeyArn)
  ) {
    throw new ContextError(
      'context "secretKmsKeyArn": must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)',
    );
  }
  const allowedRecipientDomains = asContextError(() =>
    parseAllowedDomains(text('allowedRecipientDomains'), recipients, 'allowedRecipientDomains'),
  );
  return {
    sender,
    recipients,
    allowedRecipientDomains,
    timeZone,
    scheduleHour,
    secretName: text('secretName') ?? 'openai/admin-key',
    ...(secretKmsKeyArn ? { secretKmsKeyArn } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    createSenderIdentity: flag(text('createSenderIdentity'), 'createSenderIdentity'),
    senderIdentity,
    sesSandbox: flag(text('sesSandbox'), 'sesSandbox'),
  };
}

/**
 * EventBridge Scheduler skips a cron time that does not exist on the day (a DST gap: 02:00 on the
 * spring-forward day in most of Europe and North America), and that day's digest with it.
 */
function checkScheduleHourExists(hour: number, timeZone: string, today: string): void {
  const gap = firstDateWithoutHour(hour, timeZone, today, DST_CHECK_DAYS);
  if (gap === undefined) return;
  const safe = [1, -1, 2, -2, 3, -3]
    .map((step) => (hour + step + 24) % 24)
    .find((h) => firstDateWithoutHour(h, timeZone, today, DST_CHECK_DAYS) === undefined);
  throw new ContextError(
    `context "scheduleHour": ${hour}:00 does not exist in ${timeZone} on ${gap} (clocks skip it for daylight saving time), so the schedule would skip that day's digest; choose another hour${safe === undefined ? '' : `, e.g. ${safe}`}`,
  );
}

/** The core's parsers throw InputError (`key: message`); at synth that names the context key. */
function asContextError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ContextError(`context ${(error as Error).message.replace(/^(\w+):/, '"$1":')}`);
  }
}

function flag(value: string | undefined, key: string): boolean {
  if (value === undefined) return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ContextError(`context "${key}": must be true or false`);
}
