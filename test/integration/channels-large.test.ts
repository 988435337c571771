import { createHmac } from 'node:crypto';
import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSessionLog, type SessionLog } from '../../dev/sample-usage';
import { createMailer } from '../../functions/report/adapters/mailer';
import type { DigestContent } from '../../functions/report/channels/channel';
import { createEmailChannel } from '../../functions/report/channels/email';
import { createSlackChannel } from '../../functions/report/channels/slack';
import { createTeamsChannel } from '../../functions/report/channels/teams';
import { WEBHOOK_MAX_BYTES } from '../../functions/report/channels/webhook';
import type { ReportResult } from '../../functions/report/core/report';
import { renderAdaptiveCard } from '../support/adaptive-card';
import { dailyChart } from '../support/digest-chart';
import { Harness, lambdaContext, scheduledEvent } from '../support/harness';
import { WebhookReceiver } from '../support/receiver';

/** Names that would be markup in one channel or another, made long. */
const HOSTILE = [
  '[Reset your SSO password](https://evil.example/sso)',
  '*urgent* _now_ ~old~ `code` <https://evil.example|click> <!channel>',
  '=HYPERLINK("https://evil.example") # > - + ! | \\',
  'Line one\u2028line two\u2029three',
];
const PROJECTS = 5_000;

/** 5,100 projects, 5,000 or more with sessions on Monday 2026-11-23 (the day reported), named hostilely at 200+ characters. */
function largeLog(): SessionLog {
  const log = generateSessionLog({
    from: Date.parse('2026-11-12T00:00:00Z') / 1000,
    to: Date.parse('2026-11-24T07:00:00Z') / 1000,
    projectCount: PROJECTS + 100,
    peakDaily: 12_000,
    seed: 19,
  });
  return {
    ...log,
    projects: log.projects.map((p, i) => ({
      ...p,
      name: `${HOSTILE[i % HOSTILE.length]} ${'x'.repeat(150)} ${i}`,
    })),
  };
}

const harness = new Harness({ idempotency: true });
const receiver = new WebhookReceiver();
const SIGNING_KEY = 'whsec-large';
let base: string;

// Only the servers start here: a handler run in `beforeAll` would make every mutant on the delivery
// path "static" to Stryker (covered outside any test), run against every test of the suite.
beforeAll(async () => {
  await harness.start();
  harness.usageApi.configure({ log: largeLog() });
  base = await receiver.start();
  harness.secrets.secrets.set('usage-digest/slack', `${base}/slack`);
  harness.secrets.secrets.set('usage-digest/teams', `${base}/teams`);
  harness.secrets.secrets.set('usage-digest/webhook-key', SIGNING_KEY);
}, 240_000);
afterAll(async () => {
  await harness.stop();
  await receiver.stop();
});

const posted = (path: string) => JSON.parse(receiver.to(path)[0]?.body ?? 'null');

