/**
 * HTML character references as a browser's tokenizer reads them (WHATWG HTML §13.2.5.72-80), for the references
 * that matter to attacks: a compact table of named references (punctuation, quotes, white space, invisible
 * characters), the legacy names a browser decodes even without `;` (`&lt` `&gt` `&amp` `&quot`, as a prefix:
 * `&ltscript` is `<script`), and numeric references, decimal or hex, with or without `;`, with any number of
 * leading zeros; code points 0x80-0x9F map through Windows-1252 and invalid ones become U+FFFD, as in browsers.
 * Same string when nothing is decoded.
 */
const NAMED: Readonly<Record<string, string>> = {
  lt: '<', LT: '<', gt: '>', GT: '>', amp: '&', AMP: '&', quot: '"', QUOT: '"', apos: "'",
  colon: ':', Tab: '\t', NewLine: '\n', sol: '/', bsol: '\\', lpar: '(', rpar: ')', semi: ';', comma: ',',
  period: '.', equals: '=', excl: '!', num: '#', dollar: '$', percnt: '%', plus: '+', lsqb: '[', lbrack: '[',
  rsqb: ']', rbrack: ']', lcub: '{', lbrace: '{', rcub: '}', rbrace: '}', grave: '`', DiacriticalGrave: '`',
  quest: '?', commat: '@', verbar: '|', vert: '|', VerticalLine: '|', lowbar: '_', UnderBar: '_', ast: '*',
  midast: '*', Hat: '^', hyphen: '\u2010', dash: '\u2010', nbsp: '\u00a0', NonBreakingSpace: '\u00a0',
  shy: '\u00ad', ZeroWidthSpace: '\u200b', zwnj: '\u200c', zwj: '\u200d', lsquo: '\u2018', rsquo: '\u2019',
  ldquo: '\u201c', rdquo: '\u201d', lsaquo: '\u2039', rsaquo: '\u203a', laquo: '\u00ab', raquo: '\u00bb',
  prime: '\u2032', Prime: '\u2033', tilde: '\u02dc', circ: '\u02c6', nvlt: '<\u20d2', nvgt: '>\u20d2',
};

/** Names decoded without a trailing `;` (the legacy entries of the HTML table that matter here), longest first. */
const LEGACY = ['quot', 'QUOT', 'amp', 'AMP', 'nbsp', 'lt', 'LT', 'gt', 'GT'];

/** Windows-1252 for code points 0x80-0x9F in numeric references (0 where the browser keeps the code point). */
const C1 = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function numericChar(code: number): string {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  if (code >= 0x80 && code <= 0x9f && C1[code - 0x80] !== 0) return String.fromCharCode(C1[code - 0x80]!);
  return String.fromCodePoint(code);
}

export function decodeHtmlEntities(value: string): string {
  let i = value.indexOf('&');
  if (i === -1) return value;
  const n = value.length;
  let out = '';
  let runStart = 0;
  for (; i < n; i++) {
    if (value.charCodeAt(i) !== 0x26) continue;
    const next = value.charCodeAt(i + 1);
    if (next === 0x23) {
      const x = value.charCodeAt(i + 2);
      const hex = x === 0x78 || x === 0x58;
      let k = i + (hex ? 3 : 2);
      const digitsStart = k;
      let code = 0;
      for (; k < n; k++) {
        const d = value.charCodeAt(k);
        let v: number;
        if (d >= 0x30 && d <= 0x39) v = d - 0x30;
        else if (hex && d >= 0x61 && d <= 0x66) v = d - 0x57;
        else if (hex && d >= 0x41 && d <= 0x46) v = d - 0x37;
        else break;
        code = Math.min(code * (hex ? 16 : 10) + v, 0x110000);
      }
      if (k === digitsStart) continue;
      if (value.charCodeAt(k) === 0x3b) k++;
      out += value.slice(runStart, i) + numericChar(code);
      runStart = k;
      i = k - 1;
      continue;
    }
    if (!isAlnum(next)) continue;
    let k = i + 1;
    while (k < n && k - i <= 32 && isAlnum(value.charCodeAt(k))) k++;
    const name = value.slice(i + 1, k);
    if (value.charCodeAt(k) === 0x3b && Object.hasOwn(NAMED, name)) {
      out += value.slice(runStart, i) + NAMED[name];
      runStart = k + 1;
      i = k;
      continue;
    }
    for (const legacy of LEGACY) {
      if (name.startsWith(legacy)) {
        out += value.slice(runStart, i) + NAMED[legacy]!;
        runStart = i + 1 + legacy.length;
        i = runStart - 1;
        break;
      }
    }
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}
