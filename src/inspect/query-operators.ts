/**
 * MongoDB-style query operators, shared by the JSON extractor (which reads an operator key together with the member
 * that holds it: `price[$gte]`) and the NoSQL injection detector (which judges it). Lower case.
 */

/** Operators that change what a query matches (query, logical, element, evaluation, array), MongoDB's and Strapi's. */
export const STRONG_QUERY_OPERATORS: ReadonlySet<string> = new Set([
  '$ne', '$gt', '$gte', '$lt', '$lte', '$nin', '$regex', '$where', '$exists', '$or', '$and', '$nor', '$not', '$expr',
  '$elemmatch', '$jsonschema', '$function', '$accumulator', '$options', '$size', '$all', '$mod', '$text',
  '$bitsallset', '$bitsanyset', '$bitsallclear', '$bitsanyclear', '$lookup', '$unionwith',
  '$merge', '$out', '$geowithin', '$near',
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
