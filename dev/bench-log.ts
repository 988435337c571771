/** The bench's sessions: fixed dates and a fixed seed, so every machine sends the same requests. */
import { generateSessionLog, type SessionLog } from './sample-usage';

const DAY = 86_400;
/** Monday 23 Nov 2026, 00:00 UTC: the day the runs report up to. */
export const BENCH_END = Date.parse('2026-11-23T00:00:00Z') / 1000;
export const BENCH_SEED = 42;

/** The large organization's projects: 15 pages of the projects list. */
export const LARGE_ORG_PROJECTS = 1_500;

/**
 * The same sessions on every machine: a year and a bit for 60 projects, or the 40 days before the
 * end (a 31-day report and a daily run's trend) for the large organization.
 */
export function benchLog(projectCount = 60): SessionLog {
  const large = projectCount > 60;
  return generateSessionLog({
    from: BENCH_END - (large ? 40 : 380) * DAY,
    to: BENCH_END + DAY,
    projectCount,
    seed: BENCH_SEED,
    ...(large ? { peakDaily: 6_000 } : {}),
  });
}
