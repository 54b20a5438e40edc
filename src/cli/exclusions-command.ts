import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { suggestExclusions, suggestionsAsPolicy, type SecurityEventRecord } from '../protections/attack-detection/exclusion-suggestions.ts';

export const EXCLUSIONS_HELP = `portcullis exclusions: suggest attack-detection exclusions from security events

Usage:
  portcullis exclusions --log FILE [--log FILE2 ...] [--route NAME] [--min-clients N]

  --log FILE          a security log (JSON lines, as logging.security writes it; access records in it are skipped)
  --route NAME        only this route
  --min-clients N     only findings sent by at least N client addresses (default 2: what one client alone sends is
                      more likely an attack than a false positive)

Prints a policy fragment: per route (by the name in the log), the rules to switch off at each location where they
fired, with a reason that says how many requests and clients were seen. Review every entry before merging it into
the policy: an exclusion lets real attacks through at its location too. Locations with an array index are widened to
every index (body:$.items[3].note gives body:$.items[*). Run attack detection in monitor mode first to collect
events without refusing anyone (docs/detection.md).
Exit 0 (also when there is nothing to suggest), 2 on bad usage or an unreadable log.`;

/** `portcullis exclusions --log FILE ...`; resolves to the exit code. */
export async function exclusionsCommand(argv: readonly string[]): Promise<number> {
  let values: { help?: boolean; log?: string[]; route?: string; 'min-clients'?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        log: { type: 'string', multiple: true },
        route: { type: 'string' },
        'min-clients': { type: 'string' },
      },
    }));
  } catch (error) {
    process.stderr.write(`portcullis exclusions: ${(error as Error).message}\n\n${EXCLUSIONS_HELP}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(EXCLUSIONS_HELP + '\n'); return 0; }
  const logs = values.log ?? [];
  const minClients = values['min-clients'] === undefined ? 2 : Number(values['min-clients']);
  const problems: string[] = [];
  if (logs.length === 0) problems.push('--log FILE is required');
  if (!Number.isInteger(minClients) || minClients < 1) problems.push(`--min-clients must be a whole number of at least 1, not "${values['min-clients']}"`);
  for (const file of logs) if (!existsSync(file)) problems.push(`${file}: no such file`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.map((p) => `portcullis exclusions: ${p}`).join('\n')}\n\n${EXCLUSIONS_HELP}\n`);
    return 2;
  }
  const events: SecurityEventRecord[] = [];
  let skipped = 0;
  for (const file of logs) {
    try {
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        if (!line.includes('"attack-detection"')) continue; // (access records and other protections: not parsed)
        try {
          const parsed = JSON.parse(line) as unknown;
          if (typeof parsed === 'object' && parsed !== null) events.push(parsed as SecurityEventRecord);
        } catch {
          skipped++;
        }
      }
    } catch (error) {
      process.stderr.write(`portcullis exclusions: ${file}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const report = suggestExclusions(events, { minClients, route: values.route });
  const header = [
    `# portcullis exclusions: ${report.suggestions.length} suggestion${report.suggestions.length === 1 ? '' : 's'} from ${report.events} attack-detection event${report.events === 1 ? '' : 's'}` +
      ` in ${logs.join(', ')}${values.route ? ` (route ${values.route})` : ''}.`,
    `# Findings sent by fewer than ${minClients} client${minClients === 1 ? '' : 's'} are left out (${report.belowMinClients} location${report.belowMinClients === 1 ? '' : 's'})` +
      (skipped > 0 ? `; ${skipped} line${skipped === 1 ? '' : 's'} that were no JSON skipped.` : '.'),
    '# Review each entry before merging it into the policy: an exclusion lets real attacks through at its location too.',
  ];
  process.stdout.write(header.join('\n') + '\n');
  if (report.suggestions.length > 0) process.stdout.write(stringify(suggestionsAsPolicy(report), { lineWidth: 0 }));
  return 0;
}
