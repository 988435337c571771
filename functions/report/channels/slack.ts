import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { Channel } from './channel';
import { chatSummary } from './chat-summary';
import { postJson } from './http-post';

/** What a Slack incoming webhook takes: Block Kit blocks, and a text fallback for notifications. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly KnownBlock[];
}

/** Slack's mrkdwn gives `&`, `<` and `>` meaning (links, mentions): names must not. */
const mrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Block Kit limits: a header's text to 150 characters, a section's to 3,000. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The digest in Block Kit: a header, the totals, what is unusual, the top 10, and how many more. */
export function renderSlack(content: Parameters<typeof chatSummary>[0]): SlackMessage {
  const s = chatSummary(content);
  const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: clip(s.title, 150) } };
  const totals: SectionBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: clip(mrkdwn(s.totals), 3000) },
  };
  const blocks: KnownBlock[] = [header, totals];
  if (s.unusual.length) {
    const lines = s.unusual.map(
      (u) => `• *${mrkdwn(u.name)}*${u.id ? ` \`${mrkdwn(u.id)}\`` : ''}: ${mrkdwn(u.text)}`,
    );
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`:warning: *${s.unusual.length} unusual*\n${lines.join('\n')}`, 3000),
      },
    });
  }
  blocks.push({ type: 'divider' });
  if (s.top.length) {
    const lines = s.top.map(
      (p) =>
        `*${mrkdwn(p.name)}*${p.id ? ` \`${mrkdwn(p.id)}\`` : ''}: ${p.sessions}${p.cost ? ` · ${p.cost}` : ''}${p.change ? ` · ${p.change}` : ''}`,
    );
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), 3000) } });
  }
  if (s.more > 0) {
    const more: ContextBlock = {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${s.more.toLocaleString('en-US')} more in the email` }],
    };
    blocks.push(more);
  }
  const warning = s.unusual.length ? `⚠ ${s.unusual.length} unusual · ` : '';
  return { text: `${warning}${s.title}: ${s.totals}`, blocks };
}

/** Slack through an incoming webhook, whose URL (a credential) comes from Secrets Manager. */
export function createSlackChannel(url: string, fetchImpl?: typeof fetch): Channel<SlackMessage> {
  return {
    name: 'slack',
    render: renderSlack,
    send: (message) => postJson('slack', url, JSON.stringify(message), fetchImpl ? { fetch: fetchImpl } : {}),
  };
}
