import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import * as sesLocal from 'aws-ses-v2-local';
import dynalite from 'dynalite';
import { IDEMPOTENCY_TABLE_KEY } from '../../infra/idempotency-schema';

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { filename?: string; contentType: string; content: string }[];
}

/** aws-ses-v2-local on a free port: SES's v1 and v2 APIs plus a /store of what was sent. */
export async function startLocalSes(): Promise<{
  url: string;
  emails(): Promise<StoredEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}> {
  // A CommonJS module whose `default` export is the server: vitest and tsx unwrap it differently.
  const module = sesLocal as unknown as {
    default: typeof sesLocal.default | { default: typeof sesLocal.default };
  };
  const startSes = typeof module.default === 'function' ? module.default : module.default.default;
  const server = await startSes({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async emails() {
      const response = await fetch(`${url}/store`);
      return ((await response.json()) as { emails: StoredEmail[] }).emails;
    },
    async clear() {
      await fetch(`${url}/clear-store`, { method: 'POST' });
    },
    stop: () => closeServer(server),
  };
}

/** dynalite (a DynamoDB implementation) on a free port, with the stack's idempotency table created. */
export async function startLocalDynamoDb(tableName: string): Promise<{
  url: string;
  client: DynamoDBClient;
  /** Deletes every item of the table but those whose key is in `keep`. */
  clearItems(keep?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    url,
    client,
    async clearItems(keep = []) {
      const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName }));
      for (const item of Items) {
        const key = item[IDEMPOTENCY_TABLE_KEY]?.S;
        if (key === undefined || keep.includes(key)) continue;
        await client.send(
          new DeleteItemCommand({ TableName: tableName, Key: { [IDEMPOTENCY_TABLE_KEY]: { S: key } } }),
        );
      }
    },
    async stop() {
      client.destroy();
      await closeServer(server);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}
