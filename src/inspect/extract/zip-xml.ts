import { inflateRawSync } from 'node:zlib';

/**
 * The XML declarations hidden in an uploaded ZIP container: office documents (DOCX, XLSX, PPTX, ODT, HWPX), EPUBs
 * and JARs are ZIP archives of XML parts, and an importer that parses them with a DTD-resolving parser is open to
 * XXE from an upload (`word/document.xml` with `<!DOCTYPE x [<!ENTITY % p SYSTEM "http://...">%p;]>`). Office
 * suites never write a DOCTYPE into these parts, so each XML part's DOCTYPE, or XInclude element, is an input of
 * its own (the part's text from there, at most MAX_SNIPPET characters).
 *
 * Read from the central directory (the local headers may leave sizes to a data descriptor); parts are stored or
 * deflated. Bounded: MAX_ENTRIES parts looked at, each inflated to at most MAX_PART bytes, MAX_TOTAL in all; a
 * part past its bound, encrypted, or in another method is skipped, as are malformed archives (the file is then what
 * it was before: binary content whose names and headers are inspected). Never throws.
 */

const MAX_ENTRIES = 2000;
const MAX_PART = 4 * 1024 * 1024;
const MAX_TOTAL = 16 * 1024 * 1024;
const MAX_SNIPPET = 8192;
const XML_NAME = /\.(?:xml|rels|svg|xsl|xslt|xsd|opf|ncx|xhtml|vml|rdf)$/i;

export function isZip(content: Uint8Array): boolean {
  return content.length >= 22 && content[0] === 0x50 && content[1] === 0x4b && content[2] === 0x03 && content[3] === 0x04;
}

export function zipXmlDeclarations(content: Uint8Array): string[] {
  const out: string[] = [];
  try {
    const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    // the end of central directory record: 22 bytes, after at most a 64 KiB comment
    let eocd = -1;
    for (let k = buf.length - 22; k >= Math.max(0, buf.length - 22 - 65535); k--) {
      if (buf.readUInt32LE(k) === 0x06054b50) { eocd = k; break; }
    }
    if (eocd < 0) return out;
    const count = buf.readUInt16LE(eocd + 10);
    let at = buf.readUInt32LE(eocd + 16);
    let total = 0;
    for (let n = 0; n < count && n < MAX_ENTRIES && at + 46 <= buf.length; n++) {
      if (buf.readUInt32LE(at) !== 0x02014b50) break;
      const flags = buf.readUInt16LE(at + 8);
      const method = buf.readUInt16LE(at + 10);
      const compressed = buf.readUInt32LE(at + 20);
      const size = buf.readUInt32LE(at + 24);
      const nameLength = buf.readUInt16LE(at + 28);
      const extraLength = buf.readUInt16LE(at + 30);
      const commentLength = buf.readUInt16LE(at + 32);
      const local = buf.readUInt32LE(at + 42);
      const name = buf.toString('latin1', at + 46, at + 46 + nameLength);
      at += 46 + nameLength + extraLength + commentLength;
      if (!XML_NAME.test(name) || (flags & 1) !== 0 || size > MAX_PART || total + size > MAX_TOTAL) continue;
      if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) continue;
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      if (start + compressed > buf.length) continue;
      const raw = buf.subarray(start, start + compressed);
      let data: Buffer | undefined;
      if (method === 0) data = raw;
      else if (method === 8) data = inflate(raw);
      if (data === undefined) continue;
      total += data.length;
      const snippet = declaration(data);
      if (snippet !== undefined) out.push(snippet);
    }
  } catch {
    // a directory that points past the buffer's reads (readUInt*): what was found so far stands (see above)
  }
  return out;
}

/** A deflated part, or undefined when it is corrupt or inflates past MAX_PART. */
function inflate(raw: Buffer): Buffer | undefined {
  try {
    return inflateRawSync(raw, { maxOutputLength: MAX_PART });
  } catch {
    return undefined;
  }
}

/** The text of an XML part from its DOCTYPE or first XInclude element on, or undefined when it has neither. */
function declaration(data: Buffer): string | undefined {
  const head = data.toString('utf8', 0, Math.min(data.length, 65536));
  let at = head.indexOf('<!DOCTYPE');
  if (at < 0) at = head.indexOf('<!ENTITY');
  if (at < 0) {
    const xi = head.indexOf('XInclude');
    if (xi < 0) return undefined;
    at = head.lastIndexOf('<', xi);
    if (at < 0) at = 0;
  }
  return head.slice(at, at + MAX_SNIPPET);
}
