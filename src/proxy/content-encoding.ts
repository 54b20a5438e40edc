import { brotliCompressSync, brotliDecompressSync, deflateSync, gzipSync, gunzipSync, inflateSync, inflateRawSync, constants } from 'node:zlib';

/** A content coding Portcullis can decode and encode again. */
export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/**
 * The single coding of a response's `Content-Encoding`, or `null` when it is one Portcullis cannot decode or a
 * chain of several (`gzip, br`): such a body cannot be inspected, so it is not passed.
 */
export function contentEncoding(header: string | string[] | undefined): Coding | null {
  if (header === undefined) return 'identity';
  const value = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  if (value === 'br') return 'br';
  return null;
}

/**
 * Decodes a whole body. `maxBytes` bounds the decoded size (a decompression bomb fails with
 * `ERR_BUFFER_TOO_LARGE` instead of filling memory); a corrupt body throws.
 */
export function decodeBody(body: Buffer, coding: Exclude<Coding, 'identity'>, maxBytes: number): Buffer {
  const options = { maxOutputLength: maxBytes };
  if (coding === 'gzip') return gunzipSync(body, options);
  if (coding === 'br') return brotliDecompressSync(body, options);
  // `deflate` is the zlib format (RFC 9110), but some servers send raw deflate: accept both, as browsers do.
  try {
    return inflateSync(body, options);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    return inflateRawSync(body, options);
  }
}

/** Encodes a rewritten body in the coding the upstream used. Fast settings: this runs per response. */
export function encodeBody(body: Buffer, coding: Exclude<Coding, 'identity'>): Buffer {
  if (coding === 'gzip') return gzipSync(body, { level: 5 });
  if (coding === 'br') return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  return deflateSync(body, { level: 5 });
}
