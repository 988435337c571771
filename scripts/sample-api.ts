/**
 * `npm run sample-api`: the demo's sample usage API (the same organization `npm start` reports on)
 * on a fixed localhost port, so the `usage-digest` command can be tried without a key. Ctrl-C stops it.
 *   npm run sample-api                  # port 8787
 *   npm run sample-api -- --port 9000   # another one (0: any free port; the command printed says which)
 */
import { parseArgs } from 'node:util';
import { FakeUsageApi } from '../dev/fake-usage-api';
import { SAMPLE_ADMIN_KEY, SAMPLE_API_PORT, sampleLimits, sampleUsageLog, tryCommand } from './sample-report';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: String(SAMPLE_API_PORT) } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port: "${values.port}" is not a port number (0 to 65535)`);
  }
  // The sample's unusual day is the one the CLI reports by default: yesterday in REPORT_TIMEZONE or UTC.
  const timeZone = process.env.REPORT_TIMEZONE || 'UTC';
  const now = Math.floor(Date.now() / 1000);
  const log = sampleUsageLog(now, timeZone);
  const api = new FakeUsageApi({
    log,
    adminKey: SAMPLE_ADMIN_KEY,
    latencyMs: 40,
    // The same hard limits as `npm start` (one project blocked, one at risk); budgets are settings.
    spendLimits: sampleLimits(log, now, timeZone).spendLimits,
  });
  let baseUrl: string;
  try {
    baseUrl = await api.start(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new Error(
      `port ${port} is in use: npm run sample-api -- --port ${port + 1} (or 0 for any free port)`,
    );
  }
  process.stdout.write(
    [
      `Sample usage API (a dozen projects, 90 days, hard limits, no real data) at ${baseUrl}`,
      'In another terminal, try:',
      '',
      `  ${tryCommand(baseUrl)}`,
      '',
      'Any other option works the same (--from, --digest weekly, --json, --html FILE). Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  const stop = () => {
    void api.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`sample-api: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
