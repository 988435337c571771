import { describe, expect, it } from 'vitest';
import { formatTable } from '../../cli/terminal-table';
import { formatUsd } from '../../functions/report/core/cost';
import { localDayWindow } from '../../functions/report/core/local-time';
import { buildMimeMessage, encodeHeader } from '../../functions/report/core/mime';
import {
  BODY_ROW_LIMIT,
  barLength,
  comparedWith,
  costSummary,
  describeWindow,
  digestMessage,
  escapeHtml,
  formatShare,
  renderCsv,
  renderDigest,
  titleOf,
  unusualText,
  weekdayOf,
} from '../../functions/report/core/render';
import type { ProjectRow, ReportResult } from '../../functions/report/core/report';
import type { LimitEntry } from '../../functions/report/core/runway';
import type { UnusualProject } from '../../functions/report/core/unusual';
import { dailyChart, periodChart } from '../support/digest-chart';

const day = localDayWindow('2026-11-21', 'Europe/Berlin');
const report = (projects: ReportResult['projects']): ReportResult => ({
  kind: 'daily',
  start_time: day.start,
  end_time: day.end,
  total_sessions: projects.reduce((sum, p) => sum + p.num_sessions, 0),
  total_cost_usd: null,
  projects,
});

describe('Function: renderDigest', () => {
  it('puts the local date, zone and total in the subject', () => {
    const digest = renderDigest(
      report([{ project_id: 'p1', project_name: 'One', num_sessions: 1234 }]),
      'Europe/Berlin',
    );
    expect(digest.subject).toBe('Code interpreter sessions 2026-11-21 (Europe/Berlin): 1,234');
    expect(digest.csv).toBeUndefined();
  });

  it('escapes project names in HTML and keeps them verbatim in text', () => {
    const name = '<script>alert("x")</script> & Co';
    const digest = renderDigest(report([{ project_id: 'p1', project_name: name, num_sessions: 3 }]), 'UTC');
    expect(digest.html).not.toContain('<script>');
    expect(digest.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(digest.text).toContain(name);
  });

  it('neutralises control, bidi and zero-width characters of names in text, HTML and CSV', () => {
    const name = 'Pay\u202Eroll\u200B\nBcc: x@evil.example\u0007';
    const projects = Array.from({ length: BODY_ROW_LIMIT + 1 }, (_, i) => ({
      project_id: `p${i}`,
      project_name: i === 0 ? name : `n${i}`,
      num_sessions: 100 - i,
    }));
    const digest = renderDigest(report(projects), 'UTC');
    for (const body of [digest.subject, digest.text, digest.html, digest.csv ?? '']) {
      for (const hidden of ['\u202E', '\u200B', '\u0007']) expect(body).not.toContain(hidden);
      expect(body).not.toContain('\nBcc:');
    }
    expect(digest.text).toContain('Payroll Bcc: x@evil.example ');
    expect(digest.html).toContain('Payroll Bcc: x@evil.example ');
    expect(digest.csv).toContain('p0,Payroll Bcc: x@evil.example ,100');
  });

  it('neutralises a project id shown in text and HTML', () => {
    const digest = renderDigest(report([{ project_id: 'p\u202E1', num_sessions: 3 }]), 'UTC');
    expect(digest.text).toContain('p1 (p1)');
    expect(digest.html).not.toContain('\u202E');
  });

  it('says zero on an empty day', () => {
    const digest = renderDigest(report([]), 'UTC');
    expect(digest.subject).toMatch(/: 0$/);
    expect(digest.text).toContain('No code interpreter sessions in this period.');
    expect(digest.html).toContain('No code interpreter sessions in this period.');
  });

  it('shows "unattributed" for usage without a project', () => {
    const digest = renderDigest(report([{ project_id: null, num_sessions: 5 }]), 'UTC');
    expect(digest.text).toContain('unattributed');
    expect(digest.html).toContain('unattributed');
  });

  it('keeps 1,500 projects readable: top rows in the body, all in the CSV, far under SES limits', () => {
    const projects = Array.from({ length: 1_500 }, (_, i) => ({
      project_id: `proj_${i}`,
      project_name: `Project ${i}`,
      num_sessions: 2_000 - i,
    }));
    const digest = renderDigest(
      report([...projects, { project_id: null, num_sessions: 1 }]),
      'Europe/Berlin',
    );
    expect(digest.text).toContain('…and 1,475 more projects');
    expect(digest.html.match(/Project \d+<br>/g)).toHaveLength(BODY_ROW_LIMIT);
    expect(digest.html).toContain('unattributed');
    expect(digest.csv?.trim().split('\r\n')).toHaveLength(1_502);
    const raw = buildMimeMessage({
      from: 'a@example.com',
      to: ['b@example.com'],
      subject: digest.subject,
      text: digest.text,
      html: digest.html,
      attachments: [{ filename: 'sessions.csv', contentType: 'text/csv', content: digest.csv ?? '' }],
    });
    expect(Buffer.byteLength(raw)).toBeLessThan(300_000);
  });

  it('adds trend columns to a daily report', () => {
    const digest = renderDigest(report([{ project_id: 'p1', num_sessions: 12 }]), 'Europe/Berlin', {
      compared_sessions: 10,
      seven_day_mean_sessions: 8.5,
      projects: [{ project_id: 'p1', compared_sessions: 10, seven_day_mean_sessions: 8.5 }],
    });
    // 21 Nov 2026 is a Saturday: compared with the Saturday before, never with Friday.
    expect(digest.text).toContain('▲ +2 vs last Sat, 7-day avg 8.5');
    expect(digest.html).toContain('Vs last Sat</th>');
    expect(digest.html).toContain('▲ +2<br>');
    expect(digest.html).toContain('avg 8.5</span>');
  });
});

describe('Function: describeWindow', () => {
  it('names a single day, a range of days, or date-times', () => {
    expect(describeWindow(day, 'Europe/Berlin')).toBe('2026-11-21');
    const week = {
      start: localDayWindow('2026-11-01', 'UTC').start,
      end: localDayWindow('2026-11-08', 'UTC').start,
    };
    expect(describeWindow(week, 'UTC')).toBe('2026-11-01 – 2026-11-07');
    expect(describeWindow({ start: day.start, end: day.start + 5400 }, 'Europe/Berlin')).toBe(
      '2026-11-21 00:00 – 2026-11-21 01:30',
    );
  });
});

describe('Function: renderCsv', () => {
  it('quotes and defuses spreadsheet formulas', () => {
    const csv = renderCsv(
      report([
        { project_id: 'p1', project_name: '=HYPERLINK("http://x")', num_sessions: 1 },
        { project_id: 'p2', project_name: 'a, b', num_sessions: 1 },
      ]),
    );
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain('"a, b"');
  });
});

describe('Function: renderCsv, names as data', () => {
  const cellOf = (csv: string, id: string) => csv.split('\r\n').find((line) => line.startsWith(`${id},`));

  // OWASP's CSV injection guidance: no cell may start with =, +, -, @, tab or carriage return
  // (https://owasp.org/www-community/attacks/CSV_Injection); some spreadsheets trim leading
  // whitespace before reading a formula, so a formula after spaces, a tab or a no-break space is one.
  it.each([
    ['\t=HYPERLINK("http://x")', `p1,"' =HYPERLINK(""http://x"")",1,100.00,`],
    [' =1+1', "p1,' =1+1,1,100.00,"],
    ['\r+1', "p1,' +1,1,100.00,"],
    ['\n-1', "p1,' -1,1,100.00,"],
    ['\u00A0@SUM(A1)', "p1,'\u00A0@SUM(A1),1,100.00,"],
    ['\u3000 =1', "p1,'\u3000 =1,1,100.00,"],
    ['\u2028=1', "p1,' =1,1,100.00,"],
  ])('defuses the name %j, a formula after whitespace', (name, line) => {
    const csv = renderCsv(report([{ project_id: 'p1', project_name: name, num_sessions: 1 }]));
    expect(cellOf(csv, 'p1')).toBe(line);
  });

  it('leaves a name that merely contains a formula character alone', () => {
    const csv = renderCsv(report([{ project_id: 'p1', project_name: 'R&D - 2 = fun', num_sessions: 1 }]));
    expect(cellOf(csv, 'p1')).toBe('p1,R&D - 2 = fun,1,100.00,');
  });

  it("keeps numbers numbers: a credit (negative cost) is -1.5, not the text '-1.5", () => {
    const csv = renderCsv({
      ...report([
        { project_id: 'p1', num_sessions: 2, cost_usd: -1.5 },
        { project_id: 'p2', num_sessions: 1, cost_usd: 0.25 },
      ]),
      total_cost_usd: -1.25,
    });
    expect(cellOf(csv, 'p1')).toBe('p1,,2,66.67,-1.5');
    expect(cellOf(csv, 'p2')).toBe('p2,,1,33.33,0.25');
  });
});

describe('Function: renderDigest, names as data', () => {
  it('keeps a name with line or paragraph separators on one line in text, HTML and CSV', () => {
    const name = 'Pay\u2028Bcc: x@evil.example\u2029roll';
    const projects = Array.from({ length: BODY_ROW_LIMIT + 1 }, (_, i) => ({
      project_id: `p${i}`,
      project_name: i === 0 ? name : `n${i}`,
      num_sessions: 100 - i,
    }));
    const digest = renderDigest(report(projects), 'UTC');
    for (const body of [digest.subject, digest.text, digest.html, digest.csv ?? '']) {
      expect(body).not.toMatch(/[\u2028\u2029]/);
    }
    expect(digest.text).toContain('Pay Bcc: x@evil.example roll (p0)\n');
    expect(digest.html).toContain('Pay Bcc: x@evil.example roll<br>');
    expect(digest.csv).toContain('\r\np0,Pay Bcc: x@evil.example roll,100,');
  });

  it('shows markup in a name as text in HTML, however it is spelled', () => {
    const name = `<img src=x onerror="alert(1)">\u2028<a href='//evil.example'>SSO</a>`;
    const digest = renderDigest(report([{ project_id: 'p1', project_name: name, num_sessions: 3 }]), 'UTC');
    expect(digest.html).not.toMatch(/<img|<a /);
    expect(digest.html).toContain(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;a href=&#39;//evil.example&#39;&gt;SSO&lt;/a&gt;<br>',
    );
  });

  it('shows a credit as −$1.50 in text and HTML, and as the number -1.5 in the CSV', () => {
    const projects = Array.from({ length: BODY_ROW_LIMIT + 1 }, (_, i) => ({
      project_id: `p${i}`,
      num_sessions: 100 - i,
      cost_usd: i === 0 ? -1.5 : 0,
    }));
    const credited: ReportResult = {
      ...report(projects),
      total_cost_usd: -1.5,
      cost_start_time: day.start,
      cost_end_time: day.end,
    };
    const digest = renderDigest(credited, 'UTC');
    expect(digest.subject).toMatch(/ · −\$1\.50$/);
    expect(digest.text).toContain('−$1.50 code interpreter cost');
    expect(digest.text).toContain(' · −$1.50\n');
    expect(digest.html).toContain('>−$1.50</td>');
    expect(digest.csv).toContain('\r\np0,,100,');
    expect(digest.csv).toMatch(/\r\np0,,100,[\d.]+,-1\.5\r\n/);
    expect(`${digest.text}${digest.html}`).not.toContain('$-');
  });
});

describe('Function: formatUsd, for credits and at its edges', () => {
  it.each([
    [-1.5, '−$1.50'],
    [-1234.567, '−$1,234.57'],
    [-0.005, '−$0.01'],
    // A credit under a cent still says money came back: never `$0.00`, never `−$0.00`.
    [-0.001, '−<$0.01'],
    [0.001, '<$0.01'],
    [0, '$0.00'],
    [1.5, '$1.50'],
  ])('%d → %s', (value, text) => {
    expect(formatUsd(value)).toBe(text);
  });

  it('prints -0, what rounding a credit of a millionth of a cent gives, as $0.00', () => {
    expect(formatUsd(Math.round(-1e-7 * 1e6) / 1e6)).toBe('$0.00');
  });

  it.each([[Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY], [Number.NaN]])(
    'refuses %d rather than print it as money',
    (value) => {
      expect(() => formatUsd(value)).toThrow(RangeError);
      expect(() => formatUsd(value)).toThrow(`${value} is not an amount of dollars`);
    },
  );
});

describe('Function: buildMimeMessage', () => {
  it('lays out a message with an attachment exactly as RFC 2045/2046 want it', () => {
    const raw = buildMimeMessage({
      from: 'a@example.com',
      to: ['b@example.com'],
      subject: 'Hi',
      text: 't',
      html: 'h',
      attachments: [{ filename: 'x.csv', contentType: 'text/csv', content: 'c' }],
    });
    expect(raw.split('\r\n')).toEqual([
      'From: a@example.com',
      'To: b@example.com',
      'Subject: Hi',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="----=_usage_digest_mixed"',
      '',
      '------=_usage_digest_mixed',
      'Content-Type: multipart/alternative; boundary="----=_usage_digest_alt"',
      '',
      '------=_usage_digest_alt',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('t').toString('base64'),
      '------=_usage_digest_alt',
      'Content-Type: text/html; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('h').toString('base64'),
      '------=_usage_digest_alt--',
      '------=_usage_digest_mixed',
      'Content-Type: text/csv; charset=UTF-8; name="x.csv"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="x.csv"',
      '',
      Buffer.from('c').toString('base64'),
      '------=_usage_digest_mixed--',
      '',
    ]);
  });

  it('wraps base64 at 76 characters without an empty line after a full one', () => {
    const raw = buildMimeMessage({
      from: 'a@x.example',
      to: ['b@x.example'],
      subject: 's',
      text: 'é'.repeat(57),
      html: 'h',
    });
    const lines = raw.split('\r\n');
    const start = lines.indexOf('Content-Type: text/plain; charset=UTF-8') + 3;
    // 114 bytes are 152 base64 characters: two full lines, then the boundary.
    expect(lines.slice(start, start + 2).map((l) => l.length)).toEqual([76, 76]);
    expect(lines[start + 2]).toBe('------=_usage_digest_alt');
  });

  it('fills each encoded word with up to 45 bytes of the subject', () => {
    const words = encodeHeader(`é${'a'.repeat(44)}`).split('\r\n ');
    const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8'));
    expect(decoded).toEqual([`é${'a'.repeat(43)}`, 'a']);
  });

  it('builds text and HTML alternatives whose parts decode back', () => {
    const raw = buildMimeMessage({
      from: 'a@example.com',
      to: ['b@example.com', 'c@example.com'],
      subject: 'Hi',
      text: 'plain ✓',
      html: '<p>html ✓</p>',
    });
    expect(raw).toContain('To: b@example.com,\r\n c@example.com');
    expect(raw).toContain('multipart/alternative');
    expect(raw).not.toContain('multipart/mixed');
    const parts = raw.split(/\r\n------=_usage_digest_alt(?:--)?\r\n/).slice(1, 3);
    const decoded = parts.map((p) =>
      Buffer.from(p.split('\r\n\r\n')[1]?.replace(/\r\n/g, '') ?? '', 'base64').toString('utf8'),
    );
    expect(decoded).toEqual(['plain ✓', '<p>html ✓</p>']);
  });

  it('encodes a non-ASCII subject as an RFC 2047 word', () => {
    const subject =
      'Code interpreter sessions 2026-11-01 – 2026-11-07 (America/Argentina/Buenos_Aires): 1,234';
    const words = encodeHeader(subject).split('\r\n ');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
    }
    const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('');
    expect(decoded).toBe(subject);
    expect(encodeHeader('plain')).toBe('plain');
  });
});

