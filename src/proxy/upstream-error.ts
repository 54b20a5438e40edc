/** How a failed upstream exchange is answered: status, stable reason and the underlying code for logs/metrics. */
export interface UpstreamFailure { status: 502 | 504; reason: string; code: string }

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);

/** Classifies an undici or socket error. Branches on `code`, never on messages. */
export function classifyUpstreamError(error: unknown): UpstreamFailure {
  const code = (error as { code?: string } | null)?.code ?? 'UNKNOWN';
  if (TIMEOUT_CODES.has(code)) return { status: 504, reason: 'upstream_timeout', code };
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_HEADERS_OVERFLOW') {
    return { status: 502, reason: 'upstream_invalid_response', code };
  }
  return { status: 502, reason: 'upstream_unavailable', code };
}
