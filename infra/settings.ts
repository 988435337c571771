import { z } from 'zod';
import { webhookUrlProblem } from '../functions/report/config';
import {
  domainOf,
  isEmailAddress,
  parseAllowedDomains,
  parseRecipients,
  parseTimeZone,
} from '../functions/report/core/event';
import { firstDateWithoutHour } from '../functions/report/core/local-time';
import { DEFAULT_BUDGET_WARN_AT } from '../functions/report/core/runway';
import { InputError } from '../functions/report/errors';
import { nearestKey } from './nearest-key';

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

const httpsUrl = z.string({ error: 'must be an https:// URL' }).superRefine((value, context) => {
  const problem = webhookUrlProblem(value);
  if (problem) {
    context.addIssue({
      code: 'custom',
      input: value,
      message: problem.startsWith('must be https') ? 'must be an https:// URL' : problem,
    });
  }
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

/** US dollars, above 0: a cost threshold or a monthly budget. */
const usd = () =>
  z
    .number({ error: 'must be a positive number of US dollars' })
    .positive({ error: 'must be a positive number of US dollars' });

/** An OpenAI project id, as routes and budgets name projects. */
const PROJECT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Monthly budgets of your own, which OpenAI never sees (unlike its hard spend limits). */
const budgets = z
  .object(
    {
      organizationUsd: usd()
        .optional()
        .meta({ description: "The organization's monthly budget in USD (all projects, all line items)." }),
      projects: z
        .record(
          z
            .string()
            .regex(PROJECT_ID, { error: (issue) => `${JSON.stringify(issue.input)} is not a project id` }),
          usd(),
          { error: 'must map project ids to US dollars' },
        )
        .optional()
        .meta({ description: 'Monthly budgets in USD by project id, e.g. {"proj_abc": 200}.' }),
    },
    { error: 'must be an object of organizationUsd and projects' },
  )
  .strict()
  .default({})
  .meta({
    description:
      "Monthly budgets of your own in USD, shown with their runway beside OpenAI's hard limits (BUDGETS_FILE).",
  });

/** Every day's numbers kept in S3 as Parquet, for Athena; off unless given. */
const history = z
  .object(
    {
      retentionDays: z
        .int({ error: 'must be a whole number of days, at least 1' })
        .min(1, { error: 'must be a whole number of days, at least 1' })
        .meta({
          description:
            "How long each day's file is kept (S3 lifecycle expiry, in days from when it was written), e.g. 730.",
        }),
    },
    { error: 'must be an object of retentionDays' },
  )
  .strict()
  .optional()
  .meta({
    description:
      "Keep every daily digest's numbers as Parquet in S3 with a Glue table and an Athena workgroup to query them (docs/history.md). Off by default.",
  });

const route = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, {
        error: 'must be a short name (letters, digits, space, _ . -)',
      })
      .meta({ description: 'The team, e.g. "payments"; part of its digests\' delivery records.' }),
    project_ids: z
      .array(z.string().regex(PROJECT_ID, { error: 'must be project ids' }), {
        error: 'must be project ids',
      })
      .min(1, { error: 'must name at least one project' })
      .meta({ description: 'The projects this team owns: its digest shows only these.' }),
    recipients: z
      .array(z.string())
      .min(1)
      .optional()
      .meta({ description: "Who receives this team's digest by email." }),
    monthlyBudgetUsd: usd()
      .optional()
      .meta({ description: "The team's monthly budget in USD, against the sum of its projects' spend." }),
    ...channelsShape,
  })
  .strict()
  .refine((r) => r.recipients || r.slack || r.teams || r.webhook, {
    error: 'delivers nowhere: give it recipients, slack, teams or webhook',
  })
  // The same rule for editors: JSON Schema has no refinements.
  .meta({ anyOf: ['recipients', 'slack', 'teams', 'webhook'].map((key) => ({ required: [key] })) });

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
    alertCostUsd: usd().optional().meta({
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
    budgets,
    budgetWarnAt: z
      .number({ error: 'must be a fraction above 0 and at most 1' })
      .gt(0, { error: 'must be a fraction above 0 and at most 1' })
      .max(1, { error: 'must be a fraction above 0 and at most 1' })
      .default(DEFAULT_BUDGET_WARN_AT)
      .meta({
        description:
          "Warn when the month's forecast reaches this fraction of a hard limit or budget, e.g. 0.8 (BUDGET_WARN_AT).",
      }),
    history,
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
  /** Monthly budgets of your own (USD), beside OpenAI's hard limits. @default none */
  readonly budgets: BudgetSettings;
  /** A forecast at this fraction of a limit or budget warns. @default 0.8 */
  readonly budgetWarnAt: number;
  /** Every daily digest's numbers kept in S3 for Athena. @default off */
  readonly history?: HistorySettings;
}

/** The history bucket, Glue table and Athena workgroup. */
export interface HistorySettings {
  /** Days each day's Parquet file is kept (S3 lifecycle expiry). */
  readonly retentionDays: number;
}

/** Monthly budgets of your own, in USD. */
export interface BudgetSettings {
  /** The organization's, over all its projects. @default none */
  readonly organizationUsd?: number;
  /** By project id. @default none */
  readonly projects: Readonly<Record<string, number>>;
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
  /** The team's monthly budget (USD), against the sum of its projects' spend. @default none */
  readonly monthlyBudgetUsd?: number;
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

/**
 * How messages name a setting: the settings file and `-c` by key and source, the construct by its
 * props. Paths are in the file's spelling (`routes[0].project_ids`).
 */
export interface SettingsNaming {
  /** The setting at `path`, before ": what is wrong with it". */
  field(path: string): string;
  /** The whole message for an unknown key at `path`; `known` are the valid keys beside it. */
  unknown(path: readonly PropertyKey[], known: readonly string[]): string;
  /** The whole message for required settings that nothing gives. */
  missing(keys: readonly string[]): string;
}

/** Settings keys missing from both sources, so the app can still bootstrap (`cdk bootstrap`). */
export function missingSettings(sources: SettingsSources): string[] {
  const merged = mergeSources(sources).values;
  return REQUIRED_SETTINGS.filter((key) => merged[key] === undefined);
}

/**
 * Reads the settings: the file, overridden key by key by `-c` context, validated with messages
 * naming the key and its source; `today` (YYYY-MM-DD) starts the DST-gap check. Unknown keys are
 * refused in the file, in `-c` and in nested settings, with the nearest valid key.
 */
export function loadSettings(
  sources: SettingsSources,
  today = new Date().toISOString().slice(0, 10),
): ReportSettings {
  const { values, origin } = mergeSources(sources);
  const fileName = sources.fileName ?? SETTINGS_FILE;
  const where = (path: string) => origin.get(path.split(/[.[]/)[0] as string) ?? `in ${fileName}`;
  return checkSettings(
    values,
    {
      field: (path) => `setting "${path}" ${where(path)}`,
      unknown: (path, known) => unknownSettingMessage(path, known, where(formatPath(path))),
      missing: (keys) => missingMessage(keys, fileName),
    },
    today,
  );
}

/**
 * Validates settings in the file's shape against `settingsSchema` and the rules a schema cannot
 * say (DST gaps, the allow-list): the one validation of the file, `-c` and the construct's props.
 */
export function checkSettings(
  values: Readonly<Record<string, unknown>>,
  naming: SettingsNaming,
  today = new Date().toISOString().slice(0, 10),
): ReportSettings {
  const fail = (path: string, message: string): never => {
    throw new SettingsError(`${naming.field(path)}: ${message}`);
  };
  const parsed = settingsSchema.safeParse(values);
  if (!parsed.success) {
    // A mistyped key first, when it is near a valid one: it is why the key it meant is missing
    // (`retentionDay` for `retentionDays`).
    const { issues } = parsed.error;
    const mistyped = issues.find(
      (i) =>
        i.code === 'unrecognized_keys' && nearestKey(String(i.keys[0]), settingKeysAt(i.path)) !== undefined,
    );
    const issue = (mistyped ?? issues[0]) as z.core.$ZodIssue;
    if (issue.code === 'unrecognized_keys') {
      throw new SettingsError(
        naming.unknown([...issue.path, issue.keys[0] as string], settingKeysAt(issue.path)),
      );
    }
    if (issue.code === 'invalid_key') {
      // A record's key at fault: the path ends with the key itself; say what is wrong with it.
      const [inner] = issue.issues;
      return fail(formatPath(issue.path.slice(0, -1)), inner?.message ?? issue.message);
    }
    const path = formatPath(issue.path) || 'settings';
    if (issue.path.length === 1 && values[path] === undefined)
      throw new SettingsError(naming.missing([path]));
    return fail(path, issue.message);
  }
  const s = parsed.data;
  const checked = <T>(path: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof InputError) return fail(path, error.message.slice(`${error.field}: `.length));
      throw error;
    }
  };
  const recipients = checked('recipients', () => parseRecipients(s.recipients, 'recipients'));
  const timeZone = checked('timezone', () => parseTimeZone(s.timezone, 'timezone'));
  const gap = scheduleGap(s.scheduleHour, timeZone, today);
  if (gap) fail('scheduleHour', gap);
  const senderIdentity = s.senderIdentity ?? s.sender;
  if (senderIdentity !== s.sender && s.sender.split('@')[1]?.toLowerCase() !== senderIdentity.toLowerCase()) {
    fail('senderIdentity', `must be the sender address or its domain, got "${senderIdentity}"`);
  }
  const names = s.routes.map((r) => r.name.toLowerCase());
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) fail('routes', `names the route "${repeated}" twice`);
  const routeRecipients = s.routes.map(
    (r, i) =>
      r.recipients && checked(`routes[${i}].recipients`, () => parseRecipients(r.recipients, 'recipients')),
  );
  // Unset, the allow-list is the domains of every configured recipient, the routes' included.
  const allowedRecipientDomains = checked('allowedRecipientDomains', () =>
    parseAllowedDomains(
      s.allowedRecipientDomains?.join(','),
      s.allowedRecipientDomains ? recipients : [...recipients, ...routeRecipients.flatMap((r) => r ?? [])],
      'allowedRecipientDomains',
    ),
  );
  routeRecipients.forEach((list, i) => {
    const outside = (list ?? []).filter((address) => !allowedRecipientDomains.includes(domainOf(address)));
    if (outside.length) {
      fail(
        `routes[${i}].recipients`,
        `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside allowedRecipientDomains (${allowedRecipientDomains.join(', ')})`,
      );
    }
  });
  return {
    stackName: s.stackName,
    sender: s.sender,
    recipients,
    allowedRecipientDomains,
    timeZone,
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
      const recipientsOfRoute = routeRecipients[i];
      return {
        name: r.name,
        project_ids: r.project_ids,
        ...(recipientsOfRoute ? { recipients: recipientsOfRoute } : {}),
        ...(r.monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: r.monthlyBudgetUsd }),
        ...channelsOf(r),
      };
    }),
    budgets: {
      ...(s.budgets.organizationUsd === undefined ? {} : { organizationUsd: s.budgets.organizationUsd }),
      projects: s.budgets.projects ?? {},
    },
    budgetWarnAt: s.budgetWarnAt,
    ...(s.history ? { history: { retentionDays: s.history.retentionDays } } : {}),
  };
}

