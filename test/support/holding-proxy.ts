import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a local AWS endpoint that can hold requests unanswered, as a service
 * does while a caller crashes: held requests are never forwarded, so the service never acts on them.
 */
export class HoldingProxy {
  hold = false;
  private readonly held: IncomingMessage[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly server = createServer((req, res) => this.handle(req, res));

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.dropHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once a request is being held. */
  heldRequest(): Promise<void> {
    if (this.held.length) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cuts every held connection without an answer. */
  dropHeld(): void {
    for (const req of this.held.splice(0)) req.socket.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.hold) {
      this.held.push(req);
      for (const wake of this.waiters.splice(0)) wake();
      return;
    }
    const upstream = request(
      new URL(req.url ?? '/', this.target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
