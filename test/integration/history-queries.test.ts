import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../functions/report/core/history-rows';
import { loadHistory } from '../../functions/report/history-module';

/** The queries live in one place, the README (issue 22: "the README gives ready Athena SQL"). */
const README = resolve(import.meta.dirname, '../../README.md');

/** The README's History section's SQL, exactly as a reader copies it. */
function historySql(readme: string): string {
  const section = readme.slice(readme.indexOf('## History you can query'));
  const sql = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  expect(sql, 'the README has a sql block under "History you can query"').toBeDefined();
  return sql ?? '';
}

/** The named queries: each from its `-- name:` line (a name, then an optional remark) to its semicolon. */
function namedQueries(text: string): Map<string, string> {
  const queries = new Map<string, string>();
  for (const block of text.split(/^-- name: /m).slice(1)) {
    const [title = '', ...lines] = block.split('\n');
    const name = title.split(' ')[0] ?? '';
    const sql = lines.join('\n').trim();
    expect(sql.endsWith(';'), `${name} ends with a semicolon`).toBe(true);
    queries.set(name.trim(), sql.slice(0, -1));
  }
  return queries;
}

const ROUTES: Record<string, string[]> = { proj_a: ['research', 'platform'], proj_b: ['research'] };
const NAMES: Record<string, string> = { proj_a: 'Alpha', proj_b: 'Beta', proj_c: 'Gamma' };

/** A fake project-day; costs in USD, null when the day's cost was unavailable. */
const row = (
  date: string,
  project_id: string | null,
  num_sessions: number,
  code_interpreter_cost_usd: number | null,
  total_cost_usd: number | null,
  unusual_reason: HistoryRow['unusual_reason'] = null,
): HistoryRow => {
  const start = Date.parse(`${date}T00:00:00+01:00`) / 1000;
  return {
    date,
    time_zone: 'Europe/Berlin',
    start_time: start,
    end_time: start + 86_400,
    project_id,
    project_name: project_id === null ? null : (NAMES[project_id] ?? null),
    num_sessions,
    code_interpreter_cost_usd,
    total_cost_usd,
    unusual_reason,
    routes: project_id === null ? [] : (ROUTES[project_id] ?? []),
  };
};

/** Four days across a month's end: 3 projects, 2 routes, unattributed usage, one unusual day, one without cost. */
const DAYS: Record<string, HistoryRow[]> = {
  '2026-10-30': [
    row('2026-10-30', 'proj_a', 10, 1, 2),
    row('2026-10-30', 'proj_b', 5, 0.5, 1),
    row('2026-10-30', null, 2, 0.1, 0.1),
  ],
  '2026-10-31': [row('2026-10-31', 'proj_a', 12, 1.2, 2.4), row('2026-10-31', 'proj_c', 3, 0.3, 0.6)],
  '2026-11-01': [
    row('2026-11-01', 'proj_b', 100, 5, 9, 'spike'),
    row('2026-11-01', 'proj_a', 20, 2, 4, 'cost'),
    // Billed for other line items only: no sessions, and no name (the report lists no name for it).
    { ...row('2026-11-01', 'proj_c', 0, 0, 1.5), project_name: null },
  ],
  '2026-11-02': [row('2026-11-02', 'proj_a', 8, null, null), row('2026-11-02', null, 4, null, null)],
};

