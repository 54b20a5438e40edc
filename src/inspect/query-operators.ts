/**
 * MongoDB-style query operators, shared by the JSON extractor (which reads an operator key together with the member
 * that holds it: `price[$gte]`) and the NoSQL injection detector (which judges it). Lower case.
 */

/** Operators that change what a query matches (query, logical, element, evaluation, array), MongoDB's and Strapi's. */
export const STRONG_QUERY_OPERATORS: ReadonlySet<string> = new Set([
  '$ne', '$gt', '$gte', '$lt', '$lte', '$nin', '$regex', '$where', '$exists', '$or', '$and', '$nor', '$not', '$expr',
  '$elemmatch', '$jsonschema', '$function', '$accumulator', '$options', '$size', '$all', '$mod', '$text',
  '$bitsallset', '$bitsanyset', '$bitsallclear', '$bitsanyclear', '$lookup', '$unionwith',
  '$merge', '$out', '$geowithin', '$near', '$graphlookup',
  // Strapi's filter operators (`filters[resetPasswordToken][$notNull]=true`, `filters[password][$startsWith]=a`)
  '$eqi', '$nei', '$notin', '$contains', '$notcontains', '$containsi', '$notcontainsi', '$null', '$notnull',
  '$between', '$startswith', '$startswithi', '$endswith', '$endswithi',
]);

/**
 * Operators that cannot widen a match much on their own, and that also name ordinary members: `$type` is Json.NET's
 * type metadata (`{"$type": "Order", "$id": "1"}`).
 */
export const WEAK_QUERY_OPERATORS: ReadonlySet<string> = new Set(['$eq', '$in', '$type']);

/** Whether a member name (any case) is a query operator, strong or weak. */
export function isQueryOperator(key: string): boolean {
  if (key.charCodeAt(0) !== 36 || key.length > 16) return false; // (`$notcontainsi`, the longest, has 14)
  const lower = key.toLowerCase();
  return STRONG_QUERY_OPERATORS.has(lower) || WEAK_QUERY_OPERATORS.has(lower);
}

/** Field names of secrets (read lower case with `_` and `-` dropped): an operator that reads one a piece at a time is the injection. */
const SECRET_FIELD_WORDS = ['pass', 'pwd', 'secret', 'token', 'apikey', 'otp', 'hash'];

/** Whether a member or parameter name segment names a secret (`password`, `reset_password_token`, `apiKey`). */
export function isSecretField(segment: string): boolean {
  if (segment.charCodeAt(0) === 36 || segment.length > 64) return false;
  const f = segment.toLowerCase().replace(/[-_]/g, '');
  for (const w of SECRET_FIELD_WORDS) if (f.includes(w)) return true;
  return false;
}

/**
 * Filter operators without `$` of Prisma, Sequelize, TypeORM-style and LoopBack JSON filters that compare or match
 * part of a value (`{"where": {"password": {"startsWith": "a"}}}`): on a secret they read it a character at a
 * time. Not `not`, `in` or `equals`, which settings and validation rules also use as member names. Lower case.
 */
const JSON_FILTER_OPERATORS: ReadonlySet<string> = new Set(['startswith', 'endswith', 'contains', 'icontains', 'regexp',
  'regex', 'like', 'ilike', 'gt', 'gte', 'lt', 'lte']);

/** Whether a member name is a JSON filter operator that reads a secret piece by piece when its holder is one. */
export function isJsonFilterOperator(key: string): boolean {
  return key.length <= 10 && JSON_FILTER_OPERATORS.has(key.toLowerCase());
}
