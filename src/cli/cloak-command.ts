import { parseArgs } from 'node:util';
import { loadPolicyFile } from '../config/load-policy.ts';
import { PolicyError } from '../config/policy-error.ts';
import type { IdentifierCloakingConfig, IdentifierKeyConfig } from '../protections/identifier-cloaking/config.ts';
import { compileKeys, TokenCodec } from '../protections/identifier-cloaking/token.ts';
import { compileBinding } from '../protections/identifier-cloaking/identifier-cloaking.ts';

/** Exit codes as in cli.ts: 0 success, 1 the token was refused, 2 bad usage or a bad policy. */
const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

export const CLOAK_HELP = `portcullis cloak: mint or read identifier tokens (the identifierCloaking protection)

Usage:
  portcullis cloak encode --config FILE --kind KIND --principal P [--route NAME] [--numeric] IDENTIFIER
  portcullis cloak decode --config FILE --kind KIND --principal P [--route NAME] [--json] TOKEN
  portcullis cloak encode|decode --key-file FILE --key-id ID [--encoding base64|base64url|hex]
                          [--bind-to principal|clientCertificate|cookie:NAME] [--ttl SECONDS] ...

  --config FILE      policy file: keys, bindTo and ttlSeconds of protections.identifierCloaking
  --route NAME       use that route's identifierCloaking block merged over the global one
  --key-file FILE    instead of a policy: a file holding one 32-byte key (--encoding, default base64)
  --key-id ID        the key's id (required with --key-file to encode; when decoding, the token's id is used if unset)
  --bind-to B        with --key-file: what tokens are bound to (default principal)
  --ttl SECONDS      with --key-file: tokens expire (default: no expiry)
  --kind KIND        identifier kind (shop, order, ...)
  --principal P      whose token: the JWT subject, the certificate fingerprint or the session cookie value
  --numeric          encode: the identifier is a JSON number (it comes back as a number in JSON bodies)
  --json             decode: print {"identifier","numeric","keyId","expiresAt"} instead of the identifier

Exit 0 on success; 1 when the token is refused (the reason is printed: malformed, unknown_key, retired_key,
expired, not_authentic); 2 on bad usage or a bad policy. Secrets are never printed.`;

function usage(message: string): number {
  process.stderr.write(`portcullis cloak: ${message}\n\n${CLOAK_HELP}\n`);
  return EXIT_USAGE;
}

/** `portcullis cloak encode|decode ...` */
export async function cloakCommand(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        config: { type: 'string', short: 'c' },
        route: { type: 'string' },
        'key-file': { type: 'string' },
        'key-id': { type: 'string' },
        encoding: { type: 'string' },
        'bind-to': { type: 'string' },
        ttl: { type: 'string' },
        kind: { type: 'string' },
        principal: { type: 'string' },
        numeric: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) { process.stdout.write(CLOAK_HELP + '\n'); return 0; }
  const [action, input, ...extra] = positionals;
  if (action !== 'encode' && action !== 'decode') return usage('the first argument must be encode or decode');
  if (input === undefined || extra.length > 0) return usage(`${action} takes exactly one ${action === 'encode' ? 'IDENTIFIER' : 'TOKEN'}`);
  const kind = values.kind as string | undefined;
  const principal = values.principal as string | undefined;
  if (kind === undefined || !isWord(kind, '_-', 1, 64)) return usage('--kind is required: letters, digits, _ and -');
  if (principal === undefined || principal === '') return usage('--principal is required');
  if ((values.config === undefined) === (values['key-file'] === undefined)) return usage('give either --config or --key-file');

  let config: IdentifierCloakingConfig;
  if (values.config !== undefined) {
    for (const option of ['key-id', 'encoding', 'bind-to', 'ttl'] as const) {
      if (values[option] !== undefined) return usage(`--${option} goes with --key-file; with --config it comes from the policy`);
    }
    const loaded = await configFromPolicy(values.config as string, values.route as string | undefined);
    if (typeof loaded === 'number') return loaded;
    config = loaded;
  } else {
    if (values.route !== undefined) return usage('--route goes with --config');
    const built = configFromKeyFile(values, action, input);
    if (typeof built === 'string') return usage(built);
    config = built;
  }

  const issues: string[] = [];
  const keys = compileKeys(config.keys!, (path, message) => issues.push(`${values.config !== undefined ? '/protections/identifierCloaking/keys' : '--key-file'}${values.config !== undefined ? path : ''}: ${message}`));
  if (issues.length > 0 || keys.length === 0) {
    process.stderr.write(issues.join('\n') + '\n');
    return EXIT_USAGE;
  }
  const codec = new TokenCodec(keys, { binding: compileBinding(config.bindTo).label, ttlSeconds: config.ttlSeconds, cacheEntries: 0 });

  if (action === 'encode') {
    if (values.numeric && !isJsonInteger(input)) return usage('--numeric needs an integer');
    process.stdout.write(codec.encode(kind, principal, { text: input, numeric: values.numeric === true }) + '\n');
    return 0;
  }
  const result = codec.decode(kind, principal, input);
  if (!result.ok) {
    process.stderr.write(`portcullis cloak: token refused (${result.reason})\n`);
    return EXIT_REFUSED;
  }
  process.stdout.write((values.json
    ? JSON.stringify({ identifier: result.id.text, numeric: result.id.numeric, keyId: result.keyId, expiresAt: result.expiresAt === undefined ? null : new Date(result.expiresAt * 1000).toISOString() })
    : result.id.text) + '\n');
  return 0;
}

