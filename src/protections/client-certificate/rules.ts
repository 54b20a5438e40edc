import type { ClientCertificate } from '../../pipeline/exchange.ts';
import type { CertificateRule } from './config.ts';

/** One compiled `allow` rule: every part present must match. */
export interface CompiledRule {
  readonly subject?: readonly (readonly [string, ReadonlySet<string>])[];
  readonly issuer?: readonly (readonly [string, ReadonlySet<string>])[];
  readonly dns?: { readonly exact: ReadonlySet<string>; readonly wildcardSuffixes: ReadonlySet<string> };
  readonly uri?: { readonly exact: ReadonlySet<string>; readonly prefixes: readonly string[] };
  readonly email?: ReadonlySet<string>;
  readonly fingerprint?: ReadonlySet<string>;
}

/**
 * A SHA-256 fingerprint as 64 lower-case hex digits, from `AB:CD:…` or `abcd…`; `null` when it is not one.
 */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replaceAll(':', '').toLowerCase();
  if (hex.length !== 64) return null;
  for (let i = 0; i < hex.length; i++) {
    const code = hex.charCodeAt(i);
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return null;
  }
  return hex;
}

/** Compiles one rule; problems go to `issue` with a pointer relative to the rule. */
export function compileRule(rule: CertificateRule, issue: (path: string, message: string) => void): CompiledRule {
  const names = (attributes: Record<string, string | string[]> | undefined) => attributes === undefined ? undefined
    : Object.entries(attributes).map(([name, value]) => [name, new Set(typeof value === 'string' ? [value] : value)] as const);
  const compiled: {
    -readonly [K in keyof CompiledRule]: CompiledRule[K];
  } = { subject: names(rule.subject), issuer: names(rule.issuer) };
  if (rule.subject !== undefined && Object.keys(rule.subject).length === 0) issue('/subject', 'lists no attribute');
  if (rule.issuer !== undefined && Object.keys(rule.issuer).length === 0) issue('/issuer', 'lists no attribute');
  const san = rule.san;
  if (san?.dns) {
    const exact = new Set<string>();
    const wildcardSuffixes = new Set<string>();
    san.dns.forEach((name, index) => {
      const lower = name.toLowerCase();
      exact.add(lower);
      if (lower.startsWith('*.')) {
        if (lower.indexOf('*', 1) !== -1 || lower.length < 4) issue(`/san/dns/${index}`, 'a wildcard is only allowed as the whole first label (`*.example.com`)');
        wildcardSuffixes.add(lower.slice(1));
      } else if (lower.includes('*')) {
        issue(`/san/dns/${index}`, 'a wildcard is only allowed as the whole first label (`*.example.com`)');
      }
    });
    compiled.dns = { exact, wildcardSuffixes };
  }
  if (san?.uri) {
    const exact = new Set<string>();
    const prefixes: string[] = [];
    for (const uri of san.uri) {
      if (uri.endsWith('*')) prefixes.push(uri.slice(0, -1)); else exact.add(uri);
    }
    compiled.uri = { exact, prefixes };
  }
  if (san?.email) compiled.email = new Set(san.email.map((email) => email.toLowerCase()));
  if (rule.fingerprint) {
    const set = new Set<string>();
    rule.fingerprint.forEach((text, index) => {
      const normalized = normalizeFingerprint(text);
      if (normalized === null) issue(`/fingerprint/${index}`, 'is not a SHA-256 fingerprint (64 hex digits, `:` separators allowed)');
      else set.add(normalized);
    });
    compiled.fingerprint = set;
  }
  return compiled;
}

function namesMatch(wanted: readonly (readonly [string, ReadonlySet<string>])[], actual: Readonly<Record<string, readonly string[]>>): boolean {
  for (const [attribute, values] of wanted) {
    const present = actual[attribute];
    if (present === undefined || !present.some((value) => values.has(value))) return false;
  }
  return true;
}

function dnsMatches(rule: NonNullable<CompiledRule['dns']>, names: readonly string[]): boolean {
  for (const name of names) {
    const lower = name.toLowerCase();
    if (rule.exact.has(lower)) return true;
    const dot = lower.indexOf('.');
    if (dot > 0 && !lower.startsWith('*') && rule.wildcardSuffixes.has(lower.slice(dot))) return true;
  }
  return false;
}

function uriMatches(rule: NonNullable<CompiledRule['uri']>, uris: readonly string[]): boolean {
  for (const uri of uris) {
    if (rule.exact.has(uri)) return true;
    for (const prefix of rule.prefixes) if (uri.startsWith(prefix)) return true;
  }
  return false;
}

/** True when the certificate satisfies every part of the rule. */
export function ruleMatches(rule: CompiledRule, certificate: ClientCertificate): boolean {
  if (rule.fingerprint && !rule.fingerprint.has(certificate.fingerprint)) return false;
  if (rule.subject && !namesMatch(rule.subject, certificate.subjectAttributes)) return false;
  if (rule.issuer && !namesMatch(rule.issuer, certificate.issuerAttributes)) return false;
  if (rule.dns && !dnsMatches(rule.dns, certificate.san.dns)) return false;
  if (rule.uri && !uriMatches(rule.uri, certificate.san.uri)) return false;
  if (rule.email && !certificate.san.email.some((email) => rule.email!.has(email.toLowerCase()))) return false;
  return true;
}
