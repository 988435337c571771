import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_CASES, runCase, startBenchTargets } from '../../scripts/bench-cases';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** Shell commands as the README shows them, continuation lines joined. */
const commands = README.replace(/\\\n\s*/g, ' ').split('\n');

describe('README', () => {
  it('invokes the function so that the AWS CLI never re-invokes a slow run, with an idempotency_key', () => {
    const invokes = commands.filter((line) => line.includes('aws lambda invoke'));
    expect(invokes.length).toBeGreaterThanOrEqual(2);
    for (const invoke of invokes) {
      expect(invoke).toMatch(/--cli-read-timeout 0|--invocation-type Event/);
      expect(invoke).toContain('"idempotency_key"');
    }
  });

  it('states the delivery guarantee with its exception, never a bare "exactly once"', () => {
    expect(README).toContain(
      'At most one email per scheduled day, with one narrow exception; at least one while retries last.',
    );
    expect(README).toMatch(/\*\*The exception:\*\* SES accepted the message, then the invocation died/);
    expect(README).toMatch(/\*\*How long retries last:\*\*/);
    expect(README).not.toMatch(/exactly[ -]once|exactly one digest/i);
  });

  it('says what createSenderIdentity does with an identity SES already has', () => {
    expect(README).toMatch(
      /`-c createSenderIdentity=true`[\s\S]{0,200}cannot create an identity SES already\s+has/,
    );
  });
});

/** The README's benchmark rows: range → our and the usual client's requests and waves. */
function benchTable(): Map<string, { ours: [number, number]; usual: [number, number] }> {
  const rows = new Map<string, { ours: [number, number]; usual: [number, number] }>();
  const section = README.slice(README.indexOf('## Benchmark'), README.indexOf('## Development'));
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const [ours, usual] = [cells[2], cells[3]].map((c) => c?.split(' / ').map(Number));
    if (!ours || !usual || Number.isNaN(ours[0])) continue;
    rows.set(cells[1] as string, {
      ours: [ours[0], ours[1]] as [number, number],
      usual: [usual[0], usual[1]] as [number, number],
    });
  }
  return rows;
}

describe('README benchmark', () => {
  // As the bench runs it: the API in its own process, so its page building never holds the client up.
  let targets: Awaited<ReturnType<typeof startBenchTargets>>;
  beforeAll(async () => {
    targets = await startBenchTargets(150);
  });
  afterAll(() => targets.stop());

  it('lists every case the bench runs', () => {
    expect([...benchTable().keys()]).toEqual(BENCH_CASES.map((c) => c.name));
  });

  it.each(BENCH_CASES.map((c) => [c.name, c] as const))(
    'shows the requests and waves the bench sends for %s',
    async (name, c) => {
      const run = await runCase(targets.for(c), c);
      expect(benchTable().get(name)).toEqual({
        ours: [run.ours.requests, run.ours.waves],
        usual: [run.usual.requests, run.usual.waves],
      });
      expect(run.ours.total).toBe(run.expected);
    },
    30_000,
  );
});

describe("README: the operator's path", () => {
  const ROOT = join(import.meta.dirname, '..', '..');

  it('has what a user looks for, and the files it points to', () => {
    for (const heading of [
      '## Upgrading',
      '## Removing',
      '## Troubleshooting',
      '## What it costs to run',
      '## Security',
    ]) {
      expect(README).toContain(`\n${heading}\n`);
    }
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toContain('## Unreleased');
  });

  it('deploys from the settings file with no flags, and bootstraps before any settings', () => {
    expect(commands).toContain(
      'cp usage-digest.config.example.json usage-digest.config.json   # then edit it',
    );
    expect(commands.some((line) => /^npx cdk deploy\s+#/.test(line))).toBe(true);
    expect(README).toContain('`npx cdk bootstrap` (it needs no settings)');
    expect(README).toMatch(/npx cdk deploy -c sesSandbox=true/);
  });

  it('says what cdk destroy keeps and how to delete each', () => {
    const removing = README.slice(README.indexOf('## Removing'), README.indexOf('## Reliability'));
    for (const kept of ['delete-secret', 'delete-table', 'delete-log-group', 'schedule-key-deletion']) {
      expect(removing).toContain(kept);
    }
  });

  it('pipes the CLI JSON with the bin or npm run -s, never a bare npm run', () => {
    const pipes = commands.filter((line) => line.includes('--json |'));
    expect(pipes.length).toBeGreaterThan(0);
    for (const line of pipes) expect(line).toMatch(/^npx usage-digest |npm run -s /);
  });
});
