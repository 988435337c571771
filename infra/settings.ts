import { z } from 'zod';
import { isSecureUrl } from '../functions/report/config';
import {
  isEmailAddress,
  parseAllowedDomains,
  parseRecipients,
  parseTimeZone,
} from '../functions/report/core/event';
import { firstDateWithoutHour } from '../functions/report/core/local-time';
import { InputError } from '../functions/report/errors';

/** The file a deployment's settings live in, next to cdk.json; `-c config=PATH` names another. */
export const SETTINGS_FILE = 'usage-digest.config.json';

/** The JSON Schema editors validate the settings file with, generated from `settingsSchema`. */
export const SCHEMA_FILE = 'usage-digest.schema.json';

const email = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .refine(isEmailAddress, { error: (issue) => `${JSON.stringify(issue.input)} is not an email address` });

const secretName = z
  .string({ error: 'must be a Secrets Manager secret name' })
  .regex(/^[\w/+=.@-]{1,512}$/, { error: 'must be a Secrets Manager secret name' });

const httpsUrl = z.string().refine((value) => URL.canParse(value) && isSecureUrl(new URL(value)), {
  error: 'must be an https:// URL',
});

/** A chat channel posting through an incoming webhook whose URL, a credential, is a secret. */
const chatWebhook = (secretDescription: string, description: string) =>
  z
    .object({ webhookSecretName: secretName.meta({ description: secretDescription }) })
    .strict()
    .optional()
    .meta({ description });

/** Chat and webhook channels; URLs of Slack and Teams are credentials, so only secret names are kept. */
const channelsShape = {
  slack: chatWebhook(
    'Secret holding the Slack incoming-webhook URL.',
    'Post the digest to Slack (Block Kit) through an incoming webhook.',
  ),
  teams: chatWebhook(
    'Secret holding the Teams Workflows webhook URL.',
    'Post the digest to Microsoft Teams (Adaptive Card) through a Workflows webhook.',
  ),
  webhook: z
    .object({
      url: httpsUrl.meta({ description: 'Where to POST the result JSON.' }),
      signingSecretName: secretName.meta({ description: 'Secret holding the HMAC-SHA256 signing key.' }),
    })
    .strict()
    .optional()
    .meta({ description: 'POST the result as signed JSON (X-Usage-Digest-Signature) to an HTTPS endpoint.' }),
};

const route = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, {
        error: 'must be a short name (letters, digits, space, _ . -)',
      })
      .meta({ description: 'The team, e.g. "payments"; part of its digests\' delivery records.' }),
    project_ids: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'must be project ids' }), {
        error: 'must be project ids',
      })
      .min(1, { error: 'must name at least one project' })
      .meta({ description: 'The projects this team owns: its digest shows only these.' }),
    recipients: z
      .array(z.string())
      .min(1)
      .optional()
      .meta({ description: "Who receives this team's digest by email." }),
    ...channelsShape,
  })
  .strict();

/**
 * Every setting of a deployment: the single source of the settings file's JSON Schema, of its
 * validation at synth and of the `-c key=value` overrides (same keys).
 */
