import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSampleReport } from '../../scripts/sample-report';

const ROOT = join(import.meta.dirname, '..', '..');

/** `npm start` as `package.json` runs it (tsx over scripts/demo.ts), in `cwd`, where it writes out/. */
function demo(cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const loader = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', loader, join(ROOT, 'scripts', 'demo.ts')],
      { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, REPORT_TIMEZONE: 'Europe/Berlin' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const at = (iso: string) => Date.parse(iso) / 1000;

describe('npm start (the demo)', () => {
  it('shows a blocked project and one at risk in the table, the subject and out/report.{txt,html,csv}', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'usage-digest-demo-'));
    const run = await demo(cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Limits and budgets: ⛔ 1 blocked · ⏳ 1 at risk');
    expect(run.stdout).toMatch(
      /^ {2}Data Science Sandbox \(proj_0002bx\): OpenAI is refusing its requests now \(hard limit \$[\d,]+ reached\)$/m,
    );
    // Today's date decides which: on the last UTC day of a month no later day is left to reach it on.
    expect(run.stdout).toMatch(
      /^ {2}Support Copilot \(proj_0003cx\): (reaches its \$[\d,]+ hard limit on \d{1,2} \w{3} at \$[\d.,]+\/day; traffic then fails with 429|has reached its \$[\d,]+ hard limit)/m,
    );
    expect(run.stdout).toMatch(/^Email subject: ⛔ 1 blocked · ⏳ 1 at risk · ⚠ 2 unusual · /m);
    const text = readFileSync(join(cwd, 'out', 'report.txt'), 'utf8');
    expect(text).toMatch(/^Subject: ⛔ 1 blocked · ⏳ 1 at risk/);
    // Above "Needs a look", as the issue asks.
    expect(text.indexOf('⛔ Limits and budgets (3):')).toBeGreaterThan(0);
    expect(text.indexOf('⛔ Limits and budgets (3):')).toBeLessThan(text.indexOf('Needs a look'));
    expect(readFileSync(join(cwd, 'out', 'report.html'), 'utf8')).toContain('Limits and budgets');
    const [header, ...rows] = readFileSync(join(cwd, 'out', 'report.csv'), 'utf8')
      .trim()
      .split('\n');
    const column = header?.split(',').indexOf('month_to_date_cost_usd') ?? -1;
    expect(column).toBeGreaterThan(0);
    expect(rows.some((row) => Number(row.split(',')[column]) > 0)).toBe(true);
  }, 60_000);

  it.each([
    ['mid-month', '2026-11-20T07:00:00Z', '2026-11-19'],
    ['on the 1st (C is the 1st)', '2026-02-02T07:00:00Z', '2026-02-01'],
    ['on the eve of the last day', '2026-04-30T07:00:00Z', '2026-04-29'],
  ])('%s, Support Copilot reaches its hard limit on a later day of the month', async (_, now, costDay) => {
    const { result, digest } = await runSampleReport({ now: at(now), timeZone: 'Europe/Berlin' });
    const limits = result.limits ?? [];
    const copilot = limits.find((l) => l.id === 'proj_0003cx');
    expect(copilot).toMatchObject({ kind: 'hard_limit', status: 'will_reach' });
    expect(copilot?.reaches_on?.slice(0, 7)).toBe(costDay.slice(0, 7));
    expect(copilot?.reaches_on && copilot.reaches_on > costDay).toBe(true);
    expect(limits.map((l) => [l.id, l.kind, l.status])).toEqual([
      ['proj_0002bx', 'hard_limit', 'enforcing'],
      ['proj_0003cx', 'hard_limit', 'will_reach'],
      ['proj_0004dx', 'budget', 'warn'],
      [null, 'hard_limit', 'ok'],
    ]);
    expect(digest.subject).toMatch(/^⛔ 1 blocked · ⏳ 1 at risk · /);
  });

  it('on the last UTC day of a month, when no later day is left, Support Copilot has reached it', async () => {
    const { result } = await runSampleReport({ now: at('2026-12-01T07:00:00Z'), timeZone: 'Europe/Berlin' });
    expect(result.limits?.find((l) => l.id === 'proj_0003cx')).toMatchObject({
      status: 'reached',
      reaches_on: null,
    });
  });
});
