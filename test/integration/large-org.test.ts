import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSessionLog } from '../../dev/sample-usage';
import { localDayWindow } from '../../functions/report/core/local-time';
import { BODY_ROW_LIMIT } from '../../functions/report/core/render';
import { Harness, lambdaContext } from '../support/harness';

const harness = new Harness();
const LARGE_LOG = generateSessionLog({
  from: Date.parse('2026-11-18T00:00:00Z') / 1000,
  to: Date.parse('2026-11-21T00:00:00Z') / 1000,
  projectCount: 1_600,
  peakDaily: 6_000,
  seed: 11,
});

beforeAll(async () => {
  await harness.start();
  harness.usageApi.configure({ log: LARGE_LOG });
});
afterAll(() => harness.stop());

describe('An organization with 1,600 projects', () => {
  it('mails a readable digest: top projects in the body, every project in the CSV, names from every page', async () => {
    const result = await harness.handler({ REPORT_TIMEZONE: 'UTC' })(
      { start_time: '2026-11-19', end_time: '2026-11-20' },
      lambdaContext(),
    );
    expect(result.projects.length).toBeGreaterThan(1_500);
    // Names come from all 16 pages of the projects list, archived projects included.
    expect(result.projects.every((p) => p.project_id === null || p.project_name !== undefined)).toBe(true);
    const projectPages = harness.usageApi.requests.filter((r) => r.path.endsWith('/projects'));
    expect(projectPages).toHaveLength(16);
    expect(projectPages.slice(1).every((r) => r.params.has('after'))).toBe(true);

    const [email] = await harness.ses.emails();
    const csv = Buffer.from(email?.attachments[0]?.content ?? '', 'base64').toString('utf8');
    expect(email?.attachments.map((a) => a.contentType)).toEqual(['text/csv']);
    expect(csv.trim().split('\r\n')).toHaveLength(result.projects.length + 1);
    const unattributedBelowTop = result.projects.slice(BODY_ROW_LIMIT).some((p) => p.project_id === null);
    const hidden = result.projects.length - BODY_ROW_LIMIT - (unattributedBelowTop ? 1 : 0);
    expect(email?.body.text).toContain(`…and ${hidden.toLocaleString('en-US')} more projects`);
    expect(Buffer.byteLength(email?.body.html ?? '')).toBeLessThan(100_000);
  });

  it('still says zero on a day without sessions', async () => {
    await harness.ses.clear();
    const day = localDayWindow('2026-11-16', 'UTC');
    const result = await harness.handler({ REPORT_TIMEZONE: 'UTC' })(
      { start_time: day.start, end_time: day.end },
      lambdaContext(),
    );
    expect(result).toEqual({
      kind: 'range',
      start_time: day.start,
      end_time: day.end,
      total_sessions: 0,
      total_cost_usd: 0,
      cost_start_time: day.start,
      cost_end_time: day.end,
      projects: [],
    });
    const [email] = await harness.ses.emails();
    expect(email?.subject).toBe('Code interpreter sessions 2026-11-16 (UTC): 0 · $0.00');
    expect(email?.body.text).toContain('No code interpreter sessions in this period.');
  });
});
