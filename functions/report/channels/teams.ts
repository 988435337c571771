import { keyShareText } from '../core/spike-keys-text';
import type { Channel, PostTarget } from './channel';
import { type ChatSummary, chatSummary, fitSummary } from './chat-summary';
import { postJson } from './http-post';

/** What a Teams Workflows webhook ("post to a channel when a webhook request is received") takes. */
export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: 'application/vnd.microsoft.card.adaptive';
    readonly contentUrl: null;
    readonly content: Record<string, unknown>;
  }[];
}

/**
 * The largest message we post to Teams, in bytes of JSON. Microsoft documents about 28 KB for a
 * webhook or Workflows message (learn.microsoft.com: "Create incoming webhooks", and the Teams
 * connector's known limitations, "Request entity too large"); a client measured refusals from
 * 21 KB (msteams_hermes MSTEAMS_MESSAGE_SIZE_LIMIT), so we stay under 20 KB.
 */
export const TEAMS_MAX_BYTES = 20_000;

type TextRunOptions = { weight?: 'Bolder'; size?: 'Medium'; isSubtle?: boolean; fontType?: 'Monospace' };

/**
 * Text shown as written. TextBlock text and FactSet titles and values are markdown, whose
 * backslash escapes Teams renders differently on desktop and mobile (microsoft/AdaptiveCards#5590,
 * #4677); a RichTextBlock's TextRuns are never markdown (learn.microsoft.com/adaptive-cards,
 * "Text features"), so no name can become a link, a list or bold text.
 */
const plain = (...runs: readonly (readonly [string, TextRunOptions?])[]) => ({
  type: 'RichTextBlock',
  inlines: runs
    .filter(([text]) => text !== '')
    .map(([text, options]) => ({ type: 'TextRun', text, ...options })),
});

function cardBody(s: ChatSummary): Record<string, unknown>[] {
  const body: Record<string, unknown>[] = [
    plain([s.title, { weight: 'Bolder', size: 'Medium' }]),
    plain([s.totals]),
    // Sparklines in the monospace font, so that every day's block is as wide.
    ...s.sparks.map((row) => plain([`${row.label}: `], [row.spark, { fontType: 'Monospace' }])),
    ...s.context.map((line) => plain([line])),
  ];
  if (s.limits.length || s.moreLimits) {
    // Container styles (adaptivecards.io/explorer/Container): attention is red in Teams, warning amber.
    const blocked = s.limitsHeadline.startsWith('⛔');
    const icon = blocked ? '⛔ ' : s.limitsHeadline ? '⏳ ' : '';
    body.push({
      type: 'Container',
      style: blocked ? 'attention' : s.limitsHeadline ? 'warning' : 'emphasis',
      items: [
        plain([
          `${icon}Limits and budgets (${(s.limits.length + s.moreLimits).toLocaleString('en-US')})`,
          { weight: 'Bolder' },
        ]),
        ...s.limits.map((l) =>
          plain(
            [l.name, { weight: 'Bolder' }],
            [l.id ? ` (${l.id})` : '', { isSubtle: true }],
            [`: ${l.text}`],
          ),
        ),
        ...(s.moreLimits
          ? [plain([`…and ${s.moreLimits.toLocaleString('en-US')} more limits`, { isSubtle: true }])]
          : []),
        ...(s.limitsOnTrack ? [plain([s.limitsOnTrack, { isSubtle: true }])] : []),
      ],
    });
  }
  if (s.unusual.length || s.moreUnusual) {
    body.push({
      type: 'Container',
      style: 'warning',
      items: [
        plain([`⚠ ${s.unusual.length + s.moreUnusual} unusual`, { weight: 'Bolder' }]),
        ...s.unusual.flatMap((u) => [
          plain(
            [u.name, { weight: 'Bolder' }],
            [u.id ? ` (${u.id})` : '', { isSubtle: true }],
            [`: ${u.text}`],
          ),
          ...u.keys.map((k) => plain([`    ◦ ${keyShareText(k)}`, { isSubtle: true }])),
        ]),
        ...(s.moreUnusual
          ? [plain([`…and ${s.moreUnusual.toLocaleString('en-US')} more unusual`, { isSubtle: true }])]
          : []),
      ],
    });
  }
  for (const p of s.top) {
    body.push(
      plain(
        [p.name, { weight: 'Bolder' }],
        [p.id ? ` (${p.id})` : '', { isSubtle: true }],
        [`: ${[p.sessions, p.cost, p.change].filter(Boolean).join(' · ')}`],
        [p.sparkline ? ' · ' : ''],
        [p.sparkline ?? '', { fontType: 'Monospace' }],
      ),
    );
  }
  if (s.more > 0)
    body.push(plain([`${s.more.toLocaleString('en-US')} more in the email`, { isSubtle: true }]));
  return body;
}

const message = (body: Record<string, unknown>[]): TeamsMessage => ({
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.5',
        body,
      },
    },
  ],
});

/**
 * The digest as an Adaptive Card 1.5: title, totals, the limits and budgets not on track, what is
 * unusual, the top 10, and how many more.
 */
export function renderTeams(content: Parameters<typeof chatSummary>[0]): TeamsMessage {
  return fitSummary(
    chatSummary(content),
    (s) => message(cardBody(s)),
    // Stryker disable next-line EqualityOperator: at exactly TEAMS_MAX_BYTES a card is 8 KB under what Teams takes either way
    (m) => Buffer.byteLength(JSON.stringify(m)) <= TEAMS_MAX_BYTES,
  );
}

/** Microsoft Teams through a Workflows webhook, whose URL (a credential) comes from Secrets Manager. */
export function createTeamsChannel(url: string, target: PostTarget = {}): Channel<TeamsMessage> {
  return {
    name: 'teams',
    render: renderTeams,
    send: (m) => postJson('teams', url, JSON.stringify(m), target),
  };
}
