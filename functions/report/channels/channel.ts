import type { DigestNotes } from '../core/render';
import type { ReportResult, Trend } from '../core/report';

/** What every channel renders: the result, the zone it is told in, its trend and notes. */
export interface DigestContent {
  readonly report: ReportResult;
  readonly timeZone: string;
  readonly trend?: Trend;
  readonly notes: DigestNotes;
}

/**
 * A delivery channel: a renderer and a sender with the same shape for email, Slack, Teams and
 * webhooks, so a new channel is one file. `send` resolves with a receipt (a message id, a status).
 */
export interface Channel<Payload = unknown> {
  readonly name: 'email' | 'slack' | 'teams' | 'webhook';
  render(content: DigestContent): Payload;
  send(payload: Payload): Promise<string>;
}

/** By when a chat or webhook channel posts. */
export interface PostTarget {
  /** Epoch ms by which the post, its retries and their waits are over. @default 20 s from the post */
  readonly deadline?: number;
}

/** How many projects a chat message lists before pointing to the email. */
export const CHAT_TOP_PROJECTS = 10;
/** How many unusual projects a chat message lists before saying how many more there are. */
export const CHAT_TOP_UNUSUAL = 10;
/** The longest name (or id) a chat message shows, in characters; the email shows it whole. */
export const CHAT_NAME_MAX = 80;
