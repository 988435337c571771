import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';

/** Completed records answer duplicates for this long, well past Lambda's 6-hour maximum event age. */
export const DELIVERY_RECORD_TTL_SECONDS = 3 * 24 * 60 * 60;

/** What makes two deliveries the same email: never the event id, which differs per delivery. */
export interface DeliveryKey {
  readonly report: string;
  readonly start_time: number;
  readonly end_time: number;
  readonly time_zone: string;
  readonly recipients: readonly string[];
}

export type DeliveryOutcome =
  | { readonly status: 'sent'; readonly messageId: string }
  | { readonly status: 'already-sent'; readonly messageId: string }
  | { readonly status: 'in-progress-elsewhere' };

export type SendOnce = (
  key: DeliveryKey,
  context: Context,
  send: () => Promise<string>,
) => Promise<DeliveryOutcome>;

/**
 * Exactly-once delivery over Powertools Idempotency with DynamoDB: the record is written
 * (in progress) before SES is called and completed with the message id after SES accepts the
 * message; a failed send deletes it so the retry sends. An in-progress record expires with the
 * invocation's remaining time, so a crashed run does not block its retry.
 */
export function createSendOnce(options: { tableName: string; client: DynamoDBClient }): SendOnce {
  const config = new IdempotencyConfig({ expiresAfterSeconds: DELIVERY_RECORD_TTL_SECONDS });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
  });
  // Only the first argument, the key, is hashed into the record id.
  const deliver = makeIdempotent(
    async (_key: DeliveryKey, send: () => Promise<string>) => ({ message_id: await send() }),
    { persistenceStore, config },
  );
  return async (key, context, send) => {
    config.registerLambdaContext(context);
    let sentNow = false;
    const sendAndMark = async () => {
      const messageId = await send();
      sentNow = true;
      return messageId;
    };
    try {
      const stored = await deliver({ ...key, recipients: [...key.recipients].sort() }, sendAndMark);
      return { status: sentNow ? 'sent' : 'already-sent', messageId: stored.message_id };
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) return { status: 'in-progress-elsewhere' };
      throw error;
    }
  };
}
