import { describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import { buildMimeMessage, encodeHeader } from '../../functions/report/core/mime';
import {
  BODY_ROW_LIMIT,
  describeWindow,
  escapeHtml,
  renderCsv,
  renderDigest,
} from '../../functions/report/core/render';
import type { ReportResult } from '../../functions/report/core/report';

const day = localDayWindow('2026-11-21', 'Europe/Berlin');
const report = (projects: ReportResult['projects']): ReportResult => ({
  start_time: day.start,
  end_time: day.end,
  total_sessions: projects.reduce((sum, p) => sum + p.num_sessions, 0),
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
    const digest = renderDigest(report([{ project_id: 'p1', num_sessions: 12 }]), 'UTC', {
      previous_day_sessions: 10,
      seven_day_mean_sessions: 8.5,
      projects: [{ project_id: 'p1', previous_day_sessions: 10, seven_day_mean_sessions: 8.5 }],
    });
    expect(digest.text).toContain('▲ +2 vs prev. day, 7-day avg 8.5');
    expect(digest.html).toContain('▲ +2</span>');
    expect(digest.html).toContain('7-day avg 8.5');
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

describe('Function: buildMimeMessage', () => {
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
