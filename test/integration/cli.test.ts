import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  expectedCostUsd,
  expectedTotal,
  Harness,
  SAMPLE_LOG,
  SECRET_ID,
} from '../support/harness';

const ROOT = join(import.meta.dirname, '..', '..');
const harness = new Harness();

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args…` as a user would, against the local usage API and SES. */
function run(command: string, args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<Run>((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
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

/** The `usage-digest` bin itself, as `npx usage-digest` starts it. */
const report = (args: string[], env: Record<string, string | undefined> = {}) =>
  run(process.execPath, [join(ROOT, 'cli', 'usage-digest.mjs'), ...args], env);

/** An environment in which the AWS SDK finds no region, profile or credentials. */
function withoutAws(): Record<string, string | undefined> {
  return {
    HOME: mkdtempSync(join(tmpdir(), 'usage-digest-home-')),
    AWS_REGION: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** A stand-in for SES in an account where the sender is not verified: SES's own error document. */
async function unverifiedSes(): Promise<{ url: string; close: () => void }> {
  const server = createServer((_request, response) => {
    response.writeHead(400, { 'content-type': 'text/xml' });
    response.end(
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified. The following identities failed the check in region EU-WEST-1: digest@example.com</Message></Error><RequestId>1</RequestId></ErrorResponse>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const total = (start: string, end: string) => expectedTotal(Date.parse(start) / 1000, Date.parse(end) / 1000);

describe('CLI: usage-digest', () => {
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
    // Cost over the UTC days with the range's Berlin dates, 1–7 Nov.
    expect(result).toMatchObject({
      cost_start_time: Date.parse('2026-11-01T00:00:00Z') / 1000,
      cost_end_time: Date.parse('2026-11-08T00:00:00Z') / 1000,
    });
    expect(result.total_cost_usd).toBeCloseTo(
      expectedCostUsd(Date.parse('2026-11-01T00:00:00Z') / 1000, Date.parse('2026-11-08T00:00:00Z') / 1000),
      6,
    );
  });

  it('prints a table with names, and no progress line when stderr is not a terminal', async () => {
    const run = await report(['--from', '2026-08-20', '--to', '2026-11-18', '--tz', 'America/New_York']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Code interpreter sessions 2026-08-20 – 2026-11-17 (America/New_York)');
    expect(run.stdout).toContain(SAMPLE_LOG.projects[0]?.name);
    expect(run.stdout).toContain('(unattributed)');
    expect(run.stdout).toMatch(/^\$[\d,]+\.\d\d code interpreter cost \(cost: 20 Aug – 17 Nov, UTC days\)$/m);
    expect(run.stdout).toMatch(/Sessions {2}Share +Cost/);
    expect(run.stderr).not.toContain('fetching usage');
    expect(run.stderr).not.toContain('\r');
  });

  it.runIf(existsSync('/usr/bin/script'))('shows progress on a terminal (a pty from script)', async () => {
    const command = [
      process.execPath,
      join(ROOT, 'cli', 'usage-digest.mjs'),
      '--from',
      '2026-08-20',
      '--to',
      '2026-11-18',
      '--tz',
      'America/New_York',
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    const tty = await run('/usr/bin/script', ['-qec', command, '/dev/null']);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toContain('fetching usage: 5/5 requests');
  });

  it('is the package bin: npx usage-digest --json prints nothing but the JSON, so it pipes into jq', async () => {
    const npx = await run('npx', [
      '--no-install',
      'usage-digest',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-02',
      '--json',
    ]);
    expect(npx.code).toBe(0);
    expect(JSON.parse(npx.stdout).total_sessions).toBe(total('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'));
    // npm run prints a banner on stdout unless -s: the README documents `npm run -s report`.
    const npmRun = await run('npm', [
      'run',
      '-s',
      'report',
      '--',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-02',
      '--json',
    ]);
    expect(JSON.parse(npmRun.stdout)).toEqual(JSON.parse(npx.stdout));
  });

  it.runIf(existsSync('/usr/bin/jq'))('pipes into jq in a shell', async () => {
    const piped = await run('sh', [
      '-c',
      "npx --no-install usage-digest --from 2026-11-01 --to 2026-11-02 --json | jq -r '.total_sessions'",
    ]);
    expect(piped.code).toBe(0);
    expect(Number(piped.stdout.trim())).toBe(total('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'));
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
        '--recipient',
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
    [['--send', '--from', '2026-11-01'], '--send needs --recipient ADDRESS'],
    // One meaning per flag: --to ends the range, and an address there is a mistake, said so.
    [
      ['--from', '2026-11-01', '--send', '--to', 'cto@example.com'],
      '--to is the end of the range; mail cto@example.com with --send --recipient cto@example.com',
    ],
    [['--from', '2026-11-01', '--recipient', 'cto@example.com'], '--recipient goes with --send'],
    [
      ['--from', '2026-11-01', '--send', '--recipient', 'cto@elsewhere'],
      '--recipient: "cto@elsewhere" is not',
    ],
  ])('exits 2 with usage on %j', async (args, message) => {
    const result = await report(args, { REPORT_SENDER: 'digest@example.com' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: usage-digest [options]');
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it.each([
    [['--send', '--recipient', 'cto@example.com', '--sender', 'digest@example.com'], '--send'],
    [['--secret-id', 'openai/admin-key'], '--secret-id'],
  ])('names AWS_REGION before any call when %j has no region', async (args, flag) => {
    const result = await report(['--from', '2026-11-01', ...args], withoutAws());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: ${flag} uses AWS, and no AWS region is set: export AWS_REGION=`);
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it('says which address to verify when SES refuses an unverified sender', async () => {
    const ses = await unverifiedSes();
    try {
      const result = await report(
        ['--from', '2026-11-01', '--to', '2026-11-02', '--send', '--recipient', 'cto@example.com'],
        { REPORT_SENDER: 'digest@example.com', AWS_ENDPOINT_URL_SES: ses.url },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'error: SES refused the digest: digest@example.com is not a verified identity in this region. Verify digest@example.com in the SES console',
      );
      expect(result.stderr).toContain('(MessageRejected: Email address is not verified.');
    } finally {
      ses.close();
    }
  });

  it('says how to give AWS credentials when there are none', async () => {
    const result = await report(
      ['--from', '2026-11-01', '--to', '2026-11-02', '--send', '--recipient', 'cto@example.com'],
      { ...withoutAws(), AWS_REGION: 'eu-west-1', REPORT_SENDER: 'digest@example.com' },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: SES did not send the digest: no AWS credentials: run `aws configure`',
    );
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
    expect(run.stderr).toContain(
      'error: the OpenAI admin key was rejected (401): the usage API takes only an organization admin key (sk-admin-…), which an organization owner creates at https://platform.openai.com/settings/organization/admin-keys',
    );
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
    for (const flag of [
      '--from',
      '--to',
      '--tz',
      '--project',
      '--json',
      '--html',
      '--send',
      '--recipient',
      '--secret-id',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });
});
