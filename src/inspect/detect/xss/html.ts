/**
 * An HTML tag scanner that follows the tokenizer states of the HTML standard closely enough to see tags the way a
 * browser does: a start tag is `<` and an ASCII letter; the tag name runs to white space, `/` or `>`; attribute
 * names may start with `=` and hold quotes or `<`; values are double-quoted, single-quoted or unquoted (to white
 * space or `>`); a quoted value may be followed directly by the next attribute (`"x"onload=`); `/` between
 * attributes is a separator (`<svg/onload=...>`). A tag still open at the end of the text is reported too (the page
 * the value lands in would close it). Comments, `<!...>` and `<?...>` are not skipped: their inside is scanned
 * as well, which is what a detector wants (`<!--><svg onload=...>`); `<?name` is reported as a processing
 * instruction, and `<:name` (an empty namespace prefix, old IE) as a tag whose local name follows the colon. Linear: every character is visited once per scan.
 */

export interface HtmlAttr {
  /** Lower-cased name. */
  name: string;
  nameStart: number;
  /** Value bounds without the quotes; both -1 when the attribute has no `=`. */
  valueStart: number;
  valueEnd: number;
  /** 0 (unquoted or no value), 0x22 or 0x27. */
  quote: number;
}

export interface HtmlTag {
  /** Lower-cased tag name as the tokenizer reads it (may include a prefix: `x:script`). */
  name: string;
  /** The name after the last `:` (`x:script` → `script`). */
  local: string;
  start: number;
  /** Index after `>`, or the end of the scanned range. */
  end: number;
  endTag: boolean;
  /** `<?name` */
  pi: boolean;
  /** `>` was found. */
  closed: boolean;
  /** The name was followed by white space, `/` or `>` (not the end of the text). */
  delimited: boolean;
  attrs: HtmlAttr[];
}

const MAX_ATTRS = 256;
/** Longest tag name kept (element names are far shorter; see scanTags). */
const MAX_NAME = 256;

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** HTML white space: tab, LF, FF, CR, space. */
export function isHtmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

/**
 * Reads attributes from `i` (the "before attribute name" state) until `>` or `to`. Returns the index after `>`
 * (or `to`) and fills `attrs`.
 */