async function configFromPolicy(file: string, route: string | undefined): Promise<IdentifierCloakingConfig | number> {
  let policy;
  try {
    policy = await loadPolicyFile(file);
  } catch (error) {
    if (error instanceof PolicyError) { process.stderr.write(error.message + '\n'); return EXIT_USAGE; }
    throw error;
  }
  const global = (policy.protections as { identifierCloaking?: IdentifierCloakingConfig } | undefined)?.identifierCloaking;
  let config = global ?? {};
  if (route !== undefined) {
    const found = policy.routes.find((r, i) => (r.name ?? `route-${i}`) === route);
    if (found === undefined) return usage(`the policy has no route named "${route}"`);
    const local = (found.protections as { identifierCloaking?: IdentifierCloakingConfig } | undefined)?.identifierCloaking;
    config = { ...config, ...local };
  }
  if (config.keys === undefined) return usage(`${file} has no identifierCloaking keys${route === undefined ? ' (globally)' : ` for route ${route}`}`);
  return config;
}

function configFromKeyFile(values: Record<string, string | boolean | undefined>, action: string, token: string): IdentifierCloakingConfig | string {
  const encoding = (values.encoding ?? 'base64') as string;
  if (encoding !== 'base64' && encoding !== 'base64url' && encoding !== 'hex') return '--encoding must be base64, base64url or hex';
  let id = values['key-id'] as string | undefined;
  if (id === undefined && action === 'decode') id = keyIdOf(token);
  if (id === undefined) return '--key-id is required with --key-file';
  if (!isWord(id, '._-', 1, 16)) return '--key-id: 1 to 16 letters, digits, ., _ or -';
  const bindText = (values['bind-to'] ?? 'principal') as string;
  let bindTo: IdentifierCloakingConfig['bindTo'];
  if (bindText === 'principal' || bindText === 'clientCertificate') bindTo = bindText;
  else if (bindText.startsWith('cookie:') && bindText.length > 7) bindTo = { cookie: bindText.slice(7) };
  else return '--bind-to must be principal, clientCertificate or cookie:NAME';
  let ttlSeconds: number | undefined;
  if (values.ttl !== undefined) {
    ttlSeconds = Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > 31_536_000) return '--ttl must be a whole number of seconds from 60 to 31536000';
  }
  const key: IdentifierKeyConfig = { id, secret: { file: values['key-file'] as string }, encoding };
  return { keys: [key], bindTo, ttlSeconds };
}

/** The key id written in a token, when it looks like one. */
function keyIdOf(token: string): string | undefined {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length < 3 || bytes[1]! < 1 || bytes[1]! > 16 || bytes.length < 2 + bytes[1]!) return undefined;
  return bytes.toString('latin1', 2, 2 + bytes[1]!);
}

function isJsonInteger(text: string): boolean {
  const digits = text.startsWith('-') ? text.slice(1) : text;
  if (digits === '' || (digits.length > 1 && digits.startsWith('0'))) return false;
  for (let i = 0; i < digits.length; i++) if (digits.charCodeAt(i) < 0x30 || digits.charCodeAt(i) > 0x39) return false;
  return true;
}

/** Letters, digits and `extra`, from `min` to `max` characters: the schema's patterns for kinds and key ids. */
function isWord(text: string, extra: string, min: number, max: number): boolean {
  if (text.length < min || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || extra.includes(text[i]!);
    if (!ok) return false;
  }
  return true;
}
