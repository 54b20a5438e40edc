import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';
import { CH_EQUALS, CH_PAREN } from '../../value-chars.ts';

/**
 * LDAP filter injection (RFC 4515 filters).
 *
 * The value is scanned as filter text with a parenthesis depth that starts at zero, the way it sits inside the
 * application's own filter `(uid=VALUE)`:
 * - a `)` that closes more than the value opened, followed by a new filter component, an attribute assertion
 *   `(attr=...)`, `(attr>=...)`, `(attr~=...)`, or an operator `(|`, `(&`, `(!` (also `)&(`, `)|(`, `)!(`), breaks out
 *   of the application's filter: the attack. A `)` followed by a NUL byte cuts the rest of the filter.
 * - a filter written whole (`(|(objectClass=*))`, `*(|(uid=*))`) is the attack when it probes: an operator group
 *   with a presence test (`attr=*`), a bogus always-true/false assertion (`(1=0)`), or an assertion on a credential
 *   attribute (`userPassword`, also through an extensible match `userPassword:2.5.13.18:=x`). Other whole filters
 *   (an admin tool's `(&(objectCategory=computer)(...))`) are paranoia 2/3.
 * Parentheses in prose (`(see above)`, `(a)(b)`, `1) a-b=c`) have no attribute assertions and give nothing.
 */

const CREDENTIAL_ATTRS = new Set([
  'userpassword', 'unicodepwd', 'sambantpassword', 'sambalmpassword', 'authpassword', 'ntpassword', 'lmpassword',
  'password', 'pwd', 'userpkcs12', 'krbprincipalkey', 'supplementalcredentials', 'dbcspwd', 'ntpwdhistory',
  'lmpwdhistory', 'ms-mcs-admpwd', 'msds-managedpassword',
]);

interface Assertion {
  attr: string;
  extensible: boolean;
  presence: boolean;
  numeric: boolean; // attribute name of digits only: `(1=0)`
  end: number; // index after the operator
}

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
function skipSpace(v: string, i: number): number {
  while (i < v.length && isSpace(v.charCodeAt(i))) i++;
  return i;
}

/** An OID `1.2.840.113556.1.4.803` or a descriptor `cn`, `objectClass;binary`; returns the end index or -1. */
function readAttr(v: string, i: number): number {
  const c = v.charCodeAt(i);
  let j = i;
  if (isAlpha(c)) {
    while (j < v.length && j - i < 64 && (isAlpha(v.charCodeAt(j)) || isDigit(v.charCodeAt(j)) || v.charCodeAt(j) === 45)) j++;
    while (v.charCodeAt(j) === 59 /* ; option */) {
      const k = j + 1;
      j = k;
      while (j < v.length && j - k < 32 && (isAlpha(v.charCodeAt(j)) || isDigit(v.charCodeAt(j)) || v.charCodeAt(j) === 45)) j++;
      if (j === k) return -1;
    }
    return j;
  }
  if (isDigit(c)) {
    while (j < v.length && j - i < 64 && (isDigit(v.charCodeAt(j)) || v.charCodeAt(j) === 46)) j++;
    return v.charCodeAt(j - 1) === 46 ? -1 : j;
  }
  return -1;
}

