import type { DigestKind } from '../functions/report/core/windows';
import { loadSettings, type ReportSettings, SettingsError } from './settings';

/** A team's digest: its projects only, to its own recipients and channels. */
export interface UsageDigestRoute {
  /** The team, e.g. `payments`; part of its digests' delivery records. */
  readonly name: string;
  /** The OpenAI project ids the team owns. */
  readonly projectIds: readonly string[];
  /** Who receives the team's digest by email. @default no email, only the route's channels */
  readonly recipients?: readonly string[];
  /** @default none */
  readonly slack?: SlackChannel;
  /** @default none */
  readonly teams?: TeamsChannel;
  /** @default none */
  readonly webhook?: WebhookChannel;
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

/** Prop names where they differ from the settings file's keys, for error messages. */
const PROP_NAMES: Record<string, string> = { timezone: 'timeZone', project_ids: 'projectIds' };

/** Validates props with the settings schema; errors name the prop (`UsageDigestProps "timeZone": …`). */
export function settingsOfProps(props: UsageDigestProps): ReportSettings {
  const { timeZone, routes, today, ...rest } = props;
  const file = {
    ...rest,
    ...(timeZone === undefined ? {} : { timezone: timeZone }),
    ...(routes === undefined
      ? {}
      : { routes: routes.map(({ projectIds, ...route }) => ({ ...route, project_ids: projectIds })) }),
  };
  try {
    return loadSettings({ file, fileName: 'UsageDigestProps' }, today);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    throw new SettingsError(
      error.message
        .replace(
          /^setting "([^"]+)" in UsageDigestProps/,
          (_, key: string) => `UsageDigestProps "${key.replace(/\w+/g, (w) => PROP_NAMES[w] ?? w)}"`,
        )
        .replace(/^unknown setting "([^"]+)" in UsageDigestProps/, 'UsageDigestProps: unknown prop "$1"'),
    );
  }
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
    secretName: settings.secretName,
    ...(settings.secretKmsKeyArn ? { secretKmsKeyArn: settings.secretKmsKeyArn } : {}),
    ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    createSenderIdentity: settings.createSenderIdentity,
    senderIdentity: settings.senderIdentity,
    sesSandbox: settings.sesSandbox,
    allowedRecipientDomains: settings.allowedRecipientDomains,
  };
}
