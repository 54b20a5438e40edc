import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startCommand } from './start-command.ts';
import { checkCommand } from './check-command.ts';
import { PolicySchema } from '../config/policy-schema.ts';

/** Exit codes: 0 success, 1 runtime failure (e.g. a port in use), 2 bad usage or a bad policy. */
export const EXIT_USAGE = 2;

const HELP: Record<string, string> = {
  main: `portcullis: a WAAP gateway (reverse proxy that stops attacks before they reach your APIs)

Usage:
  portcullis start --config FILE                 run with a policy file (YAML or JSON)
  portcullis start --upstream URL [--listen HOST:PORT] [--admin HOST:PORT] [--mode enforce|monitor] [--workers N]
                                                 protect URL with the default protections, no policy file
  portcullis start --openapi SPEC --upstream URL protect the API an OpenAPI 3.0/3.1 description declares, nothing else
  portcullis check --config FILE                 validate a policy without listening (exit 2 on errors)
  portcullis openapi import SPEC [--out FILE]    write a policy fragment (routes, validation, cloaking) from OpenAPI
  portcullis cloak encode|decode ...             mint or read identifier-cloaking tokens (needs the policy's key)
  portcullis exclusions --log FILE               suggest attack-detection exclusions from security events
  portcullis schema                              print the policy's JSON Schema
  portcullis version                             print the version

Run "portcullis COMMAND --help" for a command's options.`,
  start: `portcullis start: run the gateway

  --config FILE        policy file (YAML or JSON); reloaded on SIGHUP and, with reload.watch, on change
  --upstream URL       no policy file: forward every path with GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS to URL
  --openapi SPEC       with --upstream: only the operations SPEC declares (strict mode: others get 404/405),
                       requests validated against their schemas
  --listen HOST:PORT   with --upstream: where clients connect (default 127.0.0.1:8080)
  --admin HOST:PORT    with --upstream: admin listener (default 127.0.0.1:9901)
  --mode MODE          with --upstream: enforce (default) or monitor
  --workers N          with --upstream: worker processes (default 1)

Signals: SIGHUP reloads the policy (the old one stays if the new one is invalid), SIGUSR1 reopens log files,
SIGTERM/SIGINT drain in-flight requests and exit.`,
  check: `portcullis check: validate a policy file without listening

  --config FILE   the policy to check

Exit 0 when valid; exit 2 with every error and its path (e.g. /routes/3/methods/0: must be one of GET, ...).`,
  schema: `portcullis schema: print the policy's JSON Schema (for editors and CI validation)`,
  version: `portcullis version: print the version`,
};

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI; resolves to the exit code for commands that finish, or never for `start`. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP.main + '\n');
    return command === undefined ? EXIT_USAGE : 0;
  }
  // `cloak encode|decode` takes positionals and has its own options and help; loaded only when used.
  if (command === 'cloak') return (await import('./cloak-command.ts')).cloakCommand(rest);
  // `openapi import SPEC` likewise (src/cli/openapi-command.ts has its help).
  if (command === 'openapi') return (await import('./openapi-command.ts')).openapiCommand(rest);
  // `exclusions --log FILE` likewise (src/cli/exclusions-command.ts).
  if (command === 'exclusions') return (await import('./exclusions-command.ts')).exclusionsCommand(rest);
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`portcullis: unknown command "${command}"\n\n${HELP.main}\n`);
    return EXIT_USAGE;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...(command === 'start' || command === 'check' ? { config: { type: 'string', short: 'c' } } : {}),
        ...(command === 'start' ? {
          upstream: { type: 'string' }, listen: { type: 'string' }, admin: { type: 'string' },
          mode: { type: 'string' }, workers: { type: 'string' }, openapi: { type: 'string' },
        } : {}),
      },
    }));
  } catch (error) {
    process.stderr.write(`portcullis ${command}: ${(error as Error).message}\n\n${HELP[command]}\n`);
    return EXIT_USAGE;
  }
  if (values.help) { process.stdout.write(HELP[command] + '\n'); return 0; }
  switch (command) {
    case 'version': process.stdout.write(`portcullis ${packageVersion()} (node ${process.version})\n`); return 0;
    case 'schema': process.stdout.write(JSON.stringify(PolicySchema, null, 2) + '\n'); return 0;
    case 'check': return checkCommand(values as { config?: string }, HELP.check!);
    case 'start': return startCommand(values as Record<string, string | undefined>, HELP.start!);
  }
  return EXIT_USAGE;
}
