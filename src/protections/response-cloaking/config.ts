import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema, SecretSchema } from '../../config/common-schema.ts';

// No schema defaults below on purpose: with `merge`, a filled-in default on a route would override the global value.
// Defaults are applied when the configuration is compiled, and stated in each description.

/** The banner headers removed when `banners` is not set. */
export const DEFAULT_BANNERS: readonly string[] = ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version', 'x-runtime', 'x-generator'];

const KeepStart = Type.Integer({ minimum: 0, maximum: 64, description: 'With `mask`: letters and digits left visible at the start. Default 0.' });
const MaskChar = Type.String({ minLength: 1, maxLength: 2, description: 'With `mask`: the masking character. Default: the top-level `maskChar`.' });
const Placeholder = Type.String({ maxLength: 64, description: 'With `redact`: the replacement text. Default: the top-level `placeholder`.' });

const FieldRule = Type.Object({
  path: Type.String({
    minLength: 1, maxLength: 512,
    description: 'JSON path of the value: `$.owner.phone`, `$..email` (at any depth), `$.items[*].cardNumber`, `$.a[0]`, ' +
      '`$[\'odd key\']`. Compiled at load.',
  }),
  action: Type.Union([Type.Literal('mask'), Type.Literal('redact'), Type.Literal('hash'), Type.Literal('remove')], {
    description: '`mask`: masking characters except the last `keep`; `redact`: the placeholder text; `hash`: keyed HMAC-SHA-256 ' +
      '(hex, `hashLength` digits; needs `hashKey`), so equal values stay equal and can be joined; `remove`: the member (or array ' +
      'element) is dropped. On an object or array, mask/redact/hash apply to every string and number inside it.',
  }),
  keep: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: 'With `mask`: letters and digits left visible at the end. Default 0.' })),
  keepStart: Type.Optional(KeepStart),
  maskChar: Type.Optional(MaskChar),
  placeholder: Type.Optional(Placeholder),
}, { additionalProperties: false });

const DetectorAction = Type.Union([
  Type.Literal('mask'), Type.Literal('redact'), Type.Literal('hash'), Type.Literal('remove-field'), Type.Literal('flag-only'), Type.Literal('block'),
], {
  description: 'What happens to a match: `mask` (default), `redact`, `hash` (needs `hashKey`), `remove-field` (the JSON member ' +
    'or element holding it), `flag-only` (recorded, unchanged) or `block` (502 `response_sensitive_data`).',
});

const detectorProperties = (keepDefault: number) => ({
  action: Type.Optional(DetectorAction),
  keep: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: `With \`mask\`: letters and digits left visible at the end. Default ${keepDefault}.` })),
  keepStart: Type.Optional(KeepStart),
  maskChar: Type.Optional(MaskChar),
  placeholder: Type.Optional(Placeholder),
});

const Template = Type.String({
  minLength: 1, maxLength: 128,
  description: 'A template, not a regular expression: `#` a digit, `A` an ASCII letter, `X` a letter or digit, `{n}` after one of ' +
    'them repeats it n times (`#{6}`), `\\` makes the next character literal; any other character stands for itself. ' +
    'Matches whole tokens only (no letter or digit right before or after).',
});

const Context = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 32,
  description: 'When set, a match counts only if one of these words (compared without regard to ASCII case) appears in the 48 ' +
    'characters before it, in the same string (e.g. `account`, `계좌`).',
});

const CustomDetector = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, description: 'Name used in events (`custom:<name>`).' }),
  pattern: Type.Optional(Template),
  patterns: Type.Optional(Type.Array(Template, { minItems: 1, maxItems: 64, description: 'Several templates for one detector.' })),
  context: Type.Optional(Context),
  ...detectorProperties(0),
}, { additionalProperties: false });

const Detectors = Type.Object({
  cards: Type.Optional(Type.Object(detectorProperties(4), {
    additionalProperties: false,
    description: 'Payment card numbers: 13 to 19 digits, contiguous or in groups (`4111 1111 1111 1111`, `3782-822463-10005`), ' +
      'with a known issuer prefix (2, 3, 4, 5, 6, 9) and a valid Luhn check digit. Numbers failing the check are left alone.',
  })),
  residentNumbers: Type.Optional(Type.Object({
    ...detectorProperties(0),
    requireChecksum: Type.Optional(Type.Boolean({
      description: 'Korean resident (주민등록번호) and foreigner (외국인등록번호) registration numbers, `YYMMDD-GNNNNNC`: the birth date ' +
        'must be a real date and G 1 to 8. `true` (default): the check digit must be valid too. `false` (stricter, more matches): ' +
        'the check digit is not required, which also catches numbers issued since October 2020, whose last digits carry no check.',
    })),
  }, { additionalProperties: false, description: 'Korean resident and foreigner registration numbers, with or without the dash.' })),
  phones: Type.Optional(Type.Object({
    ...detectorProperties(4),
    mobile: Type.Optional(Type.Boolean({ description: 'Mobile numbers 010, 011, 016 to 019 (`010-1234-5678`, `01012345678`, `+82 10-1234-5678`). Default true.' })),
    landline: Type.Optional(Type.Boolean({ description: 'Landline and internet numbers: 02 (Seoul), 031 to 064 area codes, 070 (`02-123-4567`, `031-1234-5678`). Default true.' })),
  }, { additionalProperties: false, description: 'Korean telephone numbers, with dashes, dots, spaces or none.' })),
  emails: Type.Optional(Type.Object(detectorProperties(0), {
    additionalProperties: false, description: 'E-mail addresses (`local@domain.tld`).',
  })),
  bankAccounts: Type.Optional(Type.Object({
    patterns: Type.Array(Template, { minItems: 1, maxItems: 64, description: 'Account number layouts, e.g. `###-###-######` or `#{6}-##-#{6}`.' }),
    context: Type.Optional(Context),
    ...detectorProperties(0),
  }, { additionalProperties: false, description: 'Bank account numbers by the layouts your banks use.' })),
  custom: Type.Optional(Type.Array(CustomDetector, {
    maxItems: 64, description: 'Your own detectors, each `{ name, pattern | patterns, context?, action?, keep?, ... }`: templates as ' +
      'for `bankAccounts` (`#` digit, `A` letter, `X` either, `{n}` repeat); events name them `custom:<name>`.',
  })),
}, {
  additionalProperties: false,
  description: 'Sensitive values found wherever they appear in JSON strings (keys and values), JSON numbers, `text/plain` and ' +
    '`text/html` bodies. Each detector present is on; its `action` says what happens to a match.',
});

