import type { UsageApi } from './adapters/usage-api';
import type { ReportRequest } from './core/event';
import type { LocalDate, Window } from './core/local-time';
import {
  digestSpendWindow,
  projectsSpendingThisMonth,
  type RouteBudget,
  type RunwayInputs,
} from './core/report-runway';
import type { SpendLimit } from './core/spend-limit';
import { AuthError, errorSummary } from './errors';
import type { ReportLogger } from './logger';
import type { ProjectNames } from './project-names';
import {
  limitFailureReason,
  type ProjectLimits,
  type ProjectSpendLimits,
  readSpendLimits,
} from './project-spend-limits';

/** What a scheduled digest's month to date and limits are measured against, beside what OpenAI says. */
export interface RunwaySettings {
  /** Budgets of your own, in USD. */
  readonly budgets?: RunwayInputs['budgets'];
  /** The fraction of a limit at which the forecast warns (default 0.8). */
  readonly warnAt?: number;
  /** Routes, each with its projects and, when set, its own monthly budget. */
  readonly routes?: readonly RouteBudget[];
  /** Where the projects' hard limits come from. @default read on every run */
  readonly spendLimits?: ProjectSpendLimits;
  /** The code interpreter line item names daily runs learn and ranges ask for alone (kept with the names). */
  readonly lineItems?: Pick<ProjectNames, 'lineItems' | 'learnLineItems'>;
}

/** The runway of a report, once fetched, and what of it is missing. */
export interface FetchedRunway {
  readonly inputs: RunwayInputs;
  /** One sentence: which spend limits could not be read and why. */
  readonly limitsUnavailable?: string;
  /** One sentence: why month to date is missing. */
  readonly monthToDateUnavailable?: string;
}

/** The report's code interpreter cost and, for a scheduled digest, its runway, both started at once. */
export interface CostAndRunway {
  /** Code interpreter cost per project over the cost window; null when the Costs API could not say. */
  readonly costs: Promise<Map<string | null, number> | null>;
  /** Why cost is unavailable, once `costs` has settled to null. */
  costUnavailable(): string | undefined;
  /** The runway; undefined for a range report. Never rejects. */
  readonly runway: Promise<FetchedRunway | undefined>;
  /**
   * The UTC days code interpreter's part per day covers (digestSpendWindow: the runway's and the
   * chart's); undefined for a range report.
   */
  readonly spendWindow?: Window;
  /** The code interpreter line item names each project's cost lines carried over the cost window; null for a range or without cost. */
  readonly lineItems: Promise<ReadonlyMap<string | null, readonly string[]> | null>;
}

/**
 * Starts the cost of a report. A range report fetches code interpreter cost over its cost window as
 * it always has. A scheduled digest (daily, weekly, monthly) fetches the same, and beside it the
 * runway's days (runwaySpendWindow of its cost day C): each project's total and code interpreter's
 * part, the organization's and each route's (see fetchCostsAndSpend), all in the first wave with
 * the organization's hard limit; the projects' hard limits follow as the costs arrive (or come from
 * the cache). The same daily spend reaches back to `chartFrom`, the first day the digest's chart
 * draws, so the chart's cost per day costs no query more. Nothing here fails the report: what is
 * missing is said in a note.
 */
export function startCostAndRunway(
  request: ReportRequest,
  costWindow: Window,
  usageApi: UsageApi,
  logger: ReportLogger,
  settings: RunwaySettings = {},
  chartFrom?: LocalDate,
): CostAndRunway {
  let costUnavailable: string | undefined;
  const failed = (error: unknown) => {
    costUnavailable = errorSummary(error).message;
    logger.warn('cost unavailable; the report shows sessions only', { error: errorSummary(error) });
    return null;
  };
  if (request.kind === 'range') {
    return {
      costs: Promise.resolve(settings.lineItems?.lineItems?.())
        .then((known) => usageApi.fetchCosts(costWindow, request.projectIds, known))
        .catch(failed),
      lineItems: Promise.resolve(null),
      costUnavailable: () => costUnavailable,
      runway: Promise.resolve(undefined),
    };
  }
  // The chart needs code interpreter's part alone over its older days, not every project's total.
  const runwayWindow = digestSpendWindow(costWindow);
  const spendWindow = digestSpendWindow(costWindow, chartFrom);
  const fetched = usageApi
    .fetchCostsAndSpend({
      costWindow,
      runwayWindow,
      ...(spendWindow.start < runwayWindow.start ? { chartWindow: spendWindow } : {}),
      ...(request.projectIds ? { projectIds: request.projectIds } : {}),
      ...(settings.routes ? { routes: settings.routes.map((route) => route.projectIds) } : {}),
    })
    .catch(failed);
  const organization = usageApi.fetchSpendLimit(null).then(
    (limit): { limit: SpendLimit } | { error: unknown } => ({ limit }),
    (error: unknown) => ({ error }),
  );
  const spendLimits =
    settings.spendLimits ?? readSpendLimits((projectId) => usageApi.fetchSpendLimit(projectId));
  const runway = (async (): Promise<FetchedRunway> => {
    const spend = (await fetched)?.spend ?? null;
    const org = await organization;
    const orgError = 'error' in org ? org.error : undefined;
    // A key that may not read the organization's limit may not read a project's either: no
    // thousand requests to learn that.
    const projects: ProjectLimits =
      spend && !(orgError instanceof AuthError)
        ? await spendLimits.limitsFor(projectsSpendingThisMonth(spend, costWindow))
        : { limits: new Map<string, SpendLimit>() };
    const notes: string[] = [];
    if (orgError !== undefined) {
      notes.push(
        orgError instanceof AuthError
          ? `spend limits unavailable: ${limitFailureReason(orgError)}`
          : `the organization's spend limit is unavailable: ${limitFailureReason(orgError)}`,
      );
      logger.warn('spend limit unavailable', { scope: 'organization', error: errorSummary(orgError) });
    }
    if (projects.unavailable) {
      notes.push(projects.unavailable);
      logger.warn('spend limits unavailable', { scope: 'project', reason: projects.unavailable });
    }
    return {
      inputs: {
        costWindow,
        spend,
        ...('limit' in org ? { organizationLimit: org.limit } : {}),
        projectLimits: projects.limits,
        ...(settings.budgets ? { budgets: settings.budgets } : {}),
        ...(settings.warnAt === undefined ? {} : { warnAt: settings.warnAt }),
        ...(settings.routes ? { routes: settings.routes } : {}),
      },
      ...(notes.length ? { limitsUnavailable: notes.join('; ') } : {}),
      ...(spend
        ? {}
        : { monthToDateUnavailable: `month to date unavailable: ${costUnavailable ?? 'no cost'}` }),
    };
  })();
  return {
    costs: fetched.then((both) => both?.codeInterpreter ?? null),
    lineItems: fetched.then((both) => {
      if (both) settings.lineItems?.learnLineItems?.([...both.lineItems.values()].flat());
      return both?.lineItems ?? null;
    }),
    costUnavailable: () => costUnavailable,
    runway,
    spendWindow,
  };
}
