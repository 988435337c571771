import { describe, expect, it } from 'vitest';
import type { DigestContent } from '../../functions/report/channels/channel';
import { chatSummary, fitSummary } from '../../functions/report/channels/chat-summary';
import { renderSlack, SLACK_LIMITS } from '../../functions/report/channels/slack';
import { renderTeams, TEAMS_MAX_BYTES } from '../../functions/report/channels/teams';
import { renderWebhook, WEBHOOK_MAX_BYTES } from '../../functions/report/channels/webhook';
import type { ProjectRow } from '../../functions/report/core/report';
import type { LimitEntry } from '../../functions/report/core/runway';
import type { UnusualProject } from '../../functions/report/core/unusual';
import { renderAdaptiveCard } from '../support/adaptive-card';
import { dailyChart, periodChart } from '../support/digest-chart';

/** Names an attacker (or a careless admin) can give a project: each would be markup somewhere. */
const HOSTILE = [
  '[Reset your SSO password](https://evil.example/sso)',
  '*urgent* _now_ ~old~ `code` <https://evil.example|click here> <!channel> &amp;',
  '# Heading > quote - item + item ! | pipe \\ back',
  '1. numbered',
  '![logo](https://evil.example/x.png)',
  'Line one\u2028line two\u2029para\nthree',
];
const LONG = 'x'.repeat(300);

function project(i: number, name: string): ProjectRow {
  return { project_id: `proj_${i}`, project_name: name, num_sessions: 100_000 - i, cost_usd: 1.5 };
}

/** A day's digest at `count` projects, every name hostile and long, the first `unusual` unusual. */
function content(count: number, unusual = 0, names: readonly string[] = HOSTILE): DigestContent {
  const projects = Array.from({ length: count }, (_, i) =>
    project(i, `${names[i % names.length]} ${count > names.length ? LONG : ''}`.trim()),
  );
  const start = Date.parse('2026-11-22T00:00:00Z') / 1000;
  return {
    report: {
      kind: 'daily',
      start_time: start,
      end_time: start + 86_400,
      total_sessions: projects.reduce((sum, p) => sum + p.num_sessions, 0),
      total_cost_usd: count * 1.5,
      cost_start_time: start,
      cost_end_time: start + 86_400,
      projects,
      unusual: projects.slice(0, unusual).map(
        (p): UnusualProject => ({
          project_id: p.project_id,
          reason: 'new',
          num_sessions: p.num_sessions,
          mean_7d: 0,
          cost_usd: 1.5,
        }),
      ),
    },
    timeZone: 'UTC',
    notes: {},
  };
}

describe('Teams: the Adaptive Card as Microsoft’s adaptivecards library reads it', () => {
  it('parses without a warning and shows every hostile name as text: no link, no line break', () => {
    const message = renderTeams(content(HOSTILE.length, 2));
    const card = renderAdaptiveCard(message.attachments[0]?.content);
    expect(card.events).toEqual([]);
    expect(card.links).toEqual([]);
    expect(card.text).toContain('[Reset your SSO password](https://evil.example/sso)');
    expect(card.text).toContain('*urgent* _now_ ~old~ `code` <https://evil.example|click here>');
    expect(card.text).toContain('# Heading > quote - item + item ! | pipe \\ back');
    expect(card.text).toContain('1. numbered');
    expect(card.text).toContain('Line one line two para three');
    expect(card.text).not.toMatch(/[\u2028\u2029\n]/);
  });

  it('stays under the Workflows size limit at 5,000 projects with long names, saying how many it left out', () => {
    const message = renderTeams(content(5_000, 400));
    const bytes = Buffer.byteLength(JSON.stringify(message));
    // Teams refuses a message over about 28 KB (learn.microsoft.com, "Create incoming webhooks").
    expect(bytes).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    expect(TEAMS_MAX_BYTES).toBeLessThanOrEqual(28 * 1024);
    const card = renderAdaptiveCard(message.attachments[0]?.content);
    expect(card.events).toEqual([]);
    expect(card.links).toEqual([]);
    expect(card.text).toContain('⚠ 400 unusual');
    expect(card.text).toContain('…and 390 more unusual');
    expect(card.text).toContain('4,990 more in the email');
    // Names are clipped to 80 characters in chat; the email has them whole.
    expect(card.text).toContain(`[Reset your SSO password](https://evil.example/sso) ${'x'.repeat(27)}…`);
  });
});

/** Every text object of a Slack message's blocks, by block type. */
function texts(blocks: readonly { type: string; text?: { text: string }; elements?: { text?: string }[] }[]) {
  return blocks.flatMap((b) => [
    ...(b.text ? [{ type: b.type, text: b.text.text }] : []),
    ...(b.elements ?? []).map((e) => ({ type: b.type, text: e.text ?? '' })),
  ]);
}

