import { FakeUsageApi, type SpendLimitAnswer } from '../dev/fake-usage-api';
import {
  expectedCostCents,
  generateSessionLog,
  type SampleProject,
  type SessionLog,
  withExtraSessions,
  withSampleKeys,
} from '../dev/sample-usage';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { costWindowOf } from '../functions/report/core/cost';
import { parseEvent } from '../functions/report/core/event';
import { previousLocalDay } from '../functions/report/core/local-time';
import { type RenderedDigest, renderDigest } from '../functions/report/core/render';
import { costDayOf } from '../functions/report/core/report-runway';
import { type DailySpend, type Runway, runwayOf, runwaySpendWindow } from '../functions/report/core/runway';
import { computeReport, stderrLogger } from '../functions/report/run-report';

/** The sample API's admin key: shaped like one so the real client accepts it, and nothing else. */
export const SAMPLE_ADMIN_KEY = 'sk-admin-sample';

/** `npm run sample-api`'s port: one rarely taken on a developer's machine (`--port` picks another). */
export const SAMPLE_API_PORT = 8787;

/** The command that tries the `usage-digest` CLI against the sample API at `baseUrl`. */
export const tryCommand = (baseUrl: string) =>
  `OPENAI_ADMIN_KEY=${SAMPLE_ADMIN_KEY} npx usage-digest --base-url ${baseUrl}`;

/**
 * The sample organization up to `now`: 90 days of a dozen named projects with a weekly rhythm, a
 * few API keys each (the most from "eval-runner", owned by the ci-bot service account), and a day
 * before `now` (local, in `timeZone`) with something unusual: one project spikes and a new one
 * appears.
 */
export function sampleUsageLog(now: number, timeZone: string): SessionLog {
  const day = previousLocalDay(now, timeZone).window;
  const regular = generateSessionLog({ from: now - 90 * 86_400, to: now, projectCount: 12, seed: 2026 });
  const spiking = regular.projects[2] as { id: string; name: string };
  return withSampleKeys(
    withExtraSessions(
      withExtraSessions(regular, spiking, { from: day.start, to: day.end }, 160),
      { id: 'proj_00zznew', name: 'Agent Evaluations' },
      { from: day.start + 9 * 3600, to: day.start + 17 * 3600 },
      64,
    ),
  );
}

/** What the sample organization has set in OpenAI (hard limits) and in its settings file (budgets). */
export interface SampleLimits {
  /** Served by the sample API's spend-limit endpoints. */
  readonly spendLimits: {
    readonly organization: SpendLimitAnswer;
    readonly projects: Readonly<Record<string, SpendLimitAnswer>>;
  };
  /** As `budgets` in usage-digest.config.json. */
  readonly budgets: { readonly projects: Readonly<Record<string, number>> };
}

/**
 * The sample organization's limits for the daily digest of the day before `now`, placed against its
 * own spend so the digest always has something to show, whatever the date:
 * - Data Science Sandbox is blocked: OpenAI enforces its hard limit, set below its month to date;
 * - Support Copilot (the project that spikes) reaches its hard limit later this month, about half
 *   way through the days left (on the month's last UTC day, when no day is left, it has reached it);
 * - Growth Analytics is heading for about 90% of a budget of its own (`warn`);
 * - the organization's hard limit is about twice its forecast: on track.
 * Every other project has no hard limit (the API answers 404, as OpenAI may).
 */
