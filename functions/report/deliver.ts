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
 * Sends a digest to every audience on every channel at once, each (audience, channel) under its own
 * delivery record, so a retry sends only what did not go out. Every channel is tried, each post
 * within `deadline` (epoch ms), so hung receivers cost the run one deadline, not one each; if any
 * failed the run ends in an error naming them (Lambda retries, the alarm fires). On a QUIET day
 * an audience with nothing unusual gets nothing.
 */
export async function deliverDigest(
  request: ReportRequest,
  digest: Deliverable,
  config: ReportConfig,
  context: Context,
  deps: DeliveryDeps,
  sendOnce: SendOnce | undefined,
  deadline: number,
): Promise<void> {
  const key = deliveryKey(request);
  const deliveries: Promise<Error | undefined>[] = [];
  for (const audience of audiencesOf(request, digest, config)) {
    // Only a daily result has `unusual`: weekly, monthly and range digests always go out. A limit
    // blocked or at risk is news however quiet the day.
    const atRisk = (audience.content.report.limits ?? []).some((l) =>
      ['enforcing', 'reached', 'will_reach'].includes(l.status),
    );
    if (config.quiet && audience.content.report.unusual?.length === 0 && !atRisk) {
      deps.logger.info('quiet: nothing unusual', { route: audience.route });
      continue;
    }
    for (const open of channelsOf(audience, config, deps, deadline)) {
      deliveries.push(
        deliverOne(audience, open, { key, context, deps, sendOnce }).then(
          () => undefined,
          (error: Error) => {
            deps.logger.error('delivery failed on a channel', {
              route: audience.route,
              error: errorSummary(error),
            });
            return error;
          },
        ),
      );
    }
  }
  // In the order the channels were listed, whichever finished first.
  const failures = (await Promise.all(deliveries)).filter((f): f is Error => f !== undefined);
  if (failures.length) throw failures.length === 1 ? failures[0] : new DeliveryError(failures);
}

/** One channel of one audience: opened, rendered, and sent once under its delivery record. */
async function deliverOne(
  audience: Audience,
  open: () => Promise<Channel>,
  run: {
    key: DeliveryKey | undefined;
    context: Context;
    deps: DeliveryDeps;
    sendOnce: SendOnce | undefined;
  },
): Promise<void> {
  const { key, context, deps, sendOnce } = run;
  const channel = await open();
  const payload = channel.render(audience.content);
  const send = () => channel.send(payload);
  const detail = {
    route: audience.route,
    ...(channel.name === 'email'
      ? { recipients: audience.recipients.length, subject: (payload as { subject: string }).subject }
      : {}),
  };
  if (!sendOnce || !key) {
    deps.logger.info(`${channel.name} sent`, { message_id: await send(), ...detail });
    return;
  }
  const outcome = await sendOnce(keyFor(key, audience, channel.name), context, send);
  deps.logger.info(
    outcome.status === 'sent' ? `${channel.name} sent` : `${channel.name} not sent again: duplicate delivery`,
    { delivery: outcome.status, message_id: outcome.messageId, ...detail },
  );
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

/** An audience's channels, each opened (its secret read) as its delivery starts. */
function channelsOf(
  audience: Audience,
  config: ReportConfig,
  deps: DeliveryDeps,
  deadline: number,
): (() => Promise<Channel>)[] {
  const url = async (secretId: string) => webhookUrlOf(await deps.readSecret(secretId), secretId);
  const target = { deadline };
  const channels: (() => Promise<Channel>)[] = [];
  if (audience.recipients.length) {
    channels.push(async () => createEmailChannel(deps.mailer(config.sender), audience.recipients) as Channel);
  }
  const { slack, teams, webhook } = audience.channels;
  if (slack) channels.push(async () => createSlackChannel(await url(slack.secretId), target) as Channel);
  if (teams) channels.push(async () => createTeamsChannel(await url(teams.secretId), target) as Channel);
  if (webhook) {
    channels.push(
      async () =>
        createWebhookChannel(
          {
            url: webhook.url,
            signingSecret: signingKeyOf(
              await deps.readSecret(webhook.signingSecretId),
              webhook.signingSecretId,
            ),
            now: deps.now,
          },
          target,
        ) as Channel,
    );
  }
  return channels;
}