describe('Function: escapeHtml', () => {
  it('escapes the five significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('The rendered digest, whole', () => {
  // 27 projects and the unattributed row last: the body shows 25 rows plus unattributed, the CSV all.
  const projects: ReportResult['projects'] = [
    ...Array.from({ length: 27 }, (_, i) => ({
      project_id: `proj_${String(i).padStart(2, '0')}`,
      ...(i % 3 === 0 ? {} : { project_name: i === 1 ? 'R&D <North> "Lab"' : `Team ${i}` }),
      num_sessions: 120 - i * 4,
    })),
    { project_id: null, num_sessions: 1 },
  ];
  const costed = projects.map((p, i) => ({
    ...p,
    cost_usd: Math.round(p.num_sessions * (7 + (i % 4))) / 100,
  }));
  const cost = {
    start: Date.parse('2026-11-21T00:00:00Z') / 1000,
    end: Date.parse('2026-11-22T00:00:00Z') / 1000,
  };
  const result: ReportResult = {
    ...report(costed),
    total_cost_usd: Math.round(costed.reduce((sum, p) => sum + p.cost_usd, 0) * 100) / 100,
    cost_start_time: cost.start,
    cost_end_time: cost.end,
    unusual: [
      { project_id: 'proj_00', reason: 'spike', num_sessions: 120, mean_7d: 30, cost_usd: 8.4 },
      { project_id: null, reason: 'new', num_sessions: 1, mean_7d: 0, cost_usd: 0.07 },
      { project_id: 'proj_02', reason: 'cost', num_sessions: 112, mean_7d: 100, cost_usd: 10.08 },
    ],
  };
  // The chart: a known 31-day series; proj_00 climbs, proj_03 is new this week (its sparkline starts
  // at zero), proj_05 has no sparkline at all (none in 14 days: zeros).
  const sparklines = new Map<string | null, readonly number[]>(
    projects
      .filter((p) => p.project_id !== 'proj_05')
      .map((p, i) => [
        p.project_id,
        p.project_id === 'proj_03'
          ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 40, 75, p.num_sessions]
          : Array.from({ length: 14 }, (_, d) => Math.round((p.num_sessions * (d + 1 + (i % 4))) / 17)),
      ]),
  );
  const trend = {
    compared_sessions: result.total_sessions - 5,
    seven_day_mean_sessions: 1_234.5,
    projects: projects.map((p, i) => ({
      project_id: p.project_id,
      compared_sessions: Math.max(0, p.num_sessions + ((i % 3) - 1) * 2),
      seven_day_mean_sessions: p.num_sessions / 2,
    })),
    chart: dailyChart('2026-11-21', sparklines),
  };
  const digest = renderDigest(
    {
      ...result,
      unusual: [
        {
          ...(result.unusual?.[0] as UnusualProject),
          keys: [
            {
              api_key_id: 'key_eval',
              name: 'eval-runner',
              redacted_value: 'sk-...a1B2',
              owner: 'ci-bot',
              cost_usd: 6.9,
            },
            { api_key_id: 'key_gone', name: null, redacted_value: null, owner: null, cost_usd: 1.0 },
            {
              api_key_id: 'key_evil',
              name: '<b>"Lab"</b>\u202E key',
              redacted_value: 'sk-...zz99',
              owner: null,
              cost_usd: 0.5,
            },
          ],
        },
        ...(result.unusual ?? []).slice(1),
      ],
    },
    'Europe/Berlin',
    trend,
    { alertCostUsd: 10 },
  );

  it('reads as this text, HTML and CSV', async () => {
    expect(digest.subject).toBe(
      `⚠ 3 unusual · Code interpreter sessions 2026-11-21 (Europe/Berlin): ${result.total_sessions.toLocaleString('en-US')} · $${result.total_cost_usd?.toFixed(2)}`,
    );
    await expect(digest.text).toMatchFileSnapshot('./__snapshots__/digest.txt');
    await expect(digest.html).toMatchFileSnapshot('./__snapshots__/digest.html');
    await expect(digest.csv).toMatchFileSnapshot('./__snapshots__/digest.csv');
  });

  it('keeps the plain text within 78 characters a line, names aside, for any mail client', () => {
    const names = new Set(result.projects.map((p) => `${p.project_name ?? p.project_id} (${p.project_id})`));
    const long = digest.text
      .split('\n')
      .filter((line) => [...line].length > 78 && !names.has(line.replace(/^- /, '')));
    expect(long).toEqual([]);
  });

  it('attaches the CSV to the message only when the body leaves projects out', () => {
    expect(digestMessage(digest, ['a@example.com'])).toEqual({
      to: ['a@example.com'],
      subject: digest.subject,
      text: digest.text,
      html: digest.html,
      attachments: [
        { filename: 'code-interpreter-sessions.csv', contentType: 'text/csv', content: digest.csv },
      ],
    });
    const short = renderDigest(report(projects.slice(0, 3)), 'UTC');
    expect(digestMessage(short, ['a@example.com'])).toStrictEqual({
      to: ['a@example.com'],
      subject: short.subject,
      text: short.text,
      html: short.html,
    });
  });

  it("draws the 31 days as bars, the report day marked, cost in each bar's title, the 7-day mean as a line", () => {
    const chart = trend.chart;
    const bars = [...digest.html.matchAll(/<td class="(ud-chart-day|ud-chart-today)" height="(\d+)"/g)];
    // The day with no usage has no bar: 30 bars for 31 days.
    expect(bars).toHaveLength(30);
    expect(bars.filter(([, cls]) => cls === 'ud-chart-today')).toHaveLength(1);
    expect(bars.at(-1)?.[1]).toBe('ud-chart-today');
    const top = Math.max(...chart.days.map((d) => d.sessions), chart.mean_7d ?? 0);
    const drawn = chart.days.filter((d) => d.sessions > 0);
    bars.forEach(([, , height], i) => {
      const exact = ((drawn[i]?.sessions ?? 0) / top) * 96;
      expect(Math.abs(Number(height) - exact)).toBeLessThanOrEqual(0.5);
    });
    expect(digest.html).toContain('title="Sat 21 Nov: 1,480 sessions · $103.60"');
    expect(digest.html).toContain('title="Thu 22 Oct: 150 sessions"');
    expect(digest.html).toContain('title="Thu 12 Nov: 0 sessions · $0.00"');
    // The mean's line passes above every bar lower than it, and behind every taller one.
    const line = Math.round(((chart.mean_7d ?? 0) / top) * 96);
    expect(digest.html.match(/class="ud-chart-mean"/g)).toHaveLength(
      chart.days.filter((d) => Math.round((d.sessions / top) * 96) <= line).length,
    );
    // A text equivalent: the chart is an image to a screen reader, labelled with every day.
    expect(digest.html).toMatch(
      /<table role="img" aria-label="Sessions per day, 22 Oct to 21 Nov: [^"]*21 Nov 1,480 \(report day\)[^"]*7-day mean 628\.6[^"]*"/,
    );
    expect(digest.html).toContain('12 Nov 0,');
  });

  it("draws a 14-day sparkline in each listed project's row, starting at zero for a project new this week", () => {
    const rows = digest.html.split('\n').filter((line) => line.startsWith('<tr><td class="ud-cell"'));
    expect(rows).toHaveLength(26);
    for (const row of rows)
      expect(row).toMatch(/<table role="img" aria-label="Last 14 days: [^"]+" class="ud-spark"/);
    const newRow = rows.find((row) => row.includes('proj_03')) ?? '';
    expect(newRow).toContain('aria-label="Last 14 days: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 40, 75, 108"');
    expect(digest.text).toContain(
      'proj_03 (proj_03)\n  ██████████████████   108 · 5.9% · $10.80\n  ▲ +2 vs last Sat, 7-day avg 54\n  ▁▁▁▁▁▁▁▁▁▁▂▄▆█ last 14 days',
    );
    // A project absent from the chart had no sessions in those 14 days.
    expect(digest.text).toMatch(/\(proj_05\)\n.*\n.*\n {2}▁{14} last 14 days/);
    expect(digest.text).toContain('Last 14 days: ');
  });

  it('names the keys behind a spike: share, a deleted key, a hostile key name as text', () => {
    expect(digest.text).toContain(
      '  82% from key "eval-runner" (sk-...a1B2), owned by ci-bot\n  12% from key_gone, a key since deleted\n  6% from key "<b>"Lab"</b> key" (sk-...zz99)\n',
    );
    expect(digest.html).toContain('82% from key &quot;eval-runner&quot; (sk-...a1B2), owned by ci-bot');
    expect(digest.html).toContain('12% from key_gone, a key since deleted');
    expect(digest.html).toContain(
      '6% from key &quot;&lt;b&gt;&quot;Lab&quot;&lt;/b&gt; key&quot; (sk-...zz99)',
    );
    expect(digest.html).not.toContain('\u202E');
  });

  it("keeps a digest with its chart and 26 rows under Gmail's 102 KB clipping", () => {
    // Gmail clips an HTML body over about 102 KB behind "[Message clipped]" (spamresource.com,
    // "What is Gmail clipping and what to do about it", 2022).
    expect(Buffer.byteLength(digest.html)).toBeLessThan(102 * 1024);
  });

  it("draws a weekly digest's days against the week before, and a monthly one's against the month before", async () => {
    const week = {
      start: Date.parse('2026-11-15T23:00:00Z') / 1000,
      end: Date.parse('2026-11-22T23:00:00Z') / 1000,
    };
    const weekly: ReportResult = {
      ...report(projects.slice(0, 3)),
      kind: 'weekly',
      start_time: week.start,
      end_time: week.end,
    };
    const weekTrend = {
      compared_sessions: 300,
      projects: weekly.projects.map((p) => ({ project_id: p.project_id, compared_sessions: 90 })),
      chart: periodChart('2026-11-22', 7),
    };
    const digestOfWeek = renderDigest(weekly, 'Europe/Berlin', weekTrend);
    await expect(digestOfWeek.text).toMatchFileSnapshot('./__snapshots__/weekly.txt');
    await expect(digestOfWeek.html).toMatchFileSnapshot('./__snapshots__/weekly.html');
    expect(digestOfWeek.text).toMatch(/\nThis week: {3}[▁-█]{7}\nWeek before: [▁-█]{7}\n/);
    expect(digestOfWeek.html.match(/class="ud-chart-day" height/g)).toHaveLength(7);
    expect(digestOfWeek.html.match(/class="ud-chart-prev" height/g)).toHaveLength(7);
    expect(digestOfWeek.html).toContain('title="Sun 22 Nov: 1,480 sessions');
    expect(digestOfWeek.html).toContain('title="Sun 15 Nov (week before): 1,184 sessions');

    // November against October: 30 days against 31, each day beside the same day of the month before.
    const monthly: ReportResult = { ...weekly, kind: 'monthly' };
    const monthTrend = { ...weekTrend, chart: periodChart('2026-11-30', 30, 31) };
    const digestOfMonth = renderDigest(monthly, 'UTC', monthTrend);
    expect(digestOfMonth.text).toMatch(/\nThis month: {3}[▁-█]{30}\nMonth before: [▁-█]{31}\n/);
    // One day of each month had no sessions: no bar.
    expect(digestOfMonth.html.match(/class="ud-chart-day" height/g)).toHaveLength(29);
    expect(digestOfMonth.html.match(/class="ud-chart-prev" height/g)).toHaveLength(30);
    expect(digestOfMonth.html.match(/<td valign="bottom" width="1.61%" height="96"/g)).toHaveLength(62);
  });

  it('reads as this without trend, for a range', async () => {
    const range = renderDigest(report(projects.slice(0, 2)), 'UTC');
    await expect(range.text).toMatchFileSnapshot('./__snapshots__/range.txt');
    await expect(range.html).toMatchFileSnapshot('./__snapshots__/range.html');
    expect(renderCsv(report(projects.slice(0, 2)))).toBe(
      'project_id,project_name,num_sessions,share_percent,cost_usd\r\nproj_00,,120,50.85,\r\nproj_01,"R&D <North> ""Lab""",116,49.15,\r\n',
    );
    expect(renderCsv(report([]))).toBe('project_id,project_name,num_sessions,share_percent,cost_usd\r\n');
  });

  it('says zero on an empty day in both bodies, with a zero share', () => {
    const empty = renderDigest(report([]), 'UTC');
    expect(empty.text).toContain(
      'Total: 0 sessions in 0 project rows\nCost unavailable: the Costs API gave no answer\n\nNo code interpreter sessions in this period.',
    );
    expect(empty.html).toContain('No code interpreter sessions in this period.');
    expect(empty.html).not.toContain(
      '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">',
    );
    expect(formatShare(0, 0)).toBe('0%');
    expect(formatShare(1, 3)).toBe('33.3%');
  });

  it('scales bars to the top project, any usage at least one unit', () => {
    expect(barLength(0, 0, 20)).toBe(0);
    expect(barLength(1, 1_000, 20)).toBe(1);
    expect(barLength(10, 10, 20)).toBe(20);
    expect(barLength(5, 10, 20)).toBe(10);
  });
});

