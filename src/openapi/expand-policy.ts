import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PolicyIssue } from '../config/policy-error.ts';
import { PROTECTIONS } from '../protections/index.ts';
import { systemLog } from '../observe/system-log.ts';
import { DescriptionError, loadApiDescription } from './operations.ts';
import { deepMerge, generateRoutes, type GeneratedRoute } from './generate.ts';
import { escapeToken } from './spec-source.ts';

/**
 * The policy's top-level `openapi:` list, expanded into routes before the policy is validated:
 *
 *   openapi:
 *     - spec: shop.openapi.yaml        # relative to the policy file
 *       upstream: shop
 *       mode: strict                   # or learning
 *       overrides:
 *         createOrder: { limits: { maxBodyBytes: 65536 } }
 *
 * Each operation becomes a route appended after the policy's own `routes` (which therefore may be left out). The
 * description is read again on every reload. Problems are reported with their place: `/openapi/0/spec` for the
 * description (with `file#/pointer` inside it), `/openapi/0/overrides/<operationId>` for overrides, and generated
 * routes keep their `/routes/N` pointer with the operation named in the message.
 */
export interface OpenApiExpansion {
  readonly issues: PolicyIssue[];
  /** Adds the operation behind a generated route to issues found later at `/routes/N/...`. */
  relabel(issues: readonly PolicyIssue[]): PolicyIssue[];
}

const NOTHING: OpenApiExpansion = { issues: [], relabel: (issues) => [...issues] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Where relative `spec` paths start: the policy file's directory, or the working directory. */
function baseDirectory(source: string): string {
  try {
    if (existsSync(source) && statSync(source).isFile()) return path.dirname(path.resolve(source));
  } catch { /* not a file */ }
  return process.cwd();
}

export function expandOpenApi(input: Record<string, unknown>, source: string): OpenApiExpansion {
  const entries = input.openapi;
  if (entries === undefined) return NOTHING;
  if (!Array.isArray(entries)) return { issues: [{ path: '/openapi', message: 'must be a list of { spec, upstream, ... }' }], relabel: NOTHING.relabel };
  const issues: PolicyIssue[] = [];
  const baseDir = baseDirectory(source);
  const ownRoutes = Array.isArray(input.routes) ? input.routes as unknown[] : [];
  const routes: unknown[] = [...ownRoutes];
  const origins = new Map<number, string>();
  const taken = new Set<string>(ownRoutes.map((route, index) => (isRecord(route) && typeof route.name === 'string' ? route.name : `route-${index}`)));
  const upstreams = isRecord(input.upstreams) ? input.upstreams : {};
  const globalProtections = isRecord(input.protections) ? input.protections : {};
  const configured = (key: string, requiredKey?: string) => {
    const block = globalProtections[key];
    return isRecord(block) && block.enabled !== false && (requiredKey === undefined || block[requiredKey] !== undefined);
  };
  const registered = new Set(PROTECTIONS.map((p) => p.key));

  entries.forEach((entry, index) => {
    const at = `/openapi/${index}`;
    if (!isRecord(entry)) { issues.push({ path: at, message: 'must be a mapping { spec, upstream, ... }' }); return; }
    if (typeof entry.spec !== 'string' || entry.spec === '') { issues.push({ path: `${at}/spec`, message: 'is required: the path of an OpenAPI 3.0/3.1 file' }); return; }
    if (typeof entry.upstream !== 'string' || entry.upstream === '') { issues.push({ path: `${at}/upstream`, message: 'is required: the name of the upstream the operations go to' }); return; }
    if (!(entry.upstream in upstreams)) {
      issues.push({ path: `${at}/upstream`, message: `no upstream named "${entry.upstream}" (known: ${Object.keys(upstreams).join(', ') || 'none'})` });
      return;
    }
    const mode = entry.mode ?? 'strict';
    // Malformed optional keys are reported by the schema; the routes are not generated meanwhile.
    if (mode !== 'strict' && mode !== 'learning') return;
    if (entry.overrides !== undefined && !isRecord(entry.overrides)) return;
    const file = path.resolve(baseDir, entry.spec);
    let generated: GeneratedRoute[];
    try {
      const api = loadApiDescription(file);
      const result = generateRoutes(api, {
        upstream: entry.upstream,
        mode,
        host: typeof entry.host === 'string' || Array.isArray(entry.host) ? entry.host as string | string[] : undefined,
        basePath: typeof entry.basePath === 'string' ? entry.basePath : undefined,
        unknownFields: entry.unknownFields === 'allow' ? 'allow' : 'reject',
        protections: registered,
        jwt: typeof entry.jwt === 'boolean' ? entry.jwt : configured('jwt'),
        identifierCloaking: typeof entry.identifierCloaking === 'boolean' ? entry.identifierCloaking : configured('identifierCloaking', 'keys'),
        responseCloaking: typeof entry.responseCloaking === 'boolean' ? entry.responseCloaking : true,
        takenNames: taken,
      });
      generated = result.routes;
      if (result.warnings.length > 0) systemLog.warn('openapi_import_warnings', { spec: entry.spec, warnings: result.warnings.slice(0, 100) });
    } catch (error) {
      if (error instanceof DescriptionError) {
        for (const problem of error.problems) issues.push({ path: `${at}/spec`, message: problem });
        return;
      }
      throw error;
    }
    for (const { route } of generated) taken.add(route.name as string);
    for (const [operationId, patch] of Object.entries((entry.overrides ?? {}) as Record<string, unknown>)) {
      const pointer = `${at}/overrides/${escapeToken(operationId)}`;
      const target = generated.find((g) => g.operation?.operationId === operationId) ?? generated.find((g) => g.route.name === operationId);
      if (!target) { issues.push({ path: pointer, message: `no operation with operationId "${operationId}" in ${entry.spec}` }); continue; }
      if (!isRecord(patch)) { issues.push({ path: pointer, message: 'must be a mapping of route keys (limits, mode, protections, ...)' }); continue; }
      deepMerge(target.route, patch);
    }
    for (const { route, operation } of generated) {
      origins.set(routes.length, operation ? `${operation.method} ${operation.path} of ${entry.spec}` : `the learning-mode catch-all of ${entry.spec}`);
      routes.push(route);
    }
  });
  input.routes = routes;
  return {
    issues,
    relabel(found) {
      // Without the routes of a description that failed, "/routes" may be empty: that is not news.
      const relevant = issues.length > 0 ? found.filter((issue) => issue.path !== '/routes') : found;
      return relevant.map((issue) => {
        const match = issue.path.startsWith('/routes/') ? Number(issue.path.slice('/routes/'.length).split('/')[0]) : Number.NaN;
        const origin = origins.get(match);
        return origin === undefined ? issue : { path: issue.path, message: `${issue.message} (route generated from ${origin})` };
      });
    },
  };
}