const EXPECTED: Record<string, Record<string, unknown>[]> = {
  sessions_and_cost_by_project_per_month: [
    ['2026-10', 'proj_a', 'Alpha', 22, 2.2, 4.4],
    ['2026-10', 'proj_b', 'Beta', 5, 0.5, 1],
    ['2026-10', 'proj_c', 'Gamma', 3, 0.3, 0.6],
    ['2026-10', null, null, 2, 0.1, 0.1],
    ['2026-11', 'proj_b', 'Beta', 100, 5, 9],
    ['2026-11', 'proj_a', 'Alpha', 28, 2, 4],
    ['2026-11', 'proj_c', null, 0, 0, 1.5],
    ['2026-11', null, null, 4, null, null],
  ].map(([month, project_id, project_name, sessions, code_interpreter_cost_usd, total_cost_usd]) => ({
    month,
    project_id,
    project_name,
    sessions,
    code_interpreter_cost_usd,
    total_cost_usd,
  })),
  month_over_month_growth: [
    ['2026-10', 'proj_a', 22, null, 4.4, null, null],
    ['2026-10', 'proj_b', 5, null, 1, null, null],
    ['2026-10', 'proj_c', 3, null, 0.6, null, null],
    ['2026-10', null, 2, null, 0.1, null, null],
    ['2026-11', 'proj_a', 28, 22, 4, 4.4, -9.1],
    ['2026-11', 'proj_b', 100, 5, 9, 1, 800],
    ['2026-11', 'proj_c', 0, 3, 1.5, 0.6, 150],
    ['2026-11', null, 4, 2, null, 0.1, null],
  ].map(
    ([
      month,
      project_id,
      sessions,
      previous_sessions,
      total_cost_usd,
      previous_total_cost_usd,
      cost_growth_pct,
    ]) => ({
      month,
      project_id,
      sessions,
      previous_sessions,
      total_cost_usd,
      previous_total_cost_usd,
      cost_growth_pct,
    }),
  ),
  chargeback_per_route: [
    ['2026-10', '(no route)', 1, 5, 0.4, 0.7],
    ['2026-10', 'platform', 1, 22, 2.2, 4.4],
    ['2026-10', 'research', 2, 27, 2.7, 5.4],
    ['2026-11', '(no route)', 1, 4, 0, 1.5],
    ['2026-11', 'platform', 1, 28, 2, 4],
    ['2026-11', 'research', 2, 128, 7, 13],
  ].map(([month, route, projects, sessions, code_interpreter_cost_usd, total_cost_usd]) => ({
    month,
    route,
    projects,
    sessions,
    code_interpreter_cost_usd,
    total_cost_usd,
  })),
  unusual_days: [
    ['2026-11-01', 'proj_a', 'Alpha', 'cost', 20, 2, 4],
    ['2026-11-01', 'proj_b', 'Beta', 'spike', 100, 5, 9],
  ].map(
    ([
      day,
      project_id,
      project_name,
      unusual_reason,
      num_sessions,
      code_interpreter_cost_usd,
      total_cost_usd,
    ]) => ({
      day,
      project_id,
      project_name,
      unusual_reason,
      num_sessions,
      code_interpreter_cost_usd,
      total_cost_usd,
    }),
  ),
};

describe("The history queries (the README's)", () => {
  const queries = namedQueries(historySql(readFileSync(README, 'utf8')));
  let dir: string;
  let connection: DuckDBConnection;
  /** The one rewrite allowed: the Glue table becomes the same files, read with their partitions. */
  let table: string;

  beforeAll(async () => {
    const { encodeHistoryParquet, historyKey } = await loadHistory();
    dir = mkdtempSync(join(tmpdir(), 'history-queries-'));
    for (const [date, rows] of Object.entries(DAYS)) {
      const path = join(dir, historyKey(date));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, encodeHistoryParquet(rows));
    }
    table = `read_parquet('${join(dir, 'daily')}/**/*.parquet', hive_partitioning = true)`;
    connection = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => {
    connection?.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the four queries the README names, each tested below', () => {
    expect([...queries.keys()]).toEqual(Object.keys(EXPECTED));
  });

  it.each(Object.keys(EXPECTED))('%s gives the exact rows in DuckDB', async (name) => {
    const sql = queries.get(name);
    expect(sql).toContain('FROM usage_digest.daily');
    const reader = await connection.runAndReadAll((sql ?? '').replaceAll('usage_digest.daily', table));
    const rows = reader
      .getRowObjectsJS()
      .map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
      );
    expect(rows).toEqual(EXPECTED[name]);
  });
});
