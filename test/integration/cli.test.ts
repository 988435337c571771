import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOfLocalDay } from '../../functions/report/core/local-time';
import { digestPeriod } from '../../functions/report/core/windows';
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
function run(command: string, args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT) {
  return new Promise<Run>((resolve) => {
    execFile(
      command,
      args,
      {
        cwd,
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

/** Node's arguments that run the CLI from source in any directory (tsx by its path, not its name). */
const FROM_SOURCE = [
  '--import',
  pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
  join(ROOT, 'cli', 'report.ts'),
];

/** The CLI's entry module, run from source as `npm run report` does (the bin is its compiled form). */
const report = (args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT) =>
  run(process.execPath, [...FROM_SOURCE, ...args], env, cwd);

const PACKAGE_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

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
      ...FROM_SOURCE,
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
    [['--colour'], 'unknown option --colour'],
    [['--jsn'], 'unknown option --jsn (did you mean --json?)'],
    [['--digest', 'hourly'], '--digest: must be one of daily, weekly, monthly'],
    [['--date', '2026-11-31'], '--date: "2026-11-31" is not a date (YYYY-MM-DD)'],
    [['--date', '2026-11-21', '--from', '2026-11-01'], '--date goes with --digest, not --from/--to'],
    [['--project', ''], '--project: empty project id (omit --project to report every project)'],
    [['--project', 'proj_a,,proj_b'], '--project: empty project id'],
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
  ])('exits 2 with one line and a pointer to --help on %j', async (args, message) => {
    const result = await report(args, { REPORT_SENDER: 'digest@example.com' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    // One line a person reads at once, not the whole usage text after it.
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: .* \(see usage-digest --help\)\n$/);
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
      '--version',
      '--digest',
      '--date',
      '--config',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it('prints its version with --version, from package.json', async () => {
    const run = await report(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${PACKAGE_VERSION}\n` });
  });

  it('--version works compiled into dist/cli.js, one directory below its package.json', async () => {
    // As the package ships it: an ESM bundle with the packages external, in a dist/ that has a
    // package.json of its own (not named usage-digest) between it and the package's.
    const pkg = mkdtempSync(join(tmpdir(), 'usage-digest-pkg-'));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'usage-digest', version: '9.8.7' }));
    mkdirSync(join(pkg, 'dist'));
    writeFileSync(join(pkg, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    await build({
      entryPoints: [join(ROOT, 'cli', 'report.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: join(pkg, 'dist', 'cli.js'),
      logLevel: 'error',
    });
    const compiled = await run(process.execPath, [join(pkg, 'dist', 'cli.js'), '--version'], {}, tmpdir());
    expect(compiled).toMatchObject({ code: 0, stdout: '9.8.7\n' });
  });

  it.each([
    ['daily', '2026-11-21', '2026-11-22'],
    ['weekly', '2026-11-18', '2026-11-23'],
    ['monthly', '2026-10-15', '2026-11-01'],
  ])(
    '--digest %s --date %s reports the period holding that day, as the scheduled run on %s does',
    async (digest, date, runDay) => {
      const timeZone = 'America/New_York';
      const run = await report(['--digest', digest, '--date', date, '--tz', timeZone, '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout);
      const scheduled = digestPeriod(
        digest as 'daily' | 'weekly' | 'monthly',
        startOfLocalDay(runDay, timeZone) + 7 * 3600,
        timeZone,
      );
      expect(result).toMatchObject({
        kind: digest,
        start_time: scheduled.window.start,
        end_time: scheduled.window.end,
        total_sessions: expectedTotal(scheduled.window.start, scheduled.window.end),
      });
    },
  );

  it('works out a --digest period in the zone as IANA names it, whatever its case', async () => {
    const run = await report([
      '--digest',
      'daily',
      '--date',
      '2026-11-21',
      '--tz',
      'america/new_york',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    const start = startOfLocalDay('2026-11-21', 'America/New_York');
    expect(JSON.parse(run.stdout)).toMatchObject({ start_time: start, end_time: start + 86_400 });
  });

  it('says in one line when the spend limits cannot be read, and still prints the report', async () => {
    harness.usageApi.inject('organizationSpendLimit', { kind: 'status', status: 403 });
    const run = await report(['--digest', 'daily', '--date', '2026-11-21']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Spend limits unavailable: the admin key may not read them (HTTP 403)\n');
  });

  it('refuses a --date whose period has not ended yet, naming the day it can run', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const run = await report(['--digest', 'daily', '--date', today]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--date: the daily digest of ${today} can run once that day has ended`);
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  describe('the time zone of the settings file', () => {
    const settings = (timezone: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'usage-digest-settings-'));
      writeFileSync(
        join(dir, 'usage-digest.config.json'),
        JSON.stringify({ sender: 'r@example.com', recipients: ['a@example.com'], timezone }),
      );
      return dir;
    };
    const range = ['--from', '2026-11-01', '--to', '2026-11-02', '--json'];
    const kolkataMidnight = Date.parse('2026-10-31T18:30:00Z') / 1000;

    it('is read from usage-digest.config.json in the current directory', async () => {
      const run = await report(range, {}, settings('Asia/Kolkata'));
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).start_time).toBe(kolkataMidnight);
    });

    it('is read from --config PATH', async () => {
      const run = await report([
        ...range,
        '--config',
        join(settings('Asia/Kolkata'), 'usage-digest.config.json'),
      ]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).start_time).toBe(kolkataMidnight);
    });

    it('gives way to REPORT_TIMEZONE and to --tz', async () => {
      const dir = settings('Asia/Kolkata');
      const fromEnv = await report(range, { REPORT_TIMEZONE: 'UTC' }, dir);
      expect(JSON.parse(fromEnv.stdout).start_time).toBe(Date.parse('2026-11-01T00:00:00Z') / 1000);
      const fromFlag = await report([...range, '--tz', 'Europe/Berlin'], { REPORT_TIMEZONE: 'UTC' }, dir);
      expect(JSON.parse(fromFlag.stdout).start_time).toBe(Date.parse('2026-10-31T23:00:00Z') / 1000);
    });

    it.each([
      [
        ['--config', '/nonexistent/usage-digest.config.json'],
        '--config: cannot read /nonexistent/usage-digest.config.json',
      ],
      [[], 'usage-digest.config.json: timezone: "Moon/Base"'],
    ])('refuses %j in one line', async (args, message) => {
      const run = await report([...range, ...args], {}, settings('Moon/Base'));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });

  it('says so when --project names no project of the organization, instead of an empty table', async () => {
    const known = SAMPLE_LOG.projects[0]?.id as string;
    const run = await report([
      '--from',
      '2026-11-10',
      '--to',
      '2026-11-11',
      '--project',
      `${known},proj_nosuch`,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --project: no project proj_nosuch in this organization (see usage-digest --help)\n',
    );
    expect(run.stdout).toBe('');
  });

  it('fails before any request or email when --html cannot be written, so --send is never skipped silently', async () => {
    const run = await report(
      [
        '--from',
        '2026-11-10',
        '--to',
        '2026-11-11',
        '--html',
        '/nonexistent-dir/r.html',
        '--send',
        '--recipient',
        'cto@example.com',
      ],
      { REPORT_SENDER: 'digest@example.com' },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--html: cannot write /nonexistent-dir/r.html');
    expect(run.stderr).toContain('nothing was sent');
    expect(harness.usageApi.requests).toHaveLength(0);
    expect(await harness.ses.emails()).toEqual([]);
  });

  it('can be tried without a key against `npm run sample-api`, which prints the command and stops on Ctrl-C', async () => {
    // Port 0 picks a free one, so this test never collides with a sample API a person left running.
    const api = spawn('npm', ['run', '-s', 'sample-api', '--', '--port', '0'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<string>((resolve) =>
      api.on('exit', (code, signal) => resolve(signal ?? String(code))),
    );
    let baseUrl = '';
    try {
      let printed = '';
      const command = await new Promise<RegExpExecArray>((resolve, reject) => {
        api.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          const match = /^ {2}OPENAI_ADMIN_KEY=(\S+) npx usage-digest --base-url (\S+)$/m.exec(printed);
          if (match) resolve(match);
        });
        void exited.then(() => reject(new Error(`sample-api exited: ${printed}`)));
      });
      const [, key, url] = command as unknown as [string, string, string];
      baseUrl = url;
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const tried = await report(['--base-url', baseUrl], { OPENAI_ADMIN_KEY: key });
      expect(tried.stderr).toBe('');
      expect(tried.code).toBe(0);
      expect(tried.stdout).toMatch(/^Code interpreter sessions .*\(UTC\): [\d,]+$/m);
      expect(tried.stdout).toContain('Agent Evaluations');
      // The demo's hard limits, served by the sample API: one project blocked, one at risk.
      expect(tried.stdout).toContain('Limits and budgets: ⛔ 1 blocked · ⏳ 1 at risk');
      expect(tried.stdout).toContain(
        'Data Science Sandbox (proj_0002bx): OpenAI is refusing its requests now',
      );
    } finally {
      // Ctrl-C in a terminal signals the whole foreground group: npm, its shell and the script.
      if (api.exitCode === null && api.signalCode === null) process.kill(-(api.pid as number), 'SIGINT');
    }
    // npm re-raises the SIGINT its script ended on, as a shell expects of a command stopped by Ctrl-C.
    expect(['0', 'SIGINT']).toContain(await exited);
    await expect(fetch(`${baseUrl}/organization/projects`)).rejects.toThrow();
  }, 60_000);
});

describe('CLI: usage-digest backfill (arguments; the writes are in backfill.test.ts)', () => {
  it('documents every option in backfill --help, and the report help names the command', async () => {
    const run = await report(['backfill', '--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--from',
      '--to',
      '--bucket',
      '--overwrite',
      '--timezone',
      '--config',
      '--secret-id',
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect((await report(['--help'])).stdout).toMatch(/^ {2}backfill +fill the history bucket/m);
  });

  it.each([
    [
      ['--from', '2026-01-01', '--bucket', 'b', '--overwrit'],
      'unknown option --overwrit (did you mean --overwrite?)',
    ],
    [['--from', '2026-01-01', '--bukcet', 'b'], 'unknown option --bukcet (did you mean --bucket?)'],
    [['--bucket', 'b'], '--from is required'],
    [['--from', '2026-01-01'], '--bucket is required'],
    [['--from', '2026-01-01', '--to', '2999-01-01', '--bucket', 'b'], '--to: is after today'],
    [
      ['--from', '2026-01-01T12:00', '--bucket', 'b', '--tz', 'UTC'],
      '--from: must be a local midnight in UTC',
    ],
    [['--from', '2026-02-01', '--to', '2026-01-01', '--bucket', 'b'], '--to: must be after --from'],
    [
      ['--from', '2020-01-01', '--to', '2026-01-01', '--bucket', 'b'],
      '--to: the range is 2192 days, more than 1096',
    ],
    [
      ['--from', '2026-01-01', '--bucket', 'b', '--timezone', 'CET'],
      '--timezone: "CET" is not an IANA time zone',
    ],
  ])('exits 2 on backfill %j, before any request', async (args, message) => {
    const { code, stderr } = await report(['backfill', ...args]);
    expect(stderr).toContain(message);
    expect(stderr).toMatch(/\(see usage-digest backfill --help\)\n$/);
    expect(code).toBe(2);
    expect(harness.usageApi.requests).toHaveLength(0);
  });
});
