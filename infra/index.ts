/**
 * usage-digest as a CDK construct library: `import { UsageDigest } from 'usage-digest'`.
 * The app in this repository (infra/app.ts) is one user of it.
 */
export type { DigestKind } from '../functions/report/core/windows';
export { UsageDigest, type UsageDigestHistoryResources } from './usage-digest';
export type {
  SlackChannel,
  TeamsChannel,
  UsageDigestHistory,
  UsageDigestProps,
  UsageDigestRoute,
  WebhookChannel,
} from './usage-digest-props';
