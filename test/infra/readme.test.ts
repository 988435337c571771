import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_CASES, runCase, startBenchTargets } from '../../scripts/bench-cases';
import { SAMPLE_API_PORT, tryCommand } from '../../scripts/sample-report';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const README = read('README.md');
/** The reference moved out of the README: one file a topic. */
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const doc = (name: string) => read(`docs/${name}.md`);
/** Everything a reader can open from the README, the README included. */
const ALL = [README, read('CONTRIBUTING.md'), ...DOCS.map(read)].join('\n');

/** Shell commands as the README and the docs show them, continuation lines joined. */
const commandsOf = (text: string) => text.replace(/\\\n\s*/g, ' ').split('\n');
const commands = commandsOf(README);
const allCommands = commandsOf(ALL);

describe('README and docs', () => {
  it('invokes the function so that the AWS CLI never re-invokes a slow run, with an idempotency_key', () => {
    const invokes = allCommands.filter((line) => line.includes('aws lambda invoke'));
    expect(invokes.length).toBeGreaterThanOrEqual(2);
    for (const invoke of invokes) {
      expect(invoke).toMatch(/--cli-read-timeout 0|--invocation-type Event/);
      expect(invoke).toContain('"idempotency_key"');
    }
  });

  it('states the delivery guarantee with its exception, never a bare "exactly once"', () => {
    const reliability = doc('reliability');
    expect(reliability).toContain(
      'At most one email per scheduled day, with one narrow exception; at least one while retries last.',
    );
    expect(reliability).toMatch(/\*\*The exception:\*\* SES accepted the message, then the invocation died/);
    expect(reliability).toMatch(/\*\*How long retries last:\*\*/);
    expect(ALL).not.toMatch(/exactly[ -]once|exactly one digest/i);
  });

  it('says what createSenderIdentity does with an identity SES already has', () => {
    expect(README).toMatch(
      /`-c createSenderIdentity=true`[\s\S]{0,200}cannot create an identity SES already\s+has/,
    );
  });
});

/** docs/benchmark.md's rows: range → our and the usual client's requests and waves. */
function benchTable(): Map<string, { ours: [number, number]; usual: [number, number] }> {
  const rows = new Map<string, { ours: [number, number]; usual: [number, number] }>();
  for (const line of doc('benchmark').split('\n')) {
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

describe('docs/benchmark.md', () => {
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
      const row = benchTable().get(name);
      if (c.limits === 'cold') {
        // 1,500 reads through 16 lanes: which lane a read waits in shifts the longest chain by one or two.
        expect(row?.ours[0]).toBe(run.ours.requests);
        expect(Math.abs((row?.ours[1] ?? 0) - run.ours.waves)).toBeLessThanOrEqual(2);
        expect(row?.usual).toEqual([run.usual.requests, run.usual.waves]);
      } else {
        expect(row).toEqual({
          ours: [run.ours.requests, run.ours.waves],
          usual: [run.usual.requests, run.usual.waves],
        });
      }
      expect(run.ours.total).toBe(run.expected);
    },
    // The cold spend-limits case reads 1,500 limits twice (warm-up and measured run).
    90_000,
  );
});