export const settingsSchema = z
  .object({
    $schema: z.string().optional().meta({ description: 'The JSON Schema this file follows.' }),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, { error: 'must be a CloudFormation stack name' })
      .default('UsageDigest')
      .meta({ description: 'CloudFormation stack name; give each deployment in an account its own.' }),
    sender: email('the From address').meta({
      description:
        'From address of the digest: an SES identity (the address or its domain) verified in the region.',
    }),
    recipients: z
      .array(z.string(), { error: 'must be a list of email addresses' })
      .min(1, { error: 'must name at least one email address' })
      .meta({ description: 'Who receives the daily digest.' }),
    timezone: z
      .string()
      .default('UTC')
      .meta({ description: 'IANA time zone of the schedule and of the report days, e.g. Europe/Berlin.' }),
    scheduleHour: z
      .int({ error: 'must be a whole hour from 0 to 23' })
      .min(0, { error: 'must be a whole hour from 0 to 23' })
      .max(23, { error: 'must be a whole hour from 0 to 23' })
      .default(7)
      .meta({ description: 'Local hour the digest of the previous day is sent.' }),
    secretName: z
      .string()
      .min(1)
      .default('openai/admin-key')
      .meta({ description: 'Secrets Manager name of the OpenAI organization admin key.' }),
    secretKmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, {
        error: 'must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)',
      })
      .optional()
      .meta({
        description: 'The customer managed KMS key the secret is encrypted with, if not the AWS managed one.',
      }),
    alarmEmail: email('an email address')
      .optional()
      .meta({ description: 'Who is told (by SNS email) when a digest fails or a run errors.' }),
    createSenderIdentity: z.boolean({ error: 'must be true or false' }).default(false).meta({
      description:
        'Create the sender address as an SES identity in the stack (SES then mails a link to verify it).',
    }),
    senderIdentity: z.string().trim().optional().meta({
      description:
        'The verified SES identity the sender belongs to: the address itself or its domain. Default: the sender.',
    }),
    sesSandbox: z.boolean({ error: 'must be true or false' }).default(false).meta({
      description:
        'The account is in the SES sandbox: SES then also checks each recipient identity, so the function may use them too.',
    }),
    allowedRecipientDomains: z
      .array(z.string(), { error: 'must be a list of domains' })
      .optional()
      .meta({ description: "Domains a manual invoke may mail. Default: the recipients' domains." }),
    unusualFactor: z
      .number({ error: 'must be a number above 1' })
      .gt(1, { error: 'must be a number above 1' })
      .default(3)
      .meta({
        description: "A spike: a project's day at least this many times its 7-day mean (UNUSUAL_FACTOR).",
      }),
    unusualMinSessions: z
      .int({ error: 'must be a whole number of sessions, at least 1' })
      .min(1, { error: 'must be a whole number of sessions, at least 1' })
      .default(50)
      .meta({
        description:
          'A spike is also at least this many sessions above the mean; a new project needs this many (UNUSUAL_MIN_SESSIONS).',
      }),
    alertCostUsd: z
      .number({ error: 'must be a positive number of US dollars' })
      .positive({ error: 'must be a positive number of US dollars' })
      .optional()
      .meta({
        description:
          "Flag a project whose day's code interpreter cost reaches this many USD (ALERT_COST_USD). Off by default.",
      }),
    ...channelsShape,
    routes: z.array(route, { error: 'must be a list of routes' }).default([]).meta({
      description:
        'A digest per team: each route receives the digest of its projects only, on its own channels.',
    }),
    digests: z
      .array(z.enum(['daily', 'weekly', 'monthly'], { error: 'must list daily, weekly or monthly' }), {
        error: 'must be a list of daily, weekly, monthly',
      })
      .min(1, { error: 'must name at least one digest' })
      .refine((list) => new Set(list).size === list.length, { error: 'names a digest twice' })
      .default(['daily'])
      .meta({
        description:
          'Which digests are scheduled: daily (the day before), weekly (Mondays: the week before), monthly (the 1st: the month before).',
      }),
    quiet: z
      .boolean({ error: 'must be true or false' })
      .default(false)
      .meta({ description: 'Send the daily digest only on days with something unusual (QUIET).' }),
  })
  .strict();

/** The settings file as a user writes it. */
export type SettingsFile = z.input<typeof settingsSchema>;

/** What the stack is built from, checked and with defaults applied. */
export interface ReportSettings {
  readonly stackName: string;
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
  /** A spike is at least this many times the 7-day mean. @default 3 */
  readonly unusualFactor: number;
  /** …and this many sessions above it; the floor for a new project. @default 50 */
  readonly unusualMinSessions: number;
  /** Flag a project's day at or above this code interpreter cost (USD). @default off */
  readonly alertCostUsd?: number;
  /** Send the daily digest only on days with something unusual. @default false */
  readonly quiet: boolean;
  /** The scheduled digests, each with its own schedule at `scheduleHour`. @default ['daily'] */
  readonly digests: readonly ('daily' | 'weekly' | 'monthly')[];
  /** Chat and webhook channels for the whole organization's digest, beside the email. */
  readonly channels: ChannelSettings;
  /** A digest per team, of its projects only. @default none */
  readonly routes: readonly RouteSettings[];
}

export interface ChannelSettings {
  readonly slack?: { readonly webhookSecretName: string };
  readonly teams?: { readonly webhookSecretName: string };
  readonly webhook?: { readonly url: string; readonly signingSecretName: string };
}