describe('Slack: Block Kit within its limits, names as text', () => {
  it('shows a hostile name without a link, a mention or any formatting', () => {
    const message = renderSlack(content(HOSTILE.length));
    const top = message.blocks.find((b) => b.type === 'section' && b.text?.text.includes('proj_0'));
    if (top?.type !== 'section') throw new Error('no top projects section');
    expect(top.text).toMatchObject({ type: 'mrkdwn', verbatim: true });
    const lines = top.text?.text.split('\n') ?? [];
    expect(lines[0]).toBe('*[Reset your SSO password](https://evil.example/sso)* `proj_0`: 100,000 · $1.50');
    expect(lines[1]).toBe(
      '*∗urgent∗ ˍnowˍ ∼old∼ ˋcodeˋ &lt;https://evil.example|click here&gt; &lt;!channel&gt; &amp;amp;* `proj_1`: 99,999 · $1.50',
    );
    expect(lines[5]).toBe('*Line one line two para three* `proj_5`: 99,995 · $1.50');
    // Between the bold markers of the name, no mrkdwn control character is left.
    for (const line of lines) expect(line.slice(1, line.indexOf('* `'))).not.toMatch(/[*_~`<>]/);
  });

  it('keeps every Block Kit limit at 5,000 projects with long hostile names, 400 unusual', () => {
    const message = renderSlack(content(5_000, 400));
    const all = texts(message.blocks as never);
    // docs.slack.dev/reference/block-kit: 50 blocks, header 150, text objects 3,000, context 10 elements.
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(SLACK_LIMITS).toMatchObject({
      blocks: 50,
      headerText: 150,
      sectionText: 3000,
      contextElements: 10,
    });
    for (const t of all) expect(t.text.length).toBeLessThanOrEqual(t.type === 'header' ? 150 : 3000);
    for (const b of message.blocks)
      if (b.type === 'context') expect(b.elements.length).toBeLessThanOrEqual(10);
    expect(all.reduce((sum, t) => sum + t.text.length, 0)).toBeLessThanOrEqual(SLACK_LIMITS.blocksText);
    const unusual = all.find((t) => t.text.startsWith(':warning:'))?.text ?? '';
    expect(unusual).toMatch(/^:warning: \*400 unusual\*\n/);
    const shown = unusual.split('\n').filter((l) => l.startsWith('• ')).length;
    expect(unusual).toContain(`…and ${400 - shown} more unusual`);
    expect(all.at(-1)?.text).toMatch(/^4,99\d more in the email$/);
  });
});

describe('Webhook: the body within its cap', () => {
  const size = (body: string) => Buffer.byteLength(body);

  it('sends the whole result under the cap, saying nothing was left out', () => {
    const { body } = renderWebhook(content(20, 3), 1_800_000_000);
    expect(JSON.parse(body)).toMatchObject({ projects_truncated: 0 });
    expect(JSON.parse(body).projects).toHaveLength(20);
    expect(body).not.toContain('unusual_truncated');
  });

  it('over the cap, keeps the top projects that fit, the totals and every unusual one', () => {
    const whole = content(2_000, 5);
    const { body } = renderWebhook(whole, 1_800_000_000, 100_000);
    expect(size(body)).toBeLessThanOrEqual(100_000);
    const sent = JSON.parse(body);
    const kept = sent.projects.length;
    // As many as fit: one more project (about 400 bytes with its long name) would not.
    expect(size(body)).toBeGreaterThan(100_000 - 400);
    expect(sent.projects).toEqual(whole.report.projects.slice(0, kept));
    expect(sent.projects_truncated).toBe(2_000 - kept);
    expect(sent.total_sessions).toBe(whole.report.total_sessions);
    expect(sent.unusual).toEqual(whole.report.unusual);
    expect(Object.keys(sent).slice(-3)).toEqual(['date', 'time_zone', 'projects_truncated']);
  });

  it('when even the unusual list is over the cap, cuts it too and says by how many', () => {
    const { body } = renderWebhook(content(2_000, 2_000), 1_800_000_000, 50_000);
    const sent = JSON.parse(body);
    expect(size(body)).toBeLessThanOrEqual(50_000);
    expect(sent.projects).toEqual([]);
    expect(sent.projects_truncated).toBe(2_000);
    expect(sent.unusual.length).toBeGreaterThan(100);
    expect(sent.unusual_truncated).toBe(2_000 - sent.unusual.length);
  });
});

/** A small Berlin day as the handler hands it over: a named project, unattributed usage, eleven more. */
function smallDay(overrides: Partial<DigestContent['report']> = {}): DigestContent {
  const start = Date.parse('2026-11-21T23:00:00Z') / 1000;
  const projects: ProjectRow[] = [
    { project_id: 'proj_a', project_name: 'Checkout & <Payments>', num_sessions: 1200, cost_usd: 3.5 },
    { project_id: null, num_sessions: 40, cost_usd: null },
    ...Array.from({ length: 10 }, (_, i) => ({
      project_id: `proj_${i}`,
      project_name: `P${i}`,
      num_sessions: 30 - i,
      cost_usd: 0,
    })),
  ];
  return {
    report: {
      kind: 'daily',
      start_time: start,
      end_time: start + 86_400,
      total_sessions: 1_495,
      total_cost_usd: 3.5,
      cost_start_time: start + 3_600,
      cost_end_time: start + 3_600 + 86_400,
      projects,
      unusual: [
        { project_id: 'proj_a', reason: 'spike', num_sessions: 1200, mean_7d: 300, cost_usd: 3.5 },
        { project_id: null, reason: 'new', num_sessions: 40, mean_7d: 0, cost_usd: null },
      ],
      ...overrides,
    },
    timeZone: 'Europe/Berlin',
    trend: {
      compared_sessions: 1000,
      projects: [
        { project_id: 'proj_a', compared_sessions: 1000 },
        { project_id: null, compared_sessions: 40 },
      ] as never,
    },
    notes: {},
  };
}

const TITLE = 'Code interpreter sessions 2026-11-22 (Europe/Berlin)';
const TOTALS = '1,495 sessions · $3.50 code interpreter cost (cost: 22 Nov, UTC day)';
const run = (text: string, options: Record<string, unknown> = {}) => ({ type: 'TextRun', text, ...options });
const rich = (...inlines: unknown[]) => ({ type: 'RichTextBlock', inlines });

describe('Chat messages, exactly', () => {
  it('Slack: header, totals, unusual, divider, the top 10 and how many more, as Block Kit', () => {
    const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
    const top = Array.from({ length: 8 }, (_, i) => `*P${i}* \`proj_${i}\`: ${30 - i} · $0.00`);
    expect(renderSlack(smallDay())).toEqual({
      text: `⚠ 2 unusual · ${TITLE}: ${TOTALS}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: TITLE } },
        { type: 'section', text: mrkdwn(TOTALS) },
        {
          type: 'section',
          text: mrkdwn(
            [
              ':warning: *2 unusual*',
              '• *Checkout &amp; &lt;Payments&gt;* `proj_a`: spike: 1,200 sessions, 4.0× its 7-day mean of 300',
              '• *unattributed*: new: 40 sessions, none in the 7 days before',
            ].join('\n'),
          ),
        },
        { type: 'divider' },
        {
          type: 'section',
          text: mrkdwn(
            [
              '*Checkout &amp; &lt;Payments&gt;* `proj_a`: 1,200 · $3.50 · ▲ +200 vs last Sun',
              '*unattributed*: 40 · = ±0 vs last Sun',
              ...top,
            ].join('\n'),
          ),
        },
        { type: 'context', elements: [mrkdwn('2 more in the email')] },
      ],
    });
  });

  it('Slack: no unusual section, no count of more, and no warning when there is nothing to say', () => {
    const day = smallDay({ unusual: [] });
    const message = renderSlack({
      ...day,
      report: { ...day.report, projects: day.report.projects.slice(0, 10) },
    });
    expect(message.text).toBe(`${TITLE}: ${TOTALS}`);
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'divider', 'section']);
  });

  it('Slack: a name keeps its letters, with look-alikes for mrkdwn marks, entities for &, < and >', () => {
    const names = ['*a* ＊b＊ _c_ ＿d＿ `e` ｀f｀ ~g~', '  <@U123> & x  '];
    const message = renderSlack(content(2, 0, names));
    const top = message.blocks.find((b) => b.type === 'section' && b.text?.text.includes('proj_0'));
    expect(top?.type === 'section' && top.text?.text.split('\n')).toEqual([
      '*∗a∗ ﹡b﹡ ˍcˍ ⸏d⸏ ˋeˋ ˋfˋ ∼g∼* `proj_0`: 100,000 · $1.50',
      '*&lt;@U123&gt; &amp; x* `proj_1`: 99,999 · $1.50',
    ]);
  });

  it('Slack: an id is a code span that no backtick ends and no entity escapes', () => {
    const day = content(1);
    const project = { ...day.report.projects[0], project_id: 'p`r｀o<j>&' } as ProjectRow;
    const message = renderSlack({ ...day, report: { ...day.report, projects: [project] } });
    const top = message.blocks.find((b) => b.type === 'section' && b.text?.text.includes('`'));
    expect(top?.type === 'section' && top.text?.text).toContain(' `pˋrˋo&lt;j&gt;&amp;`: ');
  });

  it('Slack: keeps each section under 3,000 characters when escaping makes names five times longer', () => {
    const ampersands = Array.from({ length: 20 }, () => '&'.repeat(80));
    const message = renderSlack(content(20, 20, ampersands));
    const sections = message.blocks.filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');
    for (const text of sections) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    // An escaped line is about 430 characters: six of each list fit, a seventh would not.
    const unusual = sections.find((t) => t.startsWith(':warning:')) ?? '';
    expect(unusual.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(6);
    expect(unusual).toContain('…and 14 more unusual');
    expect(sections.at(-1)?.split('\n')).toHaveLength(6);
    expect(message.blocks.at(-1)).toMatchObject({
      type: 'context',
      elements: [{ text: '14 more in the email' }],
    });
  });

  it('Teams: the same facts as RichTextBlocks of TextRuns, unusual in a warning container', () => {
    const rows = Array.from({ length: 8 }, (_, i) =>
      rich(
        run(`P${i}`, { weight: 'Bolder' }),
        run(` (proj_${i})`, { isSubtle: true }),
        run(`: ${30 - i} · $0.00`),
      ),
    );
    expect(renderTeams(smallDay())).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.5',
            body: [
              rich(run(TITLE, { weight: 'Bolder', size: 'Medium' })),
              rich(run(TOTALS)),
              {
                type: 'Container',
                style: 'warning',
                items: [
                  rich(run('⚠ 2 unusual', { weight: 'Bolder' })),
                  rich(
                    run('Checkout & <Payments>', { weight: 'Bolder' }),
                    run(' (proj_a)', { isSubtle: true }),
                    run(': spike: 1,200 sessions, 4.0× its 7-day mean of 300'),
                  ),
                  rich(
                    run('unattributed', { weight: 'Bolder' }),
                    run(': new: 40 sessions, none in the 7 days before'),
                  ),
                ],
              },
              rich(
                run('Checkout & <Payments>', { weight: 'Bolder' }),
                run(' (proj_a)', { isSubtle: true }),
                run(': 1,200 · $3.50 · ▲ +200 vs last Sun'),
              ),
              rich(run('unattributed', { weight: 'Bolder' }), run(': 40 · = ±0 vs last Sun')),
              ...rows,
              rich(run('2 more in the email', { isSubtle: true })),
            ],
          },
        },
      ],
    });
  });

  it('Teams: no warning container and no count of more when there is nothing to say', () => {
    const day = smallDay({ unusual: [] });
    const message = renderTeams({
      ...day,
      report: { ...day.report, projects: day.report.projects.slice(0, 10) },
    });
    const body = message.attachments[0]?.content.body as { type: string }[];
    expect(body).toHaveLength(12);
    expect(body.map((b) => b.type)).not.toContain('Container');
  });

  it('Slack: says how many more unusual projects there are past the first ten', () => {
    const message = renderSlack(content(12, 12, ['n']));
    expect(message.text).toMatch(/^⚠ 12 unusual · Code interpreter sessions 2026-11-22 \(UTC\): /);
    const unusual = message.blocks.find((b) => b.type === 'section' && b.text?.text.startsWith(':warning:'));
    const lines = unusual?.type === 'section' ? (unusual.text?.text.split('\n') ?? []) : [];
    expect(lines[0]).toBe(':warning: *12 unusual*');
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toBe('…and 2 more unusual');
  });

  it('Teams: says how many more unusual projects there are past the first ten', () => {
    const message = renderTeams(content(12, 12, ['n']));
    const card = renderAdaptiveCard(message.attachments[0]?.content);
    expect(card.text).toContain('⚠ 12 unusual');
    expect(card.text).toContain('2 more in the email');
    const [, , warning] = (message.attachments[0]?.content.body ?? []) as { items: unknown[] }[];
    expect(warning?.items).toHaveLength(12);
    expect(warning?.items.at(-1)).toEqual(rich(run('…and 2 more unusual', { isSubtle: true })));
  });

  it('Teams: leaves rows out to stay under its size when names are all escapes', () => {
    // A lone surrogate is six bytes of JSON (\ud800): 80 of them a name, and as many in an id.
    const name = '\ud800'.repeat(80);
    const day = content(20, 20, [name]);
    const projects = day.report.projects.map((p, i) => ({ ...p, project_id: `${i}${name}` }));
    const unusual = (day.report.unusual ?? []).map((u, i) => ({ ...u, project_id: `${i}${name}` }));
    const message = renderTeams({ ...day, report: { ...day.report, projects, unusual } });
    const bytes = Buffer.byteLength(JSON.stringify(message));
    expect(bytes).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    // Another row of about 1,000 bytes would not have fitted.
    expect(bytes).toBeGreaterThan(TEAMS_MAX_BYTES - 1_100);
    const body = message.attachments[0]?.content.body as { items?: unknown[] }[];
    const shownUnusual = (body[2]?.items?.length ?? 0) - 2;
    const shownTop = body.length - 4;
    expect(shownUnusual + shownTop).toBeLessThan(20);
    expect(body.at(-1)).toEqual(rich(run(`${20 - shownTop} more in the email`, { isSubtle: true })));
    expect(body[2]?.items?.at(-1)).toEqual(
      rich(run(`…and ${20 - shownUnusual} more unusual`, { isSubtle: true })),
    );
  });

  it('Slack: takes a section of exactly 3,000 characters, and leaves a row out of one longer', () => {
    // Names of `&` (five characters once escaped) and `a`, sized so the top section is 3,000 long.
    const sectionOf = (names: string[]) => {
      const message = renderSlack(content(10, 0, names));
      const top = message.blocks.find((b) => b.type === 'section' && b.text?.text.includes('proj_0'));
      return top?.type === 'section' ? (top.text?.text ?? '') : '';
    };
    const names = Array.from({ length: 10 }, () => 'a');
    let missing = 3_000 - sectionOf(names).length;
    for (let i = 0; i < names.length && missing > 0; i++) {
      const amps = Math.min(70, Math.floor(missing / 5));
      const plain = Math.min(79 - amps, missing - amps * 5);
      names[i] = `${'&'.repeat(amps)}a${'a'.repeat(plain)}`;
      missing -= amps * 5 + plain;
    }
    expect(sectionOf(names)).toHaveLength(3_000);
    expect(sectionOf(names).split('\n')).toHaveLength(10);
    names[9] = `${names[9]}a`;
    expect(sectionOf(names).split('\n')).toHaveLength(9);
  });

  it('Slack: shows a name without the spaces around it, which would undo the bold', () => {
    const day = content(1);
    const project = { ...day.report.projects[0], project_name: '  Spaced  ' } as ProjectRow;
    const message = renderSlack({ ...day, report: { ...day.report, projects: [project] } });
    const top = message.blocks.find((b) => b.type === 'section' && b.text?.text.includes('proj_0'));
    expect(top?.type === 'section' && top.text?.text).toBe('*Spaced* `proj_0`: 100,000 · $1.50');
  });

  it('Slack and Teams: a day without projects or an unusual list is the header and totals', () => {
    const day = content(0);
    const { unusual: _, ...weekly } = day.report;
    const quiet = { ...day, report: { ...weekly, kind: 'weekly' as const } };
    expect(renderSlack(quiet).blocks.map((b) => b.type)).toEqual(['header', 'section', 'divider']);
    expect(renderTeams(quiet).attachments[0]?.content.body).toHaveLength(2);
    expect(chatSummary(quiet)).toMatchObject({ unusual: [], moreUnusual: 0, top: [], more: 0 });
  });
});

