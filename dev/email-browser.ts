import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), or CHROMIUM=/path/to/chrome. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** What a reader's screen shows of the email, measured in a real browser. */
export interface EmailLayout {
  /** Width the page scrolls to: more than the viewport means a horizontal scroll bar. */
  readonly scrollWidth: number;
  readonly viewportWidth: number;
  /** Each usage bar's rendered box, in page pixels. */
  readonly bars: readonly { left: number; right: number; width: number; height: number }[];
  /** Each bar of the digest's chart (days with usage), with its column's title (day, sessions, cost). */
  readonly chartBars: readonly {
    left: number;
    right: number;
    width: number;
    height: number;
    title: string;
    background: string;
  }[];
  /** Each project sparkline's box, its label, and the heights of its bars left to right. */
  readonly sparklines: readonly { right: number; height: number; label: string; bars: readonly number[] }[];
  /** Computed colours of the card and of the headline figure, to check dark mode. */
  readonly cardBackground: string;
  readonly headlineColor: string;
}

/** Runs in the page (a string, so the project's types need no DOM library). */
const MEASURE = `(() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return { left: r.left, right: r.right, width: r.width, height: r.height };
  };
  const card = document.querySelector('.ud-card');
  const headline = document.querySelector('.ud-headline');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    bars: [...document.querySelectorAll('.ud-bar')].map(box),
    chartBars: [...document.querySelectorAll('.ud-chart-day, .ud-chart-today, .ud-chart-prev')].map((bar) => ({
      ...box(bar),
      title: bar.closest('td[title]')?.getAttribute('title') ?? '',
      background: getComputedStyle(bar).backgroundColor,
    })),
    sparklines: [...document.querySelectorAll('.ud-spark')].map((table) => ({
      right: table.getBoundingClientRect().right,
      height: table.getBoundingClientRect().height,
      label: table.getAttribute('aria-label') ?? '',
      bars: [...table.querySelectorAll('td[bgcolor]')]
        .sort((a, b) => a.getBoundingClientRect().left - b.getBoundingClientRect().left)
        .map((bar) => bar.getBoundingClientRect().height),
    })),
    cardBackground: card ? getComputedStyle(card).backgroundColor : '',
    headlineColor: headline ? getComputedStyle(headline).color : '',
  };
})()`;

/**
 * Headless Chromium with the flags this machine's closed network needs (no background calls to
 * Google's hosts), driven by playwright-core without downloading a browser of its own.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Renders the email's HTML at `width` CSS pixels, measures it and, given a path, photographs it. */
export async function renderEmail(
  browser: Browser,
  html: string,
  options: { width: number; dark?: boolean; screenshot?: string },
): Promise<EmailLayout> {
  const page = await browser.newPage({
    viewport: { width: options.width, height: 800 },
    colorScheme: options.dark ? 'dark' : 'light',
  });
  try {
    await page.setContent(html, { waitUntil: 'load' });
    const layout = (await page.evaluate(MEASURE)) as EmailLayout;
    if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
    return layout;
  } finally {
    await page.close();
  }
}
