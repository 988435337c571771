import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { DeliveryKey } from '../core/delivery-key';
import { DeliveryInProgressError } from '../errors';

/** Completed records answer duplicates for this long, well past Lambda's 6-hour maximum event age. */
export const DELIVERY_RECORD_TTL_SECONDS = 3 * 24 * 60 * 60;

export type DeliveryOutcome =
  | { readonly status: 'sent'; readonly messageId: string }
  | { readonly status: 'already-sent'; readonly messageId: string };

export type SendOnce = (
  key: DeliveryKey,
  context: Context,
  send: () => Promise<string>,
) => Promise<DeliveryOutcome>;

/**
 * At-most-once delivery over Powertools Idempotency with DynamoDB: the record is written
 * (in progress) before SES is called and completed with the message id after SES accepts the
 * message; a failed send deletes it so the retry sends. Only a completed record means "sent":
 * finding another delivery in progress throws DeliveryInProgressError, so Lambda retries, and the
 * retry finds the record completed, or expired with the crashed invocation's deadline, and sends.
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
      const stored = await deliver(key, sendAndMark);
      return { status: sentNow ? 'sent' : 'already-sent', messageId: stored.message_id };
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new DeliveryInProgressError(
          'another delivery of this digest is in progress (or crashed before SES answered); retry after it completes or its record expires',
          { cause: error },
        );
      }
      throw error;
    }
  };
}
