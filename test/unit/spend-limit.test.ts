import { describe, expect, it } from 'vitest';
import {
  isNoSpendLimitAnswer,
  MalformedSpendLimitError,
  NO_SPEND_LIMIT,
  parseSpendLimit,
} from '../../functions/report/core/spend-limit';

// Shapes as in openai/openai-node src/resources/admin/organization/spend-limit.ts and
// src/resources/admin/organization/projects/spend-limit.ts: threshold_amount is in cents.
const limit = (overrides: Record<string, unknown> = {}) => ({
  object: 'project.spend_limit',
  currency: 'USD',
  interval: 'month',
  threshold_amount: 50_000,
  enforcement: { status: 'inactive' },
  ...overrides,
});

describe('Function: parseSpendLimit', () => {
  it.each([
    ['an organization limit of $500', limit({ object: 'organization.spend_limit' }), 500, false],
    ['a project limit in odd cents', limit({ threshold_amount: 1999 }), 19.99, false],
    ['one cent', limit({ threshold_amount: 1 }), 0.01, false],
    ['an enforcing limit', limit({ enforcement: { status: 'enforcing' } }), 500, true],
    [
      'an unknown enforcement status, read as not refusing',
      limit({ enforcement: { status: 'paused' } }),
      500,
      false,
    ],
    ['cents as a string of digits', limit({ threshold_amount: '123456' }), 1234.56, false],
    ['a lower-case currency', limit({ currency: 'usd' }), 500, false],
    ['no object field', limit({ object: undefined }), 500, false],
    ['threshold 0: no limit', limit({ threshold_amount: 0 }), null, false],
    [
      'threshold 0 but enforcing',
      limit({ threshold_amount: 0, enforcement: { status: 'enforcing' } }),
      null,
      true,
    ],
  ])('reads %s', (_name, body, limitUsd, enforcing) => {
    expect(parseSpendLimit(body)).toEqual({ limitUsd, enforcing });
  });

  it.each([
    ['not an object', null, 'body'],
    ['an array', [limit()], 'body'],
    ['another object', limit({ object: 'organization.costs.result' }), 'object'],
    ['no threshold', limit({ threshold_amount: undefined }), 'threshold_amount'],
    ['a null threshold', limit({ threshold_amount: null }), 'threshold_amount'],
    ['a negative threshold', limit({ threshold_amount: -100 }), 'threshold_amount'],
    ['a fraction of a cent', limit({ threshold_amount: 12.5 }), 'threshold_amount'],
    ['a decimal string', limit({ threshold_amount: '12.50' }), 'threshold_amount'],
    ['another currency', limit({ currency: 'EUR' }), 'currency'],
    ['no currency', limit({ currency: undefined }), 'currency'],
    ['another interval', limit({ interval: 'week' }), 'interval'],
    ['no enforcement', limit({ enforcement: undefined }), 'enforcement.status'],
    ['a status that is not a string', limit({ enforcement: { status: 1 } }), 'enforcement.status'],
  ])('refuses %s, naming the field', (_name, body, field) => {
    let caught: unknown;
    try {
      parseSpendLimit(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MalformedSpendLimitError);
    expect(caught).toMatchObject({ name: 'MalformedSpendLimitError', field });
    expect((caught as Error).message).toContain(field === 'body' ? 'not an object' : field);
  });
});

describe('Function: isNoSpendLimitAnswer', () => {
  it.each([
    [404, true],
    [200, false],
    [403, false],
    [500, false],
  ])('status %i means no limit: %s', (status, expected) => {
    expect(isNoSpendLimitAnswer(status)).toBe(expected);
  });

  it('has a frozen "no limit" value', () => {
    expect(NO_SPEND_LIMIT).toEqual({ limitUsd: null, enforcing: false });
    expect(Object.isFrozen(NO_SPEND_LIMIT)).toBe(true);
  });
});
