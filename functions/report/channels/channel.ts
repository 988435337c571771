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

/** How many projects a chat message lists before pointing to the email. */
export const CHAT_TOP_PROJECTS = 10;
