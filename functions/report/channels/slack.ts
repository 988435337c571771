import type { ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { type KeyShare, keyShareText } from '../core/spike-keys-text';
import type { Channel, PostTarget } from './channel';
import { type ChatSummary, chatSummary, fitSummary } from './chat-summary';
import { postJson } from './http-post';

/** What a Slack incoming webhook takes: Block Kit blocks, and a text fallback for notifications. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly KnownBlock[];
}

/**
 * Block Kit's limits (docs.slack.dev/reference/block-kit): 50 blocks in a message, 150 characters
 * in a header, 3,000 in a text object, 10 elements in a context block. Slack also refuses blocks
 * whose text adds up to about 13,000 characters (`msg_blocks_too_long`, slackapi/bolt-js#2509,
 * below any documented limit): a message keeps its text under `blocksText`.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  contextElements: 10,
  blocksText: 12_000,
} as const;

/** Slack gives `&`, `<` and `>` meaning (links, mentions): as entities they are only text. */
const entities = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// mrkdwn has no escape character; the look-alikes jsx-slack uses for the same purpose
// (yhatt/jsx-slack docs/about-escape-and-exact-mode.md) show the name and format nothing.
const LOOKALIKES: Record<string, string> = {
  '*': '∗',
  '＊': '﹡',
  _: 'ˍ',
  '＿': '⸏',
  '`': 'ˋ',
  '｀': 'ˋ',
  '~': '∼',
};

/** A name as mrkdwn text that shows it and nothing else: no link, mention, bold, italics, strike or code. */
export function mrkdwnName(name: string): string {
  return entities(name.trim()).replace(/[*＊_＿`｀~]/g, (c) => LOOKALIKES[c] ?? c);
}

/** An id inside a code span, where only a backtick would end it. */
const codeId = (id: string) => `\`${entities(id).replace(/[`｀]/g, 'ˋ')}\``;

/** A key behind a spike: its name and owner shown as text, its redacted value and id as code. */
const keyMrkdwn = (key: KeyShare) =>
  keyShareText(
    { ...key, share: entities(key.share) },
    {
      name: (name) => `"${mrkdwnName(name)}"`,
      value: codeId,
      owner: mrkdwnName,
      id: codeId,
    },
  );

/** mrkdwn that Slack shows as written: no URL or channel name turned into a link. */
const mrkdwn = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text, verbatim: true });

function blocksOf(s: ChatSummary): KnownBlock[] {
  // A title is at most about 110 characters (the longest zone name, a range with times): no clipping.
  const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: s.title } };
  // Sparklines in code spans: a fixed-width font keeps the blocks' heights comparable.
  const sparks = s.sparks.map((row) => `\n${row.label}: \`${row.spark}\``).join('');
  const totals: SectionBlock = { type: 'section', text: mrkdwn(`${entities(s.totals)}${sparks}`) };
  const blocks: KnownBlock[] = [header, totals];
  if (s.context.length) {
    // One element: a context block lays its elements side by side, and these are lines.
    const context: ContextBlock = { type: 'context', elements: [mrkdwn(entities(s.context.join('\n')))] };
    blocks.push(context);
  }
  if (s.limits.length || s.moreLimits) {
    const lines = s.limits.map(
      (l) => `• *${mrkdwnName(l.name)}*${l.id ? ` ${codeId(l.id)}` : ''}: ${entities(l.text)}`,
    );
    if (s.moreLimits) lines.push(`…and ${s.moreLimits.toLocaleString('en-US')} more limits`);
    if (s.limitsOnTrack) lines.push(s.limitsOnTrack);
    const blocked = s.limitsHeadline.startsWith('⛔');
    const icon = blocked ? ':no_entry: ' : s.limitsHeadline ? ':hourglass_flowing_sand: ' : '';
    const total = (s.limits.length + s.moreLimits).toLocaleString('en-US');
    blocks.push({
      type: 'section',
      text: mrkdwn(`${icon}*Limits and budgets (${total})*\n${lines.join('\n')}`),
    });
  }
  if (s.unusual.length || s.moreUnusual) {
    const lines = s.unusual.map(
      (u) =>
        `• *${mrkdwnName(u.name)}*${u.id ? ` ${codeId(u.id)}` : ''}: ${entities(u.text)}` +
        u.keys.map((k) => `\n    ◦ ${keyMrkdwn(k)}`).join(''),
    );
    if (s.moreUnusual) lines.push(`…and ${s.moreUnusual.toLocaleString('en-US')} more unusual`);
    const total = s.unusual.length + s.moreUnusual;
    blocks.push({ type: 'section', text: mrkdwn(`:warning: *${total} unusual*\n${lines.join('\n')}`) });
  }
  blocks.push({ type: 'divider' });
  if (s.top.length) {
    const lines = s.top.map(
      (p) =>
        `*${mrkdwnName(p.name)}*${p.id ? ` ${codeId(p.id)}` : ''}: ${p.sessions}${p.cost ? ` · ${p.cost}` : ''}${p.change ? ` · ${p.change}` : ''}${p.sparkline ? ` · \`${p.sparkline}\`` : ''}`,
    );
    blocks.push({ type: 'section', text: mrkdwn(lines.join('\n')) });
  }
  if (s.more > 0) {
    const more: ContextBlock = {
      type: 'context',
      elements: [mrkdwn(`${s.more.toLocaleString('en-US')} more in the email`)],
    };
    blocks.push(more);
  }
  return blocks;
}

/**
 * Whether Slack takes these blocks: every section's text within its 3,000 characters, and all of
 * them within `blocksText`. The other limits hold by construction: a message has at most eight
 * blocks, a title of at most about 110 characters, one element in each of two context blocks, the
 * first of two short lines (the tests at 5,000
 * projects check every limit of SLACK_LIMITS on what is sent).
 */
export function withinSlackLimits(blocks: readonly KnownBlock[]): boolean {
  const texts = blocks.map((block) => (block.type === 'section' ? (block.text as MrkdwnElement).text : ''));
  return (
    texts.every((text) => text.length <= SLACK_LIMITS.sectionText) &&
    texts.reduce((sum, text) => sum + text.length, 0) <= SLACK_LIMITS.blocksText
  );
}

/**
 * The digest in Block Kit: a header, the totals, the limits and budgets not on track, what is
 * unusual, the top 10, and how many more.
 */
export function renderSlack(content: Parameters<typeof chatSummary>[0]): SlackMessage {
  const s = chatSummary(content);
  const blocks = fitSummary(s, blocksOf, withinSlackLimits);
  const warning = s.unusual.length ? `⚠ ${s.unusual.length + s.moreUnusual} unusual · ` : '';
  const limits = s.limitsHeadline ? `${s.limitsHeadline} · ` : '';
  return { text: entities(`${limits}${warning}${s.title}: ${s.totals}`), blocks };
}

/** Slack through an incoming webhook, whose URL (a credential) comes from Secrets Manager. */
export function createSlackChannel(url: string, target: PostTarget = {}): Channel<SlackMessage> {
  return {
    name: 'slack',
    render: renderSlack,
    send: (message) => postJson('slack', url, JSON.stringify(message), target),
  };
}