describe('Functions: cost, unusual and period phrasing', () => {
  const costed = (extra: Partial<ReportResult>): ReportResult => ({
    ...report([{ project_id: 'p1', num_sessions: 3, cost_usd: 1.5 }]),
    total_cost_usd: 1.5,
    cost_start_time: Date.parse('2026-11-21T00:00:00Z') / 1000,
    cost_end_time: Date.parse('2026-11-22T00:00:00Z') / 1000,
    ...extra,
  });

  it('says which UTC days the cost covers outside UTC, and nothing more in UTC', () => {
    expect(costSummary(costed({}), 'Europe/Berlin')).toBe(
      '$1.50 code interpreter cost (cost: 21 Nov, UTC day)',
    );
    expect(costSummary(costed({}), 'UTC')).toBe('$1.50 code interpreter cost');
    expect(
      costSummary(costed({ cost_end_time: Date.parse('2026-11-28T00:00:00Z') / 1000 }), 'Asia/Kolkata'),
    ).toBe('$1.50 code interpreter cost (cost: 21 Nov – 27 Nov, UTC days)');
    expect(costSummary(costed({ total_cost_usd: null }), 'UTC', { costUnavailable: 'HTTP 500' })).toBe(
      'cost unavailable: HTTP 500',
    );
    expect(costSummary(costed({ total_cost_usd: null }), 'UTC')).toBe(
      'cost unavailable: the Costs API gave no answer',
    );
  });

  it('phrases each reason with its figure and baseline', () => {
    const u = { project_id: 'p1', num_sessions: 1, mean_7d: 0, cost_usd: 12.5 };
    expect(unusualText({ ...u, reason: 'new' })).toBe('new: 1 session, none in the 7 days before');
    expect(unusualText({ ...u, reason: 'spike', num_sessions: 90, mean_7d: 20 })).toBe(
      'spike: 90 sessions, 4.5× its 7-day mean of 20',
    );
    expect(unusualText({ ...u, reason: 'cost', num_sessions: 2 })).toBe(
      'cost: $12.50 of code interpreter, 2 sessions',
    );
    expect(unusualText({ ...u, reason: 'cost', num_sessions: 2 }, { alertCostUsd: 10 })).toBe(
      'cost: $12.50 of code interpreter (alert at $10.00), 2 sessions',
    );
  });

  it('titles and compares each kind of digest', () => {
    expect(['daily', 'weekly', 'monthly', 'range'].map((k) => titleOf(k as ReportResult['kind']))).toEqual([
      'Code interpreter sessions',
      'Weekly code interpreter sessions',
      'Monthly code interpreter sessions',
      'Code interpreter sessions',
    ]);
    expect(comparedWith('daily', 'Mon')).toBe('last Mon');
    expect(comparedWith('weekly', 'Mon')).toBe('the week before');
    expect(comparedWith('monthly', 'Mon')).toBe('the month before');
    expect(weekdayOf(Date.parse('2026-11-23T06:00:00Z') / 1000, 'Europe/Berlin')).toBe('Mon');
  });

  it('renders a weekly digest with the week before and no 7-day mean, in text, HTML and CSV', () => {
    const weekly: ReportResult = { ...costed({}), kind: 'weekly' };
    const trend = { compared_sessions: 2, projects: [{ project_id: 'p1', compared_sessions: 2 }] };
    const digest = renderDigest(weekly, 'UTC', trend);
    expect(digest.subject).toMatch(/^Weekly code interpreter sessions /);
    expect(digest.text).toContain('The week before: 2\n');
    expect(digest.text).toContain('▲ +1 vs the week before\n');
    expect(digest.text).not.toContain('7-day');
    expect(digest.html).toContain('The week before 2</div>');
    expect(digest.html).toContain('Vs prev. week</th>');
    expect(renderCsv(weekly, trend).split('\r\n')[0]).toBe(
      'project_id,project_name,num_sessions,share_percent,cost_usd,previous_week_sessions',
    );
    expect(renderCsv({ ...weekly, kind: 'monthly' }, trend).split('\r\n')[0]).toMatch(
      /,previous_month_sessions$/,
    );
  });

  it('lists what is unusual before the projects, naming unattributed usage without an id', () => {
    const digest = renderDigest(
      costed({
        projects: [{ project_id: null, num_sessions: 60, cost_usd: 1 }],
        total_sessions: 60,
        unusual: [{ project_id: null, reason: 'new', num_sessions: 60, mean_7d: 0, cost_usd: 1 }],
      }),
      'UTC',
    );
    expect(digest.text).toContain('⚠ Needs a look (1):\n- unattributed\n  new: 60 sessions');
    expect(digest.html).toContain('<strong>unattributed</strong><br>new: 60 sessions');
    expect(digest.subject).toMatch(/^⚠ 1 unusual · /);
  });
});

