import type { InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, tooManyInputs, type ExtractResult } from './extract-result.ts';

/**
 * The `Cookie` request header (RFC 6265 §5.4 / 6265bis §5.7.4, as browsers and servers read it): pairs separated
 * by `;`, optional white space trimmed, name and value split on the first `=`; a pair without `=` is a value with
 * an empty name. Values are taken as sent (quotes included): the decoding layers undo percent-encoding and the
 * engine looks for embedded JSON. Each field line is read on its own (HTTP/2 may split cookies over several).
 * Inputs: names (`isName`) and values, at `cookie:NAME`.
 */
export interface CookieOptions {
  readonly maxInputs?: number;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Extracts cookie names and values. Never throws; the only refusal is too many inputs. */
export function extractCookies(header: string | readonly string[] | undefined, options: CookieOptions = {}): ExtractResult {
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const inputs: InspectedInput[] = [];
  if (header === undefined) return { inputs };
  const lines = typeof header === 'string' ? [header] : header;
  for (const line of lines) {
    let start = 0;
    const n = line.length;
    while (start <= n) {
      let end = line.indexOf(';', start);
      if (end === -1) end = n;
      let a = start;
      let b = end;
      while (a < b && isOws(line.charCodeAt(a))) a++;
      while (b > a && isOws(line.charCodeAt(b - 1))) b--;
      if (b > a) {
        let eq = a;
        while (eq < b && line.charCodeAt(eq) !== 0x3d) eq++;
        let name = '';
        let value: string;
        if (eq === b) value = line.slice(a, b);
        else {
          let nameEnd = eq;
          while (nameEnd > a && isOws(line.charCodeAt(nameEnd - 1))) nameEnd--;
          name = line.slice(a, nameEnd);
          let valueStart = eq + 1;
          while (valueStart < b && isOws(line.charCodeAt(valueStart))) valueStart++;
          value = line.slice(valueStart, b);
        }
        const location = 'cookie:' + name;
        if (name !== '') inputs.push({ source: 'cookie', name, location, value: name, isName: true });
        if (value !== '') inputs.push({ source: 'cookie', name, location, value });
        if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
      }
      start = end + 1;
    }
  }
  return { inputs };
}