describe('Chat summary: what a chat message says', () => {
  it('clips a name or an id over 80 characters to 79 and an ellipsis, counting emoji as one', () => {
    const name80 = '😀'.repeat(80);
    const summary = chatSummary(content(3, 0, [name80, `${name80}x`, 'short']));
    expect(summary.top.map((p) => p.name)).toEqual([name80, `${'😀'.repeat(79)}…`, 'short']);
    const day = content(1);
    const long = { ...day.report.projects[0], project_id: 'i'.repeat(81) } as ProjectRow;
    expect(chatSummary({ ...day, report: { ...day.report, projects: [long] } }).top[0]?.id).toBe(
      `${'i'.repeat(79)}…`,
    );
  });

  it('names an unusual project that has no row by its id', () => {
    const day = smallDay({
      unusual: [{ project_id: 'proj_gone', reason: 'new', num_sessions: 5, mean_7d: 0, cost_usd: null }],
    });
    expect(chatSummary(day).unusual).toEqual([
      { name: 'proj_gone', id: 'proj_gone', text: 'new: 5 sessions, none in the 7 days before', keys: [] },
    ]);
  });

  it('counts what it leaves out: none below ten, the rest above', () => {
    expect(chatSummary(content(3, 3))).toMatchObject({ more: 0, moreUnusual: 0 });
    expect(chatSummary(content(25, 14))).toMatchObject({ more: 15, moreUnusual: 4 });
    expect(chatSummary(content(25, 14)).unusual).toHaveLength(10);
    expect(chatSummary(content(25, 14)).top).toHaveLength(10);
  });

  it('fits by leaving out rows from the end of the longer list, the top list when both are as long', () => {
    const summary = chatSummary(content(12, 12, ['n']));
    const seen: [number, number][] = [];
    const fitted = fitSummary(
      summary,
      (s) => s,
      (s) => {
        seen.push([s.unusual.length, s.top.length]);
        return s.unusual.length + s.top.length <= 17;
      },
    );
    expect(seen).toEqual([
      [10, 10],
      [10, 9],
      [9, 9],
      [9, 8],
    ]);
    expect(fitted).toMatchObject({ more: 4, moreUnusual: 3 });
    expect(fitted.top.map((p) => p.id)).toEqual([
      'proj_0',
      'proj_1',
      'proj_2',
      'proj_3',
      'proj_4',
      'proj_5',
      'proj_6',
      'proj_7',
    ]);
  });

  it('stops at an empty message when nothing fits', () => {
    const fitted = fitSummary(
      chatSummary(content(3, 2)),
      (s) => s,
      () => false,
    );
    expect(fitted).toMatchObject({ top: [], unusual: [], more: 3, moreUnusual: 2 });
  });
});