describe('Limits and budgets, in every format of the email', () => {
  const costDay = '2026-12-15';
  const start = Date.parse(`${costDay}T00:00:00Z`) / 1000;
  const limits: LimitEntry[] = [
    {
      scope: 'project',
      id: 'proj_support',
      kind: 'hard_limit',
      limit_usd: 500,
      month_to_date_usd: 500.2,
      pace_usd_per_day: 40,
      forecast_usd: 1140.2,
      reaches_on: null,
      status: 'enforcing',
    },
    {
      scope: 'project',
      id: 'proj_search',
      kind: 'hard_limit',
      limit_usd: 500,
      month_to_date_usd: 380,
      pace_usd_per_day: 30.6,
      forecast_usd: 869.6,
      reaches_on: '2026-12-19',
      status: 'will_reach',
    },
    {
      scope: 'route',
      id: 'support',
      kind: 'budget',
      limit_usd: 2000,
      month_to_date_usd: 900,
      pace_usd_per_day: 45,
      forecast_usd: 1620,
      reaches_on: null,
      status: 'warn',
    },
    {
      scope: 'organization',
      id: null,
      kind: 'hard_limit',
      limit_usd: 10000,
      month_to_date_usd: 1234.56,
      pace_usd_per_day: 61.2,
      forecast_usd: 2213.76,
      reaches_on: null,
      status: 'ok',
    },
    {
      scope: 'project',
      id: 'proj_<lab>',
      kind: 'budget',
      limit_usd: 300,
      month_to_date_usd: 12,
      pace_usd_per_day: 1,
      forecast_usd: 28,
      reaches_on: null,
      status: 'ok',
    },
  ];
  const result: ReportResult = {
    kind: 'daily',
    start_time: start,
    end_time: start + 86_400,
    total_sessions: 60,
    total_cost_usd: 3.3,
    cost_start_time: start,
    cost_end_time: start + 86_400,
    projects: [
      {
        project_id: 'proj_support',
        project_name: 'Support <Copilot>',
        num_sessions: 40,
        cost_usd: 2.2,
        month_to_date_cost_usd: 500.2,
      },
      { project_id: 'proj_search', num_sessions: 20, cost_usd: 1.1, month_to_date_cost_usd: null },
    ],
    unusual: [],
    month_to_date: {
      start_time: Date.parse('2026-12-01T00:00:00Z') / 1000,
      end_time: start + 86_400,
      cost_usd: 1234.56,
      code_interpreter_cost_usd: 210,
      pace_usd_per_day: 61.2,
      forecast_usd: 2213.76,
    },
    limits,
  };

  it('starts the subject with what is blocked and at risk, before what is unusual', () => {
    expect(renderDigest(result, 'UTC').subject).toBe(
      '⛔ 1 blocked · ⏳ 1 at risk · Code interpreter sessions 2026-12-15 (UTC): 60 · $3.30',
    );
    const unusual = renderDigest(
      { ...result, unusual: [{ project_id: null, reason: 'new', num_sessions: 1, mean_7d: 0, cost_usd: 0 }] },
      'UTC',
    );
    expect(unusual.subject).toMatch(/^⛔ 1 blocked · ⏳ 1 at risk · ⚠ 1 unusual · Code interpreter/);
    expect(renderDigest({ ...result, limits: limits.slice(1) }, 'UTC').subject).toMatch(
      /^⏳ 1 at risk · Code/,
    );
  });

  it('lists each limit that is not ok above what needs a look, in words, and counts the rest', () => {
    const { text } = renderDigest(result, 'UTC');
    expect(text).toContain(
      [
        '⛔ Limits and budgets (3):',
        '- Support <Copilot> (proj_support)',
        '  OpenAI is refusing its requests now (hard limit $500 reached)',
        '- proj_search (proj_search)',
        '  reaches its $500 hard limit on 19 Dec at $31/day; traffic then fails',
        '  with 429',
        '- Route support',
        '  is heading for $1,620 this month, 81% of its $2,000 budget, at $45/day',
        '  2 more limits on track',
        '',
      ].join('\n'),
    );
  });

  it('says the month to date under the cost line', () => {
    const { text, html } = renderDigest(result, 'UTC');
    expect(text).toContain(
      '$3.30 code interpreter cost\nMonth to date: $1,234.56 ($210.00 code interpreter) · $61.20/day · forecast $2,213.76\n',
    );
    expect(html).toContain(
      'Month to date: $1,234.56 ($210.00 code interpreter) · $61.20/day · forecast $2,213.76</div>',
    );
  });

  it('says what is missing when limits or the month to date could not be read', () => {
    const notes = {
      limitsUnavailable: 'spend limits unavailable: the admin key may not read them (HTTP 403)',
      monthToDateUnavailable: 'month to date unavailable: the Costs API answered HTTP 500',
    };
    const { text, html } = renderDigest(
      { ...result, month_to_date: null, limits: [] },
      'UTC',
      undefined,
      notes,
    );
    expect(text).toContain(
      '$3.30 code interpreter cost\nMonth to date unavailable: the Costs API answered HTTP 500\nSpend limits unavailable: the admin key may not read them (HTTP 403)\n',
    );
    expect(text).not.toContain('Limits and budgets');
    expect(html).toContain('Spend limits unavailable: the admin key may not read them (HTTP 403)</div>');
    expect(renderDigest({ ...result, month_to_date: null }, 'UTC').text).toContain(
      '\nMonth to date unavailable\n',
    );
  });

  it('shows no section when every limit is on track, and no line for a result without them', () => {
    const onTrack = renderDigest({ ...result, limits: limits.slice(3) }, 'UTC');
    expect(onTrack.text).not.toContain('Limits and budgets');
    expect(onTrack.html).not.toContain('Limits and budgets');
    expect(onTrack.subject).toMatch(/^Code interpreter/);
  });

  it('colours blocked and at risk apart in HTML, escaping names', () => {
    const { html } = renderDigest(result, 'UTC');
    expect(html).toContain('Support &lt;Copilot&gt;');
    expect(html).not.toContain('Support <Copilot>');
    expect(html).toContain('class="ud-blocked"');
    expect(html).toContain('>Blocked</span>');
    expect(html).toContain('>At risk</span>');
    expect(html).toContain('>Watch</span>');
    expect(html.indexOf('Limits and budgets')).toBeLessThan(html.indexOf('<th'));
  });

  it('adds month_to_date_cost_usd after cost_usd in the CSV of a digest that has it', () => {
    expect(renderCsv(result)).toBe(
      'project_id,project_name,num_sessions,share_percent,cost_usd,month_to_date_cost_usd\r\n' +
        'proj_support,Support <Copilot>,40,66.67,2.2,500.2\r\nproj_search,,20,33.33,1.1,\r\n',
    );
    expect(
      renderCsv({
        ...result,
        month_to_date: null,
        projects: [{ ...result.projects[1], month_to_date_cost_usd: -1.5 } as ProjectRow],
      }),
    ).toBe(
      'project_id,project_name,num_sessions,share_percent,cost_usd,month_to_date_cost_usd\r\n' +
        'proj_search,,20,33.33,1.1,-1.5\r\n',
    );
  });

  it('ends the CLI table with a short limits block, the month to date under the cost', () => {
    const table = formatTable(result, 'UTC');
    expect(table).toContain(
      '$3.30 code interpreter cost\nMonth to date: $1,234.56 ($210.00 code interpreter) · $61.20/day · forecast $2,213.76\n',
    );
    expect(
      table.endsWith(
        [
          '',
          'Limits and budgets: ⛔ 1 blocked · ⏳ 1 at risk',
          '  Support <Copilot> (proj_support): OpenAI is refusing its requests now (hard limit $500 reached)',
          '  proj_search (proj_search): reaches its $500 hard limit on 19 Dec at $31/day; traffic then fails with 429',
          '  Route support: is heading for $1,620 this month, 81% of its $2,000 budget, at $45/day',
          '  2 more limits on track',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
    const { limits: _, month_to_date: __, ...plain } = result;
    expect(formatTable(plain, 'UTC')).not.toMatch(/Limits|Month to date/);
    expect(
      formatTable({ ...result, limits: [] }, 'UTC', undefined, {
        limitsUnavailable: 'spend limits unavailable: HTTP 403',
      }),
    ).toContain('\nSpend limits unavailable: HTTP 403\n');
  });

  it('reads as this text, HTML and CSV', async () => {
    // A Berlin day, whose cost and month to date are UTC days, with something unusual below the limits.
    const berlin = localDayWindow(costDay, 'Europe/Berlin');
    const digest = renderDigest(
      {
        ...result,
        start_time: berlin.start,
        end_time: berlin.end,
        unusual: [
          { project_id: 'proj_search', reason: 'cost', num_sessions: 20, mean_7d: 18, cost_usd: 1.1 },
        ],
      },
      'Europe/Berlin',
      undefined,
      { alertCostUsd: 1 },
    );
    expect(digest.subject).toBe(
      '⛔ 1 blocked · ⏳ 1 at risk · ⚠ 1 unusual · Code interpreter sessions 2026-12-15 (Europe/Berlin): 60 · $3.30',
    );
    await expect(digest.text).toMatchFileSnapshot('./__snapshots__/limits.txt');
    await expect(digest.html).toMatchFileSnapshot('./__snapshots__/limits.html');
    await expect(renderCsv(result)).toMatchFileSnapshot('./__snapshots__/limits.csv');
  });
});
