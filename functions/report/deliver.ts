import type { Context } from 'aws-lambda';
import type { Mailer } from './adapters/mailer';
import { signingKeyOf, webhookUrlOf } from './adapters/secret-text';
import type { SendOnce } from './adapters/send-once';
import type { Channel, DigestContent } from './channels/channel';
import { createEmailChannel } from './channels/email';
import { createSlackChannel } from './channels/slack';
import { createTeamsChannel } from './channels/teams';
import { createWebhookChannel } from './channels/webhook';
import type { ChannelsConfig, ReportConfig } from './config';
import { type DeliveryKey, deliveryKey } from './core/delivery-key';
import type { ReportRequest } from './core/event';
import type { ReportResult, Trend } from './core/report';
import { DeliveryError, errorSummary } from './errors';
import type { ReportLogger } from './run-report';

/** Who a digest goes to: the whole organization, or one route (a team and its projects). */
interface Audience {
  /** Undefined for the organization's digest, whose records keep the key they always had. */
  readonly route?: string;
  readonly content: DigestContent;
  readonly recipients: readonly string[];
  readonly channels: ChannelsConfig;
}

export interface DeliveryDeps {
  readonly logger: ReportLogger & { error(message: string, ...extra: Record<string, unknown>[]): void };
  readonly mailer: (sender: string) => Mailer;
  readonly readSecret: (secretId: string) => Promise<string>;
  readonly now: () => number;
}

/** What the handler computed, and the same report over a route's projects (no new fetch). */
export interface Deliverable {
  readonly content: DigestContent;
  forProjects(projectIds: readonly string[]): { readonly result: ReportResult; readonly trend?: Trend };
}

/**
 * Sends a digest to every audience on every channel, each (audience, channel) under its own
 * delivery record, so a retry sends only what did not go out. Every channel is tried; if any
 * failed the run ends in an error naming them (Lambda retries, the alarm fires). On a QUIET day
 * an audience with nothing unusual gets nothing.
 */
export async function deliverDigest(
  request: ReportRequest,
  digest: Deliverable,
  config: ReportConfig,
  context: Context,
  deps: DeliveryDeps,
  sendOnce?: SendOnce,
): Promise<void> {
  const failures: Error[] = [];
  const key = deliveryKey(request);
  for (const audience of audiencesOf(request, digest, config)) {
    if (config.quiet && request.kind === 'daily' && audience.content.report.unusual?.length === 0) {
      deps.logger.info('quiet: nothing unusual', { route: audience.route ?? null });
      continue;
    }
    for (const open of channelsOf(audience, config, deps)) {
      try {
        const channel = await open();
        const payload = channel.render(audience.content);
        const send = () => channel.send(payload);
        const detail = {
          ...(audience.route ? { route: audience.route } : {}),
          ...(channel.name === 'email'
            ? { recipients: audience.recipients.length, subject: (payload as { subject: string }).subject }
            : {}),
        };
        if (!sendOnce || !key) {
          deps.logger.info(`${channel.name} sent`, { message_id: await send(), ...detail });
          continue;
        }
        const outcome = await sendOnce(keyFor(key, audience, channel.name), context, send);
        deps.logger.info(
          outcome.status === 'sent'
            ? `${channel.name} sent`
            : `${channel.name} not sent again: duplicate delivery`,
          { delivery: outcome.status, message_id: outcome.messageId, ...detail },
        );
      } catch (error) {
        failures.push(error as Error);
        deps.logger.error('delivery failed on a channel', {
          route: audience.route ?? null,
          error: errorSummary(error),
        });
      }
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new DeliveryError(failures);
}

/** The organization's digest, then one per route; ad-hoc emails (own recipients, a filter, a range) go alone. */
function audiencesOf(request: ReportRequest, digest: Deliverable, config: ReportConfig): Audience[] {
  const whole: Audience = { content: digest.content, recipients: request.recipients, channels: {} };
  if (request.customRecipients || request.projectIds || request.kind === 'range') return [whole];
  return [
    { ...whole, channels: config.channels },
    ...config.routes.map((route) => {
      const { result, trend } = digest.forProjects(route.projectIds);
      return {
        route: route.name,
        content: { ...digest.content, report: result, ...(trend ? { trend } : {}) },
        recipients: route.recipients,
        channels: route.channels,
      };
    }),
  ];
}

/** The email key stays as it always was for the organization; routes and chat channels add theirs. */
function keyFor(key: DeliveryKey, audience: Audience, channel: Channel['name']): DeliveryKey {
  return {
    ...key,
    ...(audience.route
      ? {
          route: audience.route,
          recipients: [...new Set(audience.recipients.map((r) => r.toLowerCase()))].sort(),
        }
      : {}),
    ...(channel === 'email' ? {} : { channel }),
  };
}

/** An audience's channels, each opened (its secret read) only when its turn comes. */
function channelsOf(
  audience: Audience,
  config: ReportConfig,
  deps: DeliveryDeps,
): (() => Promise<Channel>)[] {
  const url = async (secretId: string) => webhookUrlOf(await deps.readSecret(secretId), secretId);
  const channels: (() => Promise<Channel>)[] = [];
  if (audience.recipients.length) {
    channels.push(async () => createEmailChannel(deps.mailer(config.sender), audience.recipients) as Channel);
  }
  const { slack, teams, webhook } = audience.channels;
  if (slack) channels.push(async () => createSlackChannel(await url(slack.secretId)) as Channel);
  if (teams) channels.push(async () => createTeamsChannel(await url(teams.secretId)) as Channel);
  if (webhook) {
    channels.push(
      async () =>
        createWebhookChannel({
          url: webhook.url,
          signingSecret: signingKeyOf(
            await deps.readSecret(webhook.signingSecretId),
            webhook.signingSecretId,
          ),
          now: deps.now,
        }) as Channel,
    );
  }
  return channels;
}