export function sampleLimits(log: SessionLog, now: number, timeZone: string): SampleLimits {
  const costDay = costDayOf(costWindowOf(previousLocalDay(now, timeZone).window, timeZone));
  const days = runwaySpendWindow(costDay);
  const spendOf = (owners: (string | null)[]): Runway => {
    const spend: DailySpend[] = [];
    for (let t = days.start; t < days.end; t += 86_400) {
      const cents = expectedCostCents(log, t, t + 86_400);
      const usd = owners.reduce((sum, owner) => sum + allLineItemsCents(cents.get(owner) ?? 0), 0) / 100;
      spend.push({ date: new Date(t * 1000).toISOString().slice(0, 10), usd });
    }
    return runwayOf(spend, costDay);
  };
  const [sandbox, copilot, growth] = [1, 2, 3].map((i) => (log.projects[i] as SampleProject).id) as [
    string,
    string,
    string,
  ];
  const blocked = spendOf([sandbox]);
  const spiking = spendOf([copilot]);
  const watched = spendOf([growth]);
  const organization = spendOf([...log.sessions.keys()]);
  // Half way through the days left: the limit falls inside that day's spend, so rounding it to a
  // step of at most a quarter of the pace still lands it on the same day.
  const k = Math.ceil(spiking.daysLeft / 2);
  const reaches =
    spiking.daysLeft > 0
      ? roundTo(spiking.monthToDateUsd + spiking.paceUsdPerDay * (k - 0.5), step(spiking.paceUsdPerDay))
      : floorTo(spiking.monthToDateUsd, step(spiking.monthToDateUsd));
  const budget = watched.forecastUsd / 0.9;
  return {
    spendLimits: {
      organization: {
        cents: cents(ceilTo(organization.forecastUsd * 2, step(organization.forecastUsd * 2))),
      },
      projects: {
        [sandbox]: {
          cents: cents(floorTo(blocked.monthToDateUsd * 0.95, step(blocked.monthToDateUsd))),
          enforcing: true,
        },
        [copilot]: { cents: cents(reaches) },
      },
    },
    budgets: { projects: { [growth]: ceilTo(budget, step(budget) / 10) } },
  };
}

/** The sample API's spend on all line items for `cents` of code interpreter (see dev/fake-usage-api.ts). */
const allLineItemsCents = (cents: number) => cents + Math.round(cents * 2.5) + Math.round(cents * 0.4);
/** Half the power of ten at or below `usd`: 50 for 237, 5 for 23, 0.5 for 3.40. */
const step = (usd: number) => 10 ** Math.floor(Math.log10(Math.max(usd, 0.02))) / 2;
const roundTo = (usd: number, by: number) => Math.max(by, Math.round(usd / by) * by);
const floorTo = (usd: number, by: number) => Math.max(by, Math.floor(usd / by) * by);
const ceilTo = (usd: number, by: number) => Math.max(by, Math.ceil(usd / by) * by);
const cents = (usd: number) => Math.round(usd * 100);

/**
 * The daily report for the day before `now`, computed by the real code against the sample usage
 * and costs API (sampleUsageLog, with sampleLimits' hard limits and budget) started in-process.
 */
export async function runSampleReport(options: { now: number; timeZone: string; latencyMs?: number }) {
  const log = sampleUsageLog(options.now, options.timeZone);
  const { spendLimits, budgets } = sampleLimits(log, options.now, options.timeZone);
  const api = new FakeUsageApi({
    log,
    adminKey: SAMPLE_ADMIN_KEY,
    latencyMs: options.latencyMs ?? 0,
    spendLimits,
  });
  const baseUrl = await api.start();
  try {
    const started = performance.now();
    const request = parseEvent(
      {},
      { now: options.now, timeZone: options.timeZone, recipients: ['you@example.com'] },
    );
    const usageApi = createUsageApi({ baseUrl, adminKey: SAMPLE_ADMIN_KEY });
    const computed = await computeReport(request, usageApi, stderrLogger, undefined, undefined, undefined, {
      budgets,
    });
    const { result, trend } = computed;
    const notes = {
      ...(computed.costUnavailable ? { costUnavailable: computed.costUnavailable } : {}),
      ...(computed.limitsUnavailable ? { limitsUnavailable: computed.limitsUnavailable } : {}),
      ...(computed.monthToDateUnavailable ? { monthToDateUnavailable: computed.monthToDateUnavailable } : {}),
    };
    const digest: RenderedDigest = renderDigest(result, request.timeZone, trend, notes);
    return {
      request,
      result,
      trend,
      notes,
      digest,
      elapsedMs: performance.now() - started,
      requests: api.requests.length,
      usageRequests: api.usageRequests().length,
      spendLimitRequests: api.spendLimitRequests().length,
    };
  } finally {
    await api.stop();
  }
}