export interface RouteSettings extends ChannelSettings {
  readonly name: string;
  readonly project_ids: readonly string[];
  readonly recipients?: readonly string[];
}

/** Settings that cannot build a working stack; the message names the key and where it came from. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** The settings a deployment needs before anything can be synthesized, beyond bootstrapping. */
export const REQUIRED_SETTINGS = ['sender', 'recipients'] as const;

/** Where the settings come from: the parsed file (if any) and the `-c` context values. */
export interface SettingsSources {
  /** The settings file's parsed JSON, or undefined when there is none. */
  readonly file?: unknown;
  /** How to name the file in messages. @default usage-digest.config.json */
  readonly fileName?: string;
  /** `-c key=value` context values: strings (or values from cdk.json) that override the file. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** Years ahead checked for DST gaps at the schedule hour: zones change their rules rarely. */
const DST_CHECK_DAYS = 2 * 366;

const KEYS = Object.keys(settingsSchema.shape) as (keyof typeof settingsSchema.shape)[];

/** Settings keys missing from both sources, so the app can still bootstrap (`cdk bootstrap`). */
export function missingSettings(sources: SettingsSources): string[] {
  const merged = mergeSources(sources).values;
  return REQUIRED_SETTINGS.filter((key) => merged[key] === undefined);
}

/**
 * Reads the settings: the file, overridden key by key by `-c` context, validated with messages
 * naming the key and its source; `today` (YYYY-MM-DD) starts the DST-gap check.
 */
export function loadSettings(
  sources: SettingsSources,
  today = new Date().toISOString().slice(0, 10),
): ReportSettings {
  const { values, origin } = mergeSources(sources);
  const where = (key: string) =>
    origin.get(key.split(/[.[]/)[0] as string) ?? `in ${sources.fileName ?? SETTINGS_FILE}`;
  const fail = (key: string, message: string): never => {
    throw new SettingsError(`setting "${key}" ${where(key)}: ${message}`);
  };
  const parsed = settingsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] as string;
      throw new SettingsError(
        `unknown setting "${key}" ${where(key)}: the settings are ${KEYS.filter((k) => k !== '$schema').join(', ')}`,
      );
    }
    const key =
      issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('')
        .replace(/^\./, '') || 'settings';
    if (issue.path.length === 1 && values[key] === undefined) {
      throw new SettingsError(missingMessage([key], sources.fileName));
    }
    return fail(key, issue.message);
  }
  const s = parsed.data;
  const checked = <T>(key: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof InputError) return fail(key, error.message.slice(`${error.field}: `.length));
      throw error;
    }
  };
  const recipients = checked('recipients', () => parseRecipients(s.recipients, 'recipients'));
  checked('timezone', () => parseTimeZone(s.timezone, 'timezone'));
  const gap = scheduleGap(s.scheduleHour, s.timezone, today);
  if (gap) fail('scheduleHour', gap);
  const senderIdentity = s.senderIdentity ?? s.sender;
  if (senderIdentity !== s.sender && s.sender.split('@')[1]?.toLowerCase() !== senderIdentity.toLowerCase()) {
    fail('senderIdentity', `must be the sender address or its domain, got "${senderIdentity}"`);
  }
  const names = s.routes.map((r) => r.name.toLowerCase());
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) fail('routes', `names the route "${repeated}" twice`);
  const allowedRecipientDomains = checked('allowedRecipientDomains', () =>
    parseAllowedDomains(s.allowedRecipientDomains?.join(','), recipients, 'allowedRecipientDomains'),
  );
  return {
    stackName: s.stackName,
    sender: s.sender,
    recipients,
    allowedRecipientDomains,
    timeZone: s.timezone,
    scheduleHour: s.scheduleHour,
    secretName: s.secretName,
    ...(s.secretKmsKeyArn ? { secretKmsKeyArn: s.secretKmsKeyArn } : {}),
    ...(s.alarmEmail ? { alarmEmail: s.alarmEmail } : {}),
    createSenderIdentity: s.createSenderIdentity,
    senderIdentity,
    sesSandbox: s.sesSandbox,
    unusualFactor: s.unusualFactor,
    unusualMinSessions: s.unusualMinSessions,
    ...(s.alertCostUsd === undefined ? {} : { alertCostUsd: s.alertCostUsd }),
    quiet: s.quiet,
    digests: s.digests,
    channels: channelsOf(s),
    routes: s.routes.map((r, i) => {
      const routeRecipients =
        r.recipients && checked(`routes[${i}].recipients`, () => parseRecipients(r.recipients, 'recipients'));
      return {
        name: r.name,
        project_ids: r.project_ids,
        ...(routeRecipients ? { recipients: routeRecipients } : {}),
        ...channelsOf(r),
      };
    }),
  };
}

