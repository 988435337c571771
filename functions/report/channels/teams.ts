import type { Channel } from './channel';
import { chatSummary } from './chat-summary';
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

/** The digest as an Adaptive Card 1.5: title, totals, what is unusual, the top 10, and how many more. */
export function renderTeams(content: Parameters<typeof chatSummary>[0]): TeamsMessage {
  const s = chatSummary(content);
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: s.title, weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'TextBlock', text: s.totals, wrap: true },
  ];
  if (s.unusual.length) {
    body.push({
      type: 'Container',
      style: 'warning',
      items: [
        { type: 'TextBlock', text: `⚠ ${s.unusual.length} unusual`, weight: 'Bolder', wrap: true },
        ...s.unusual.map((u) => ({
          type: 'TextBlock',
          text: `${u.name}${u.id ? ` (${u.id})` : ''}: ${u.text}`,
          wrap: true,
        })),
      ],
    });
  }
  if (s.top.length) {
    body.push({
      type: 'FactSet',
      facts: s.top.map((p) => ({
        title: p.id ? `${p.name} (${p.id})` : p.name,
        value: [p.sessions, p.cost, p.change].filter(Boolean).join(' · '),
      })),
    });
  }
  if (s.more > 0) {
    body.push({
      type: 'TextBlock',
      text: `${s.more.toLocaleString('en-US')} more in the email`,
      isSubtle: true,
      wrap: true,
    });
  }
  return {
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
  };
}

/** Microsoft Teams through a Workflows webhook, whose URL (a credential) comes from Secrets Manager. */
export function createTeamsChannel(url: string, fetchImpl?: typeof fetch): Channel<TeamsMessage> {
  return {
    name: 'teams',
    render: renderTeams,
    send: (message) => postJson('teams', url, JSON.stringify(message), fetchImpl ? { fetch: fetchImpl } : {}),
  };
}
