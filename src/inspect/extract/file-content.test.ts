import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFile, isFileMediaType, serverCodeIslands } from './file-content.ts';
import { parseContentType, type MediaType } from './content-type.ts';
import { LATIN1, UTF8 } from './charset.ts';

const media = (value: string): MediaType => {
  const parsed = parseContentType(value);
  assert.ok(!('problem' in parsed));
  return parsed;
};

/** Fixed noise with NUL bytes: what a compressed image or archive looks like to a reader of text. */
function noise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 2654435761) >>> 24;
  return bytes;
}

test('files by media type: images, sound, video, fonts, documents and archives; not the binary formats a backend parses into fields', () => {
  for (const type of ['image/png', 'image/heic', 'audio/webm', 'video/mp4', 'font/woff2', 'model/gltf-binary', 'application/octet-stream',
    'application/pdf', 'application/zip', 'application/epub+zip', 'application/msword', 'application/vnd.oasis.opendocument.text',
    'application/vnd.ms-excel.sheet.macroenabled.12', 'application/x-hwp', 'application/vnd.hancom.hwpx']) {
    assert.equal(isFileMediaType(media(type)), true, type);
  }
  for (const type of ['application/x-protobuf', 'application/grpc-web+proto', 'application/msgpack', 'application/cbor',
    'application/x-thrift', 'application/javascript', 'application/x-custom', 'multipart/mixed', 'text/plain']) {
    assert.equal(isFileMediaType(media(type)), false, type);
  }
});

test('a binary file gives no text, only the server code hidden in it: PHP and JSP islands, each to the first control byte', () => {
  const image = Buffer.concat([Buffer.from('GIF89a', 'latin1'), noise(2048)]);
  assert.deepEqual(extractFile(image, media('image/gif'), UTF8), { inputs: [] });
  const shell = Buffer.concat([image.subarray(0, 600), Buffer.from('<?PHP system($_GET[1]); ?>\x00'), image.subarray(600)]);
  const found = extractFile(shell, media('image/gif'), UTF8);
  assert.ok('inputs' in found);
  assert.deepEqual(found.inputs.map((i) => [i.location, i.value]), [['body', '<?PHP system($_GET[1]); ?>']]);
  const jsp = Buffer.concat([noise(64), Buffer.from('<%@page import="java.io.*"%><% Runtime.getRuntime().exec(request.getParameter("c")); %>\x01'), noise(64)]);
  const islands = serverCodeIslands(jsp);
  assert.equal(islands.length, 1);
  assert.match(islands[0]!, /^<%@page import=.*%>$/);
  // `<?` and `<%` alone are not markers: random bytes hold them every few kilobytes
  assert.deepEqual(serverCodeIslands(Buffer.concat([noise(64), Buffer.from('<?xml <% x'), noise(64)])), []);
});

test('a file whose bytes are text is one input of its whole content; text that parses as JSON is walked as JSON too', () => {
  const notes = Buffer.from('Meeting notes\nselect the first option from the menu\n');
  const text = extractFile(notes, media('application/octet-stream'), UTF8);
  assert.ok('inputs' in text);
  assert.deepEqual(text.inputs.map((i) => [i.location, i.value]), [['body', notes.toString()]]);
  const json = extractFile(Buffer.from(' {"user":{"name":"\\u0024{jndi:x}"}}'), media('application/octet-stream'), UTF8);
  assert.ok('inputs' in json);
  assert.deepEqual(json.inputs.map((i) => i.location), ['body', 'body:$.user', 'body:$.user.name', 'body:$.user.name']);
  assert.ok(json.inputs.some((i) => i.value === '${jndi:x}'), 'the JSON escape is decoded as the backend decodes it');
  // text that only starts like JSON is still inspected as text
  const broken = extractFile(Buffer.from('{not json'), media('application/octet-stream'), UTF8);
  assert.ok('inputs' in broken);
  assert.deepEqual(broken.inputs.map((i) => i.value), ['{not json']);
  // in a declared charset the bytes are read in it; an empty body has no input
  const latin = extractFile(Buffer.from([0x63, 0x61, 0x66, 0xe9]), media('application/octet-stream; charset=iso-8859-1'), LATIN1);
  assert.ok('inputs' in latin);
  assert.deepEqual(latin.inputs.map((i) => i.value), ['café']);
  assert.deepEqual(extractFile(Buffer.alloc(0), media('image/png'), UTF8), { inputs: [] });
});