describe('Every channel at 5,000 projects with long hostile names', () => {
  it('delivers the day on every channel, each within its limit, saying what it left out', async () => {
    const result = await harness.handler(
      {
        SLACK_WEBHOOK_SECRET_ID: 'usage-digest/slack',
        TEAMS_WEBHOOK_SECRET_ID: 'usage-digest/teams',
        WEBHOOK_URL: `${base}/hook`,
        WEBHOOK_SIGNING_SECRET_ID: 'usage-digest/webhook-key',
      },
      { now: () => Date.parse('2026-11-24T07:00:00Z') },
    )(scheduledEvent('2026-11-24T06:00:00Z'), lambdaContext(120_000));
    expect(result.projects.length).toBeGreaterThanOrEqual(PROJECTS);
    expect((await harness.ses.emails()).length).toBe(1);
    expect(receiver.posts.map((p) => p.path).sort()).toEqual(['/hook', '/slack', '/teams']);

    // webhook: the top projects within our 256 KiB cap, the totals and unusual whole, projects_truncated
    {
      const [post] = receiver.to('/hook');
      const body = post?.body ?? '';
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(WEBHOOK_MAX_BYTES);
      expect(WEBHOOK_MAX_BYTES).toBe(256 * 1024);
      const timestamp = String(post?.headers['x-usage-digest-timestamp']);
      expect(post?.headers['x-usage-digest-signature']).toBe(
        `sha256=${createHmac('sha256', SIGNING_KEY).update(`${timestamp}.${body}`).digest('hex')}`,
      );
      const sent = JSON.parse(body);
      const kept = sent.projects.length;
      expect(kept).toBeGreaterThan(100);
      expect(sent).toEqual({
        ...result,
        projects: result.projects.slice(0, kept),
        kind: 'daily',
        date: '2026-11-23',
        time_zone: 'Europe/Berlin',
        projects_truncated: result.projects.length - kept,
      });
      expect(sent.projects_truncated).toBeGreaterThan(0);
    }

    // Slack: within Block Kit limits, top 10 and how many more, names as text
    {
      const message = posted('/slack');
      expect(message.blocks.length).toBeLessThanOrEqual(50);
      let total = 0;
      for (const block of message.blocks) {
        const texts = [block.text?.text, ...(block.elements ?? []).map((e: { text: string }) => e.text)];
        for (const text of texts.filter((t): t is string => t !== undefined)) {
          total += text.length;
          expect(text.length).toBeLessThanOrEqual(block.type === 'header' ? 150 : 3000);
          expect(text).not.toMatch(/<https?:|<!channel>|\u2028|\u2029/);
        }
        if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(10);
      }
      expect(total).toBeLessThanOrEqual(12_000);
      const top = message.blocks.find(
        (b: { type: string; text?: { text: string } }) =>
          b.type === 'section' && b.text?.text.startsWith('*'),
      );
      expect(top.text.text.split('\n')).toHaveLength(10);
      expect(message.blocks.at(-1).elements[0].text).toBe(
        `${(result.projects.length - 10).toLocaleString('en-US')} more in the email`,
      );
    }

    // Teams: a card under 28 KB that Microsoft’s library parses cleanly, with no link in it
    {
      const [post] = receiver.to('/teams');
      expect(Buffer.byteLength(post?.body ?? '')).toBeLessThan(28 * 1024);
      const card = renderAdaptiveCard(JSON.parse(post?.body ?? '{}').attachments[0].content);
      expect(card.events).toEqual([]);
      expect(card.links).toEqual([]);
      expect(card.text).toContain('[Reset your SSO password](https://evil.example/sso)');
      expect(card.text).toContain(
        `${(result.projects.length - 10).toLocaleString('en-US')} more in the email`,
      );
    }

    // email: whole, every project in the CSV, under SES’s 10 MB
    {
      const [email] = await harness.ses.emails();
      const csv = Buffer.from(email?.attachments[0]?.content ?? '', 'base64').toString('utf8');
      expect(csv.trim().split('\r\n')).toHaveLength(result.projects.length + 1);
      // SendRawEmail: "The maximum message size, including attachments, is 10 MB" (SES API reference).
      const size =
        Buffer.byteLength(email?.body.html ?? '') +
        Buffer.byteLength(email?.body.text ?? '') +
        (email?.attachments ?? []).reduce((sum, a) => sum + a.content.length, 0);
      expect(size).toBeLessThan(10 * 1024 * 1024);
    }
  }, 240_000);
});

