import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type InvocationOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { errorType: string; errorMessage: string } };

const BASE = '/2018-06-01/runtime';

/**
 * The Lambda Runtime API, as a runtime interface client (aws-lambda-ric) polls it: hands out queued
 * events on /invocation/next and collects each /response or /error.
 */
export class LocalRuntimeApi {
  readonly initErrors: unknown[] = [];
  private readonly queue: { id: string; event: unknown; timeoutMs: number }[] = [];
  private readonly waiting: ServerResponse[] = [];
  private readonly outcomes = new Map<string, (outcome: InvocationOutcome) => void>();
  private readonly server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.waiting) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues an invocation; resolves with what the function answered. */
  invoke(event: unknown, timeoutMs = 120_000): Promise<InvocationOutcome> {
    const id = randomUUID();
    const outcome = new Promise<InvocationOutcome>((resolve) => this.outcomes.set(id, resolve));
    this.queue.push({ id, event, timeoutMs });
    this.dispatch();
    return outcome;
  }

  /** Fails every pending invocation, e.g. when the runtime process died. */
  abort(reason: string): void {
    for (const resolve of this.outcomes.values())
      resolve({ ok: false, error: { errorType: 'RuntimeExited', errorMessage: reason } });
    this.outcomes.clear();
  }

  private dispatch(): void {
    while (this.queue.length && this.waiting.length) {
      const next = this.queue.shift() as { id: string; event: unknown; timeoutMs: number };
      const res = this.waiting.shift() as ServerResponse;
      res.writeHead(200, {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': next.id,
        'lambda-runtime-deadline-ms': String(Date.now() + next.timeoutMs),
        'lambda-runtime-invoked-function-arn':
          'arn:aws:lambda:eu-west-1:123456789012:function:UsageDigest-ReportFunction',
        'lambda-runtime-trace-id':
          'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
      });
      res.end(JSON.stringify(next.event));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === `${BASE}/invocation/next`) {
      this.waiting.push(res);
      this.dispatch();
      return;
    }
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => resolve(text));
    });
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && match) {
      const [, id, kind] = match as unknown as [string, string, string];
      const parsed = body ? JSON.parse(body) : null;
      this.outcomes.get(id)?.(
        kind === 'response' ? { ok: true, result: parsed } : { ok: false, error: parsed },
      );
      this.outcomes.delete(id);
      res.writeHead(202, { 'content-type': 'application/json' });
      return void res.end('{"status":"OK"}');
    }
    if (req.method === 'POST' && url === `${BASE}/init/error`) {
      this.initErrors.push(body ? JSON.parse(body) : null);
      res.writeHead(202);
      return void res.end();
    }
    res.writeHead(404);
    res.end();
  }
}
