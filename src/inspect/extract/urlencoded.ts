import type { InputSource, InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractResult } from './extract-result.ts';
import { decodeText, LATIN1, UTF8, type Charset } from './charset.ts';

/**
 * `application/x-www-form-urlencoded` bodies (WHATWG URL §5.1): pairs split on `&`, name and value split on the
 * first `=`, `+` is a space, `%HH` a byte; the bytes are text in the body's charset (UTF-8 unless it names another).
 * Strict where parsers differ: a malformed escape (`%zz`, `%4`) refuses the body instead of being kept literally;
 * more than `maxArguments` pairs refuse it (checklist H2), never truncate it. Text that is not valid in its charset is
 * kept as Latin-1 (every byte preserved, so the overlong-UTF-8 layer can still see `%C0%AE`); a browser sends a form
 * in its page's legacy encoding (EUC-KR) without naming it, and it is read so.
 */
export interface UrlencodedOptions {
  /** Most name/value pairs accepted (default 1000, as ModSecurity's SecArgumentsLimit). */
  readonly maxArguments?: number;
  readonly maxInputs?: number;
  /** The charset the decoded bytes are text in (default UTF-8): the body's `charset` parameter. */
  readonly charset?: Charset;
  /** Location prefix; default `body:form:`. */
  readonly prefix?: string;
  readonly source?: InputSource;
}

export const DEFAULT_MAX_ARGUMENTS = 1000;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Decodes bytes[start, end) as a form component; undefined on a malformed escape. */
function decodeComponent(bytes: Uint8Array, start: number, end: number, charset: Charset): string | undefined {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x25 || b === 0x2b || b >= 0x80) { plain = false; break; }
  }
  if (plain) return decodeText(bytes.subarray(start, end), LATIN1);
  const out = new Uint8Array(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x2b) out[o++] = 0x20;
    else if (b === 0x25) {
      const hi = i + 1 < end ? hexValue(bytes[i + 1]!) : -1;
      const lo = i + 2 < end ? hexValue(bytes[i + 2]!) : -1;
      if (hi < 0 || lo < 0) return undefined;
      out[o++] = hi * 16 + lo;
      i += 2;
    } else out[o++] = b;
  }
  return decodeText(out.subarray(0, o), charset);
}

/** Extracts the names and values of a form body. Never throws. */
export function extractUrlencoded(body: string | Uint8Array, options: UrlencodedOptions = {}): ExtractResult {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const maxArguments = options.maxArguments ?? DEFAULT_MAX_ARGUMENTS;
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const charset = options.charset ?? UTF8;
  const prefix = options.prefix ?? 'body:form:';
  const source = options.source ?? 'body';
  const inputs: InspectedInput[] = [];
  let count = 0;
  let pairStart = 0;
  const n = bytes.length;
  while (pairStart <= n) {
    let pairEnd = bytes.indexOf(0x26, pairStart);
    if (pairEnd === -1) pairEnd = n;
    if (pairEnd > pairStart) {
      if (++count > maxArguments) return failure('too_many_arguments', `more than ${maxArguments} form parameters`);
      let eq = pairStart;
      while (eq < pairEnd && bytes[eq] !== 0x3d) eq++;
      const name = decodeComponent(bytes, pairStart, eq, charset);
      const value = eq < pairEnd ? decodeComponent(bytes, eq + 1, pairEnd, charset) : '';
      if (name === undefined || value === undefined) {
        return failure('bad_percent_encoding', 'malformed percent-escape in the form body');
      }
      const location = prefix + name;
      if (name !== '') inputs.push({ source, name, location, value: name, isName: true });
      if (value !== '') inputs.push({ source, name, location, value });
      if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
    }
    pairStart = pairEnd + 1;
  }
  return { inputs };
}
