/**
 * Operational messages (startup, reloads, faults) as JSON lines on stderr, apart from access and security logs.
 * Never pass secrets or raw request data here: only codes, names and counts.
 */
type Level = 'info' | 'warn' | 'error';

let quiet = false;

function write(level: Level, event: string, fields?: Record<string, unknown>): void {
  if (quiet && level === 'info') return;
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, event, pid: process.pid, ...fields }) + '\n');
}

export const systemLog = {
  info: (event: string, fields?: Record<string, unknown>) => write('info', event, fields),
  warn: (event: string, fields?: Record<string, unknown>) => write('warn', event, fields),
  error: (event: string, fields?: Record<string, unknown>) => write('error', event, fields),
  /** Silences info messages (for `portcullis check` and tests). */
  setQuiet(value: boolean) { quiet = value; },
};