function channelsOf(source: ChannelSettings): ChannelSettings {
  return {
    ...(source.slack ? { slack: source.slack } : {}),
    ...(source.teams ? { teams: source.teams } : {}),
    ...(source.webhook ? { webhook: source.webhook } : {}),
  };
}

/** `routes[0].slack`: a path as the settings file spells it. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '');
}

type Wrapped = { _zod: { def: Record<string, unknown> & { type: string } } };

/** The keys the schema knows for the object at `path` (`[]`: the settings; `['routes', 0]`: a route). */
export function settingKeysAt(path: readonly PropertyKey[]): string[] {
  let current = settingsSchema as unknown as Wrapped;
  const unwrap = () => {
    for (let def = current._zod.def; ; def = current._zod.def) {
      const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
      if (inner === undefined) return;
      current = inner as Wrapped;
    }
  };
  for (const part of path) {
    unwrap();
    const def = current._zod.def;
    const next =
      def.type === 'array' ? def.element : (def.shape as Record<string, unknown> | undefined)?.[String(part)];
    if (next === undefined) return [];
    current = next as Wrapped;
  }
  unwrap();
  return Object.keys((current._zod.def.shape as object | undefined) ?? {});
}

/** `unknown setting "slack.channel" in …: the keys of "slack" are …`, with the nearest key if one is near. */
function unknownSettingMessage(
  path: readonly PropertyKey[],
  known: readonly string[],
  where: string,
): string {
  const parent = path.slice(0, -1);
  const keys = known.filter((k) => k !== '$schema');
  const nearest = nearestKey(String(path.at(-1)), keys);
  const hint = nearest
    ? `did you mean "${formatPath([...parent, nearest])}"?`
    : parent.length
      ? `the keys of "${formatPath(parent)}" are ${keys.join(', ')}`
      : `the settings are ${keys.join(', ')}`;
  return `unknown setting "${formatPath(path)}" ${where}: ${hint}`;
}

