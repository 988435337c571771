/**
 * `npm run docs:screenshot`: renders the digest email from sample data (a fixed day, so the picture
 * is stable) in headless Chromium, as a phone (390 px) and a desktop (1024 px) show it, each in a
 * light and a dark-mode client, into docs/. Needs Debian's chromium (`apt-get install chromium`) or CHROMIUM=…
 */
import { resolve } from 'node:path';
import { launchChromium, renderEmail } from '../dev/email-browser';
import { runSampleReport } from './sample-report';

async function main(): Promise<void> {
  const { digest } = await runSampleReport({
    now: Date.parse('2026-11-20T07:00:00Z') / 1000,
    timeZone: 'Europe/Berlin',
  });
  const browser = await launchChromium();
  try {
    for (const [file, width, dark] of [
      ['email-390.png', 390, false],
      ['email-1024.png', 1024, false],
      ['email-390-dark.png', 390, true],
      ['email-1024-dark.png', 1024, true],
    ] as const) {
      const screenshot = resolve('docs', file);
      const layout = await renderEmail(browser, digest.html, { width, dark, screenshot });
      console.log(`wrote ${screenshot} (${width} px wide, scrolls to ${layout.scrollWidth} px)`);
    }
  } finally {
    await browser.close();
  }
  console.log(`subject: ${digest.subject}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