/** 1,500 projects named hostilely at 200+ characters, a chart with a sparkline each, 40 unusual with three hostile keys each. */
function chartedDay(): DigestContent {
  const start = Date.parse('2026-11-20T23:00:00Z') / 1000;
  const long = 'x'.repeat(150);
  const projects = Array.from({ length: 1_500 }, (_, i) => ({
    project_id: `proj_${i}`,
    project_name: `${HOSTILE[i % HOSTILE.length]} ${long} ${i}`,
    num_sessions: 10_000 - i,
    cost_usd: 2 + (i % 7),
  }));
  const report: ReportResult = {
    kind: 'daily',
    start_time: start,
    end_time: start + 86_400,
    total_sessions: projects.reduce((sum, p) => sum + p.num_sessions, 0),
    total_cost_usd: projects.reduce((sum, p) => sum + p.cost_usd, 0),
    cost_start_time: start + 3_600,
    cost_end_time: start + 3_600 + 86_400,
    projects,
    unusual: projects.slice(0, 40).map((p, i) => ({
      project_id: p.project_id,
      reason: 'spike' as const,
      num_sessions: p.num_sessions,
      mean_7d: p.num_sessions / 4,
      cost_usd: p.cost_usd,
      keys: [0, 1, 2].map((k) => ({
        api_key_id: `key_${i}_${k}`,
        name: `${HOSTILE[(i + k) % HOSTILE.length]} ${long}`,
        redacted_value: k === 2 ? null : `sk-...${k}${i}`,
        owner: `${HOSTILE[(i + k + 1) % HOSTILE.length]}`,
        cost_usd: p.cost_usd / (k + 2),
      })),
    })),
  };
  return {
    report,
    timeZone: 'Europe/Berlin',
    trend: {
      compared_sessions: 1,
      seven_day_mean_sessions: 1,
      projects: projects.map((p) => ({ project_id: p.project_id, compared_sessions: p.num_sessions - 5 })),
      chart: dailyChart(
        '2026-11-21',
        new Map(
          projects.map((p, i) => [p.project_id, Array.from({ length: 14 }, (_, d) => (d * 31 + i) % 97)]),
        ),
      ),
    },
    notes: {},
  };
}

describe('Every chat and email channel at 1,500 projects with a chart, sparklines and the keys behind 40 spikes', () => {
  it('sends an email under SES’s 10 MB and chat messages within their limits', async () => {
    const content = chartedDay();
    const ses = new SESClient({
      endpoint: harness.ses.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const email = createEmailChannel(createMailer(ses, 'digest@example.com'), ['team@example.com']);
    const slack = createSlackChannel(`${base}/slack-charted`);
    const teams = createTeamsChannel(`${base}/teams-charted`);
    await Promise.all([email, slack, teams].map((channel) => channel.send(channel.render(content) as never)));

    // email: SendRawEmail takes at most 10 MB (SES API reference, "SendRawEmail"). Names of 200+
    // characters and 40 spikes' keys take the HTML past Gmail's ~102 KB (about 147 KB): Gmail then
    // clips the tail behind "View entire message"; render.test.ts keeps a usual digest under it.
    const sent = (await harness.ses.emails()).find((e) => e.subject?.includes('2026-11-21'));
    const html = sent?.body.html ?? '';
    expect(html).toContain('aria-label="Sessions per day, 22 Oct to 21 Nov:');
    expect(html.match(/class="ud-spark"/g)).toHaveLength(25);
    expect(html).toContain('a key since deleted');
    const size =
      Buffer.byteLength(html) +
      Buffer.byteLength(sent?.body.text ?? '') +
      (sent?.attachments ?? []).reduce((total, a) => total + a.content.length, 0);
    expect(size).toBeLessThan(10 * 1024 * 1024);

    // Slack: Block Kit's 50 blocks and 3,000 characters a section (docs.slack.dev/reference/block-kit)
    const message = posted('/slack-charted');
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    let total = 0;
    for (const block of message.blocks) {
      const texts = [block.text?.text, ...(block.elements ?? []).map((e: { text: string }) => e.text)];
      for (const text of texts.filter((t): t is string => t !== undefined)) {
        total += text.length;
        expect(text.length).toBeLessThanOrEqual(block.type === 'header' ? 150 : 3000);
        expect(text).not.toMatch(/<https?:|<!channel>|\u2028|\u2029/);
      }
    }
    expect(total).toBeLessThanOrEqual(12_000);
    expect(JSON.stringify(message.blocks)).toMatch(/Last 14 days: `[▁-█]{14}`/);
    expect(JSON.stringify(message.blocks)).toContain('◦ ');

    // Teams: under the 28 KB Microsoft documents, parsed cleanly, no link
    const [post] = receiver.to('/teams-charted');
    expect(Buffer.byteLength(post?.body ?? '')).toBeLessThan(28 * 1024);
    const card = renderAdaptiveCard(JSON.parse(post?.body ?? '{}').attachments[0].content);
    expect(card.events).toEqual([]);
    expect(card.links).toEqual([]);
    expect(card.text).toMatch(/Last 14 days: [▁-█]{14}/);
  }, 120_000);
});