/** An attribute assertion starting at `i` (just after `(` and spaces), or undefined. */
function readAssertion(v: string, i: number): Assertion | undefined {
  const a = readAttr(v, i);
  if (a < 0) return undefined;
  let j = a;
  let extensible = false;
  // extensible match: attr[:dn][:rule]:=value
  if (v.charCodeAt(j) === 58) {
    let k = j;
    for (let parts = 0; parts < 2 && v.charCodeAt(k) === 58 && v.charCodeAt(k + 1) !== 61; parts++) {
      const e = readAttr(v, k + 1);
      if (e < 0) return undefined;
      k = e;
    }
    if (v.charCodeAt(k) !== 58 || v.charCodeAt(k + 1) !== 61) return undefined;
    extensible = true;
    j = k + 2;
  } else {
    j = skipSpace(v, j);
    const c = v.charCodeAt(j);
    if (c === 61) j += 1;
    else if ((c === 126 || c === 62 || c === 60) && v.charCodeAt(j + 1) === 61) j += 2; // ~= >= <=
    else return undefined;
  }
  const attr = v.slice(i, a).toLowerCase(); // only now that the assertion is whole: prose words cost nothing
  const presence = v.charCodeAt(j) === 42 && (j + 1 >= v.length || v.charCodeAt(j + 1) === 41);
  let numeric = true;
  for (let k = 0; k < attr.length; k++) if (!isDigit(attr.charCodeAt(k))) numeric = false;
  return { attr, extensible, presence, numeric, end: j };
}

function excerpt(v: string, at: number): string {
  const s = Math.max(0, at - 30);
  return v.slice(s, s + 120);
}

function isOp(c: number): boolean {
  return c === 38 || c === 124 || c === 33; // & | !
}

/**
 * Whether the detector can find anything in the value; false lets most values go after one or two searches.
 * - Every attribute assertion (in parentheses, or an extensible match `attr:rule:=x`) has a `=`, and every finding
 *   but three rests on one: the credential probe, the filter probe (its presence test or bogus assertion), the
 *   extensible match and the operator-group filter.
 * - The three others need a `)` the value did not open: the NUL truncation (`)` then NUL), the breakout without a
 *   `=` (an operator `&`, `|` or `!` after the `)`, before a `(` or at the end) and the wildcard close (`*)` at the
 *   end; the depth never goes below zero).
 * - With a `=`, the scan itself needs a parenthesis or a `:=` to find anything.
 */
function mayMatch(v: string): boolean {
  // a short value (keys, numbers) is read once rather than searched twice
  if (v.length <= 8 && !hasCloseOrEquals(v)) return false;
  const close = v.indexOf(')');
  if (v.indexOf('=') === -1) {
    if (close === -1) return false;
    if (v.endsWith('*)')) return true;
    // `)` then NUL, or an operator, after the first `)`: one native search rather than one per character
    AFTER_CLOSE.lastIndex = close;
    return AFTER_CLOSE.test(v);
  }
  return close !== -1 || v.indexOf('(') !== -1 || v.indexOf(':=') !== -1;
}

/** `)` or `=` in `v`: every rule needs one (see mayMatch). */
function hasCloseOrEquals(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 41 || c === 61) return true;
  }
  return false;
}

/** What the breakout and NUL rules need after a `)`: `)` then NUL, or an operator `&`, `|`, `!`. */
const AFTER_CLOSE = /\)\0|[&|!]/g;

