import { createSecretKey } from 'node:crypto';
import { defineProtection, type CreateContext } from '../../pipeline/protection.ts';
import { block, flag, pass, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { isTchar } from '../../inspect/extract/content-type.ts';
import { resolveSecretText, secretFilePermissionProblem } from '../jwt/keys.ts';
import { DEFAULT_BANNERS, ResponseCloakingConfigSchema, type ResponseCloakingConfig } from './config.ts';
import { compileJsonPath, PathSet, type CompiledPath } from './json-path.ts';
import { compileTemplate, type CompiledTemplate } from './templates.ts';
import { DetectorSet, type DetectorAction, type DetectorSpec } from './detectors.ts';
import { Hasher, type ActionSettings } from './actions.ts';
import { compileResponseSchema, NO_SCHEMA, type SchemaSet } from './response-schema.ts';
import { Findings, rewriteJson, rewriteText, type CompiledField, type DetectorBehaviour, type RewritePlan } from './rewrite.ts';
import { findErrorLeaks } from './error-leaks.ts';

const DEFAULT_MASK_CHAR = '*';
const DEFAULT_PLACEHOLDER = '[redacted]';
const DEFAULT_HASH_LENGTH = 16;
const MIN_HASH_KEY_BYTES = 32;

/**
 * Response cloaking and data-leak prevention.
 *
 * Protects against: excessive data exposure (OWASP API3) and sensitive data leaving in responses: fields a client
 * does not need (by path or by the response schema), `writeOnly` properties, card, resident-registration and phone
 * numbers, e-mails, account numbers anywhere in JSON, text and HTML; upstream error pages with stack traces, SQL
 * errors or debug output; banner headers naming the upstream's software.
 * Phases: response head (banners; no buffering) and, when fields, detectors, schemas or error replacement are
 * configured, response body (the proxy buffers and decodes the body up to `maxInspectedResponseBytes`).
 * Cannot see: values split across HTML elements or encoded (entities, base64), images and other binary types,
 * streamed responses on routes where it is not configured.
 */
export const responseCloaking = defineProtection<ResponseCloakingConfig>({
  name: 'response-cloaking',
  key: 'responseCloaking',
  schema: ResponseCloakingConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: rules are configuration, compiled in every worker',
  defaultConfig: {},
  create(config, context) {
    const checkMaskChar = (value: string | undefined, pointer: string) => {
      if (value !== undefined && [...value].length !== 1) context.issue(pointer, 'must be one character');
    };
    checkMaskChar(config.maskChar, '/maskChar');
    const maskChar = config.maskChar ?? DEFAULT_MASK_CHAR;
    const placeholder = config.placeholder ?? DEFAULT_PLACEHOLDER;
    const hasher = compileHasher(config, context);
    let needsKey = false;

    const settingsOf = (action: 'mask' | 'redact' | 'hash', own: { keep?: number; keepStart?: number; maskChar?: string; placeholder?: string }, keepDefault: number): ActionSettings => ({
      action,
      keep: own.keep ?? keepDefault,
      keepStart: own.keepStart ?? 0,
      maskChar: own.maskChar ?? maskChar,
      placeholder: own.placeholder ?? placeholder,
    });

    // Field rules.
    const fields: CompiledField[] = [];
    const paths: CompiledPath[] = [];
    (config.fields ?? []).forEach((rule, index) => {
      const compiled = compileJsonPath(rule.path);
      if ('error' in compiled) { context.issue(`/fields/${index}/path`, compiled.error); return; }
      if (rule.action === 'hash') needsKey = true;
      checkMaskChar(rule.maskChar, `/fields/${index}/maskChar`);
      paths.push(compiled);
      fields.push({ label: rule.path, action: rule.action, settings: rule.action === 'remove' ? undefined : settingsOf(rule.action, rule, 0) });
    });

    // Detectors.
    const specs: DetectorSpec[] = [];
    const behaviours: DetectorBehaviour[] = [];
    const detectors = config.detectors ?? {};
    const addDetector = (spec: DetectorSpec, own: { action?: DetectorAction; keep?: number; keepStart?: number; maskChar?: string; placeholder?: string }, keepDefault: number, pointer: string) => {
      const action = own.action ?? 'mask';
      checkMaskChar(own.maskChar, `${pointer}/maskChar`);
      if (action === 'hash') needsKey = true;
      const replace = action === 'mask' || action === 'hash' ? action : 'redact';
      specs.push(spec);
      behaviours.push({ action, settings: settingsOf(replace, own, keepDefault) });
    };
    const templates = (list: readonly string[], pointer: string): CompiledTemplate[] => list.flatMap((source, index) => {
      const compiled = compileTemplate(source);
      if ('error' in compiled) { context.issue(`${pointer}/${index}`, compiled.error); return []; }
      return [compiled];
    });
    const lowerWords = (words: readonly string[] | undefined) => words?.map((word) => word.toLowerCase());
    if (detectors.residentNumbers) addDetector({ id: 'residentNumbers', kind: 'residentNumbers', requireChecksum: detectors.residentNumbers.requireChecksum !== false }, detectors.residentNumbers, 0, '/detectors/residentNumbers');
    if (detectors.cards) addDetector({ id: 'cards', kind: 'cards' }, detectors.cards, 4, '/detectors/cards');
    if (detectors.phones) {
      const { mobile, landline } = detectors.phones;
      if (mobile === false && landline === false) context.issue('/detectors/phones', 'mobile and landline are both false: remove the detector instead');
      addDetector({ id: 'phones', kind: 'phones', mobile: mobile !== false, landline: landline !== false }, detectors.phones, 4, '/detectors/phones');
    }
    if (detectors.emails) addDetector({ id: 'emails', kind: 'emails' }, detectors.emails, 0, '/detectors/emails');
    if (detectors.bankAccounts) {
      const compiled = templates(detectors.bankAccounts.patterns, '/detectors/bankAccounts/patterns');
      addDetector({ id: 'bankAccounts', kind: 'templates', templates: compiled, context: lowerWords(detectors.bankAccounts.context) }, detectors.bankAccounts, 0, '/detectors/bankAccounts');
    }
    const customNames = new Set<string>();
    (detectors.custom ?? []).forEach((custom, index) => {
      const pointer = `/detectors/custom/${index}`;
      if (customNames.has(custom.name)) context.issue(`${pointer}/name`, `"${custom.name}" is used twice`);
      customNames.add(custom.name);
      if (custom.pattern === undefined && custom.patterns === undefined) { context.issue(pointer, 'needs "pattern" or "patterns"'); return; }
      const single = custom.pattern === undefined ? [] : compileTemplate(custom.pattern);
      if ('error' in single) { context.issue(`${pointer}/pattern`, single.error); return; }
      const compiled = [...(Array.isArray(single) ? single : [single]), ...templates(custom.patterns ?? [], `${pointer}/patterns`)];
      addDetector({ id: `custom:${custom.name}`, kind: 'templates', templates: compiled, context: lowerWords(custom.context) }, custom, 0, pointer);
    });
    if (needsKey && hasher === undefined && config.hashKey === undefined) context.issue('/hashKey', 'is required by the "hash" action');

    // Response schemas by status.
    const schemas = new Map<string, SchemaSet>();
    for (const [key, schema] of Object.entries(config.schemas ?? {})) {
      const status = statusKey(key);
      if (status === undefined) { context.issue(`/schemas/${escapePointer(key)}`, 'must be a status code ("200"), a class ("2XX") or "default"'); continue; }
      const compiled = compileResponseSchema(schema);
      if ('error' in compiled) { context.issue(`/schemas/${escapePointer(key)}`, compiled.error); continue; }
      schemas.set(status, [compiled]);
    }

    // Banners.
    const banners: string[] = [];
    (config.banners ?? DEFAULT_BANNERS).forEach((name, index) => {
      if (![...name].every((c) => isTchar(c.charCodeAt(0)))) { context.issue(`/banners/${index}`, 'is not a header name'); return; }
      const lower = name.toLowerCase();
      if (!banners.includes(lower)) banners.push(lower);
    });

    const plan: RewritePlan = {
      fields, paths: new PathSet(paths), detectors: new DetectorSet(specs), behaviours, hasher,
      removeUndocumented: config.removeUndocumented === true,
    };
    const replace5xx = config.errors?.replace5xx === true;
    const replaceAll = config.errors?.replaceAll === true;
    const rewrites = fields.length > 0 || specs.length > 0 || schemas.size > 0;
    const blockInvalid = config.invalidBody === 'block';

    const schemaFor = (status: number): SchemaSet =>
      schemas.get(String(status)) ?? schemas.get(`${Math.floor(status / 100)}XX`) ?? schemas.get('default') ?? NO_SCHEMA;

    function onResponseBody(exchange: Exchange, body: Buffer): Verdict {
      try {
        return inspect(exchange, body);
      } finally {
        hasher?.forget();
      }
    }

    function inspect(exchange: Exchange, body: Buffer): Verdict {
      const status = exchange.upstreamStatus;
      const headers = exchange.upstreamResponseHeaders ?? {};
      if (replace5xx && status >= 500) {
        const kinds = replaceAll ? ['any-5xx'] : findErrorLeaks(body.toString('latin1'));
        if (kinds.length > 0) {
          const retryAfter = single(headers['retry-after']);
          return block(status, 'error_details_hidden', {
            headers: retryAfter !== undefined && isSafeHeaderValue(retryAfter) ? { 'retry-after': retryAfter } : undefined,
            detail: { location: 'response-body', ruleId: kinds.join(','), message: `the upstream's ${status} body was replaced: ${kinds.join(', ')}` },
          });
        }
      }
      if (!rewrites) return pass();
      const type = classify(single(headers['content-type']));
      if (type.kind === 'other') return pass();
      if (!type.charsetOk) {
        const detail = { location: 'response-body', message: 'the response charset is not UTF-8 or US-ASCII: not inspected' };
        return blockInvalid ? block(502, 'response_charset_unsupported', { detail }) : flag('response_charset_unsupported', detail);
      }
      const text = body.toString('utf8');
      let findings = new Findings();
      let out: string | null;
      let invalid = false;
      if (type.kind === 'json') {
        const result = rewriteJson(plan, text, schemaFor(status), findings);
        if (result.invalid) {
          if (blockInvalid) return block(502, 'response_json_invalid', { detail: { location: 'response-body', message: 'the response body does not parse as JSON' } });
          invalid = true;
          findings = new Findings();
          out = rewriteText(plan, text, findings);
        } else {
          out = result.text;
        }
      } else {
        out = rewriteText(plan, text, findings);
      }
      if (findings.blocked) {
        return block(502, 'response_sensitive_data', { detail: { location: 'response-body', ruleId: findings.ruleIds(), message: findings.summary() } });
      }
      // In monitor mode the pipeline puts the original body back: the event still says what was found.
      if (out !== null) exchange.replaceResponseBody(Buffer.from(out, 'utf8'));
      if (invalid) {
        return flag('response_json_invalid', {
          location: 'response-body', ruleId: findings.empty ? undefined : findings.ruleIds(),
          message: `the body does not parse as JSON; detectors ran on it as text${findings.empty ? '' : `: ${findings.summary()}`}`,
        });
      }
      if (findings.empty) return pass();
      return flag(findings.changed ? 'response_cloaked' : 'sensitive_data_detected', {
        location: 'response-body', ruleId: findings.ruleIds(), message: findings.summary(),
      });
    }

    function onResponseHead(exchange: Exchange, _status: number, headers: Record<string, string | string[]>): Verdict {
      for (const name of banners) if (headers[name] !== undefined) exchange.setResponseHeader(name, null);
      return pass();
    }

    const needsBody = rewrites || replace5xx;
    return {
      ...(banners.length > 0 ? { onResponseHead } : {}),
      ...(needsBody ? { onResponseBody, needs: { responseBody: true } } : {}),
    };
  },
});

function compileHasher(config: ResponseCloakingConfig, context: CreateContext): Hasher | undefined {
  const secret = config.hashKey;
  if (secret === undefined) return undefined;
  if (typeof secret === 'object' && 'file' in secret) {
    const problem = secretFilePermissionProblem(secret.file);
    if (problem) { context.issue('/hashKey', problem); return undefined; }
  }
  const text = resolveSecretText(secret);
  if (typeof text !== 'string') { context.issue('/hashKey', text.error); return undefined; }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length < MIN_HASH_KEY_BYTES) { context.issue('/hashKey', `must be at least ${MIN_HASH_KEY_BYTES} bytes`); return undefined; }
  return new Hasher(createSecretKey(bytes), config.hashLength ?? DEFAULT_HASH_LENGTH);
}