function channelsOf(source: ChannelSettings): ChannelSettings {
  return {
    ...(source.slack ? { slack: source.slack } : {}),
    ...(source.teams ? { teams: source.teams } : {}),
    ...(source.webhook ? { webhook: source.webhook } : {}),
  };
}

/** What to do about settings no source gives. */
export function missingMessage(keys: readonly string[], fileName = SETTINGS_FILE): string {
  const named = keys.map((k) => `"${k}"`).join(' and ');
  const flags = keys.map(
    (k) => `-c ${k}=${k === 'sender' ? 'digest@example.com' : 'a@example.com,b@example.com'}`,
  );
  return `setting ${named} missing: copy usage-digest.config.example.json to ${fileName} and fill it in, or pass ${flags.join(' ')}`;
}

/** The file's values, with each context key on top; strings from `-c` take the key's JSON type. */
function mergeSources(sources: SettingsSources): {
  values: Record<string, unknown>;
  origin: Map<string, string>;
} {
  const file = sources.file ?? {};
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new SettingsError(`${sources.fileName ?? SETTINGS_FILE} must hold a JSON object of settings`);
  }
  const values: Record<string, unknown> = { ...(file as Record<string, unknown>) };
  const origin = new Map<string, string>();
  for (const key of KEYS) {
    const value = sources.context?.[key];
    if (value === undefined || value === null) continue;
    values[key] = typeof value === 'string' ? fromContextString(key, value) : value;
    origin.set(key, `from -c ${key}`);
  }
  return { values, origin };
}

/** `-c` values arrive as text: lists are comma separated, numbers and booleans are spelled out. */
function fromContextString(key: (typeof KEYS)[number], text: string): unknown {
  const trimmed = text.trim();
  switch (key) {
    case 'recipients':
    case 'allowedRecipientDomains':
    case 'digests':
      return trimmed.split(',').map((item) => item.trim());
    case 'scheduleHour':
    case 'unusualFactor':
    case 'unusualMinSessions':
    case 'alertCostUsd':
      return trimmed === '' ? trimmed : Number(trimmed);
    case 'slack':
    case 'teams':
    case 'webhook':
    case 'routes':
      // Structured settings arrive on the command line as JSON.
      try {
        return JSON.parse(trimmed);
      } catch {
        return trimmed;
      }
    case 'createSenderIdentity':
    case 'sesSandbox':
    case 'quiet':
      return trimmed === 'true' ? true : trimmed === 'false' ? false : trimmed;
    default:
      return trimmed === '' ? undefined : trimmed;
  }
}

/**
 * EventBridge Scheduler skips a cron time that does not exist on the day (a DST gap: 02:00 on the
 * spring-forward day in most of Europe and North America), and that day's digest with it.
 */
function scheduleGap(hour: number, timeZone: string, today: string): string | undefined {
  const gap = firstDateWithoutHour(hour, timeZone, today, DST_CHECK_DAYS);
  if (gap === undefined) return undefined;
  const safe = [1, -1, 2, -2, 3, -3]
    .map((step) => (hour + step + 24) % 24)
    .find((h) => firstDateWithoutHour(h, timeZone, today, DST_CHECK_DAYS) === undefined);
  return `${hour}:00 does not exist in ${timeZone} on ${gap} (clocks skip it for daylight saving time), so the schedule would skip that day's digest; choose another hour${safe === undefined ? '' : `, e.g. ${safe}`}`;
}

/** The JSON Schema of the settings file, for editors (`npm run schema` writes it). */
export function settingsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(settingsSchema, { io: 'input' }),
    title: 'usage-digest settings',
    description: `Settings of one usage-digest deployment (${SETTINGS_FILE}); every key can be overridden with cdk -c key=value.`,
  };
}
