import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  readonly method: string;
  readonly path: string;
  /** The client's port: one per connection, so requests on a reused connection share it. */
  readonly port: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `performance.now()` when the request's body had arrived. */
  readonly at: number;
}

/** How the receiver answers one request to a path. */
interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Bytes of body (instead of a short text), and whether the body is left open, never ended. */
  readonly bytes?: number;
  readonly open?: boolean;
}

/**
 * A loopback HTTP receiver standing in for Slack, Teams and webhook endpoints: records every
 * request, answers 200, or whatever `failWith` queued for a path, or never answers a path that
 * `hang` names (as a receiver that accepts the connection and then stalls).
 */
export class WebhookReceiver {
  /** The requests answered 2xx: what the receiver accepted. */
  readonly posts: ReceivedPost[] = [];
  /** Every request, whatever it was answered. */
  readonly requests: ReceivedPost[] = [];
  private readonly answers = new Map<string, Answer[]>();
  private readonly hung = new Set<string>();
  private readonly held: ServerResponse[] = [];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const post = {
        method: req.method ?? '',
        path,
        port: req.socket.remotePort ?? 0,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      this.requests.push(post);
      if (this.hung.has(path)) {
        this.held.push(res);
        return;
      }
      const answer = this.answers.get(path)?.shift();
      if (answer === undefined) this.posts.push(post);
      if (answer?.bytes !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.write(Buffer.alloc(answer.bytes, 'x'));
        if (answer.open) this.held.push(res);
        else res.end();
        return;
      }
      res.writeHead(answer?.status ?? 200, { 'content-type': 'text/plain', ...answer?.headers });
      res.end(answer ? 'failed' : 'ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` requests to `path` are answered with `status` and `headers` (and not accepted). */
  failWith(path: string, status: number, times: number, headers?: Record<string, string>): void {
    this.answers.set(
      path,
      Array.from({ length: times }, () => (headers ? { status, headers } : { status })),
    );
  }

  /** The next request to `path` is answered `status` with `bytes` of body, left open if `open`. */
  answerBody(path: string, status: number, bytes: number, open = false): void {
    this.answers.set(path, [{ status, bytes, open }]);
  }

  /** Every request to `path` is read and never answered, until `reset`. */
  hang(path: string): void {
    this.hung.add(path);
  }

  to(path: string): ReceivedPost[] {
    return this.posts.filter((p) => p.path === path);
  }

  requestsTo(path: string): ReceivedPost[] {
    return this.requests.filter((p) => p.path === path);
  }

  reset(): void {
    this.posts.length = 0;
    this.requests.length = 0;
    this.answers.clear();
    this.hung.clear();
    for (const res of this.held.splice(0)) res.socket?.destroy();
  }

  stop(): Promise<void> {
    this.reset();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