describe('Webhook: the body, exactly', () => {
  it('has no unusual key when the result has none (a range), and no unusual_truncated when whole', () => {
    const day = content(2);
    const { unusual: _, ...range } = day.report;
    const sent = JSON.parse(renderWebhook({ ...day, report: { ...range, kind: 'range' } }, 1).body);
    expect(Object.keys(sent)).not.toContain('unusual');
    expect(sent.kind).toBe('range');
  });

  it('says nothing of unusual projects, even cut to the totals, when the result has no such list', () => {
    const day = content(20);
    const { unusual: _, ...range } = day.report;
    const sent = JSON.parse(renderWebhook({ ...day, report: { ...range, kind: 'range' } }, 1, 100).body);
    expect(sent).toMatchObject({ projects: [], projects_truncated: 20 });
    expect(Object.keys(sent)).not.toContain('unusual');
    expect(Object.keys(sent)).not.toContain('unusual_truncated');
  });

  it('sends a body exactly at the cap whole', () => {
    const whole = renderWebhook(content(20, 3), 1).body;
    const { body } = renderWebhook(content(20, 3), 1, Buffer.byteLength(whole));
    expect(body).toBe(whole);
    expect(JSON.parse(renderWebhook(content(20, 3), 1, Buffer.byteLength(whole) - 1).body)).toMatchObject({
      projects_truncated: 1,
    });
  });

  it('keeps the totals alone when not even they fit with one unusual project', () => {
    const sent = JSON.parse(renderWebhook(content(20, 3), 1, 100).body);
    expect(sent).toMatchObject({ projects: [], unusual: [], projects_truncated: 20, unusual_truncated: 3 });
  });

  it('carries the timestamp it is given, in seconds', () => {
    expect(renderWebhook(content(1), 1_800_000_000).timestamp).toBe(1_800_000_000);
  });
});

