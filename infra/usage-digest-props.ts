import type { DigestKind } from '../functions/report/core/windows';
import { nearestKey } from './nearest-key';
import {
  checkSettings,
  formatPath,
  type ReportSettings,
  SettingsError,
  type SettingsNaming,
  settingKeysAt,
} from './settings';

/** A team's digest: its projects only, to its own recipients and channels. */
export interface UsageDigestRoute {
  /** The team, e.g. `payments`; part of its digests' delivery records. */
  readonly name: string;
  /** The OpenAI project ids the team owns. */
  readonly projectIds: readonly string[];
  /** Who receives the team's digest by email. @default no email, only the route's channels */
  readonly recipients?: readonly string[];
  /**
   * The team's own monthly budget in USD (above 0), against the sum of its projects' spend; its
   * digest shows the runway to it.
   * @default none
   */
  readonly monthlyBudgetUsd?: number;
  /** @default none */
  readonly slack?: SlackChannel;
  /** @default none */
  readonly teams?: TeamsChannel;
  /** @default none */
  readonly webhook?: WebhookChannel;
}

/** Monthly budgets of your own in USD (each above 0), which OpenAI never sees. */
export interface UsageDigestBudgets {
  /** The organization's, over all its projects and line items. @default none */
  readonly organizationUsd?: number;
  /** By OpenAI project id, e.g. `{ proj_abc: 200 }`; any number of projects. @default none */
  readonly projects?: Readonly<Record<string, number>>;
}

/**
 * Every daily digest's numbers kept as Parquet in an S3 bucket of the construct's own, with a Glue
 * table (partition projection on `date`) and an Athena workgroup to query them (docs/history.md).
 */
export interface UsageDigestHistory {
  /**
   * Days each day's file is kept (S3 lifecycle expiry, at least 1); an overwritten version is
   * kept 7 days more, to undo a bad backfill.
   */
  readonly retentionDays: number;
}

/** Slack through an incoming webhook; its URL is a credential, so only the secret's name is given. */
export interface SlackChannel {
  /** Secrets Manager secret holding the webhook URL (plain, or JSON `{"url": …}`). */
  readonly webhookSecretName: string;
}

/** Microsoft Teams through a Workflows webhook ("when a Teams webhook request is received"). */
export interface TeamsChannel {
  /** Secrets Manager secret holding the workflow's URL. */
  readonly webhookSecretName: string;
}

/** A signed HTTPS POST of the result JSON (`X-Usage-Digest-Signature: sha256=…`). */
export interface WebhookChannel {
  /** Where to POST; https only. */
  readonly url: string;
  /** Secrets Manager secret holding the HMAC-SHA256 signing key. */
  readonly signingSecretName: string;
}

/** Everything a UsageDigest is built from; the same rules as the settings file, prop by prop. */
export interface UsageDigestProps {
  /** From address: an SES identity (the address or its domain) verified in the stack's region. */
  readonly sender: string;
  /** Who receives the organization's digest. */
  readonly recipients: readonly string[];
  /** IANA time zone of the schedules and of the report days. @default 'UTC' */
  readonly timeZone?: string;
  /** Local hour the digests run (refused if daylight saving skips it on some day). @default 7 */
  readonly scheduleHour?: number;
  /** Scheduled digests: daily, weekly (Mondays), monthly (the 1st). @default ['daily'] */
  readonly digests?: readonly DigestKind[];
  /** A digest per team, of its projects only, from the same fetch. @default none */
  readonly routes?: readonly UsageDigestRoute[];
  /** Post the organization's digest to Slack. @default none */
  readonly slack?: SlackChannel;
  /** Post the organization's digest to Teams. @default none */
  readonly teams?: TeamsChannel;
  /** POST the organization's result, signed, to an HTTPS endpoint. @default none */
  readonly webhook?: WebhookChannel;
  /** A spike: sessions at least this many times the 7-day mean. @default 3 */
  readonly unusualFactor?: number;
  /** …and this many above it; also the floor for a new project. @default 50 */
  readonly unusualMinSessions?: number;
  /** Flag a project whose day's code interpreter cost reaches this (USD). @default off */
  readonly alertCostUsd?: number;
  /** Send the daily digest only on days with something unusual. @default false */
  readonly quiet?: boolean;
  /**
   * Monthly budgets of your own, shown with their runway beside OpenAI's hard spend limits; they
   * travel in the function's bundle (budgets.json), so thousands of projects are fine.
   * @default none
   */
  readonly budgets?: UsageDigestBudgets;
  /**
   * The fraction (above 0, at most 1) of a hard limit or budget at which the month's forecast warns.
   * @default 0.8
   */
  readonly budgetWarnAt?: number;
  /**
   * Keep every scheduled daily digest's numbers in S3 for Athena: a bucket (kept on destroy), a
   * Glue table and an Athena workgroup; the function may only put objects under `daily/`.
   * @default off
   */
  readonly history?: UsageDigestHistory;
  /** Secrets Manager name of the OpenAI organization admin key. @default 'openai/admin-key' */
  readonly secretName?: string;
  /** The customer managed KMS key of that secret, if not the AWS managed one. @default the AWS managed key */
  readonly secretKmsKeyArn?: string;
  /** Subscribed by email to the alarms. @default no subscription */
  readonly alarmEmail?: string;
  /** Create the sender's SES identity (SES mails a link to verify it). @default false */
  readonly createSenderIdentity?: boolean;
  /** The verified identity the sender belongs to: the address or its domain. @default the sender */
  readonly senderIdentity?: string;
  /** The account is in the SES sandbox: authorize sending to each recipient identity too. @default false */
  readonly sesSandbox?: boolean;
  /** Domains a manual invoke may mail. @default the recipients' domains */
  readonly allowedRecipientDomains?: readonly string[];
  /** `YYYY-MM-DD` the daylight-saving check of `scheduleHour` starts from. @default today */
  readonly today?: string;
}

