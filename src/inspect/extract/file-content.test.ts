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

test('a binary file gives no text, only the server code hidden in it: PHP and JSP islands', () => {
  const image = Buffer.concat([Buffer.from('GIF89a', 'latin1'), noise(2048)]);
  assert.deepEqual(extractFile(image, media('image/gif'), UTF8), { inputs: [] });
  const shell = Buffer.concat([image.subarray(0, 600), Buffer.from('<?PHP system($_GET[1]); ?>\x00'), image.subarray(600)]);
  const found = extractFile(shell, media('image/gif'), UTF8);
  assert.ok('inputs' in found);
  assert.deepEqual(found.inputs.map((i) => [i.location, i.value]), [['body', '<?PHP system($_GET[1]); ?>']]);
  const jsp = Buffer.concat([noise(64), Buffer.from('<%@page import="java.io.*"%><% Runtime.getRuntime().exec(request.getParameter("c")); %>\x01'), noise(64)]);
  const islands = serverCodeIslands(jsp);
  assert.equal(islands.length, 1);
  // a JSP page has no end mark: the island runs to the end of the file (or for 8 KiB), control bytes as blanks
  assert.ok(islands[0]!.startsWith('<%@page import="java.io.*"%><% Runtime.getRuntime().exec(request.getParameter("c")); %>  '), islands[0]);
  assert.equal(islands[0]!.length, jsp.length - 64);
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

test('islands run to the PHP closing tag whatever bytes come between; the short echo tag starts one only before text', () => {
  const gif = (middle: string) => Buffer.concat([Buffer.from('GIF89a', 'latin1'), noise(300), Buffer.from(middle, 'latin1'), noise(300)]);
  // a control byte inside a PHP comment does not end the code
  assert.deepEqual(serverCodeIslands(gif('<?php /*\x01\x00*/ system($_GET[1]); ?>')), ['<?php /*  */ system($_GET[1]); ?>']);
  assert.deepEqual(serverCodeIslands(gif('<?=`$_GET[0]`; echo "x"; ?>')), ['<?=`$_GET[0]`; echo "x"; ?>']);
  // `<?=` before binary bytes is what random data holds: no island
  assert.deepEqual(serverCodeIslands(gif('<?=\x01\x02ab')), []);
  // without a closing tag the island runs for at most 8 KiB
  const open = serverCodeIslands(Buffer.concat([Buffer.from('<?php eval($_POST[1]);'), noise(20000)]));
  assert.equal(open.length, 1);
  assert.equal(open[0]!.length, 8192);
  assert.ok(open[0]!.startsWith('<?php eval($_POST[1]);'));
});

test('a serialized object stream is read whole: Java, pickle (protocols 1 to 5), .NET BinaryFormatter', () => {
  const java = Buffer.concat([Buffer.from('aced00057372', 'hex'), Buffer.from('\x00\x32sun.reflect.annotation.AnnotationInvocationHandler', 'latin1'), noise(100)]);
  const pickles = [
    Buffer.from('cposix\nsystem\nq\x00(X\x02\x00\x00\x00idq\x01tq\x02Rq\x03.', 'latin1'),
    Buffer.from('\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1'),
    Buffer.from('\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.', 'latin1'),
  ];
  const dotnet = Buffer.concat([Buffer.from('0001000000ffffffff01000000000000000c02000000', 'hex'), Buffer.from('System.Windows.Data.ObjectDataProvider', 'latin1'), noise(64)]);
  for (const stream of [java, ...pickles, dotnet]) {
    const found = extractFile(stream, media('application/octet-stream'), UTF8);
    assert.ok('inputs' in found);
    assert.deepEqual(found.inputs.map((i) => i.value), [stream.toString('latin1')], stream.subarray(0, 8).toString('hex'));
  }
  // an image that starts otherwise is not one, nor a file that starts with a `c` and no pickle GLOBAL
  assert.deepEqual(extractFile(Buffer.concat([Buffer.from('cat\x00'), noise(64)]), media('application/octet-stream'), UTF8), { inputs: [] });
});
