import type { InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractResult } from './extract-result.ts';
import { strictUtf8Text } from './charset.ts';
import { extractJson } from './json.ts';
import { skipWs } from './json-lexical.ts';

/**
 * A body of JSON texts, one per line: NDJSON and JSON Lines (`application/x-ndjson`, `application/jsonl`; bulk and
 * log APIs) and JSON text sequences (RFC 7464, `application/json-seq`, whose texts start with the record separator
 * U+001E). Each non-blank line is a JSON document of its own, extracted as a JSON body is (each member name once
 * over the whole body, no numbers or booleans), at `body:line<N>:$...` with N counted from 1.
 *
 * Strict as a JSON body: a line that is not one JSON text (two texts on a line, a trailing comma, invalid UTF-8)
 * refuses the whole body. Never throws.
 */
export function extractJsonLines(body: Uint8Array, maxInputs = DEFAULT_MAX_INPUTS): ExtractResult {
  const text = strictUtf8Text(body);
  if (text === undefined) return failure('json_invalid_utf8', 'the JSON lines body is not valid UTF-8');
  const inputs: InspectedInput[] = [];
  const names = new Set<string>();
  let line = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    let from = start;
    while (from < end && text.charCodeAt(from) === 0x1e) from++; // RFC 7464 record separators
    const piece = text.slice(from, end);
    start = end + 1;
    if (skipWs(piece, 0) === piece.length) continue; // a blank line
    const result = extractJson(piece, { prefix: `body:line${line}:`, uniqueKeys: true, scalars: false, maxInputs: maxInputs - inputs.length });
    if ('problem' in result) return failure(result.problem.reason, `line ${line}: ${result.problem.message}`);
    for (const input of result.inputs) {
      if (input.isName === true) {
        if (names.has(input.value)) continue;
        names.add(input.value);
      }
      inputs.push(input);
    }
    if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
  }
  return { inputs };
}
