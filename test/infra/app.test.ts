import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CDK = join(ROOT, 'node_modules', '.bin', 'cdk');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CDK CLI in the project, as an operator runs it (no AWS account: nothing here calls AWS). */
async function cdk(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      CDK,
      [...args, '--no-notices', '--no-version-reporting'],
      {
        cwd: ROOT,
        env: { ...process.env, CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * The operator's path through the CDK CLI: settings kept in a file, read by every later synth, with
 * `-c` overriding a key; bootstrapping before any settings exist.
 */
describe('The CDK app, through the CDK CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usage-digest-app-'));
  const config = join(dir, 'usage-digest.config.json');
  const empty = join(dir, 'empty.config.json');
  const outdirs = [join(dir, 'first'), join(dir, 'second')];
  let synths: Run[];
  let withoutSettings: Run;
  let listWithoutSettings: Run;
  let typo: Run;

  beforeAll(async () => {
    writeFileSync(
      config,
      JSON.stringify({
        $schema: './usage-digest.schema.json',
        sender: 'digest@example.com',
        recipients: ['ops@example.com'],
        // In any case: the Scheduler receives the zone's IANA name.
        timezone: 'europe/berlin',
        scheduleHour: 6,
        stackName: 'UsageDigestTest',
      }),
    );
    writeFileSync(empty, JSON.stringify({ timezone: 'Europe/Berlin' }));
    // Concurrently: each CLI start costs seconds, and they share nothing but the read-only sources.
    [synths, withoutSettings, listWithoutSettings, typo] = await Promise.all([
      Promise.all(
        outdirs.map((outdir) =>
          cdk(['synth', '-q', '-o', outdir, '-c', `config=${config}`, '-c', 'scheduleHour=8']),
        ),
      ),
      cdk(['synth', '-q', '-o', join(dir, 'failed'), '-c', `config=${empty}`]),
      cdk(['ls', '-o', join(dir, 'listed'), '-c', `config=${empty}`]),
      cdk(['synth', '-q', '-o', join(dir, 'typo'), '-c', `config=${config}`, '-c', 'sesSandBox=true']),
    ]);
  }, 240_000);

  it('synthesizes from the settings file alone, with -c overriding one key', () => {
    expect(synths.map((run) => run.code)).toEqual([0, 0]);
    const template = JSON.parse(
      readFileSync(join(outdirs[0] as string, 'UsageDigestTest.template.json'), 'utf8'),
    );
    const schedule = Object.values(
      template.Resources as Record<string, { Type: string; Properties: never }>,
    ).find((r) => r.Type === 'AWS::Scheduler::Schedule') as {
      Properties: { ScheduleExpression: string; ScheduleExpressionTimezone: string };
    };
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 8 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  it("says nothing of feature flags: cdk.json sets every flag the CLI's notice counts", () => {
    for (const run of synths)
      expect(run.stderr + run.stdout).not.toMatch(/feature flags? (is|are) not configured/);
  });

  it('refuses a -c key that is no setting, naming the setting it looks like', () => {
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain(
      'usage-digest: unknown setting "sesSandBox" from -c sesSandBox: did you mean "sesSandbox"?',
    );
  });

  it('synthesizes the same template and assets twice, so cdk diff after a deploy shows nothing', () => {
    for (const file of ['UsageDigestTest.template.json', 'UsageDigestTest.assets.json']) {
      const [first, second] = outdirs.map((outdir) => readFileSync(join(outdir, file), 'utf8'));
      expect(second).toBe(first);
    }
  });

  it('stops synth (and so deploy and diff) without sender and recipients, saying how to give them', () => {
    expect(withoutSettings.code).not.toBe(0);
    expect(withoutSettings.stdout + withoutSettings.stderr).toContain(
      'setting "sender" and "recipients" missing: copy usage-digest.config.example.json to',
    );
  });

  it('still lists its stack without them, which is all cdk bootstrap asks of the app', () => {
    expect(listWithoutSettings.code).toBe(0);
    expect(listWithoutSettings.stdout.trim()).toBe('UsageDigest');
  });
});
