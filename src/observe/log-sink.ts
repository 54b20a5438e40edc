import sonicBoom from 'sonic-boom';
import type { SonicBoom as SonicBoomClass } from 'sonic-boom';

// The package's ESM face exports the class as default, while its typings describe it as a named class.
const SonicBoom = sonicBoom as unknown as typeof SonicBoomClass;

/**
 * An append-only line sink (stdout, stderr or a file) written asynchronously in batches. Files are reopened on `reopen()`
 * (SIGUSR1) so that log rotation works; a sink that cannot keep up drops lines past 64 MiB of backlog and
 * counts them instead of growing without bound.
 */
export interface LogSink {
  write(line: string): void;
  reopen(): void;
  flush(): void;
  readonly destination: string;
}

const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
const sinks = new Map<string, { sink: LogSink; users: number; close(): void }>();
let dropped = 0;

/** Lines dropped because a sink could not keep up, since start. */
export function droppedLogLines(): number { return dropped; }

/** Opens (or shares) the sink for a destination; sinks for the same destination are shared. */
export function openSink(destination: string): LogSink {
  const existing = sinks.get(destination);
  if (existing) { existing.users++; return existing.sink; }
  const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination;
  // Lines are gathered up to 8 KiB per write, and flushed at least every 250 ms and on shutdown: one write(2)
  // per request cost about 5% of the CPU under load.
  const boom = new SonicBoom({ dest, append: true, mkdir: true, sync: false, maxLength: MAX_BACKLOG_BYTES, minLength: 8 * 1024, periodicFlush: 250 });
  boom.on('drop', () => { dropped++; });
  boom.on('error', () => { dropped++; });
  const sink: LogSink = {
    destination,
    write(line) { boom.write(line); },
    reopen() { if (typeof dest === 'string') boom.reopen(); },
    flush() { try { boom.flushSync(); } catch { /* EAGAIN on a full pipe: the backlog stays queued */ } },
  };
  // stdout and stderr are never closed: other writers share them.
  sinks.set(destination, { sink, users: 1, close: () => { sink.flush(); if (typeof dest === 'string') boom.end(); } });
  return sink;
}

/** Gives back a sink from `openSink`; the last user closes it (its backlog is flushed first). */
export function releaseSink(sink: LogSink): void {
  const entry = sinks.get(sink.destination);
  if (!entry || --entry.users > 0) return;
  sinks.delete(sink.destination);
  entry.close();
}

export function reopenAllSinks(): void {
  for (const { sink } of sinks.values()) sink.reopen();
}

export function flushAllSinks(): void {
  for (const { sink } of sinks.values()) sink.flush();
}