export const ldapiDetector: Detector = {
  category: 'ldapi',
  needs: CH_PAREN | CH_EQUALS, // every rule needs a `)` or an `=` (see mayMatch)
  detect(value: string, _context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 3 || !mayMatch(value)) return;
    const found = (ruleId: string, paranoia: 1 | 2 | 3, score: number, message: string, at: number): void => {
      report({ ruleId, category: 'ldapi', paranoia, score, message, matched: excerpt(value, at) });
    };
    let depth = 0;
    let opGroup = -1;
    let presence = false;
    let bogus = false;
    let credential = -1;
    let extensible = -1;
    let assertions = 0;
    const n = value.length;
    // Only `(`, `)` and the `:` of `:=` do anything: jump from one to the next (in order) rather than visit every
    // character. Each cursor is the next occurrence at or after the current position, -1 when there is none.
    let nextOpen = value.indexOf('(');
    let nextClose = value.indexOf(')');
    let nextAssign = value.indexOf(':=');
    for (;;) {
      let i = n;
      if (nextOpen !== -1) i = nextOpen;
      if (nextClose !== -1 && nextClose < i) i = nextClose;
      if (nextAssign !== -1 && nextAssign < i) i = nextAssign;
      if (i === n) break;
      if (i === nextOpen) nextOpen = value.indexOf('(', i + 1);
      else if (i === nextClose) nextClose = value.indexOf(')', i + 1);
      else nextAssign = value.indexOf(':=', i + 1);
      const c = value.charCodeAt(i);
      if (c === 40) { // (
        depth++;
        const k = skipSpace(value, i + 1);
        let at = k;
        if (isOp(value.charCodeAt(k))) {
          const after = skipSpace(value, k + 1);
          if (value.charCodeAt(after) === 40) {
            if (opGroup < 0) opGroup = i;
            continue;
          }
          at = after; // a malformed `(|attr=x)` is still read as an assertion
        }
        const a = readAssertion(value, at);
        if (a) {
          assertions++;
          if (a.presence) presence = true;
          if (a.numeric && !a.attr.includes('.')) bogus = true;
          if (CREDENTIAL_ATTRS.has(a.attr) && credential < 0) credential = i;
          if (a.extensible && extensible < 0) extensible = i;
        }
        continue;
      }
      if (c === 41) { // )
        if (depth > 0) { depth--; continue; }
        // A `)` the value did not open: does a new filter component follow?
        if (value.charCodeAt(i + 1) === 0) {
          found('ldapi-null-truncation', 1, SCORE.critical, 'LDAP filter closed and cut with a NUL byte', i);
          return;
        }
        let k = skipSpace(value, i + 1);
        let viaOp = false;
        if (isOp(value.charCodeAt(k))) { viaOp = true; k = skipSpace(value, k + 1); }
        if (value.charCodeAt(k) === 40) {
          let m = skipSpace(value, k + 1);
          while (value.charCodeAt(m) === 40 && m - k < 16) m = skipSpace(value, m + 1);
          if (isOp(value.charCodeAt(m)) || readAssertion(value, m)) {
            found('ldapi-filter-breakout', 1, SCORE.critical, 'value closes the LDAP filter and opens a new component', i);
            return;
          }
        } else if (viaOp && k >= n) {
          found('ldapi-filter-breakout', 1, SCORE.critical, 'value closes the LDAP filter and appends an operator', i);
          return;
        }
        continue;
      }
      if (c === 58 && value.charCodeAt(i + 1) === 61 && extensible < 0) {
        // `attr:rule:=value` outside parentheses (the application supplies them)
        let s = i - 1;
        while (s >= 0 && (isAlpha(value.charCodeAt(s)) || isDigit(value.charCodeAt(s)) || value.charCodeAt(s) === 46 || value.charCodeAt(s) === 58 || value.charCodeAt(s) === 45 || value.charCodeAt(s) === 59)) s--;
        const a = readAssertion(value, s + 1);
        if (a && a.extensible) {
          extensible = s + 1;
          if (CREDENTIAL_ATTRS.has(a.attr) && credential < 0) credential = s + 1;
        }
      }
    }
    if (credential >= 0 && (assertions > 0 || extensible >= 0)) {
      found('ldapi-credential-probe', 1, SCORE.critical, 'LDAP assertion on a credential attribute', credential);
      return;
    }
    if (opGroup >= 0 && (presence || bogus)) {
      found('ldapi-filter-probe', 1, SCORE.critical, presence ? 'LDAP filter with an operator group and a presence test' : 'LDAP filter with a bogus always-true/false assertion', opGroup);
      return;
    }
    if (extensible >= 0) {
      found('ldapi-extensible-match', 3, SCORE.warning, 'LDAP extensible-match assertion', extensible);
      return;
    }
    if (opGroup >= 0 && assertions > 0) {
      found('ldapi-filter', 3, SCORE.warning, 'LDAP filter with an operator group', opGroup);
      return;
    }
    if (depth < 0 || (value.endsWith('*)') && assertions === 0)) {
      found('ldapi-wildcard-close', 3, SCORE.notice, 'wildcard followed by a closing parenthesis', value.length - 2);
    }
  },
};
