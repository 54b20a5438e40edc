import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { PolicyError, type PolicyIssue } from './policy-error.ts';
import { validatePolicyShape } from './validate-policy.ts';
import { parseHostPort, isLoopbackHost } from '../net/host-port.ts';
import { compileCidrSet } from '../net/cidr.ts';
import type { Policy } from './policy-types.ts';
import { expandOpenApi } from '../openapi/expand-policy.ts';

/** Reads, parses (YAML or JSON), validates and freezes a policy file. Throws `PolicyError` listing every problem. */
export async function loadPolicyFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PolicyError(file, [{ path: '', message: `cannot read the policy file (${(error as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  return parsePolicyText(text, file, env);
}

/** Parses policy text (YAML is a superset of JSON, so one parser serves both). */
export function parsePolicyText(text: string, source: string, env: NodeJS.ProcessEnv = process.env): Policy {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (document.errors.length > 0) {
    throw new PolicyError(source, document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { path: '', message: `line ${line}, column ${col}: ${error.message.split('\n')[0]}` };
    }));
  }
  return validatePolicyObject(document.toJS(), source, env);
}

/** Validates an already parsed policy object (used by the CLI's `--upstream` mode too). */
export function validatePolicyObject(input: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Policy {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new PolicyError(source, [{ path: '', message: 'must be a mapping (an object) at the top level' }]);
  }
  const policy = structuredClone(input) as Policy;
  // `openapi:` entries become routes first (relative spec paths start at the policy file's directory).
  const openapi = expandOpenApi(policy as unknown as Record<string, unknown>, source);
  const issues = [...openapi.issues, ...openapi.relabel(validatePolicyShape(policy))];
  if (issues.length > 0) throw new PolicyError(source, issues);
  checkReferences(policy, issues);
  resolveSecrets(policy, issues, env);
  if (issues.length > 0) throw new PolicyError(source, issues);
  return deepFreeze(policy);
}

function checkReferences(policy: Policy, issues: PolicyIssue[]): void {
  for (const [name, upstream] of Object.entries(policy.upstreams)) {
    const problem = checkOrigin(upstream.url);
    if (problem) issues.push({ path: `/upstreams/${name}/url`, message: problem });
  }
  const routeNames = new Map<string, number>();
  policy.routes.forEach((route, index) => {
    if (!(route.upstream in policy.upstreams)) {
      issues.push({ path: `/routes/${index}/upstream`, message: `no upstream named "${route.upstream}" (known: ${Object.keys(policy.upstreams).join(', ') || 'none'})` });
    }
    const name = route.name ?? `route-${index}`;
    const earlier = routeNames.get(name);
    if (earlier !== undefined) issues.push({ path: `/routes/${index}/name`, message: `"${name}" is also the name of /routes/${earlier}` });
    else routeNames.set(name, index);
  });
  const addresses = new Set<string>();
  policy.listeners.forEach((listener, index) => {
    const parsed = parseHostPort(listener.address);
    if ('error' in parsed) issues.push({ path: `/listeners/${index}/address`, message: parsed.error });
    else if (addresses.has(listener.address)) issues.push({ path: `/listeners/${index}/address`, message: 'listed twice' });
    addresses.add(listener.address);
  });
  if (policy.admin.enabled) {
    const admin = parseHostPort(policy.admin.address);
    if ('error' in admin) issues.push({ path: '/admin/address', message: admin.error });
    else if (!isLoopbackHost(admin.host) && policy.admin.token === undefined) {
      issues.push({ path: '/admin/token', message: `is required when the admin listener is bound to a non-loopback address (${admin.host})` });
    }
  }
  for (const { index, message } of compileCidrSet(policy.clientAddress.trustedProxies).errors) {
    issues.push({ path: `/clientAddress/trustedProxies/${index}`, message });
  }
}

function checkOrigin(text: string): string | undefined {
  let url: URL;
  try { url = new URL(text); } catch { return `"${text}" is not a URL`; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return 'must be an origin only (scheme, host, port), without path, query, fragment or credentials';
  }
  return undefined;
}

/** Replaces `{ env }` and `{ file }` secret references with their values. Error texts never contain a value. */
function resolveSecrets(policy: Policy, issues: PolicyIssue[], env: NodeJS.ProcessEnv): void {
  const admin = policy.admin as { token?: unknown };
  if (admin.token !== undefined) admin.token = resolveSecret(admin.token, '/admin/token', issues, env);
}

export function resolveSecret(value: unknown, path: string, issues: PolicyIssue[], env: NodeJS.ProcessEnv): string | undefined {
  if (typeof value === 'string') return value;
  const ref = value as { env?: string; file?: string };
  if (ref.env !== undefined) {
    const found = env[ref.env];
    if (found === undefined || found === '') { issues.push({ path, message: `environment variable ${ref.env} is not set` }); return undefined; }
    return found;
  }
  if (ref.file !== undefined) {
    try {
      const content = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
      if (content === '') issues.push({ path, message: `secret file ${ref.file} is empty` });
      return content;
    } catch (error) {
      issues.push({ path, message: `cannot read secret file ${ref.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