describe('Slack: a header never needs clipping', () => {
  it('keeps the longest title, a range with times in the longest zone name, within 150 characters', () => {
    const zone = Intl.supportedValuesOf('timeZone').reduce((a, b) => (b.length > a.length ? b : a));
    const day = content(1);
    const start = Date.parse('2026-11-01T00:17:00Z') / 1000;
    const report = {
      ...day.report,
      kind: 'monthly' as const,
      start_time: start,
      end_time: start + 40 * 86_400,
    };
    const [header] = renderSlack({ ...day, report, timeZone: zone }).blocks;
    const title = header?.type === 'header' ? header.text.text : '';
    expect(title).toContain(`(${zone})`);
    expect(title).toMatch(/ \d\d:\d\d – /);
    expect(title.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
  });
});

describe('Limits and budgets in chat and webhook messages', () => {
  const limit = (fields: Partial<LimitEntry>): LimitEntry => ({
    scope: 'project',
    id: 'proj_a',
    kind: 'hard_limit',
    limit_usd: 500,
    month_to_date_usd: 500,
    pace_usd_per_day: 30.6,
    forecast_usd: 900,
    reaches_on: null,
    status: 'enforcing',
    ...fields,
  });
  const limits = [
    limit({}),
    limit({ id: 'proj_0', status: 'will_reach', month_to_date_usd: 380, reaches_on: '2026-11-26' }),
    limit({ scope: 'organization', id: null, kind: 'budget', limit_usd: 20_000, status: 'ok' }),
  ];
  const monthToDate = {
    start_time: 0,
    end_time: 0,
    cost_usd: 1234.56,
    code_interpreter_cost_usd: 210,
    pace_usd_per_day: 61.2,
    forecast_usd: 1897.2,
  };
  const MTD = 'Month to date: $1,234.56 ($210.00 code interpreter) · $61.20/day · forecast $1,897.20';
  const day = () => smallDay({ limits, month_to_date: monthToDate });

  it('Slack: the subject flags, the month to date under the totals, and a limits section above unusual', () => {
    const message = renderSlack(day());
    expect(message.text).toMatch(/^⛔ 1 blocked · ⏳ 1 at risk · ⚠ 2 unusual · Code interpreter sessions /);
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', verbatim: true, text: TOTALS },
    });
    expect(message.blocks[2]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', verbatim: true, text: MTD }],
    });
    expect(message.blocks[3]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        verbatim: true,
        text: [
          ':no_entry: *Limits and budgets (2)*',
          '• *Checkout &amp; &lt;Payments&gt;* `proj_a`: OpenAI is refusing its requests now (hard limit $500 reached)',
          '• *P0* `proj_0`: reaches its $500 hard limit on 26 Nov at $31/day; traffic then fails with 429',
          '1 more limit on track',
        ].join('\n'),
      },
    });
    expect(message.blocks[4]).toMatchObject({
      type: 'section',
      text: { text: expect.stringMatching(/^:warning:/) },
    });
  });

  it('Slack: says what could not be read, and keeps every limit within Block Kit limits at 400 limits', () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      limit({ id: `proj_${i}`, status: i % 2 ? 'enforcing' : 'will_reach', reaches_on: '2026-11-26' }),
    );
    const message = renderSlack({
      ...content(5_000, 400),
      report: { ...content(5_000, 400).report, limits: many },
      notes: { limitsUnavailable: 'spend limits unavailable: HTTP 403' },
    });
    expect(message.text).toMatch(/^⛔ 200 blocked · ⏳ 200 at risk · ⚠ 400 unusual · /);
    const texts = message.blocks.map((b) =>
      b.type === 'section' ? (b.text?.text ?? '') : b.type === 'context' ? JSON.stringify(b.elements) : '',
    );
    expect(texts[2]).toBe(
      JSON.stringify([{ type: 'mrkdwn', text: 'Spend limits unavailable: HTTP 403', verbatim: true }]),
    );
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(texts.join('').length).toBeLessThanOrEqual(SLACK_LIMITS.blocksText);
    expect(texts[3]).toMatch(/^:no_entry: \*Limits and budgets \(400\)\*\n/);
    expect(texts[3]).toMatch(/\n…and 390 more limits$/);
  });

  it('Teams: an attention container of plain TextRuns before the unusual one, the month to date under the totals', () => {
    const body = renderTeams(day()).attachments[0]?.content.body as unknown[];
    expect(body[1]).toEqual(rich(run(TOTALS)));
    expect(body[2]).toEqual(rich(run(MTD)));
    expect(body[3]).toEqual({
      type: 'Container',
      style: 'attention',
      items: [
        rich(run('⛔ Limits and budgets (2)', { weight: 'Bolder' })),
        rich(
          run('Checkout & <Payments>', { weight: 'Bolder' }),
          run(' (proj_a)', { isSubtle: true }),
          run(': OpenAI is refusing its requests now (hard limit $500 reached)'),
        ),
        rich(
          run('P0', { weight: 'Bolder' }),
          run(' (proj_0)', { isSubtle: true }),
          run(': reaches its $500 hard limit on 26 Nov at $31/day; traffic then fails with 429'),
        ),
        rich(run('1 more limit on track', { isSubtle: true })),
      ],
    });
    expect(body[4]).toMatchObject({ type: 'Container', style: 'warning' });
    const card = renderAdaptiveCard(renderTeams(day()).attachments[0]?.content);
    expect(card.events).toEqual([]);
    expect(card.links).toEqual([]);
  });

  it('Teams: a warning container when nothing is blocked, within its size at 400 limits', () => {
    const body = renderTeams(smallDay({ limits: limits.slice(1) })).attachments[0]?.content.body as {
      style?: string;
    }[];
    expect(body[2]).toMatchObject({ type: 'Container', style: 'warning' });
    const many = Array.from({ length: 400 }, (_, i) => limit({ id: `proj_${'é'.repeat(70)}${i}` }));
    const message = renderTeams({
      ...content(5_000, 400),
      report: { ...content(5_000, 400).report, limits: many },
    });
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    expect(renderAdaptiveCard(message.attachments[0]?.content).text).toContain('⛔ Limits and budgets (400)');
  });

  it('Webhook: keeps limits and the month to date whole when it cuts projects and unusual', () => {
    const many = Array.from({ length: 300 }, (_, i) => limit({ id: `proj_${i}` }));
    const base = content(2_000, 2_000);
    const sent = JSON.parse(
      renderWebhook(
        { ...base, report: { ...base.report, limits: many, month_to_date: monthToDate } },
        1,
        120_000,
      ).body,
    );
    expect(sent.projects_truncated).toBeGreaterThan(0);
    expect(sent.limits).toEqual(many);
    expect(sent.month_to_date).toEqual(monthToDate);
  });
});