/** Prop names where they differ from the settings file's keys. */
const PROP_NAMES: Readonly<Record<string, string>> = { timezone: 'timeZone', project_ids: 'projectIds' };

/** Settings of the file that are no prop, and what to do instead. */
const FILE_ONLY: Readonly<Record<string, string>> = {
  $schema: 'only the settings file names its JSON Schema',
  stackName: 'a setting of the file only: the stack is the one you create the construct in',
};

const propName = (key: string) => PROP_NAMES[key] ?? key;

/** `props.routes[0].projectIds`: a path in the file's spelling, named as the props spell it. */
const propPath = (path: string) => `props.${path.replace(/[\w$]+/g, propName)}`;

/** An unknown prop at `path` (its last part as typed), with the nearest prop or the props beside it. */
function unknownProp(path: readonly PropertyKey[], knownSettings: readonly string[]): string {
  const parent = path.slice(0, -1);
  const key = String(path.at(-1));
  const known = knownSettings.filter((k) => !(k in FILE_ONLY)).map(propName);
  const nearest = key in FILE_ONLY ? undefined : nearestKey(key, known);
  const within = parent.length ? propPath(formatPath(parent)) : 'props';
  const hint =
    FILE_ONLY[key] ??
    (nearest
      ? `did you mean "${nearest}"?`
      : `the props ${parent.length ? `of ${within.slice('props.'.length)} ` : ''}are ${known.join(', ')}`);
  return `${within}.${key} is not a prop of UsageDigest: ${hint}`;
}

/** How the construct's errors name things: by prop (`props.sender`), never by settings file or `-c`. */
const PROPS_NAMING: SettingsNaming = {
  field: propPath,
  unknown: unknownProp,
  missing: (keys) =>
    `${keys.map((k) => propPath(k)).join(' and ')} ${keys.length === 1 ? 'is' : 'are'} required`,
};

/**
 * Validates props with the settings' one schema (the same rules as the file and `-c`); errors
 * name the prop (`props.timeZone: …`), and the file's own keys (`stackName`, `timezone`,
 * `project_ids`) are refused with the prop to use.
 */
export function settingsOfProps(props: UsageDigestProps): ReportSettings {
  const given = props as unknown as Record<string, unknown>;
  const topProps = [...settingKeysAt([]), 'today'];
  const routeProps = settingKeysAt(['routes', 0]);
  for (const key of Object.keys(given)) {
    if (
      !topProps
        .filter((k) => !(k in FILE_ONLY))
        .map(propName)
        .includes(key)
    ) {
      throw new SettingsError(unknownProp([key], topProps));
    }
  }
  if (Array.isArray(given.routes)) {
    given.routes.forEach((route: unknown, i) => {
      for (const key of Object.keys(route ?? {})) {
        if (!routeProps.map(propName).includes(key)) {
          throw new SettingsError(unknownProp(['routes', i, key], routeProps));
        }
      }
    });
  }
  const { timeZone, routes, today, ...rest } = props;
  const file = {
    ...rest,
    ...(timeZone === undefined ? {} : { timezone: timeZone }),
    ...(routes === undefined
      ? {}
      : { routes: routes.map(({ projectIds, ...route }) => ({ ...route, project_ids: projectIds })) }),
  };
  return checkSettings(file, PROPS_NAMING, today);
}

/** The props that build the stack the settings describe (the app's path: file and -c → props). */
export function propsOfSettings(settings: ReportSettings): UsageDigestProps {
  return {
    sender: settings.sender,
    recipients: settings.recipients,
    timeZone: settings.timeZone,
    scheduleHour: settings.scheduleHour,
    digests: settings.digests,
    routes: settings.routes.map(({ project_ids, ...route }) => ({ ...route, projectIds: project_ids })),
    ...settings.channels,
    unusualFactor: settings.unusualFactor,
    unusualMinSessions: settings.unusualMinSessions,
    ...(settings.alertCostUsd === undefined ? {} : { alertCostUsd: settings.alertCostUsd }),
    quiet: settings.quiet,
    budgets: settings.budgets,
    budgetWarnAt: settings.budgetWarnAt,
    ...(settings.history ? { history: settings.history } : {}),
    secretName: settings.secretName,
    ...(settings.secretKmsKeyArn ? { secretKmsKeyArn: settings.secretKmsKeyArn } : {}),
    ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    createSenderIdentity: settings.createSenderIdentity,
    senderIdentity: settings.senderIdentity,
    sesSandbox: settings.sesSandbox,
    allowedRecipientDomains: settings.allowedRecipientDomains,
  };
}
