/**
 * `npm run docs:screenshot`: renders the digest email from sample data (a fixed day, so the picture
 * is stable) and photographs it with headless Chromium into docs/email.png.
 * Needs Debian's chromium (`apt-get install chromium`) or CHROMIUM=/path/to/chrome.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runSampleReport } from './sample-report';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  const { digest } = await runSampleReport({
    now: Date.parse('2026-11-20T07:00:00Z') / 1000,
    timeZone: 'Europe/Berlin',
  });
  const dir = mkdtempSync(join(tmpdir(), 'usage-digest-shot-'));
  const html = join(dir, 'email.html');
  writeFileSync(html, digest.html);
  const png = resolve('docs', 'email.png');
  execFileSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--window-size=760,860',
      `--screenshot=${png}`,
      `file://${html}`,
    ],
    { stdio: 'ignore' },
  );
  console.log(`wrote ${png} (${digest.subject})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
