import { formatUsd } from '../core/cost';
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
import { neutralizeText } from '../core/text';
import { CHAT_TOP_PROJECTS, type DigestContent } from './channel';

/** The digest as a chat message tells it: the same facts as the email, shortened to the top projects. */
export interface ChatSummary {
  /** `Code interpreter sessions 2026-11-22 (Europe/Berlin)` */
  readonly title: string;
  /** `348 sessions · $25.44 code interpreter cost (cost: 22 Nov, UTC day)` */
  readonly totals: string;
  readonly unusual: readonly { readonly name: string; readonly id: string | null; readonly text: string }[];
  readonly top: readonly {
    readonly name: string;
    readonly id: string | null;
    readonly sessions: string;
    readonly cost?: string;
    readonly change?: string;
  }[];
  /** Projects left out of the message, there in the email. */
  readonly more: number;
}

const count = (n: number) => n.toLocaleString('en-US');

export function chatSummary({ report, timeZone, trend, notes }: DigestContent): ChatSummary {
  const period = describeWindow({ start: report.start_time, end: report.end_time }, timeZone);
  const compared = comparedWith(report.kind, weekdayOf(report.start_time, timeZone));
  const names = new Map(report.projects.map((p) => [p.project_id, displayName(p)]));
  const id = (projectId: string | null) => (projectId === null ? null : neutralizeText(projectId));
  return {
    title: `${titleOf(report.kind)} ${period} (${timeZone})`,
    totals: `${count(report.total_sessions)} sessions · ${costSummary(report, timeZone, notes)}`,
    unusual: (report.unusual ?? []).map((u) => ({
      name: names.get(u.project_id) ?? 'unattributed',
      id: id(u.project_id),
      text: unusualText(u, notes),
    })),
    top: report.projects.slice(0, CHAT_TOP_PROJECTS).map((p, i) => {
      const t = trend?.projects[i];
      return {
        name: displayName(p),
        id: id(p.project_id),
        sessions: count(p.num_sessions),
        ...(typeof p.cost_usd === 'number' ? { cost: formatUsd(p.cost_usd) } : {}),
        ...(t ? { change: `${change(t, p.num_sessions)} vs ${compared}` } : {}),
      };
    }),
    more: Math.max(0, report.projects.length - CHAT_TOP_PROJECTS),
  };
}
