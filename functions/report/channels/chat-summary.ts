import { formatUsd } from '../core/cost';
import { digestView } from '../core/digest-view';
import { limitsHeadline } from '../core/limits-text';
import {
  change,
  comparedWith,
  costSummary,
  describeWindow,
  displayName,
  titleOf,
  unusualText,
  weekdayOf,
} from '../core/render';
import type { LimitStatus } from '../core/runway';
import { projectSeries, type SparkRow, sparkline } from '../core/sparkline';
import type { KeyShare } from '../core/spike-keys-text';
import { neutralizeText } from '../core/text';
import { CHAT_NAME_MAX, CHAT_TOP_PROJECTS, CHAT_TOP_UNUSUAL, type DigestContent } from './channel';

/** The digest as a chat message tells it: the same facts as the email, shortened to the top projects. */
export interface ChatSummary {
  /** `Code interpreter sessions 2026-11-22 (Europe/Berlin)` */
  readonly title: string;
  /** `348 sessions · $25.44 code interpreter cost (cost: 22 Nov, UTC day)` */
  readonly totals: string;
  readonly unusual: readonly {
    readonly name: string;
    readonly id: string | null;
    readonly text: string;
    /** The top keys behind its day, names and owners clipped; empty when unknown. */
    readonly keys: readonly KeyShare[];
  }[];
  /** The organization's sparklines: the last 14 days, or the period against the one before. */
  readonly sparks: readonly SparkRow[];
  /** Unusual projects left out of the message. */
  readonly moreUnusual: number;
  readonly top: readonly {
    readonly name: string;
    readonly id: string | null;
    readonly sessions: string;
    readonly cost?: string;
    readonly change?: string;
    /** `▁▂▃▅▇█…`: its last 14 days, when the digest has a chart. */
    readonly sparkline?: string;
  }[];
  /** Projects left out of the message, there in the email. */
  readonly more: number;
  /** Lines under the totals: the month to date, and what could not be read. */
  readonly context: readonly string[];
  /** `⛔ 1 blocked · ⏳ 2 at risk`, or ''. */
  readonly limitsHeadline: string;
  /** Limits and budgets not on track, worst first, each with its runway in words. */
  readonly limits: readonly {
    readonly name: string;
    readonly id: string | null;
    readonly text: string;
    readonly status: LimitStatus;
  }[];
  /** Limits not on track left out of the message. */
  readonly moreLimits: number;
  /** `2 more limits on track`, or ''. */
  readonly limitsOnTrack: string;
}

/** How many limits not on track a chat message lists before saying how many more there are. */
export const CHAT_TOP_LIMITS = 10;

const count = (n: number) => n.toLocaleString('en-US');

/** At most CHAT_NAME_MAX characters (code points, so no emoji is cut in half), `…` when shortened. */
function clipName(text: string): string {
  const points = Array.from(text);
  return points.length > CHAT_NAME_MAX ? `${points.slice(0, CHAT_NAME_MAX - 1).join('')}…` : text;
}

/**
 * The facts a chat message carries: the title, the totals, the first CHAT_TOP_UNUSUAL unusual
 * projects and the top CHAT_TOP_PROJECTS, each name neutralized and clipped, and how many of
 * each it leaves out.
 */
export function chatSummary({ report, timeZone, trend, notes }: DigestContent): ChatSummary {
  const period = describeWindow({ start: report.start_time, end: report.end_time }, timeZone);
  const compared = comparedWith(report.kind, weekdayOf(report.start_time, timeZone));
  const names = new Map(report.projects.map((p) => [p.project_id, displayName(p)]));
  const id = (projectId: string | null) => (projectId === null ? null : clipName(neutralizeText(projectId)));
  const unusual = report.unusual ?? [];
  const view = digestView(report, timeZone, trend, notes);
  const chart = trend?.chart;
  return {
    title: `${titleOf(report.kind)} ${period} (${timeZone})`,
    totals: `${count(report.total_sessions)} sessions · ${costSummary(report, timeZone, notes)}`,
    unusual: view.unusual.slice(0, CHAT_TOP_UNUSUAL).map((u) => ({
      name: clipName(names.get(u.project_id) ?? displayName({ project_id: u.project_id, num_sessions: 0 })),
      id: id(u.project_id),
      text: unusualText(u, notes),
      keys: u.shares.map((k) => ({
        ...k,
        api_key_id: clipName(k.api_key_id),
        name: k.name === null ? null : clipName(k.name),
        redacted_value: k.redacted_value === null ? null : clipName(k.redacted_value),
        owner: k.owner === null ? null : clipName(k.owner),
      })),
    })),
    sparks: view.sparks,
    moreUnusual: Math.max(0, unusual.length - CHAT_TOP_UNUSUAL),
    top: report.projects.slice(0, CHAT_TOP_PROJECTS).map((p, i) => {
      const t = trend?.projects[i];
      return {
        name: clipName(displayName(p)),
        id: id(p.project_id),
        sessions: count(p.num_sessions),
        ...(typeof p.cost_usd === 'number' ? { cost: formatUsd(p.cost_usd) } : {}),
        ...(t ? { change: `${change(t, p.num_sessions)} vs ${compared}` } : {}),
        ...(chart ? { sparkline: sparkline(projectSeries(chart.projects, p.project_id)) } : {}),
      };
    }),
    more: Math.max(0, report.projects.length - CHAT_TOP_PROJECTS),
    context: [...(view.monthToDate === undefined ? [] : [view.monthToDate]), ...view.missing],
    limitsHeadline: limitsHeadline(report.limits),
    limits: view.limits.slice(0, CHAT_TOP_LIMITS).map((l) => ({
      name: clipName(l.name),
      id: l.id === null ? null : clipName(l.id),
      text: l.text,
      status: l.entry.status,
    })),
    moreLimits: Math.max(0, view.limits.length - CHAT_TOP_LIMITS),
    limitsOnTrack: view.limitsOnTrack,
  };
}

/**
 * Renders `summary`, leaving rows out from the end of the longer list (and counting them as left
 * out) until the message `fits` its channel's limits, so that no name, however long or escaped,
 * makes the receiver refuse the whole message. Limits and budgets go last: they say what breaks.
 */
export function fitSummary<Message>(
  summary: ChatSummary,
  render: (summary: ChatSummary) => Message,
  fits: (message: Message) => boolean,
): Message {
  let s = summary;
  let message = render(s);
  while (!fits(message) && s.top.length + s.unusual.length + s.limits.length > 0) {
    s =
      s.top.length + s.unusual.length === 0
        ? { ...s, limits: s.limits.slice(0, -1), moreLimits: s.moreLimits + 1 }
        : s.unusual.length > s.top.length
          ? { ...s, unusual: s.unusual.slice(0, -1), moreUnusual: s.moreUnusual + 1 }
          : { ...s, top: s.top.slice(0, -1), more: s.more + 1 };
    message = render(s);
  }
  return message;
}