export function readAttributes(
  src: string, i: number, to: number, attrs: HtmlAttr[], valuesOnly = false,
): { end: number; closed: boolean } {
  while (i < to) {
    let c = src.charCodeAt(i);
    if (isHtmlSpace(c) || c === 0x2f) { i++; continue; }
    if (c === 0x3e) return { end: i + 1, closed: true };
    // Attribute name: the first character may be `=`.
    const nameStart = i;
    i++;
    while (i < to) {
      c = src.charCodeAt(i);
      if (isHtmlSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
      i++;
    }
    const nameEnd = i;
    // After the name: white space, then maybe `=`.
    let j = i;
    while (j < to && isHtmlSpace(src.charCodeAt(j))) j++;
    let valueStart = -1;
    let valueEnd = -1;
    let quote = 0;
    if (j < to && src.charCodeAt(j) === 0x3d) {
      j++;
      while (j < to && isHtmlSpace(src.charCodeAt(j))) j++;
      const q = j < to ? src.charCodeAt(j) : -1;
      if (q === 0x22 || q === 0x27) {
        quote = q;
        valueStart = j + 1;
        let k = src.indexOf(q === 0x22 ? '"' : "'", valueStart);
        if (k === -1 || k >= to) k = to;
        valueEnd = k;
        i = k < to ? k + 1 : to;
      } else if (q === 0x3e) {
        valueStart = j;
        valueEnd = j;
        i = j;
      } else {
        valueStart = j;
        let k = j;
        while (k < to) {
          const d = src.charCodeAt(k);
          if (isHtmlSpace(d) || d === 0x3e) break;
          k++;
        }
        valueEnd = k;
        i = k;
      }
    } else {
      i = nameEnd;
    }
    if (attrs.length < MAX_ATTRS && (!valuesOnly || valueStart >= 0)) {
      attrs.push({ name: src.slice(nameStart, nameEnd).toLowerCase(), nameStart, valueStart, valueEnd, quote });
    }
  }
  return { end: to, closed: false };
}

/**
 * Calls `onTag` for every tag in `src[from, to)`, in order. `onTag` may return false to stop.
 */
export function scanTags(src: string, from: number, to: number, onTag: (tag: HtmlTag) => boolean | void): void {
  let i = from;
  let work = 0;
  const budget = 2 * (to - from) + 1024;
  /** The end of the tag name read from `nameSearchedFrom`, and the last `:` before it. */
  let nameSearchedFrom = -1;
  let nameEnd = -1;
  let lastColon = -1;
  /** The first `>` at or after `gtSearchedFrom` (-1: none before `to`), for processing instructions. */
  let gtSearchedFrom = -1;
  let gt = -1;
  while (i < to) {
    const lt = src.indexOf('<', i);
    if (lt === -1 || lt + 1 >= to) return;
    const c = src.charCodeAt(lt + 1);
    let endTag = false;
    let pi = false;
    let nameStart = lt + 1;
    if (c === 0x2f && lt + 2 < to && isAsciiLetter(src.charCodeAt(lt + 2))) {
      endTag = true;
      nameStart = lt + 2;
    } else if (c === 0x3f && lt + 2 < to && isAsciiLetter(src.charCodeAt(lt + 2))) {
      pi = true;
      nameStart = lt + 2;
    } else if (c === 0x3a && lt + 2 < to && isAsciiLetter(src.charCodeAt(lt + 2))) {
      // `<:vmlframe`: an empty namespace prefix, which old IE accepted for its VML and HTC elements.
    } else if (!isAsciiLetter(c)) {
      i = lt + 1;
      continue;
    }
    // The name runs to white space, `/` or `>`. Tags found inside a long name (`<?a<?a<?a…`, whose insides are
    // scanned again) end where it does: the end found before is reused, and so is the last `:` before it.
    if (!(nameSearchedFrom >= 0 && nameSearchedFrom <= nameStart && nameStart <= nameEnd)) {
      let e = nameStart;
      while (e < to) {
        const d = src.charCodeAt(e);
        if (isHtmlSpace(d) || d === 0x2f || d === 0x3e) break;
        e++;
      }
      nameSearchedFrom = nameStart;
      nameEnd = e;
      lastColon = e - 1;
      while (lastColon >= nameStart && src.charCodeAt(lastColon) !== 0x3a) lastColon--;
    }
    const k = nameEnd;
    // (a name longer than MAX_NAME is no element's: only its first MAX_NAME characters are kept, and its local part's)
    const name = src.slice(nameStart, Math.min(k, nameStart + MAX_NAME)).toLowerCase();
    const local = lastColon < nameStart ? name : src.slice(lastColon + 1, Math.min(k, lastColon + 1 + MAX_NAME)).toLowerCase();
    const attrs: HtmlAttr[] = [];
    const delimited = k < to;
    let r: { end: number; closed: boolean };
    if (pi) {
      // A processing instruction ends at the first `>` (HTML reads `<?` as a bogus comment); nothing reads its
      // attributes, and its inside is scanned again below. The `>` found for one is reused while the next starts
      // before it: reading each to its end made a run of unclosed `<?x` quadratic.
      if (!(gtSearchedFrom >= 0 && gtSearchedFrom <= k && (gt === -1 || k <= gt))) {
        gtSearchedFrom = k;
        gt = src.indexOf('>', k);
        if (gt >= to) gt = -1;
      }
      r = gt === -1 ? { end: to, closed: false } : { end: gt + 1, closed: true };
    } else r = readAttributes(src, k, to, attrs);
    const tag: HtmlTag = { name, local, start: lt, end: r.end, endTag, pi, closed: r.closed, delimited, attrs };
    if (onTag(tag) === false) return;
    work += r.end - lt;
    // A browser would swallow `<script>` as an attribute name of an unfinished tag (`<b <script>...`); a filter or
    // template in front of it may not. So a `<` inside a tag that is unclosed, or that has an attribute name
    // starting with `<`, is scanned again, as long as the rescanning stays within a linear budget. A processing
    // instruction's inside is always scanned again.
    let resume = Math.max(r.end, lt + 1);
    if (pi) resume = lt + 2;
    else if (work <= budget) {
      let inner = -1;
      if (!r.closed) inner = src.indexOf('<', lt + 1);
      else for (const a of attrs) if (src.charCodeAt(a.nameStart) === 0x3c) { inner = a.nameStart; break; }
      if (inner !== -1 && inner < resume) resume = inner;
    }
    i = resume;
  }
}

/** The attribute's value, or '' when it has none. */
export function attrValue(src: string, a: HtmlAttr): string {
  return a.valueStart < 0 ? '' : src.slice(a.valueStart, a.valueEnd);
}
