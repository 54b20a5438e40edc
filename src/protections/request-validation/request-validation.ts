import type { ValidateFunction } from 'ajv';
import { charsetOf, strictText, UTF8, type Charset } from '../../inspect/extract/charset.ts';
import { defineProtection, type CreateContext, type ProtectionInstance } from '../../pipeline/protection.ts';
import { block, flag, pass, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { parseQuery } from '../../pipeline/exchange.ts';
import { hasBody } from '../../http/request-body.ts';
import { parseContentType } from '../../inspect/extract/content-type.ts';
import { RequestValidationConfigSchema, type RequestValidationConfig, type ParameterConfig } from './config.ts';
import { checkJsonBody, parseJsonBody, parseJsonText, type JsonLimits, type JsonProblem } from './json-body.ts';
import { clipPointer, compilerFor, fieldErrors, type FieldError, type SchemaCompiler } from './schema-compiler.ts';
import { prepareRequestSchema, type DeclaredMembers } from './prepare-schema.ts';
import {
  DEFAULT_STYLE, STYLES_BY_LOCATION, SerialisationProblem, parameterReader, parseCookies, shapeOf,
  type ParameterLocation, type RequestView, type Style,
} from './parameters.ts';

export const DEFAULT_LIMITS: JsonLimits = {
  maxDepth: 64,
  // (a batch upsert of a few thousand records, each with its members, is tens of thousands of members)
  maxKeys: 50_000,
  maxArrayLength: 50_000,
  // (a photo or a scan sent as a base64 data URL, as vision and document APIs take them, is a few hundred KB)
  maxStringLength: 524_288,
  maxNumberLength: 64,
  allowUnsafeIntegers: false,
};

interface CompiledParameter {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly allowEmptyValue: boolean;
  readonly json: boolean;
  readonly read: (exchange: Exchange, view: RequestView) => unknown;
  readonly validate: ValidateFunction | undefined;
  readonly declared: DeclaredMembers | undefined;
}

interface CompiledMediaType {
  /** `type/subtype`, `type/*` or `*\/*`, lower case. */
  readonly range: string;
  readonly json: boolean;
  readonly validate: ValidateFunction | undefined;
  readonly declared: DeclaredMembers | undefined;
}

/** Media types parsed as JSON: `application/json` and any `+json` structured syntax. */
export function isJsonMedia(type: string, subtype: string): boolean {
  return (type === 'application' && subtype === 'json') || subtype.endsWith('+json');
}

/**
 * Request validation.
 *
 * Protects against: mass assignment (unknown and read-only fields), type confusion and out-of-range values reaching
 * business logic, malformed or ambiguous JSON (duplicate keys, invalid UTF-8, lone surrogates, huge numbers),
 * resource exhaustion through deep or wide JSON, bodies of undeclared media types, parameter pollution (a scalar
 * parameter given twice). Phases: request head (parameters, declared media type, body presence) and request body
 * (JSON parsing under limits, schema). Buffers request bodies. Schemas are compiled once per policy load with ajv
 * (patterns run on a linear-time matcher, see linear-pattern.ts).
 */
export const requestValidation = defineProtection<RequestValidationConfig>({
  name: 'request-validation',
  key: 'requestValidation',
  schema: RequestValidationConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: schemas are compiled in every worker',
  defaultConfig: {},
  create(config, context) {
    const limits: JsonLimits = { ...DEFAULT_LIMITS, ...stripUndefined(config.limits ?? {}) };
    const maxBodyBytes = config.limits?.maxBodyBytes;
    /** Out-of-range numbers refused even where no schema reads them: only when the policy says so. */
    const numbersStrict = config.limits?.allowUnsafeIntegers !== undefined;
    const maxErrors = config.maxErrors ?? 20;
    const rejectUnknown = (config.unknownFields ?? 'reject') === 'reject';
    const routeOnly = context.scope === 'global';
    if (routeOnly) {
      for (const key of ['parameters', 'body', 'undocumentedEndpoint'] as const) {
        if (config[key] !== undefined) context.issue(`/${key}`, 'is a route setting: set it on a route, not globally');
      }
    }
    const compiler = compilerFor(context.policy);
    const parameters = routeOnly ? [] : compileParameters(config.parameters ?? [], rejectUnknown, compiler, context);
    const media = routeOnly || !config.body ? undefined : compileBody(config.body.content, rejectUnknown, compiler, context);
    const bodyRequired = config.body?.required === true;
    const undocumented = !routeOnly && config.undocumentedEndpoint === true;
    const declared = media?.map((m) => m.range) ?? [];

    const invalid = (errors: FieldError[], reason = 'request_invalid', status = 400): Verdict => {
      const first = errors[0]!;
      return block(status, reason, {
        problem: { errors },
        detail: {
          location: first.in === 'body' ? `body:${first.pointer || '/'}` : `${first.in}:${first.name}${first.pointer}`,
          ruleId: first.rule,
          message: JSON.stringify(errors),
        },
      });
    };

    const jsonProblem = (problem: JsonProblem, where: FieldError['in'] = 'body', name?: string): FieldError => ({
      in: where, ...(name === undefined ? {} : { name }), pointer: clipPointer(problem.pointer), rule: problem.rule, message: problem.message,
    });

    const instance: ProtectionInstance = {
      // A route that declares a body has it buffered. The structure limits alone do not force buffering: they check
      // every JSON body that is buffered anyway (attack detection buffers every body by default), so a route that
      // streams uploads (attackDetection.inspectBody: false) keeps streaming.
      needs: { requestBody: media !== undefined },
      onRequestHead(exchange) {
        if (undocumented) {
          return flag('undocumented_endpoint', { location: 'path', excerpt: `${exchange.method} ${exchange.path}`, message: 'no operation of the API description serves this method and path' });
        }
        const errors: FieldError[] = [];
        if (parameters.length > 0) {
          const view = requestView(exchange);
          for (const parameter of parameters) {
            if (errors.length >= maxErrors) break;
            let value = parameter.read(exchange, view);
            if (value === undefined) {
              if (parameter.required) errors.push({ in: parameter.in, name: parameter.name, pointer: '', rule: 'required', message: 'is required' });
              continue;
            }
            if (value instanceof SerialisationProblem) {
              errors.push({ in: parameter.in, name: parameter.name, pointer: '', rule: value.rule, message: value.message });
              continue;
            }
            if (parameter.allowEmptyValue && value === '') continue;
            if (parameter.json && typeof value === 'string') {
              const parsed = parseJsonText(value, limits);
              if ('problem' in parsed) { errors.push(jsonProblem(parsed.problem, parameter.in, parameter.name)); continue; }
              value = parsed.value;
            }
            if (parameter.validate && !parameter.validate(value)) {
              errors.push(...fieldErrors(parameter.validate.errors, parameter.in, parameter.name, maxErrors - errors.length, parameter.declared));
            }
          }
        }
        if (media !== undefined && hasBody(exchange.req)) {
          const contentType = exchange.header('content-type');
          const matched = contentType === undefined ? undefined : matchMedia(contentType, media);
          if (matched === undefined) {
            return block(415, 'unsupported_media_type', {
              problem: { accepted: declared },
              detail: { location: 'header:content-type', message: contentType === undefined ? 'a body without Content-Type' : 'a media type the operation does not declare' },
            });
          }
        } else if (bodyRequired && !hasBody(exchange.req) && errors.length < maxErrors) {
          errors.push({ in: 'body', pointer: '', rule: 'required', message: 'a request body is required' });
        }
        return errors.length > 0 ? invalid(errors) : pass();
      },
      onRequestBody(exchange, received) {
        if (undocumented) return pass();
        let body = received;
        const contentType = exchange.header('content-type');
        let validate: ValidateFunction | undefined;
        let declaredMembers: DeclaredMembers | undefined;
        if (media !== undefined) {
          const matched = contentType === undefined ? undefined : matchMedia(contentType, media);
          if (matched === undefined) return block(415, 'unsupported_media_type', { problem: { accepted: declared }, detail: { location: 'header:content-type' } });
          if (!matched.json) return pass();
          validate = matched.validate;
          declaredMembers = matched.declared;
        } else {
          // No body declared on this route: only JSON bodies are looked at, for their structure.
          if (contentType === undefined) return pass();
          const parsed = parseContentType(contentType);
          if ('problem' in parsed || !isJsonMedia(parsed.type, parsed.subtype)) return pass();
        }
        if (body.length === 0) {
          return bodyRequired ? invalid([{ in: 'body', pointer: '', rule: 'required', message: 'a request body is required' }]) : pass();
        }
        if (maxBodyBytes !== undefined && body.length > maxBodyBytes) {
          return block(413, 'json_too_large', { detail: { location: 'body', message: `a JSON body larger than ${maxBodyBytes} bytes` } });
        }
        const charset = contentType === undefined ? UTF8 : jsonCharset(contentType);
        if (charset === undefined) {
          // A backend honouring that charset would read other characters than any reading here (UTF-7, UTF-16...).
          return block(415, 'unsupported_media_type', { problem: media ? { accepted: declared } : undefined, detail: { location: 'header:content-type', message: 'a charset JSON is not read in' } });
        }
        if (charset !== UTF8) {
          // JSON is UTF-8 (RFC 8259 §8.1), but a backend that honours the charset named (EUC-KR) reads it in that: so is it here.
          const text = strictText(body, charset);
          if (text === undefined) return invalid([{ in: 'body', pointer: '', rule: 'encoding', message: `the body is not valid ${charset}` }], 'json_invalid_encoding');
          body = Buffer.from(text, 'utf8');
        }
        if (validate === undefined) {
          // Structure limits alone: checked without building the value. Without a schema nothing here reads the
          // numbers, so one out of range (a 64-bit identifier, a nanosecond timestamp) is flagged, not refused, unless
          // `allowUnsafeIntegers` is set either way: the backend reads it its own way, and the event says so.
          if (!numbersStrict) {
            let noted: { pointer: string; message: string } | undefined;
            const found = checkJsonBody(body, { ...limits, onUnsafeNumber: (pointer, message) => { noted ??= { pointer, message }; } });
            if (found !== undefined) return invalid([jsonProblem(found)], found.reason);
            return noted === undefined ? pass()
              : flag('json_unsafe_number', { location: noted.pointer === '' ? 'body' : `body:${noted.pointer}`, message: noted.message });
          }
          const found = checkJsonBody(body, limits);
          return found === undefined ? pass() : invalid([jsonProblem(found)], found.reason);
        }
        const parsed = parseJsonBody(body, limits);
        if ('problem' in parsed) return invalid([jsonProblem(parsed.problem)], parsed.problem.reason);
        if (!validate(parsed.value)) return invalid(fieldErrors(validate.errors, 'body', undefined, maxErrors, declaredMembers));
        return pass();
      },
    };
    // Limits only (the default instance on most routes): nothing to look at in the head, so no call per request.
    if (!undocumented && parameters.length === 0 && media === undefined) delete instance.onRequestHead;
    return instance;
  },
});

function stripUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The charset a JSON body is read in: UTF-8 when the Content-Type names none (or names UTF-8 by any name, `utf8`),
 * the one it names when accepted (charset.ts), undefined when it names one that is not.
 */
function jsonCharset(contentType: string): Charset | undefined {
  const parsed = parseContentType(contentType);
  if ('problem' in parsed) return parsed.problem.reason === 'unsupported_charset' ? undefined : UTF8;
  const label = parsed.params.get('charset');
  return label === undefined ? UTF8 : charsetOf(label);
}

/** The declared media type a Content-Type falls under: exact first, then `type/*`, then `*\/*`. */
function matchMedia(contentType: string, media: readonly CompiledMediaType[]): CompiledMediaType | undefined {
  const parsed = parseContentType(contentType);
  if ('problem' in parsed) return undefined;
  const exact = `${parsed.type}/${parsed.subtype}`;
  const found = media.find((m) => m.range === exact) ?? media.find((m) => m.range === `${parsed.type}/*`) ?? media.find((m) => m.range === '*/*');
  if (!found) return undefined;
  // A wildcard range declares a family; whether the body is JSON comes from the request's own type.
  if (found.range !== exact) return { ...found, json: isJsonMedia(parsed.type, parsed.subtype) };
  return found;
}

/** The parameters as the upstream will read them: after identifier cloaking rewrote the target, its forms. */
function requestView(exchange: Exchange): RequestView {
  let pathParams = exchange.routeParams;
  if (exchange.upstreamPath !== undefined && exchange.route) {
    const segments = exchange.upstreamPath.slice(1).split('/').map((segment) => {
      try { return decodeURIComponent(segment); } catch { return segment; }
    });
    pathParams = exchange.route.template.match(segments) ?? pathParams;
  }
  const query = exchange.upstreamQuery !== undefined ? parseQuery(exchange.upstreamQuery) : exchange.query;
  let cookies: Map<string, string[]> | undefined;
  return { pathParams, query, cookies: () => (cookies ??= parseCookies(exchange.header('cookie'))) };
}

/** The `{name}` parameters of this route's path template (undefined when the route is not found). */
function templateParameters(context: CreateContext): Set<string> | undefined {
  const routes = context.policy.routes ?? [];
  const route = routes.find((r, index) => (r.name ?? `route-${index}`) === context.scope);
  if (!route) return undefined;
  const names = new Set<string>();
  for (const segment of route.path.split('/')) {
    const open = segment.indexOf('{');
    const close = segment.indexOf('}', open);
    if (open !== -1 && close > open) names.add(segment.slice(open + 1, close));
  }
  return names;
}

function compileParameters(list: readonly ParameterConfig[], rejectUnknown: boolean, compiler: SchemaCompiler, context: CreateContext): CompiledParameter[] {
  const compiled: CompiledParameter[] = [];
  const seen = new Set<string>();
  const inTemplate = list.some((p) => p.in === 'path') ? templateParameters(context) : undefined;
  list.forEach((parameter, index) => {
    const at = `/parameters/${index}`;
    const location = parameter.in as ParameterLocation;
    const key = `${location}:${location === 'header' ? parameter.name.toLowerCase() : parameter.name}`;
    if (seen.has(key)) context.issue(`${at}/name`, `parameter "${parameter.name}" in ${location} is listed twice`);
    seen.add(key);
    const style = (parameter.style ?? DEFAULT_STYLE[location]) as Style;
    if (!STYLES_BY_LOCATION[location].includes(style)) {
      context.issue(`${at}/style`, `style "${style}" is not supported for ${location} parameters (supported: ${STYLES_BY_LOCATION[location].join(', ')})`);
      return;
    }
    if (parameter.allowEmptyValue && location !== 'query') context.issue(`${at}/allowEmptyValue`, 'applies to query parameters only');
    if (location === 'path' && inTemplate && !inTemplate.has(parameter.name)) {
      context.issue(`${at}/name`, `the route's path has no {${parameter.name}} segment`);
      return;
    }
    const explode = parameter.explode ?? style === 'form';
    let validate: ValidateFunction | undefined;
    let declared: DeclaredMembers | undefined;
    let shapeSource: unknown = undefined;
    if (parameter.schema !== undefined) {
      try {
        const prepared = prepareRequestSchema(parameter.schema, rejectUnknown);
        validate = compiler.compile(prepared.schema);
        declared = prepared.declared;
        shapeSource = prepared.schema;
      } catch (error) {
        context.issue(`${at}/schema`, `${(error as Error).message} (route ${context.scope})`);
        return;
      }
    }
    const defs = isRecord(shapeSource) && isRecord(shapeSource.$defs) ? shapeSource.$defs : {};
    // JSON-valued parameters are read as text and parsed, not coerced.
    const shape = parameter.json ? { kind: 'primitive' as const, types: new Set<string>(), itemTypes: new Set<string>(), propertyTypes: new Map() } : shapeOf(shapeSource, defs);
    compiled.push({
      name: parameter.name,
      in: location,
      required: parameter.required === true || location === 'path',
      allowEmptyValue: parameter.allowEmptyValue === true,
      json: parameter.json === true,
      read: parameterReader(parameter.name, location, style, explode, shape),
      validate,
      declared,
    });
  });
  return compiled;
}

function compileBody(content: Readonly<Record<string, { schema?: unknown }>>, rejectUnknown: boolean, compiler: SchemaCompiler, context: CreateContext): CompiledMediaType[] {
  const compiled: CompiledMediaType[] = [];
  for (const [key, entry] of Object.entries(content)) {
    const at = `/body/content/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const range = key.split(';')[0]!.trim().toLowerCase();
    const slash = range.indexOf('/');
    if (slash <= 0 || slash === range.length - 1 || range.indexOf('/', slash + 1) !== -1) {
      context.issue(at, 'must be a media type such as application/json, application/* or */*');
      continue;
    }
    const type = range.slice(0, slash);
    const subtype = range.slice(slash + 1);
    if (type === '*' && subtype !== '*') { context.issue(at, 'a wildcard type needs a wildcard subtype (*/*)'); continue; }
    let validate: ValidateFunction | undefined;
    let declared: DeclaredMembers | undefined;
    if (entry.schema !== undefined) {
      try {
        const prepared = prepareRequestSchema(entry.schema, rejectUnknown);
        validate = compiler.compile(prepared.schema);
        declared = prepared.declared;
      } catch (error) {
        context.issue(`${at}/schema`, `${(error as Error).message} (route ${context.scope})`);
        continue;
      }
    }
    compiled.push({ range, json: isJsonMedia(type, subtype), validate, declared });
  }
  return compiled;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
