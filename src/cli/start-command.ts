import cluster from 'node:cluster';
import { loadPolicyFile, validatePolicyObject } from '../config/load-policy.ts';
import { PolicyError } from '../config/policy-error.ts';
import { quickPolicy } from '../config/quick-policy.ts';
import type { Policy } from '../config/policy-types.ts';
import { Gateway } from '../server/gateway.ts';
import { buildPipeline } from '../pipeline/build-pipeline.ts';
import { runClusterPrimary, isClusterWorker, reportMetricsToPrimary, type ClusterMessage } from '../server/cluster.ts';
import { reopenAllSinks } from '../observe/log-sink.ts';
import { systemLog } from '../observe/system-log.ts';
import { EXIT_USAGE } from './cli.ts';

/** `portcullis start`: resolves only on failure to start (exit code); a running gateway exits through signals. */
export async function startCommand(options: Record<string, string | undefined>, help: string): Promise<number> {
  // Node's lenient parser accepts request-smuggling inputs (CL+TE, obs-fold, bare LF); it must never be on.
  if (process.execArgv.some((arg) => arg.startsWith('--insecure-http-parser')) || /--insecure-http-parser/.test(process.env.NODE_OPTIONS ?? '')) {
    process.stderr.write('portcullis start: refusing to run with --insecure-http-parser (it accepts request-smuggling inputs)\n');
    return EXIT_USAGE;
  }
  if (Boolean(options.config) === Boolean(options.upstream)) {
    process.stderr.write(`portcullis start: give either --config FILE or --upstream URL\n\n${help}\n`);
    return EXIT_USAGE;
  }
  if (options.config && (options.listen || options.admin || options.mode || options.workers || options.openapi)) {
    process.stderr.write('portcullis start: --listen, --admin, --mode, --workers and --openapi go with --upstream; with --config, set them in the policy\n');
    return EXIT_USAGE;
  }
  let policy: Policy;
  try {
    if (options.config) {
      policy = await loadPolicyFile(options.config);
    } else {
      const workers = options.workers === undefined ? undefined : Number(options.workers);
      policy = validatePolicyObject(quickPolicy({
        upstream: options.upstream!, listen: options.listen, admin: options.admin,
        mode: options.mode as 'enforce' | 'monitor' | undefined, workers, openapi: options.openapi,
      }), 'command line');
    }
  } catch (error) {
    if (error instanceof PolicyError) { process.stderr.write(error.message + '\n'); return EXIT_USAGE; }
    throw error;
  }

  if (policy.workers > 1 && cluster.isPrimary) {
    // Checked once here: workers started with unreadable TLS files would only crash and be restarted.
    try { await buildPipeline(policy, options.config).close(); } catch (error) {
      if (error instanceof PolicyError) { process.stderr.write(error.message + '\n'); return EXIT_USAGE; }
      throw error;
    }
    await runClusterPrimary(policy, options.config);
    return new Promise<number>(() => {});
  }

  let gateway: Gateway;
  try {
    gateway = await Gateway.start({ policy, policyFile: options.config, serveAdmin: !isClusterWorker() });
  } catch (error) {
    if (error instanceof PolicyError) { process.stderr.write(error.message + '\n'); return EXIT_USAGE; }
    systemLog.error('start_failed', { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message });
    return 1;
  }

  const shutdown = () => { void gateway.shutdown().then(() => process.exit(0)); };
  if (isClusterWorker()) {
    reportMetricsToPrimary();
    process.send?.({ type: 'ready' } satisfies ClusterMessage);
    process.on('message', (message: ClusterMessage) => {
      if (message.type === 'reload') void gateway.reload();
      else if (message.type === 'reopen-logs') reopenAllSinks();
      else if (message.type === 'shutdown') shutdown();
    });
    // The primary relays signals; a terminal's Ctrl-C reaches every process of the group, so ignore it here.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', shutdown);
  } else {
    process.on('SIGHUP', () => { void gateway.reload(); });
    process.on('SIGUSR1', () => reopenAllSinks());
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  }
  return new Promise<number>(() => {});
}
