import type { InspectedInput } from '../finding.ts';

/**
 * What every extractor returns: the inputs found in one part of a request, or the reason that part is refused.
 * A refusal is never "inspect what we could and pass the rest": the engine answers it (400/413/415).
 */
export interface ExtractProblem {
  /** Stable reason code (`multipart_invalid`, `json_duplicate_key`, ...), used in events and metrics. */
  readonly reason: string;
  /** Short explanation for operators (never shown to clients). */
  readonly message: string;
  /** Finer code for some reasons (`multipart_invalid` → `folded_header`, `missing_closing_boundary`, ...). */
  readonly detail?: string;
}

export type ExtractResult = { readonly inputs: InspectedInput[] } | { readonly problem: ExtractProblem };

/** Default bound on the inputs one extractor may produce; the engine passes what is left of its request budget. */
export const DEFAULT_MAX_INPUTS = 2000;

export function isProblem(result: ExtractResult): result is { readonly problem: ExtractProblem } {
  return 'problem' in result;
}

/** The HTTP status a refusal is answered with: 415 for a charset or media type, 413 for a size, 400 otherwise. */
export function problemStatus(problem: ExtractProblem): number {
  const reason = problem.reason;
  return reason.includes('charset') || reason.includes('media_type') || reason.includes('content_type') || reason.startsWith('unsupported_') ? 415
    : reason.includes('too_large') ? 413 : 400;
}

export function failure(reason: string, message: string, detail?: string): { problem: ExtractProblem } {
  return { problem: detail === undefined ? { reason, message } : { reason, message, detail } };
}

/** The problem returned when an extractor would produce more inputs than its budget. */
export function tooManyInputs(max: number): { problem: ExtractProblem } {
  return failure('too_many_inputs', `more than ${max} inputs in one part of the request`);
}
