/** What the report's parts log through: the function's Powertools logger, or a terminal's stderr. */
export interface ReportLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

/** For terminals: warnings, with their reason, on stderr; nothing else. */
export const stderrLogger: ReportLogger = {
  info: () => {},
  warn: (message, ...extra) => {
    const reason = (extra[0]?.error as { message?: string } | undefined)?.message;
    process.stderr.write(`warning: ${message}${reason ? ` (${reason})` : ''}\n`);
  },
};
