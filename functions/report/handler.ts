import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { Context } from 'aws-lambda';
import { createAdminKeySource } from './adapters/admin-key';
import { createLimitsCache, type LimitsCache } from './adapters/limits-cache';
import { createMailer, type Mailer } from './adapters/mailer';
import { createNamesCache, type NamesCache } from './adapters/names-cache';
import { createSecretReader } from './adapters/secret-text';
import { createSendOnce, type SendOnce } from './adapters/send-once';
import { createUsageApi, type UsageApi, type UsageApiOptions } from './adapters/usage-api';
import { type BackfillResult, backfillFromEvent } from './backfill';
import type { DigestContent } from './channels/channel';
import { loadConfig, type ReportConfig } from './config';
import { isBackfillEvent } from './core/backfill-event';
import { parseEvent } from './core/event';
import { describeWindow } from './core/render';
import type { ReportResult } from './core/report';
import { deliverDigest } from './deliver';
import { errorSummary, redactError } from './errors';
import { type HistoryDayWriter, historyBucketOf, writeHistoryDay } from './history-day';
import { loadHistory } from './history-module';
import { cachedNames, listedNames, type ProjectNames } from './project-names';
import { cachedSpendLimits, type ProjectSpendLimits, readSpendLimits } from './project-spend-limits';
import { computeReport } from './run-report';

/**
 * Time kept back from the usage fetch for delivery: the records, SES, and the chat and webhook
 * posts, which go out at once, each within the delivery deadline.
 */
export const SEND_RESERVE_MS = 30_000;
/** Of the reserve, what the delivery records and the failure's way out need after the last post. */
export const AFTER_POSTS_MS = 3_000;

/** Everything the handler reaches outside itself; tests hand in clients pointed at local servers. */
export interface HandlerDeps {
  readonly config: () => ReportConfig;
  readonly logger: Logger;
  readonly readAdminKey: (secretId: string) => Promise<string>;
  /** A secret's text (channel URLs, the webhook signing key), cached like the admin key. */
  readonly readSecret: (secretId: string) => Promise<string>;
  readonly createUsageApi: (options: UsageApiOptions) => UsageApi;
  readonly mailer: (sender: string) => Mailer;
  /** Undefined without IDEMPOTENCY_TABLE: every run sends. */
  readonly sendOnce?: (tableName: string) => SendOnce;
  /** The project names kept in the same table; without it every run lists the projects. */
  readonly namesCache?: (tableName: string) => NamesCache;
  /** The projects' spend limits kept in the same table; without it every scheduled run reads them. */
  readonly limitsCache?: (tableName: string) => LimitsCache;
  /** The history bucket's writer (loaded lazily); without it, HISTORY_BUCKET writes nothing. */
  readonly historyStore?: (bucket: string) => Promise<HistoryDayWriter>;
  /** Epoch ms: the calendar clock that decides which day is "yesterday". */
  readonly now: () => number;
  /** Time kept back from the fetch for delivery; posts end AFTER_POSTS_MS before it runs out. @default SEND_RESERVE_MS */
  readonly sendReserveMs?: number;
}

/** A backfill event answers with what it wrote; every other event with its report. */
export interface ReportHandler {
  (event: { readonly backfill: unknown }, context: Context): Promise<BackfillResult>;
  (event: unknown, context: Context): Promise<ReportResult>;
}

