import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileLinearPattern, type LinearPattern } from './linear-pattern.ts';
import { FORMATS } from './formats.ts';
import { pointerToken } from './json-body.ts';
import { READ_ONLY_KEYWORD } from './schema-constants.ts';
import type { DeclaredMembers } from './prepare-schema.ts';

export { READ_ONLY_KEYWORD };

/** One failing field, as reported to the client and in the security event. Never carries the value. */
export interface FieldError {
  /** `body`, or the parameter's location. */
  readonly in: 'body' | 'path' | 'query' | 'header' | 'cookie';
  /** Parameter name (absent for the body). */
  readonly name?: string;
  /** JSON pointer inside the body or the parameter's value; `''` for the whole value. */
  readonly pointer: string;
  /** The rule that failed: a JSON Schema keyword (`minimum`, `type`, `format`, ...) or `required`, `unknownField`, `readOnly`, `repeated`. */
  readonly rule: string;
  readonly message: string;
}

/** Compiles JSON Schema 2020-12 validators; one compiler per policy load, shared by every route. */
export interface SchemaCompiler {
  /** Throws an Error with a short message when the schema does not compile (bad keyword value, unsupported pattern). */
  compile(schema: unknown): ValidateFunction;
}

const compilers = new WeakMap<object, SchemaCompiler>();

/** The compiler of one policy load (`key` is the validated policy object), created on first use. */
export function compilerFor(key: object): SchemaCompiler {
  let compiler = compilers.get(key);
  if (!compiler) {
    compiler = createSchemaCompiler();
    compilers.set(key, compiler);
  }
  return compiler;
}

export function createSchemaCompiler(): SchemaCompiler {
  const patterns = new Map<string, LinearPattern>();
  const regExp = (source: string): LinearPattern => {
    let compiled = patterns.get(source);
    if (!compiled) {
      compiled = compileLinearPattern(source);
      patterns.set(source, compiled);
    }
    return compiled;
  };
  const ajv = new Ajv2020({
    allErrors: true,
    // API descriptions carry annotations ajv does not know (discriminator, xml, example, x-...) and
    // formats of their own: they are ignored rather than refused.
    strict: false,
    logger: false,
    ownProperties: true,
    validateFormats: true,
    code: { regExp: regExp as never },
  });
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, { type: format.type, validate: format.validate } as never);
  ajv.addKeyword({
    keyword: READ_ONLY_KEYWORD,
    schemaType: 'boolean',
    errors: true,
    validate: function readOnly() {
      (readOnly as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: READ_ONLY_KEYWORD, message: 'is read-only and must not be sent', params: {} }];
      return false;
    },
  });
  return {
    compile(schema) {
      try {
        return ajv.compile(schema as object);
      } catch (error) {
        throw new Error(((error as Error).message ?? 'invalid schema').split('\n')[0]!.slice(0, 300));
      }
    },
  };
}

/**
 * Turns ajv's errors into field errors: one per failing field and rule, pointing at the field itself (a missing or
 * unknown member is named in the pointer). Two kinds of noise are left out:
 * - below a failing `anyOf`/`oneOf`, the errors of its branches (only the composite error is reported);
 * - `unevaluatedProperties` errors for members the schema does declare, when something else failed at or below
 *   that object: JSON Schema forgets what a failing branch evaluated, so every member then looks unknown.
 */
export function fieldErrors(
  errors: readonly ErrorObject[] | null | undefined, where: FieldError['in'], name: string | undefined, max: number, declared?: DeclaredMembers,
): FieldError[] {
  if (!errors) return [];
  const below = (path: string, base: string) => path === base || path.startsWith(base + '/');
  const isComposite = (e: ErrorObject) => e.keyword === 'anyOf' || e.keyword === 'oneOf';
  const composites = errors.filter(isComposite).map((e) => e.instancePath);
  const others = errors.filter((e) => e.keyword !== 'unevaluatedProperties').map((e) => e.instancePath);
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.keyword === 'unevaluatedProperties') {
      const member = String((error.params as { unevaluatedProperty?: unknown }).unevaluatedProperty);
      if (declared?.get(error.schemaPath)?.has(member) && others.some((path) => below(path, error.instancePath))) continue;
    } else if (!isComposite(error) && composites.some((path) => below(error.instancePath, path))) {
      continue;
    }
    const mapped = mapError(error);
    mapped.pointer = clipPointer(mapped.pointer);
    const key = `${mapped.pointer}\u0000${mapped.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name === undefined ? { in: where, ...mapped } : { in: where, name, ...mapped });
    if (out.length >= max) break;
  }
  return out;
}

function mapError(error: ErrorObject): { pointer: string; rule: string; message: string } {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { pointer: `${at}/${pointerToken(String(params.missingProperty))}`, rule: 'required', message: 'is required' };
    case 'dependentRequired':
      return { pointer: `${at}/${pointerToken(String(params.missingProperty))}`, rule: 'dependentRequired', message: `is required when "${String(params.property)}" is present` };
    case 'additionalProperties':
      return { pointer: `${at}/${pointerToken(clip(String(params.additionalProperty)))}`, rule: 'unknownField', message: 'is not a known field' };
    case 'unevaluatedProperties':
      return { pointer: `${at}/${pointerToken(clip(String(params.unevaluatedProperty)))}`, rule: 'unknownField', message: 'is not a known field' };
    case 'propertyNames':
      return { pointer: `${at}/${pointerToken(clip(String(params.propertyName)))}`, rule: 'propertyNames', message: 'is not an allowed field name' };
    case READ_ONLY_KEYWORD:
      return { pointer: at, rule: 'readOnly', message: 'is read-only and must not be sent' };
    case 'false schema':
      return { pointer: at, rule: 'notAllowed', message: 'is not allowed' };
    case 'anyOf':
      return { pointer: at, rule: 'anyOf', message: 'must match at least one of the allowed schemas' };
    case 'oneOf':
      return { pointer: at, rule: 'oneOf', message: params.passingSchemas ? 'matches more than one of the allowed schemas' : 'must match exactly one of the allowed schemas' };
    default:
      // ajv's messages name the rule and its limit ("must be >= 1", 'must match format "email"'), never the value.
      return { pointer: at, rule: error.keyword, message: (error.message ?? error.keyword).slice(0, 200) };
  }
}

/** Pointers name members the client chose: bounded, so a reply or an event never grows with them. */
export function clipPointer(pointer: string): string {
  return pointer.length > MAX_POINTER ? pointer.slice(0, MAX_POINTER) + '...' : pointer;
}

const MAX_POINTER = 200;

/** Member names in pointers come from the client: bounded. */
function clip(text: string): string {
  return text.length > 64 ? text.slice(0, 64) + '...' : text;
}
