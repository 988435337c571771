import { describe, expect, it } from 'vitest';
import { CostTally } from '../../functions/report/core/cost';
import { spikeKeysOf, withSpikeKeys } from '../../functions/report/core/spike-keys';
import type { UnusualProject } from '../../functions/report/core/unusual';
import { MalformedPageError } from '../../functions/report/core/usage-page';

const DAY = 86_400;
const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
const DAY_WINDOW = { start: utc('2026-11-21'), end: utc('2026-11-22') };
const line = (api_key_id: string | null, value: number, line_item = 'Code Interpreter sessions') => ({
  project_id: null,
  line_item,
  api_key_id,
  value,
});
const bucket = (results: ReturnType<typeof line>[], start = DAY_WINDOW.start) => ({
  start_time: start,
  end_time: start + DAY,
  results,
});

describe('Class: CostTally by API key', () => {
  it('sums code interpreter lines per key; a continued day adds, an exact repeat is dropped', () => {
    const tally = new CostTally(DAY_WINDOW, 'api_key_id');
    tally.addPage([bucket([line('k1', 1), line('k1', 7, 'gpt-4.1, input'), line('k2', 0.5)])]);
    tally.addPage([bucket([line('k2', 0.5), line('k3', 2), line(null, 0.25)])]);
    expect(tally.perKey()).toEqual(
      new Map<string | null, number>([
        ['k1', 1],
        ['k2', 0.5],
        ['k3', 2],
        [null, 0.25],
      ]),
    );
  });

  it('fails on a conflicting repeat, and on a day outside the window', () => {
    const tally = new CostTally(DAY_WINDOW, 'api_key_id');
    tally.addPage([bucket([line('k1', 1)])]);
    expect(() => tally.addPage([bucket([line('k1', 2)])])).toThrow(MalformedPageError);
    expect(() => tally.addPage([bucket([line('k1', 2)])])).toThrow('repeats key k1');
    expect(() => tally.addPage([bucket([], DAY_WINDOW.end)])).toThrow('outside the requested days');
  });
});

describe('Function: spikeKeysOf', () => {
  const listing = [
    { id: 'k1', name: 'eval-runner', redacted_value: 'sk-...a1B2', owner: 'ci-bot' },
    { id: 'k2', name: 'notebook', redacted_value: 'sk-...c3D4', owner: 'Ada' },
    { id: 'k9', name: 'unused', redacted_value: 'sk-...zzzz', owner: 'Ada' },
  ];

  it('gives every key with cost, most first then by id, named from the listing', () => {
    const costs = new Map<string | null, number>([
      ['k2', 1],
      ['k1', 8.2],
      ['k3', 1],
    ]);
    expect(spikeKeysOf(costs, listing)).toEqual([
      { api_key_id: 'k1', name: 'eval-runner', redacted_value: 'sk-...a1B2', owner: 'ci-bot', cost_usd: 8.2 },
      { api_key_id: 'k2', name: 'notebook', redacted_value: 'sk-...c3D4', owner: 'Ada', cost_usd: 1 },
      // Not listed: deleted since.
      { api_key_id: 'k3', name: null, redacted_value: null, owner: null, cost_usd: 1 },
    ]);
  });

  it('orders keys of equal cost by id, whatever order the costs came in', () => {
    const costs = new Map<string | null, number>([
      ['k3', 2],
      ['k2', 2],
      ['k9', 0.5],
      ['k1', 2],
    ]);
    expect(spikeKeysOf(costs, listing).map((key) => [key.api_key_id, key.cost_usd])).toEqual([
      ['k1', 2],
      ['k2', 2],
      ['k3', 2],
      ['k9', 0.5],
    ]);
  });

  it('leaves out cost tied to no key, and keys without a positive cost', () => {
    const costs = new Map<string | null, number>([
      [null, 5],
      ['k1', 0],
      ['k2', -0.5],
    ]);
    expect(spikeKeysOf(costs, listing)).toEqual([]);
  });
});

describe('Function: withSpikeKeys', () => {
  it('adds the keys found to their projects and leaves the others as they were', () => {
    const unusual: UnusualProject[] = [
      { project_id: 'p1', reason: 'spike', num_sessions: 300, mean_7d: 10, cost_usd: 9 },
      { project_id: null, reason: 'new', num_sessions: 60, mean_7d: 0, cost_usd: null },
      { project_id: 'p2', reason: 'cost', num_sessions: 5, mean_7d: 5, cost_usd: 50 },
    ];
    const key = { api_key_id: 'k1', name: 'a', redacted_value: 'sk-...', owner: null, cost_usd: 9 };
    const result = withSpikeKeys(unusual, new Map([['p1', [key]]]));
    expect(result).toEqual([{ ...unusual[0], keys: [key] }, unusual[1], unusual[2]]);
    expect(result[2]).not.toHaveProperty('keys');
  });
});