describe("README: the operator's path", () => {
  it('has what a user looks for, and the files it points to', () => {
    for (const heading of ['## Try it', '## Deploy', '## Settings', '## Channels', '## Troubleshooting']) {
      expect(README).toMatch(new RegExp(`\\n${heading}[^\\n]*\\n`));
    }
    expect(README).toContain('\n## Upgrade and remove\n');
    expect(doc('architecture')).toContain('\n## What it costs to run\n');
    expect(doc('security')).toContain('CT.LAMBDA.PR.3');
    expect(read('LICENSE')).toContain('Apache License');
    expect(read('CHANGELOG.md')).toContain('## Unreleased');
  });

  it('gets the code and tries it with the two commands a newcomer runs', () => {
    expect(commands.some((line) => /^git clone \S+usage-digest\.git/.test(line))).toBe(true);
    expect(commands.some((line) => line.startsWith('npm ci && npm start '))).toBe(true);
    expect(commands.some((line) => /^npm test\s+#/.test(line))).toBe(true);
    expect(commands.some((line) => line.startsWith('npm run sample-api'))).toBe(true);
    expect(commands).toContain('npx usage-digest --help');
  });

  it('shows the same command to try the CLI as npm run sample-api prints', () => {
    expect(commands).toContain(tryCommand(`http://127.0.0.1:${SAMPLE_API_PORT}/v1`));
  });

  it('deploys from the settings file with no flags, and bootstraps before any settings', () => {
    expect(commands).toContain(
      'cp usage-digest.config.example.json usage-digest.config.json   # then edit it',
    );
    expect(commands.some((line) => /^npx cdk deploy\s+#/.test(line))).toBe(true);
    expect(README).toContain('`npx cdk bootstrap` (it needs no settings)');
    expect(README).toMatch(/npx cdk deploy -c sesSandbox=true/);
  });

  it('says what createSenderIdentity does with an identity SES already has', () => {
    expect(README).toMatch(
      /`-c createSenderIdentity=true`[\s\S]{0,200}cannot create an identity SES already\s+has/,
    );
  });

  it('says what cdk destroy keeps and how to delete each', () => {
    const removing = README.slice(README.indexOf('## Upgrade and remove'));
    for (const kept of ['delete-secret', 'delete-table', 'delete-log-group', 'schedule-key-deletion']) {
      expect(removing).toContain(kept);
    }
  });

  it('pipes the CLI JSON with the bin or npm run -s, never a bare npm run', () => {
    const pipes = allCommands.filter((line) => line.includes('--json |'));
    expect(pipes.length).toBeGreaterThan(1);
    for (const line of pipes) expect(line).toMatch(/^(OPENAI_ADMIN_KEY=\S+ )?npx usage-digest |npm run -s /);
  });
});

describe('README: five minutes to read', () => {
  // Issue 19 asked for about 12 KB; issue 22 asks the README itself for four ready Athena queries
  // (about 2 KB, kept only there so the test that runs them reads the same text).
  it('stays under 14,500 bytes; the reference lives in docs/', () => {
    expect(Buffer.byteLength(README)).toBeLessThanOrEqual(14_500);
  });

  it('keeps the contract in the reference: every event field, result field and environment variable', () => {
    const reference = doc('reference');
    for (const field of [
      'digest',
      'time',
      'start_time',
      'end_time',
      'timezone',
      'project_ids',
      'recipients',
      'dry_run',
      'idempotency_key',
      'kind',
      'total_sessions',
      'total_cost_usd',
      'cost_start_time',
      'cost_end_time',
      'project_name',
      'num_sessions',
      'cost_usd',
      'unusual',
      'mean_7d',
    ]) {
      expect(reference, field).toMatch(new RegExp(`\\b${field}\\b`));
    }
    // Every variable the function reads, by the name config.ts reads it.
    const variables = [
      ...read('functions/report/config.ts').matchAll(/(?:required|optional|flagFrom)\(env, '([A-Z_]+)'\)/g),
    ].map((m) => m[1] as string);
    expect(variables.length).toBeGreaterThan(10);
    for (const name of variables) expect(reference, name).toContain(`\`${name}\``);
  });

  it("names every field of the result's types in the reference, read from the types themselves", () => {
    const reference = doc('reference');
    const fieldsOf = (file: string, type: string) => {
      const body = new RegExp(`export interface ${type} \\{([\\s\\S]*?)\\n\\}`).exec(read(file))?.[1];
      return [...(body ?? '').matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1] as string);
    };
    const fields = [
      ...fieldsOf('functions/report/core/report.ts', 'ReportResult'),
      ...fieldsOf('functions/report/core/report.ts', 'ProjectRow'),
      ...fieldsOf('functions/report/core/report.ts', 'MonthToDate'),
      ...fieldsOf('functions/report/core/unusual.ts', 'UnusualProject'),
      ...fieldsOf('functions/report/core/runway.ts', 'LimitEntry'),
    ];
    // Enough to know the types were found: ReportResult alone has more than ten.
    expect(fields.length).toBeGreaterThan(30);
    // Named as code: in a code span of its own, or in one that spells out a shape (`{ scope, id, … }`).
    const spans = [...reference.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)].map(
      (m) => m[1] as string,
    );
    const missing = [...new Set(fields)].filter(
      (field) => !spans.some((span) => new RegExp(`\\b${field}\\b`).test(span)),
    );
    expect(missing).toEqual([]);
    // The webhook's additions, the subject's prefixes and the runway's definitions, as the issue states them.
    for (const text of [
      '`projects_truncated`',
      '`limits_truncated`',
      '`⛔ N blocked`',
      '`⏳ N at risk`',
      '**pace** = spend over the 7 UTC days C−6..C, divided by 7',
      "**forecast** = month to date + pace × (UTC days of C's month after C)",
      'k = ⌈(L − month to date) / pace⌉',
    ]) {
      expect(reference).toContain(text);
    }
  });

  it('links only to files that exist, and to headings that exist', () => {
    const broken: string[] = [];
    for (const file of ['README.md', 'CONTRIBUTING.md', ...DOCS]) {
      const text = read(file);
      const targets = [
        ...[...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string),
        ...[...text.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1] as string),
      ].filter((target) => !/^[a-z]+:/i.test(target));
      for (const target of targets) {
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), path);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md')) {
          if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor))
            broken.push(`${file}: ${target} (no heading #${anchor} in ${relative(ROOT, resolved)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

/** The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped, spaces as dashes. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(
      (heading as string)
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}