export const ResponseCloakingConfigSchema = protectionConfigSchema({
  fields: Type.Optional(Type.Array(FieldRule, {
    maxItems: 512,
    description: 'Rules for JSON response fields, each `{ path, action, keep?, keepStart?, maskChar?, placeholder? }`: `path` a JSON ' +
      'path (`$.owner.phone`, `$..email`, `$.items[*].cardNumber`, `$.a[0]`); `action` `mask` (letters and digits masked except ' +
      'the last `keep`, default 0; punctuation stays), `redact` (the placeholder), `hash` (keyed HMAC-SHA-256, joinable; needs ' +
      '`hashKey`) or `remove`. The first rule whose path selects a value applies (to every string and number inside an object or ' +
      'array); detectors then leave that value alone.',
  })),
  detectors: Type.Optional(Detectors),
  schemas: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Unknown(), {
    description: 'Response JSON Schemas (OpenAPI 3.0/3.1 style, `$ref` already resolved) by status: `"200"`, `"2XX"` or `default` ' +
      '(the most specific present applies). `writeOnly` properties are always removed; with `removeUndocumented`, so is every ' +
      'member the schema does not declare.',
  })),
  removeUndocumented: Type.Optional(Type.Boolean({
    description: 'With `schemas`: remove object members the response schema does not declare (`properties`; `additionalProperties` ' +
      'true or a schema keeps the others; `allOf`/`anyOf`/`oneOf` keep what any branch declares). Default false.',
  })),
  errors: Type.Optional(Type.Object({
    replace5xx: Type.Optional(Type.Boolean({
      description: 'Replace a 5xx response whose body carries a stack trace (Java, Python, Node, .NET, PHP, Go, Ruby), an SQL error ' +
        '(MySQL, PostgreSQL, Oracle, SQL Server, SQLite) or a framework debug page with a generic problem+json of the same status ' +
        '(reason `error_details_hidden`). Default false. Buffers every response of the route.',
    })),
    replaceAll: Type.Optional(Type.Boolean({ description: 'With `replace5xx`: replace every 5xx body, leak or not. Default false.' })),
  }, { additionalProperties: false, description: 'Upstream error pages that leak internals.' })),
  banners: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
    maxItems: 64,
    description: 'Response headers removed because they advertise the upstream\'s software. Default: `Server`, `X-Powered-By`, ' +
      '`X-AspNet-Version`, `X-AspNetMvc-Version`, `X-Runtime`, `X-Generator`; `[]` keeps them all. Head only: costs no buffering.',
  })),
  hashKey: Type.Optional(Type.Union(SecretSchema.anyOf, { description: 'Key of the `hash` action (HMAC-SHA-256), at least 32 bytes: a string, `{ env: NAME }` or `{ file: PATH }` (mode 0600 or 0400). Never logged.' })),
  hashLength: Type.Optional(Type.Integer({ minimum: 8, maximum: 64, description: 'Hex digits kept of each hash. Default 16 (64 bits).' })),
  maskChar: Type.Optional(Type.String({ minLength: 1, maxLength: 2, description: 'Masking character. Default `*`.' })),
  placeholder: Type.Optional(Type.String({ maxLength: 64, description: 'Text put in place of a redacted value. Default `[redacted]`.' })),
  invalidBody: Type.Optional(Type.Union([Type.Literal('pass'), Type.Literal('block')], {
    description: 'A body with a JSON content type that does not parse, or with a charset other than UTF-8/US-ASCII: `pass` (default) ' +
      'forwards it with a `response_json_invalid` or `response_charset_unsupported` event (detectors still run on invalid JSON ' +
      'as text); `block` answers 502 with that reason.',
  })),
}, 'Rewrites responses so that they leak less: masks, hashes or removes JSON fields by path, finds card numbers, Korean ' +
  'resident and phone numbers, e-mails, bank accounts and custom values anywhere in JSON, text and HTML bodies, removes ' +
  'fields the response schema does not declare, replaces 5xx pages that carry stack traces or SQL errors, and removes ' +
  'banner headers. Runs by default with banner removal only (no buffering).');

export type ResponseCloakingConfig = Static<typeof ResponseCloakingConfigSchema>;
export type FieldRuleConfig = Static<typeof FieldRule>;
export type DetectorsConfig = Static<typeof Detectors>;