/** Wires adapters to the core. Input is validated before any secret, API or SES call. */
export function makeHandler(deps: HandlerDeps): ReportHandler {
  const { logger } = deps;
  const reserveMs = deps.sendReserveMs ?? SEND_RESERVE_MS;
  return (async (event: unknown, context: Context): Promise<ReportResult | BackfillResult> => {
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    logger.addContext(context);
    // Known once read, so every error leaving the handler can be scrubbed of it.
    let adminKey: string | undefined;
    let projectNames: ProjectNames | undefined;
    let spendLimits: ProjectSpendLimits | undefined;
    try {
      const config = deps.config();
      if (isBackfillEvent(event)) {
        return await backfillFromEvent(event, { config, deps, context, reserveMs });
      }
      const request = parseEvent(event, {
        now: Math.floor(deps.now() / 1000),
        timeZone: config.timeZone,
        recipients: config.recipients,
        allowedRecipientDomains: config.allowedRecipientDomains,
      });
      logger.info('report requested', {
        kind: request.kind,
        period: describeWindow(request.window, request.timeZone),
        window: request.window,
        time_zone: request.timeZone,
        dry_run: request.dryRun,
      });
      adminKey = await deps.readAdminKey(config.secretId);
      let requests = 0;
      let retries = 0;
      const usageApi = deps.createUsageApi({
        baseUrl: config.baseUrl,
        adminKey,
        concurrency: config.concurrency,
        requestTimeoutMs: config.requestTimeoutMs,
        // Wall-clock budget, independent of the injectable calendar clock.
        deadline: Date.now() + context.getRemainingTimeInMillis() - reserveMs,
        onEvent: (e) => {
          if (e.type === 'request') requests++;
          if (e.type === 'retry') {
            retries++;
            logger.warn('retrying usage API request', {
              path: e.path,
              attempt: e.attempt,
              delay_ms: e.delayMs,
              reason: e.reason,
            });
          }
        },
      });
      const list = () => usageApi.listProjectNames();
      const namesCache = config.idempotencyTable ? deps.namesCache?.(config.idempotencyTable) : undefined;
      projectNames = namesCache
        ? cachedNames({ cache: namesCache, list, now: () => Math.floor(deps.now() / 1000), logger })
        : listedNames(list);
      const readLimit = (projectId: string) => usageApi.fetchSpendLimit(projectId);
      const limitsCache = config.idempotencyTable ? deps.limitsCache?.(config.idempotencyTable) : undefined;
      spendLimits = limitsCache
        ? cachedSpendLimits({
            cache: limitsCache,
            read: readLimit,
            now: () => Math.floor(deps.now() / 1000),
            logger,
          })
        : readSpendLimits(readLimit);
      const computed = await computeReport(
        request,
        usageApi,
        logger,
        undefined,
        config.thresholds,
        projectNames,
        {
          budgets: config.budgets,
          warnAt: config.budgetWarnAt,
          routes: config.routes,
          spendLimits,
        },
      );
      const { result } = computed;
      const historyBucket = historyBucketOf(request, config);
      // Independent of delivery: started now, awaited once delivery settled (see below).
      const historyWrite =
        historyBucket && deps.historyStore
          ? writeHistoryDay(deps.historyStore(historyBucket), request, computed, config.routes)
          : undefined;
      logger.info('report computed', {
        total_sessions: result.total_sessions,
        total_cost_usd: result.total_cost_usd,
        projects: result.projects.length,
        unusual: result.unusual?.length,
        queries: computed.queries,
        requests,
        retries,
        fetch_ms: elapsed(),
      });
      if (!request.dryRun) {
        const content: DigestContent = {
          report: result,
          timeZone: request.timeZone,
          ...(computed.trend ? { trend: computed.trend } : {}),
          notes: {
            ...(computed.costUnavailable ? { costUnavailable: computed.costUnavailable } : {}),
            ...(computed.limitsUnavailable ? { limitsUnavailable: computed.limitsUnavailable } : {}),
            ...(computed.monthToDateUnavailable
              ? { monthToDateUnavailable: computed.monthToDateUnavailable }
              : {}),
            ...(config.thresholds.alertCostUsd === undefined
              ? {}
              : { alertCostUsd: config.thresholds.alertCostUsd }),
          },
        };
        const sendOnce = config.idempotencyTable ? deps.sendOnce?.(config.idempotencyTable) : undefined;
        // Every post ends within the reserve, and before the function's own timeout.
        const postsDeadline =
          Date.now() + Math.min(reserveMs, context.getRemainingTimeInMillis()) - AFTER_POSTS_MS;
        try {
          await deliverDigest(
            request,
            { content, forProjects: computed.forProjects },
            config,
            context,
            deps,
            sendOnce,
            postsDeadline,
          );
        } finally {
          // A failed delivery fails the run with its own error; the history is still written first.
          await historyWrite;
        }
      }
      const historyOutcome = await historyWrite;
      if (historyOutcome?.error !== undefined) {
        // Fails the run so Lambda retries it: the delivery records keep the digest from going
        // twice, and the retry writes the same key again.
        logger.error('history not written', {
          bucket: historyBucket,
          error: errorSummary(historyOutcome.error),
        });
        throw historyOutcome.error;
      }
      if (historyOutcome) logger.info('history written', { bucket: historyBucket });
      logger.info('report done', { duration_ms: elapsed() });
      return result;
    } catch (error) {
      // Stryker disable next-line ArrayDeclaration: an extra secret that is not in the message changes nothing
      redactError(error, adminKey ? [adminKey] : []);
      logger.error('report failed', { error: errorSummary(error), duration_ms: elapsed() });
      throw error;
    } finally {
      // A refresh of the names runs in the background of the run; Lambda freezes what is left.
      await projectNames?.settled();
      await spendLimits?.settled();
    }
  }) as ReportHandler;
}

/** The production wiring: SDK clients built once per container, endpoints from the SDK's standard variables. */
export function defaultDeps(env: Record<string, string | undefined> = process.env): HandlerDeps {
  let config: ReportConfig | undefined;
  // Lambda puts the role's credentials in the environment: the SDK's provider for exactly that.
  const credentials = fromEnv();
  const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ credentials }) });
  const ses = new SESClient({ credentials });
  let dynamodb: DynamoDBClient | undefined;
  const client = () => {
    // Stryker disable next-line AssignmentOperator: built once per container; built again it behaves the same
    dynamodb ??= new DynamoDBClient({ credentials });
    return dynamodb;
  };
  const sendOnceByTable = new Map<string, SendOnce>();
  const historyByBucket = new Map<string, Promise<HistoryDayWriter>>();
  return {
    config: () => {
      config ??= loadConfig(env);
      return config;
    },
    logger: new Logger({ serviceName: 'usage-digest' }),
    readAdminKey: (secretId) => createAdminKeySource(secrets, secretId)(),
    readSecret: createSecretReader(secrets),
    createUsageApi,
    mailer: (sender) => createMailer(ses, sender),
    sendOnce: (tableName) => {
      let sendOnce = sendOnceByTable.get(tableName);
      // Stryker disable next-line ConditionalExpression,AssignmentOperator: caches for warm starts; built afresh they behave the same
      if (!sendOnce) {
        sendOnce = createSendOnce({ tableName, client: client() });
        sendOnceByTable.set(tableName, sendOnce);
      }
      return sendOnce;
    },
    namesCache: (tableName) => createNamesCache({ tableName, client: client() }),
    limitsCache: (tableName) => createLimitsCache({ tableName, client: client() }),
    historyStore: (bucket) => {
      let store = historyByBucket.get(bucket);
      // Stryker disable next-line ConditionalExpression: caches for warm starts; built afresh it behaves the same
      if (!store) {
        store = loadHistory().then(({ createHistoryStore }) => createHistoryStore({ bucket, credentials }));
        historyByBucket.set(bucket, store);
      }
      return store;
    },
    now: Date.now,
  };
}

export const handler: ReportHandler = makeHandler(defaultDeps());
