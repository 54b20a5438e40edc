import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema } from '../../config/common-schema.ts';

// No schema defaults on purpose: with `merge`, a filled-in default on a route would override the global value.
// Defaults are applied when the configuration is compiled, and stated in each description.

const JsonSchema = (description: string) => Type.Unknown({ description });

const ParameterSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256, description: 'Parameter name: the `{name}` of the route\'s path template, the query parameter, the header (any case) or the cookie.' }),
  in: Type.Union([Type.Literal('path'), Type.Literal('query'), Type.Literal('header'), Type.Literal('cookie')], { description: 'Where the parameter is: `path`, `query`, `header` or `cookie`.' }),
  required: Type.Optional(Type.Boolean({ description: 'The request is refused when the parameter is absent. Default false (path parameters are always present once the route matched).' })),
  schema: Type.Optional(JsonSchema('JSON Schema (2020-12) of the value after decoding and type coercion: `12` becomes an integer when the schema allows integers. `$ref`s point into the schema\'s own `$defs`.')),
  style: Type.Optional(Type.Union(['simple', 'label', 'form', 'spaceDelimited', 'pipeDelimited', 'deepObject'].map((s) => Type.Literal(s)), {
    description: 'OpenAPI serialisation of arrays and objects: `simple` (path, header; default there), `label` (path), `form` (query, cookie; default there), `spaceDelimited`, `pipeDelimited`, `deepObject` (query).',
  })),
  explode: Type.Optional(Type.Boolean({ description: 'OpenAPI `explode`: default true for `form`, false otherwise. Exploded form arrays are repeated parameters (`?id=1&id=2`).' })),
  allowEmptyValue: Type.Optional(Type.Boolean({ description: 'Query only: an empty value (`?flag=`) is accepted without checking the schema. Default false.' })),
  json: Type.Optional(Type.Boolean({ description: 'The value is JSON text (OpenAPI `content: application/json`), parsed under the structure limits before the schema is checked.' })),
}, { additionalProperties: false });

const MediaTypeSchema = Type.Object({
  schema: Type.Optional(JsonSchema('JSON Schema (2020-12) of the body. Checked for JSON media types (`application/json`, `*/*+json`); other media types are only accepted or refused by their Content-Type.')),
}, { additionalProperties: false });

const Int = (minimum: number, maximum: number, description: string) => Type.Optional(Type.Integer({ minimum, maximum, description }));

const LimitsSchema = Type.Object({
  maxDepth: Int(1, 1000, 'Deepest nesting of objects and arrays in a JSON body. Default 64.'),
  maxKeys: Int(1, 10_000_000, 'Most object members in one JSON body, all objects together. Default 50000.'),
  maxArrayLength: Int(1, 10_000_000, 'Most items in one JSON array. Default 50000.'),
  maxStringLength: Int(1, 1_073_741_824, 'Longest JSON string or member name, in UTF-16 code units. Default 524288 (512 Ki).'),
  maxNumberLength: Int(1, 10_000, 'Longest number literal, in characters. Default 64.'),
  allowUnsafeIntegers: Type.Optional(Type.Boolean({ description: 'Integer literals beyond ±(2^53 - 1), which many JSON parsers round without notice (so the gateway and the backend would read different numbers). Unset: refused (with numbers beyond a double) where a schema validates the body, forwarded and flagged json_unsafe_number elsewhere; false: refused everywhere; true: accepted.' })),
  maxBodyBytes: Int(0, 1_073_741_824, 'Largest JSON body, in bytes (the route\'s `limits.maxBodyBytes` applies to every body anyway). Default: no limit of its own.'),
}, {
  additionalProperties: false,
  description: 'Structure limits, checked on every inspected JSON body (`application/json`, `*/*+json`) while it is parsed, with or without a schema: on a route that declares `body`, and on every route where the body is buffered for another protection (attack detection buffers every body by default). ' +
    'Duplicate member names, invalid UTF-8, escaped lone surrogates, numbers too large to represent and anything that is not strict JSON are always refused. ' +
    'A route\'s `limits` block replaces the global one as a whole.',
});

export const RequestValidationConfigSchema = protectionConfigSchema({
  parameters: Type.Optional(Type.Array(ParameterSchema, {
    maxItems: 1000,
    description: 'Route only. Parameters checked before the body is read: missing required ones, values that fail their schema, and primitive parameters given twice are refused (400 `request_invalid`).',
  })),
  body: Type.Optional(Type.Object({
    required: Type.Optional(Type.Boolean({ description: 'A request without a body is refused. Default false.' })),
    content: Type.Record(Type.String({ minLength: 1 }), MediaTypeSchema, {
      description: 'Accepted media types (`application/json`, `application/*`, `*/*`), each with an optional schema. A body of another type gets 415 `unsupported_media_type`; `{}` accepts no body at all.',
    }),
  }, { additionalProperties: false, description: 'Route only. The request body the route accepts.' })),
  unknownFields: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('allow')], {
    description: '`reject` (the default): object members a schema does not declare are refused, as if every object schema that says nothing about other members had `unevaluatedProperties: false`. `allow`: plain JSON Schema semantics.',
  })),
  undocumentedEndpoint: Type.Optional(Type.Boolean({
    description: 'Route only. Every request this route gets is recorded as a `undocumented_endpoint` flag (and forwarded): the catch-all route of an OpenAPI import in learning mode, to discover endpoints the description lacks.',
  })),
  maxErrors: Int(1, 100, 'Most failing fields listed in one reply and event. Default 20.'),
  limits: Type.Optional(LimitsSchema),
}, 'Request validation: parameters and JSON bodies against JSON Schemas (usually imported from OpenAPI), and structure limits on every JSON body.');

export type RequestValidationConfig = Static<typeof RequestValidationConfigSchema>;
export type ParameterConfig = Static<typeof ParameterSchema>;