describe('Webhook: limits over the cap', () => {
  it('at 1,500 limits, cuts the last (on track) ones after projects and unusual, saying by how many', () => {
    const base = content(1_500, 10);
    const limits = Array.from(
      { length: 1_500 },
      (_, i): LimitEntry => ({
        scope: 'project',
        id: `proj_${String(i).padStart(24, '0')}`,
        kind: 'hard_limit',
        limit_usd: 500,
        month_to_date_usd: 123.456789,
        pace_usd_per_day: 12.345678,
        forecast_usd: 456.789012,
        reaches_on: i < 5 ? '2026-11-30' : null,
        status: i < 5 ? 'will_reach' : 'ok',
      }),
    );
    const { body } = renderWebhook({ ...base, report: { ...base.report, limits } }, 1);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(WEBHOOK_MAX_BYTES);
    const sent = JSON.parse(body);
    expect(sent).toMatchObject({
      projects: [],
      unusual: [],
      projects_truncated: 1_500,
      unusual_truncated: 10,
    });
    expect(sent.limits.length + sent.limits_truncated).toBe(1_500);
    expect(sent.limits.slice(0, 5)).toEqual(limits.slice(0, 5));
  });
});

describe('Charts and the keys behind a spike, in chat', () => {
  /** smallDay with a chart (proj_a climbing, unattributed new this week) and keys behind proj_a. */
  function charted(keys: UnusualProject['keys']): DigestContent {
    const day = smallDay();
    const [spike, ...rest] = day.report.unusual ?? [];
    return {
      ...day,
      report: { ...day.report, unusual: [{ ...(spike as UnusualProject), keys }, ...rest] },
      trend: {
        ...(day.trend as NonNullable<DigestContent['trend']>),
        chart: dailyChart(
          '2026-11-22',
          new Map<string | null, readonly number[]>([
            ['proj_a', Array.from({ length: 14 }, (_, i) => 300 + i * 70)],
            [null, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 20, 40]],
          ]),
        ),
      },
    };
  }
  const KEYS: UnusualProject['keys'] = [
    {
      api_key_id: 'key_a',
      name: 'eval-runner',
      redacted_value: 'sk-...a1B2',
      owner: 'ci-bot',
      cost_usd: 2.87,
    },
    { api_key_id: 'key_gone', name: null, redacted_value: null, owner: null, cost_usd: 0.4 },
    {
      api_key_id: 'key_evil',
      name: '*boss* <!channel> [x](https://evil.example)',
      redacted_value: 'sk-...zz_9',
      owner: '_ops_ <@U123>',
      cost_usd: 0.01,
    },
    { api_key_id: 'key_small', name: 'fourth', redacted_value: 'sk-...4444', owner: null, cost_usd: 0.005 },
  ];

  it("Slack: the organization's 14 days under the totals, each project's beside it, the top 3 keys under a spike", () => {
    const message = renderSlack(charted(KEYS));
    const sections = message.blocks.flatMap((b) => (b.type === 'section' ? [b.text?.text ?? ''] : []));
    expect(sections[0]).toBe(`${TOTALS}\nLast 14 days: \`▄▅▆▄▁▂▅▆▄▅▆▃▄█\``);
    expect(sections[1]).toBe(
      [
        ':warning: *2 unusual*',
        '• *Checkout &amp; &lt;Payments&gt;* `proj_a`: spike: 1,200 sessions, 4.0× its 7-day mean of 300',
        '    ◦ 82% from key "eval-runner" (`sk-...a1B2`), owned by ci-bot',
        '    ◦ 11% from `key_gone`, a key since deleted',
        '    ◦ &lt;1% from key "∗boss∗ &lt;!channel&gt; [x](https://evil.example)" (`sk-...zz_9`), owned by ˍopsˍ &lt;@U123&gt;',
        '• *unattributed*: new: 40 sessions, none in the 7 days before',
      ].join('\n'),
    );
    const top = (sections[2] ?? '').split('\n');
    expect(top[0]).toBe(
      '*Checkout &amp; &lt;Payments&gt;* `proj_a`: 1,200 · $3.50 · ▲ +200 vs last Sun · `▃▄▄▄▅▅▆▆▆▇▇███`',
    );
    // New this week: its sparkline starts at zero; a project the chart lacks had none.
    expect(top[1]).toBe('*unattributed*: 40 · = ±0 vs last Sun · `▁▁▁▁▁▁▁▁▁▁▁▂▅█`');
    expect(top[2]).toBe('*P0* `proj_0`: 30 · $0.00 · `▁▁▁▁▁▁▁▁▁▁▁▁▁▁`');
    expect(message.blocks.some((b) => JSON.stringify(b).includes('fourth'))).toBe(false);
  });

  it('Teams: the same sparklines in a monospace run, the keys as plain text that no markdown reads', () => {
    const message = renderTeams(charted(KEYS));
    const content = message.attachments[0]?.content as { body: Record<string, unknown>[] };
    expect(content.body[2]).toEqual(
      rich(run('Last 14 days: '), run('▄▅▆▄▁▂▅▆▄▅▆▃▄█', { fontType: 'Monospace' })),
    );
    const card = renderAdaptiveCard(message.attachments[0]?.content);
    expect(card.events).toEqual([]);
    expect(card.links).toEqual([]);
    expect(card.text).toContain('◦ 82% from key "eval-runner" (sk-...a1B2), owned by ci-bot');
    expect(card.text).toContain('◦ 11% from key_gone, a key since deleted');
    expect(card.text).toContain(
      '◦ <1% from key "*boss* <!channel> [x](https://evil.example)" (sk-...zz_9), owned by _ops_ <@U123>',
    );
    expect(card.text).toContain('1,200 · $3.50 · ▲ +200 vs last Sun · ▃▄▄▄▅▅▆▆▆▇▇███');
  });

  it('Slack and Teams: a weekly digest draws its days against the week before, to one scale', () => {
    const day = smallDay();
    const weekly: DigestContent = {
      ...day,
      report: { ...day.report, kind: 'weekly', unusual: [] },
      trend: { ...(day.trend as NonNullable<DigestContent['trend']>), chart: periodChart('2026-11-22', 7) },
    };
    const slack = renderSlack(weekly).blocks[1];
    expect(slack?.type === 'section' && slack.text?.text).toMatch(
      /\nThis week: `[▁-█]{7}`\nWeek before: `[▁-█]{7}`$/,
    );
    const card = renderAdaptiveCard(renderTeams(weekly).attachments[0]?.content);
    expect(card.text).toMatch(/This week: [▁-█]{7}Week before: [▁-█]{7}/);
  });

  it('keeps every limit at 5,000 projects, 400 unusual with three hostile keys each, and a chart', () => {
    const big = content(5_000, 400);
    const long = 'k'.repeat(300);
    const withKeys: DigestContent = {
      ...big,
      report: {
        ...big.report,
        unusual: (big.report.unusual ?? []).map((u) => ({
          ...u,
          keys: [0, 1, 2].map((k) => ({
            api_key_id: `key_${k}_${long}`,
            name: `${HOSTILE[k]} ${long}`,
            redacted_value: `sk-...${k}`,
            owner: `${HOSTILE[k + 1]} ${long}`,
            cost_usd: 0.5 - k / 10,
          })),
        })),
      },
      trend: {
        compared_sessions: 1,
        projects: big.report.projects.map((p) => ({ project_id: p.project_id, compared_sessions: 1 })),
        chart: dailyChart(
          '2026-11-22',
          new Map(
            big.report.projects.map((p, i) => [p.project_id, Array.from({ length: 14 }, (_, d) => d * i)]),
          ),
        ),
      },
    };
    const slack = renderSlack(withKeys);
    const all = texts(slack.blocks as never);
    expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const t of all) expect(t.text.length).toBeLessThanOrEqual(t.type === 'header' ? 150 : 3000);
    expect(all.reduce((sum, t) => sum + t.text.length, 0)).toBeLessThanOrEqual(SLACK_LIMITS.blocksText);
    expect(all.find((t) => t.text.startsWith(':warning:'))?.text).toContain('◦ 33% from key');
    const teams = renderTeams(withKeys);
    expect(Buffer.byteLength(JSON.stringify(teams))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    expect(renderAdaptiveCard(teams.attachments[0]?.content).events).toEqual([]);
  });
});
