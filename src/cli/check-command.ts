import { loadPolicyFile } from '../config/load-policy.ts';
import { PolicyError } from '../config/policy-error.ts';
import { buildPipeline } from '../pipeline/build-pipeline.ts';
import { EXIT_USAGE } from './cli.ts';

/** `portcullis check --config FILE`: the whole startup path (load, validate, compile) without listening. */
export async function checkCommand(options: { config?: string }, help: string): Promise<number> {
  if (!options.config) { process.stderr.write(`portcullis check: --config FILE is required\n\n${help}\n`); return EXIT_USAGE; }
  try {
    const policy = await loadPolicyFile(options.config);
    const pipeline = buildPipeline(policy, options.config);
    await pipeline.close();
    process.stdout.write(`${options.config}: valid (${policy.routes.length} route${policy.routes.length === 1 ? '' : 's'}, ${Object.keys(policy.upstreams).length} upstream${Object.keys(policy.upstreams).length === 1 ? '' : 's'}, mode ${policy.mode})\n`);
    return 0;
  } catch (error) {
    if (error instanceof PolicyError) { process.stderr.write(error.message + '\n'); return EXIT_USAGE; }
    throw error;
  }
}
