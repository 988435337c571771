import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_POST_BYTES, postJson } from '../../functions/report/channels/http-post';
import { WebhookReceiver } from '../support/receiver';

/** postJson over HTTP to a loopback receiver: what it sends, what it retries, and what it says. */
const receiver = new WebhookReceiver();
let base: string;

beforeAll(async () => {
  base = await receiver.start();
});
afterAll(() => receiver.stop());
beforeEach(() => receiver.reset());

/** The error a post ended in; fails the test if it succeeded. */
async function failureOf(post: Promise<unknown>): Promise<string> {
  const error = await post.catch((e: unknown) => e);
  if (!(error instanceof Error)) throw new Error('the post should have failed');
  return error.message;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const gaps = (path: string) =>
  receiver
    .requestsTo(path)
    .slice(1)
    .map((r, i) => r.at - (receiver.requestsTo(path)[i]?.at ?? 0));

describe('Function: postJson', () => {
  it('POSTs the body as JSON with the given headers, and answers with the status', async () => {
    const receipt = await postJson('webhook', `${base}/hook`, '{"a":1}', { headers: { 'X-Extra': 'yes' } });
    expect(receipt).toBe('HTTP 200');
    const [post] = receiver.requestsTo('/hook');
    expect(post?.method).toBe('POST');
    expect(post?.body).toBe('{"a":1}');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.headers['x-extra']).toBe('yes');
  });

  it('takes any 2xx, a body-less 204 too', async () => {
    receiver.failWith('/hook', 204, 1);
    expect(await postJson('webhook', `${base}/hook`, '{}')).toBe('HTTP 204');
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
  });

  it('reads an answer of up to 64 KiB to its end, so the next post reuses the connection', async () => {
    // A 64 KiB answer is more than fetch buffers on its own: left unread, it holds the connection.
    receiver.answerBody('/slack', 200, 64 * 1024);
    expect(await postJson('slack', `${base}/slack`, '{}')).toBe('HTTP 200');
    await sleep(50);
    await postJson('slack', `${base}/slack`, '{}');
    const [first, second] = receiver.requestsTo('/slack');
    expect(second?.port).toBe(first?.port);
  });

  it('stops reading an answer after 64 KiB: an endless body does not hold the post', async () => {
    receiver.answerBody('/hook', 200, 200 * 1024, true);
    const started = performance.now();
    expect(await postJson('webhook', `${base}/hook`, '{}', { deadline: Date.now() + 3_000 })).toBe(
      'HTTP 200',
    );
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it.each([
    ['not a URL', 'not a url'],
    ['plain http to another host', 'http://hooks.slack.example/services/T0/B0/x'],
    ['ftp', 'ftp://127.0.0.1/hook'],
  ])('refuses %s without sending', async (_, url) => {
    expect(await failureOf(postJson('slack', url, '{}'))).toBe(
      'slack: its URL must be https:// (http only for localhost)',
    );
  });

  it('sends a body of exactly 256 KiB, refuses one byte more without sending it', async () => {
    const body = `"${'x'.repeat(MAX_POST_BYTES - 2)}"`;
    expect(await postJson('webhook', `${base}/hook`, body)).toBe('HTTP 200');
    expect(await failureOf(postJson('webhook', `${base}/hook`, `${body} `))).toBe(
      'webhook: the message is over 256 KiB',
    );
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
  });

  it('sends nothing when the deadline has passed, and says so', async () => {
    expect(await failureOf(postJson('teams', `${base}/teams`, '{}', { deadline: Date.now() - 1 }))).toBe(
      'teams: there was no time left to send it before the delivery deadline',
    );
    expect(receiver.requestsTo('/teams')).toEqual([]);
  });

  it('retries a 500 twice, after 400 ms and 800 ms, then names the status', async () => {
    receiver.failWith('/hook', 500, 3);
    const started = performance.now();
    expect(await failureOf(postJson('webhook', `${base}/hook`, '{}'))).toBe(
      'webhook: the receiver answered HTTP 500',
    );
    const elapsed = performance.now() - started;
    expect(receiver.requestsTo('/hook')).toHaveLength(3);
    const [first, second] = gaps('/hook');
    expect(first).toBeGreaterThanOrEqual(390);
    expect(first).toBeLessThan(790);
    expect(second).toBeGreaterThanOrEqual(790);
    // No wait after the last try.
    expect(elapsed).toBeLessThan(1_200 + 1_000);
  });

  it('delivers on a retry after a 429, and after a 503', async () => {
    receiver.failWith('/hook', 429, 1);
    expect(await postJson('webhook', `${base}/hook`, '{}')).toBe('HTTP 200');
    receiver.failWith('/slack', 503, 1);
    expect(await postJson('slack', `${base}/slack`, '{}')).toBe('HTTP 200');
    expect(receiver.requestsTo('/hook')).toHaveLength(2);
    expect(receiver.requestsTo('/slack')).toHaveLength(2);
  });

  it.each([400, 404, 413, 499])('does not retry a %i', async (status) => {
    receiver.failWith('/hook', status, 3);
    expect(await failureOf(postJson('webhook', `${base}/hook`, '{}'))).toBe(
      `webhook: the receiver answered HTTP ${status}`,
    );
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
  });

  it.each([300, 301, 307, 308, 399])('refuses a %i at once as a redirect', async (status) => {
    receiver.failWith('/hook', status, 3, { location: 'https://elsewhere.example/hook' });
    expect(await failureOf(postJson('webhook', `${base}/hook`, '{}'))).toBe(
      `webhook: the receiver answered HTTP ${status} (a redirect; webhook URLs must be the final URL)`,
    );
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
  });

  it('names a receiver it cannot reach, after trying three times', async () => {
    const port = await closedPort();
    const started = performance.now();
    expect(await failureOf(postJson('slack', `http://127.0.0.1:${port}/slack`, '{}'))).toBe(
      'slack: the receiver could not be reached (network error)',
    );
    // Two waits between three tries: 400 ms and 800 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_150);
  });

  it('gives up when the next try would start past the deadline, naming the last answer', async () => {
    receiver.failWith('/hook', 500, 3);
    expect(await failureOf(postJson('webhook', `${base}/hook`, '{}', { deadline: Date.now() + 300 }))).toBe(
      'webhook: the receiver answered HTTP 500',
    );
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
  });

  it('says nothing of a Retry-After shorter than its own backoff when the backoff is past the deadline', async () => {
    receiver.failWith('/hook', 503, 3, { 'retry-after': '0' });
    expect(await failureOf(postJson('webhook', `${base}/hook`, '{}', { deadline: Date.now() + 300 }))).toBe(
      'webhook: the receiver answered HTTP 503',
    );
  });

  it('names a Retry-After that is past the deadline, in whole seconds rounded up', async () => {
    receiver.failWith('/hook', 429, 3, { 'retry-after': '1' });
    expect(await failureOf(postJson('webhook', `${base}/hook`, '{}', { deadline: Date.now() + 600 }))).toBe(
      "webhook: the receiver answered HTTP 429 and asked to wait 1 s, past this delivery's deadline",
    );
    // An HTTP date (whole seconds) two minutes after the current second: 119.x s from now, said as 120.
    if (Date.now() % 1000 > 800) await sleep(250);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000);
    receiver.failWith('/slack', 503, 3, { 'retry-after': at.toUTCString() });
    expect(await failureOf(postJson('slack', `${base}/slack`, '{}', { deadline: Date.now() + 5_000 }))).toBe(
      "slack: the receiver answered HTTP 503 and asked to wait 120 s, past this delivery's deadline",
    );
    expect(receiver.requestsTo('/slack')).toHaveLength(1);
  });

  it('waits as long as a Retry-After asks when it is longer than the backoff', async () => {
    receiver.failWith('/hook', 429, 1, { 'retry-after': '1' });
    expect(await postJson('webhook', `${base}/hook`, '{}')).toBe('HTTP 200');
    expect(gaps('/hook')[0]).toBeGreaterThanOrEqual(990);
  });
});
