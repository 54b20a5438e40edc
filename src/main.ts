#!/usr/bin/env node
import { runCli } from './cli/cli.ts';

// Entry point: hands the arguments to the CLI and nothing else.
runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
  process.stderr.write(`portcullis: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