/** `200`, `2XX` (any case) or `default`, normalised; undefined when it is none of these. */
function statusKey(key: string): string | undefined {
  if (key === 'default') return key;
  if (key.length !== 3 || key[0]! < '1' || key[0]! > '5') return undefined;
  const rest = key.slice(1).toUpperCase();
  if (rest === 'XX') return key[0] + 'XX';
  return rest[0]! >= '0' && rest[0]! <= '9' && rest[1]! >= '0' && rest[1]! <= '9' ? key : undefined;
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isSafeHeaderValue(value: string): boolean {
  if (value.length > 64) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * What a response body is, by `Content-Type`: JSON (`application/json`, `text/json`, `*\/*+json`), text
 * (`text/plain`, `text/html`, or no type at all: clients sniff those), or other (passed unchanged). The charset must
 * be UTF-8 or US-ASCII (or absent).
 */
export function classify(contentType: string | undefined): { kind: 'json' | 'text' | 'other'; charsetOk: boolean } {
  if (contentType === undefined || contentType.trim() === '') return { kind: 'text', charsetOk: true };
  const lower = contentType.toLowerCase();
  const semicolon = lower.indexOf(';');
  const media = (semicolon === -1 ? lower : lower.slice(0, semicolon)).trim();
  let kind: 'json' | 'text' | 'other' = 'other';
  if (media === 'application/json' || media === 'text/json' || (media.endsWith('+json') && media.includes('/'))) kind = 'json';
  else if (media === 'text/plain' || media === 'text/html') kind = 'text';
  let charsetOk = true;
  if (semicolon !== -1 && kind !== 'other') {
    for (const part of lower.slice(semicolon + 1).split(';')) {
      const eq = part.indexOf('=');
      if (eq === -1 || part.slice(0, eq).trim() !== 'charset') continue;
      let value = part.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      charsetOk = value === 'utf-8' || value === 'utf8' || value === 'us-ascii';
    }
  }
  return { kind, charsetOk };
}
