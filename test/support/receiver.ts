import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A loopback HTTP receiver standing in for Slack, Teams and webhook endpoints: records every POST
 * and answers 200, or whatever status `failWith` queued for a path.
 */
export class WebhookReceiver {
  readonly posts: ReceivedPost[] = [];
  private readonly failures = new Map<string, number[]>();
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const status = this.failures.get(path)?.shift();
      if (status === undefined)
        this.posts.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status ?? 200, { 'content-type': 'text/plain' });
      res.end(status ? 'failed' : 'ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` posts to `path` are answered with `status` (and not recorded). */
  failWith(path: string, status: number, times: number): void {
    this.failures.set(
      path,
      Array.from({ length: times }, () => status),
    );
  }

  to(path: string): ReceivedPost[] {
    return this.posts.filter((p) => p.path === path);
  }

  reset(): void {
    this.posts.length = 0;
    this.failures.clear();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
