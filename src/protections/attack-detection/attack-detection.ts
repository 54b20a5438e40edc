import { defineProtection, type CreateContext } from '../../pipeline/protection.ts';
import { block, flag, pass, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { CATEGORIES, type Category, type InspectedInput, type Paranoia } from '../../inspect/finding.ts';
import { DETECTORS } from '../../inspect/detect/index.ts';
import { anomalyScore, FindingMemo, inspectInputs, InspectionTimeExceeded, type CategorySettings, type EngineSettings, type Match } from '../../inspect/engine.ts';
import { decodedVariantsIfAny } from '../../inspect/decode/variants.ts';
import { crossSiteSessionParameter } from '../../inspect/detect/session-fixation/session-fixation.ts';
import { AttackDetectionConfigSchema, type AttackDetectionConfig } from './config.ts';
import { compileExclusions } from './exclusions.ts';
import { headInputs, bodyInputs } from './request-inputs.ts';
import { headerSelection } from '../../inspect/extract/headers.ts';
import { hostName } from '../../http/request-head.ts';
import { siteOf } from '../../http/site.ts';
import { findUrls } from '../../inspect/detect/ssrf/url.ts';

const DEFAULT_MAX_BODY = 1024 * 1024;
// (a catalog sync of 2,500 products is 20,000 inputs, inspected in 60 to 220 ms; maxInspectionMs bounds the rest)
const DEFAULT_MAX_INPUTS = 20_000;
// (as long as the longest body inspected: a 400 KB CSV upload, one text file, was refused at 256 KiB; maxInspectionMs
// bounds what a value made to be slow may cost)
const DEFAULT_MAX_VALUE = 1024 * 1024;
/**
 * Inspection time per phase. Ordinary bodies take well under 10 ms; a 1 MiB JSON body of a hundred orders with prose
 * notes took 60–100 ms once the code was warm (230 ms cold) on the development machine, a slower one may take two or
 * three times that. The costliest values found take about 1 µs per byte at paranoia 1 and 3.5 µs at paranoia 3, and
 * the quadratic inputs fixed on 2026-11-28 took seconds to minutes: the limit is for those, past what real bodies
 * need.
 */
const DEFAULT_MAX_INSPECTION_MS = 500;

/**
 * Attack detection: the application-protection protection.
 *
 * Protects against: injection (SQL, NoSQL, OS command, LDAP, template, JNDI), XSS, path traversal and file
 * inclusion, SSRF, XXE, CRLF and header injection, prototype pollution, Java and PHP code injection, scanners.
 * Phases: request head (path segments, query names and values, cookies, selected headers) and request body
 * (parsed by its Content-Type: JSON, form, multipart, XML, GraphQL, text). Buffers the request body, capped
 * by `maxInspectedBodyBytes` (larger bodies are refused, never partly inspected). Every input is decoded in
 * layers (percent, entities, escapes, Unicode) and every distinct form goes through every detector.
 * The score of a request is kept across its two phases.
 */
export const attackDetection = defineProtection<AttackDetectionConfig>({
  name: 'attack-detection',
  key: 'attackDetection',
  schema: AttackDetectionConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: detectors and exclusions are compiled in every worker',
  defaultConfig: {},
  create(config, context) {
    const settings = compileSettings(config, context);
    const threshold = config.threshold ?? 5;
    const limits = {
      maxInputs: config.maxInputs ?? DEFAULT_MAX_INPUTS,
      maxValueBytes: config.maxValueBytes ?? DEFAULT_MAX_VALUE,
      maxBodyBytes: config.maxInspectedBodyBytes ?? DEFAULT_MAX_BODY,
    };
    // Every header but the framing, credential and opaque ones, and those the policy skips: decided once.
    const inspectedHeaders = headerSelection({ all: true, skip: config.skipHeaders ?? [] });
    const inspectBody = config.inspectBody !== false;
    const uninspected = (config.uninspectedBodyTypes ?? []).map((t) => t.toLowerCase());
    const unknownBodyTypes = config.unknownBodyTypes ?? 'reject';
    /** Matches of the head phase, kept for the body phase of the same request. */
    const headMatches = new WeakMap<Exchange, Match[]>();

    function decide(exchange: Exchange, inputs: readonly InspectedInput[], earlier: readonly Match[]): Verdict {
      if (inputs.length > limits.maxInputs) {
        return block(400, 'too_many_inputs', { detail: { message: `${inputs.length} inputs, at most ${limits.maxInputs} are inspected` } });
      }
      for (const input of inputs) {
        if (input.value.length > limits.maxValueBytes) {
          return block(413, 'input_too_large_to_inspect', { detail: { location: input.location, message: `a value longer than ${limits.maxValueBytes} characters` } });
        }
      }
      let found: Match[];
      try {
        found = inspectInputs(inputs, settings);
      } catch (error) {
        if (!(error instanceof InspectionTimeExceeded)) throw error;
        return block(503, 'inspection_time_exceeded', { detail: { message: `inspection stopped after ${error.elapsedMs.toFixed(0)} ms; the limit is ${settings.maxInspectionMs} ms` } });
      }
      found = withoutOwnSiteIncludes(found, exchange.header('host'));
      const matches = earlier.length === 0 ? found : [...earlier, ...found];
      if (matches.length === 0) return pass();
      headMatches.set(exchange, matches);
      const score = anomalyScore(matches, settings.categories);
      const top = strongest(matches, settings.categories);
      const detail = {
        ruleId: top.ruleId,
        location: top.location,
        excerpt: top.matched,
        message: `score ${score}/${threshold}: ${matches.map((m) => `${m.ruleId}@${m.location}`).slice(0, 10).join(', ')}`,
        matches: matches.slice(0, MAX_LOGGED_MATCHES).map((m) => ({ ruleId: m.ruleId, category: m.category, location: m.location })),
      };
      if (score >= threshold) return block(403, `${top.category.replaceAll('-', '_')}_detected`, { detail });
      return flag(`${top.category.replaceAll('-', '_')}_suspected`, detail);
    }

    // Credentials and cache validators are not inspected as inputs, but applications log a Basic user name, a
    // bearer token or an ETag as they come: Log4Shell lookups are looked for there (scanners spray every header).
    const lookupSettings: EngineSettings | undefined = settings.categories.has('jndi')
      ? { ...settings, detectors: settings.detectors.filter((d) => d.category === 'jndi'), cache: undefined }
      : undefined;

    /** Findings about the request as a whole rather than one value: a session id in a link from another site. */
    function requestMatches(exchange: Exchange): Match[] {
      const lookups = lookupSettings === undefined ? [] : credentialLookups(exchange, lookupSettings);
      if (!settings.categories.has('session-fixation')) return lookups;
      const finding = crossSiteSessionParameter(exchange.query, exchange.header('referer'), exchange.header('host'));
      if (finding === undefined) return lookups;
      const { parameter, ...rest } = finding;
      const location = `query:${parameter}`;
      if (settings.isExcluded(rest.ruleId, rest.category, location)) return lookups;
      return [...lookups, { ...rest, location, layers: [] }];
    }

    return {
      needs: { requestBody: inspectBody, maxRequestBodyBytes: limits.maxBodyBytes },
      onRequestHead(exchange) {
        const inputs = headInputs(exchange, inspectedHeaders, limits.maxInputs);
        if ('problem' in inputs) return block(inputs.problem.status, inputs.problem.reason, { detail: { message: inputs.problem.message } });
        // A flagged head carries its matches into the body phase, where the score goes on adding up.
        return decide(exchange, inputs, requestMatches(exchange));
      },
      onRequestBody(exchange, body) {
        // Bodies over maxInspectedBodyBytes never get here: the pipeline refuses them before reading (413).
        if (body.length === 0) return pass();
        const extracted = bodyInputs(exchange.header('content-type'), body, { unknownBodyTypes, uninspected, maxInputs: limits.maxInputs });
        if ('problem' in extracted) {
          return block(extracted.problem.status, extracted.problem.reason, { detail: { location: 'body', message: extracted.problem.message } });
        }
        if (extracted.inputs === null) return pass(); // a media type the policy forwards uninspected
        const earlier = headMatches.get(exchange) ?? [];
        return decide(exchange, extracted.inputs, earlier);
      },
    };
  },
});

/**
 * The remote includes that name a page of the request's own site (`page=https://shop.example.co.kr/order?x=1` sent
 * to shop.example.co.kr: an error logger, a feedback widget or an "email this page" form naming the page it was on)
 * dropped: an include of the site's own pages runs nothing the attacker wrote. A URL cut by `?` or a NUL, a script
 * on a raw address and the other RFI rules still count, as does any other site's URL.
 */
function withoutOwnSiteIncludes(found: Match[], host: string | undefined): Match[] {
  if (host === undefined || !found.some((m) => m.ruleId === 'rfi-remote-include')) return found;
  const own = siteOf(hostName(host));
  return found.filter((m) => m.ruleId !== 'rfi-remote-include' || urlSite(m.matched) !== own);
}

/** The site of the host of the URL `text` starts with, read by the parser the RFI detector found it with. */
function urlSite(text: string): string | undefined {
  const host = findUrls(text, 1)[0]?.hosts[0];
  return host === undefined ? undefined : siteOf(host);
}

/** Headers that are not inputs (credentials, opaque validators) but are searched for Log4Shell lookups. */
const LOOKUP_ONLY_HEADERS = ['authorization', 'proxy-authorization', 'if-none-match', 'if-match'];

/**
 * Log4Shell lookups in the credential and validator headers, and in a Basic credential's decoded `user:password`
 * (located at the header, so that events redact the excerpt). Only values with a `$` or `%` in them are read.
 */
function credentialLookups(exchange: Exchange, settings: EngineSettings): Match[] {
  let inputs: InspectedInput[] | undefined;
  for (const name of LOOKUP_ONLY_HEADERS) {
    const value = exchange.header(name);
    if (value === undefined) continue;
    const location = `header:${name}`;
    if (value.includes('$') || value.includes('%')) (inputs ??= []).push({ source: 'header', name, location, value });
    if (name.endsWith('authorization') && value.length > 6 && value.slice(0, 6).toLowerCase() === 'basic ') {
      const decoded = Buffer.from(value.slice(6).trim(), 'base64').toString('latin1');
      if (decoded.includes('$') || decoded.includes('%')) (inputs ??= []).push({ source: 'header', name, location, value: decoded });
    }
  }
  return inputs === undefined ? [] : inspectInputs(inputs, settings);
}

/** Findings written into one security event (`matches`): a request may carry hundreds. */
const MAX_LOGGED_MATCHES = 32;

/** The engine settings the protection runs with (exported for the micro-benchmark, which measures the same path). */
export function compileSettings(config: AttackDetectionConfig, context: CreateContext): EngineSettings {
  const base: Paranoia = config.paranoia ?? 1;
  const maxInspectionMs = config.maxInspectionMs ?? DEFAULT_MAX_INSPECTION_MS;
  const categories = new Map<Category, CategorySettings>();
  let highest: Paranoia = 1;
  for (const category of CATEGORIES) {
    const own = config.categories?.[category];
    if (own?.enabled === false) continue;
    const paranoia = own?.paranoia ?? base;
    if (paranoia > highest) highest = paranoia;
    categories.set(category, { paranoia, monitor: own?.mode === 'monitor' });
  }
  return {
    detectors: DETECTORS.filter((d) => categories.has(d.category)),
    categories,
    paranoia: highest,
    variants: (value, chars) => decodedVariantsIfAny(value, undefined, chars),
    isExcluded: compileExclusions(config.exclusions ?? [], context),
    cache: new FindingMemo(),
    ...(maxInspectionMs > 0 ? { maxInspectionMs } : {}),
  };
}

/** The match that names the verdict: highest score among counted categories, then the first found. */
function strongest(matches: readonly Match[], categories: ReadonlyMap<Category, CategorySettings>): Match {
  let best = matches[0]!;
  for (const match of matches) {
    const counted = !categories.get(match.category)?.monitor;
    const bestCounted = !categories.get(best.category)?.monitor;
    if ((counted && !bestCounted) || (counted === bestCounted && match.score > best.score)) best = match;
  }
  return best;
}
