import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, expectedTotal, Harness, SAMPLE_LOG, SECRET_ID } from '../support/harness';

const ROOT = join(import.meta.dirname, '..', '..');
const harness = new Harness();

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
});

/** Runs `npm run report -- …` as a user would, against the local usage API. */
function report(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [join(ROOT, 'cli', 'report.ts'), ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          OPENAI_ADMIN_KEY: ADMIN_KEY,
          OPENAI_BASE_URL: harness.usageApi.baseUrl,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_SES: harness.ses.url,
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const total = (start: string, end: string) => expectedTotal(Date.parse(start) / 1000, Date.parse(end) / 1000);

describe('CLI: npm run report', () => {
  it('prints the exact result as JSON for a Berlin week', async () => {
    const run = await report([
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-08',
      '--tz',
      'Europe/Berlin',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.start_time).toBe(Date.parse('2026-10-31T23:00:00Z') / 1000);
    expect(result.total_sessions).toBe(total('2026-10-31T23:00:00Z', '2026-11-07T23:00:00Z'));
  });

  it('prints a table with names and shows progress for a long range', async () => {
    const run = await report(['--from', '2026-08-20', '--to', '2026-11-18', '--tz', 'America/New_York']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Code interpreter sessions 2026-08-20 – 2026-11-17 (America/New_York)');
    expect(run.stdout).toContain(SAMPLE_LOG.projects[0]?.name);
    expect(run.stdout).toContain('(unattributed)');
    expect(run.stderr).toContain('fetching usage: 5/5 requests');
  });

  it('filters projects, writes the HTML and mails the digest through SES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'usage-digest-cli-'));
    const id = SAMPLE_LOG.projects[2]?.id as string;
    const run = await report(
      [
        '--from',
        '2026-11-10',
        '--to',
        '2026-11-11',
        '--project',
        id,
        '--html',
        join(dir, 'r.html'),
        '--send',
        '--to',
        'cto@example.com',
      ],
      { REPORT_SENDER: 'digest@example.com' },
    );
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain(SAMPLE_LOG.projects[2]?.name);
    const emails = await harness.ses.emails();
    expect(emails.map((e) => e.destination.to)).toEqual([['cto@example.com']]);
    for (const { params } of harness.usageApi.usageRequests())
      expect(params.getAll('project_ids')).toEqual([id]);
  });

  it.each([
    [['--from', 'last tuesday', '--to', '2026-11-08'], '--from: "last tuesday" is not an ISO-8601'],
    [['--from', '2026-11-08', '--to', '2026-11-01'], '--to: must be after --from'],
    [['--from', '2026-11-01', '--tz', 'Moon/Base'], '--tz: "Moon/Base" is not an IANA time zone'],
    [['--colour'], "Unknown option '--colour'"],
    [['--send', '--from', '2026-11-01'], '--send needs --to ADDRESS'],
  ])('exits 2 with usage on %j', async (args, message) => {
    const run = await report(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: npm run report');
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it('reads the key from Secrets Manager with --secret-id', async () => {
    const run = await report(
      ['--from', '2026-11-01', '--to', '2026-11-02', '--json', '--secret-id', SECRET_ID],
      {
        OPENAI_ADMIN_KEY: '',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER as string,
      },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).total_sessions).toBe(total('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'));
  });

  it('exits 2 without a key', async () => {
    const run = await report(['--from', '2026-11-01'], { OPENAI_ADMIN_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no admin key');
  });

  it('exits 1 with the clear error on a rejected key, never printing it', async () => {
    const run = await report(['--from', '2026-11-01', '--to', '2026-11-02'], {
      OPENAI_ADMIN_KEY: 'sk-admin-WRONG-123',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: the OpenAI admin key was rejected (401)');
    expect(run.stderr + run.stdout).not.toContain('sk-admin-WRONG-123');
  });

  it('fails at once, saying when to try again, when Retry-After runs past --timeout', async () => {
    harness.usageApi.inject('usage', { kind: 'status', status: 429, retryAfter: '3600' });
    const started = Date.now();
    const { code, stderr } = await report(['--from', '2026-11-20', '--to', '2026-11-21', '--timeout', '30']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /HTTP 429; the API asked to wait until \d{4}-\d{2}-\d{2}T[\d:.]+Z, past this run's deadline: try again after then/,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it.each([
    [['--timeout', '0'], '--timeout must be a positive number of seconds'],
    [['--base-url', 'http://usage.example/v1'], '--base-url: "http://usage.example" must be https://'],
  ])('exits 2 on %j', async (args, message) => {
    const { code, stderr } = await report(['--from', '2026-11-20', ...args]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it('documents every option in --help', async () => {
    const run = await report(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--from', '--to', '--tz', '--project', '--json', '--html', '--send', '--secret-id']) {
      expect(run.stdout).toContain(flag);
    }
  });
});
