import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs `portcullis ARGS` (from the sources) to completion. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/portcullis.js', ...args], { cwd: ROOT, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export interface RunningCli { child: ChildProcess; stdout(): string; stderr(): string; exited: Promise<number | null> }

/** Starts `portcullis ARGS` as a long-running child; resolves once `readyText` appears on stderr. */
export async function spawnCli(args: string[], readyText = '"event":"started"', options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunningCli> {
  const child = spawn(process.execPath, ['bin/portcullis.js', ...args], { cwd: ROOT, env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`portcullis did not start: ${stderr}`)), options.timeoutMs ?? 20_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.includes(readyText)) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`portcullis exited: ${stderr}`)); });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Ports handed out by freePort in this process: a closed port may be handed out again at once. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (for child processes that need a fixed address), never one this process was given
 * before: two calls in a row could get the same port from the system (`[await freePort(), await freePort()]`), and
 * the child listening on both failed with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const chosen = (server.address() as { port: number }).port;
        server.close(() => resolve(chosen));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
