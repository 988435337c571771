import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
