import { describe, expect, it } from 'vitest';
import { keyShares, keyShareText } from '../../functions/report/core/spike-keys-text';
import type { SpikeKey } from '../../functions/report/core/unusual';

const key = (id: string, cost_usd: number, fields: Partial<SpikeKey> = {}): SpikeKey => ({
  api_key_id: id,
  name: id,
  redacted_value: 'sk-...a1B2',
  owner: null,
  cost_usd,
  ...fields,
});
/** The lines a digest writes under an unusual project whose day cost `cost_usd`. */
const lines = (keys: SpikeKey[], cost_usd: number | null) =>
  keyShares({ project_id: 'p', reason: 'spike', num_sessions: 9, mean_7d: 1, cost_usd, keys }).map((k) =>
    keyShareText(k),
  );

describe('Function: keyShares', () => {
  it("shares of the keys' own sum when the project's day cost is zero", () => {
    expect(lines([key('a', 3), key('b', 1)], 0)).toEqual([
      '75% from key "a" (sk-...a1B2)',
      '25% from key "b" (sk-...a1B2)',
    ]);
  });

  it('says 0% for a key without cost beside one with, not <1%', () => {
    expect(lines([key('a', 4), key('b', 0)], 4)).toEqual([
      '100% from key "a" (sk-...a1B2)',
      '0% from key "b" (sk-...a1B2)',
    ]);
  });

  it('calls a key with an empty or blank name unnamed, and leaves out an empty or blank owner', () => {
    expect(
      lines(
        [
          key('k1', 3, { name: '', owner: '' }),
          key('k2', 2, { name: ' \t ', owner: '  ' }),
          key('k3', 1, { name: 'ci', owner: 'Ada' }),
        ],
        6,
      ),
    ).toEqual([
      '50% from an unnamed key (sk-...a1B2)',
      '33% from an unnamed key (sk-...a1B2)',
      '17% from key "ci" (sk-...a1B2), owned by Ada',
    ]);
  });
});
