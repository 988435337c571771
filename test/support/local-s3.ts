import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** s3rver (an S3 implementation over the file system) on a free port, with one bucket. */
export interface LocalS3 {
  /** `http://127.0.0.1:PORT`: an IP endpoint, which the SDK addresses path-style without `forcePathStyle`. */
  readonly url: string;
  readonly bucket: string;
  /** The one account s3rver knows: it refuses any other access key. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The SDK's standard variables that point a client at it: its endpoint and its one account. */
  readonly env: {
    readonly AWS_ENDPOINT_URL_S3: string;
    readonly AWS_ACCESS_KEY_ID: string;
    readonly AWS_SECRET_ACCESS_KEY: string;
  };
  /** Stops the server; `start` serves the same objects on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its files. */
  dispose(): Promise<void>;
}

const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const SCRIPT = join(import.meta.dirname, 's3rver-process.mjs');

/** Starts s3rver in a child process (see s3rver-process.mjs for why) and waits until it listens. */
async function spawnServer(options: { directory: string; bucket: string; port: number }) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', SCRIPT, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`s3rver exited with ${code} before listening`);
    }),
  ])) as [string];
  return { child, port: (JSON.parse(first) as { port: number }).port };
}

async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export async function startLocalS3(bucket: string): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'local-s3-'));
  const started = await spawnServer({ directory, bucket, port: 0 });
  let child: ChildProcess | undefined = started.child;
  const { port } = started;
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    credentials: S3RVER_CREDENTIALS,
    env: {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    async stop() {
      await stopServer(child);
      child = undefined;
    },
    async start() {
      child = (await spawnServer({ directory, bucket, port })).child;
    },
    async dispose() {
      await stopServer(child);
      child = undefined;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