/** What to do about settings no source gives. */
export function missingMessage(keys: readonly string[], fileName = SETTINGS_FILE): string {
  const named = keys.map((k) => `"${k}"`).join(' and ');
  const flags = keys.map(
    (k) => `-c ${k}=${k === 'sender' ? 'digest@example.com' : 'a@example.com,b@example.com'}`,
  );
  return `setting ${named} missing: copy usage-digest.config.example.json to ${fileName} and fill it in, or pass ${flags.join(' ')}`;
}

/**
 * Whether a context key is the CDK's rather than a setting: feature flags (`@aws-cdk/…`), its own
 * keys (`aws:cdk:…`, `aws-cdk:enableDiffNoFail`), cached lookups (`availability-zones:account=…`)
 * all hold a `:` or start with `@`; the plain ones it writes (`acknowledged-issue-numbers`,
 * `cli-telemetry`) are kebab-case. Settings are camelCase identifiers, so a camelCase key that is
 * no setting is a typo, and so is a kebab-case spelling of a setting (`schedule-hour`).
 */
function isCdkContextKey(key: string): boolean {
  if (key === 'config' || key.includes(':') || key.startsWith('@')) return true;
  if (/^[A-Za-z$][A-Za-z0-9$]*$/.test(key)) return false;
  const plain = key.toLowerCase().replace(/[-_]/g, '');
  return !KEYS.some((k) => k.toLowerCase() === plain);
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
  for (const [key, value] of Object.entries(sources.context ?? {})) {
    const [head = key, ...inner] = key.split('.');
    if (inner.length && (KEYS as string[]).includes(head)) {
      if (value === undefined || value === null) continue;
      values[head] = withNested(
        values[head],
        inner,
        typeof value === 'string' ? fromDottedString(value) : value,
      );
      origin.set(head, `from -c ${key}`);
      continue;
    }
    if (inner.length && /^[A-Za-z$][A-Za-z0-9$]*$/.test(head)) {
      // `histroy.retentionDays`: a setting's key mistyped, not one of the CDK's (those hold `:` or `@`).
      throw new SettingsError(unknownSettingMessage([head], KEYS, `from -c ${key}`));
    }
    if (!(KEYS as string[]).includes(key)) {
      if (isCdkContextKey(key)) continue;
      throw new SettingsError(unknownSettingMessage([key], KEYS, `from -c ${key}`));
    }
    if (value === undefined || value === null) continue;
    const setting = key as (typeof KEYS)[number];
    values[setting] = typeof value === 'string' ? fromContextString(setting, value) : value;
    origin.set(setting, `from -c ${setting}`);
  }
  return { values, origin };
}

/**
 * `object` (a setting's object, from the file or an earlier `-c`) with the value at `path` set:
 * `-c history.retentionDays=90` sets one key of a structured setting.
 */
function withNested(object: unknown, path: readonly string[], value: unknown): unknown {
  const [key, ...rest] = path as [string, ...string[]];
  const base =
    typeof object === 'object' && object !== null && !Array.isArray(object)
      ? (object as Record<string, unknown>)
      : {};
  return { ...base, [key]: rest.length ? withNested(base[key], rest, value) : value };
}

/** A dotted key's text: JSON where it parses (a number, true, an object), else the text itself. */
function fromDottedString(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
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
    case 'budgetWarnAt':
      return trimmed === '' ? trimmed : Number(trimmed);
    case 'slack':
    case 'teams':
    case 'webhook':
    case 'routes':
    case 'budgets':
    case 'history':
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
