/**
 * The bench's usage API in a process of its own, as the real one is on a machine of its own: building
 * and serializing a 180-day cost page takes the fake ~100 ms of CPU, which in the client's process
 * would count as the client's time and hold back its other requests. Run as a script, it serves;
 * imported, `startBenchApi` starts it and talks to it over IPC. It answers a repeated request from
 * memory, so a warm-up run leaves it answering every request at once after its fixed latency.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { benchLog } from './bench-log';
import { FakeUsageApi, type RecordedRequest } from './fake-usage-api';
import type { SessionLog } from './sample-usage';

export interface BenchApiOptions {
  readonly adminKey: string;
  readonly latencyMs: number;
  /** Projects in the organization it serves (default 60). */
  readonly projects?: number;
}

type Command = { readonly id: number; readonly command: 'reset' | 'requests' };
type SerializedRequest = Omit<RecordedRequest, 'params'> & { readonly params: string };

export interface BenchApi {
  readonly baseUrl: string;
  /** Forgets the requests recorded so far. */
  reset(): Promise<void>;
  /** The requests since the last reset, with the server's own timestamps. */
  requests(): Promise<RecordedRequest[]>;
  stop(): Promise<void>;
}

/** Starts the fake API in a child process, serving the bench's log (`benchLog(projects)`). */
export async function startBenchApi(options: BenchApiOptions): Promise<BenchApi> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [baseUrl] = (await once(child, 'message')) as [string];
  let nextId = 0;
  const ask = async (command: Command['command']): Promise<unknown> => {
    const id = ++nextId;
    child.send({ id, command });
    for (;;) {
      const [reply] = (await once(child, 'message')) as [{ id: number; value: unknown }];
      if (reply.id === id) return reply.value;
    }
  };
  return {
    baseUrl,
    reset: async () => void (await ask('reset')),
    requests: async () =>
      ((await ask('requests')) as SerializedRequest[]).map((r) => ({
        ...r,
        params: new URLSearchParams(r.params),
      })),
    stop: async () => {
      child.kill();
      await once(child, 'exit');
    },
  };
}

async function serve(options: BenchApiOptions, log: SessionLog): Promise<void> {
  const api = new FakeUsageApi({
    log,
    adminKey: options.adminKey,
    latencyMs: options.latencyMs,
    memoize: true,
  });
  const send = process.send?.bind(process);
  if (!send) throw new Error('run this file through startBenchApi');
  send(await api.start());
  process.on('message', (message: Command) => {
    if (message.command === 'reset') api.reset();
    const value =
      message.command === 'requests'
        ? api.requests.map((r) => ({ ...r, params: r.params.toString() }))
        : undefined;
    send({ id: message.id, value });
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = JSON.parse(process.argv[2] as string) as BenchApiOptions;
  await serve(options, benchLog(options.projects));
}
