import { describe, expect, it, vi } from 'vitest';
import { REDACTED, redactSecrets } from '../../functions/report/core/redact';
import { sparkline } from '../../functions/report/core/sparkline';
import { keyShares, keyShareText } from '../../functions/report/core/spike-keys-text';
import { neutralizeText } from '../../functions/report/core/text';
import type { SpikeKey, UnusualProject } from '../../functions/report/core/unusual';
import { errorSummary, redactError } from '../../functions/report/errors';
import { stderrLogger } from '../../functions/report/run-report';

describe('Function: neutralizeText', () => {
  it.each([
    ['Data\u202Egnp.exe', 'Datagnp.exe'], // a right-to-left override
    ['Pay\u2066roll\u2069', 'Payroll'], // isolates
    ['zero\u200Bwidth\u200D\uFEFF', 'zerowidth'],
    ['line\nbreak\ttab\u0000nul\u007Fdel\u0085nel', 'line break tab nul del nel'],
    ['Équipe 🚀 données', 'Équipe 🚀 données'],
    // Line and paragraph separators (Zl, Zp) break a line in text bodies and many viewers, like \n.
    ['one\u2028two\u2029three', 'one two three'],
    ['vt\u000Bff\u000Ccr\rcrlf\r\n', 'vt ff cr crlf  '],
  ])('%j → %j', (input, output) => {
    expect(neutralizeText(input)).toBe(output);
  });
});

describe('Function: redactSecrets', () => {
  it('removes the known key, OpenAI-shaped keys and bearer tokens', () => {
    expect(redactSecrets('key=abc.def-123 end', ['abc.def-123'])).toBe(`key=${REDACTED} end`);
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.x.y, next')).toBe(
      `Authorization: Bearer ${REDACTED}, next`,
    );
    expect(redactSecrets('authorization: bearer tok')).toBe(`authorization: bearer ${REDACTED}`);
    expect(redactSecrets('echo sk-proj-abcdefgh12 and sk-admin-Z_9-xxxxxxxx')).toBe(
      `echo ${REDACTED} and ${REDACTED}`,
    );
    expect(redactSecrets('sk-short and task-list', [''])).toBe('sk-short and task-list');
  });
});

describe('Function: redactError', () => {
  it('scrubs the message and stack of an error and of its causes, in place', () => {
    const cause = new Error('proxy said Authorization: Bearer secret-123');
    const error = new Error('failed with secret-123', { cause });
    expect(redactError(error, ['secret-123'])).toBe(error);
    expect(error.message).toBe(`failed with ${REDACTED}`);
    expect(error.stack).not.toContain('secret-123');
    expect(cause.message).toBe(`proxy said Authorization: Bearer ${REDACTED}`);
    expect(cause.stack).not.toContain('secret-123');
  });

  it('survives a cause cycle and leaves non-errors alone', () => {
    const error = new Error('x sk-admin-loop1234') as Error & { cause?: unknown };
    error.cause = error;
    redactError(error);
    expect(error.message).toBe(`x ${REDACTED}`);
    expect(redactError('plain', ['plain'])).toBe('plain');
  });
});

describe('Function: errorSummary', () => {
  it('gives name and a redacted message, for errors and anything thrown', () => {
    const error = new TypeError('bad sk-admin-12345678');
    expect(errorSummary(error)).toEqual({ name: 'TypeError', message: `bad ${REDACTED}` });
    expect(errorSummary('Bearer abc')).toEqual({ name: 'Error', message: `Bearer ${REDACTED}` });
  });
});

describe('Function: redactSecrets, at its edges', () => {
  it('says [redacted], whatever the spacing after Bearer, and removes nothing else by default', () => {
    expect(redactSecrets('Bearer   tok-1')).toBe('Bearer   [redacted]');
    expect(redactSecrets('Stryker was here')).toBe('Stryker was here');
  });
});

describe('Function: stderrLogger', () => {
  it('writes warnings with their reason to stderr, and nothing for info', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      stderrLogger.info('plan', { queries: 2 });
      stderrLogger.warn('project names unavailable', { error: { name: 'E', message: 'HTTP 500' } });
      stderrLogger.warn('quiet');
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual(['warning: project names unavailable (HTTP 500)\n', 'warning: quiet\n']);
  });

  it('leaves an error alone when no secret is in it', () => {
    const error = new Error('Stryker was here');
    expect(redactError(error).message).toBe('Stryker was here');
  });
});

describe('Function: sparkline', () => {
  it.each([
    [[0, 1, 2, 3, 4, 5, 6, 7], '▁▂▃▄▅▆▇█'],
    // Any usage shows above the baseline, however small beside the busiest day.
    [[0, 1, 1_000], '▁▂█'],
    [[0, 0, 0], '▁▁▁'],
    [[], ''],
    // A new project: nothing, then its first days.
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 40, 75, 108], '▁▁▁▁▁▁▁▁▁▁▂▄▆█'],
  ])('%j → %s', (values, line) => {
    expect(sparkline(values)).toBe(line);
  });

  it('draws two rows to one scale when given the top of both', () => {
    expect(sparkline([10, 20], 40)).toBe('▃▅');
    expect(sparkline([40, 80], 80)).toBe('▅█');
  });
});

describe('Function: keyShareText', () => {
  const share = (keys: UnusualProject['keys'], cost_usd: number | null = 10) =>
    keyShares({ project_id: 'p', reason: 'spike', num_sessions: 9, mean_7d: 1, cost_usd, keys }).map((k) =>
      keyShareText(k),
    );
  const key = (id: string, cost_usd: number, fields: Partial<SpikeKey> = {}): SpikeKey => ({
    api_key_id: id,
    name: id,
    redacted_value: 'sk-...a1B2',
    owner: null,
    cost_usd,
    ...fields,
  });

  it("names the top 3 keys, most first, with their share of the project's day", () => {
    expect(
      share([
        key('small', 0.05),
        key('eval-runner', 8.2, { owner: 'ci-bot' }),
        key('gone', 1, { name: null, redacted_value: null }),
        key('unnamed', 0.7, { name: null }),
      ]),
    ).toEqual([
      '82% from key "eval-runner" (sk-...a1B2), owned by ci-bot',
      '10% from gone, a key since deleted',
      '7% from an unnamed key (sk-...a1B2)',
    ]);
  });

  it("says <1% rather than 0%, and shares of the keys' own sum when the project's cost is unknown", () => {
    expect(share([key('a', 0.01)], 10)).toEqual(['<1% from key "a" (sk-...a1B2)']);
    expect(share([key('a', 3), key('b', 1)], null)).toEqual([
      '75% from key "a" (sk-...a1B2)',
      '25% from key "b" (sk-...a1B2)',
    ]);
    expect(share([key('a', 0)], 0)).toEqual(['$0.00 from key "a" (sk-...a1B2)']);
    expect(share(undefined)).toEqual([]);
  });

  it('keeps a hostile key name or owner on one line, with nothing hidden in it', () => {
    expect(share([key('k', 5, { name: 'ci\u202E\nbot', owner: 'Eve\u200B\u2028Mallory' })])).toEqual([
      '50% from key "ci bot" (sk-...a1B2), owned by Eve Mallory',
    ]);
  });
});
