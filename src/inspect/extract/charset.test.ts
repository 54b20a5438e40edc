import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charsetOf, decodeText, strictText } from './charset.ts';

test('labels: UTF-8, ISO-8859-1 and -15 by their other names, Windows-949 by its Java and Windows names; the rest refused', () => {
  const cases: [string, string | undefined][] = [
    ['utf-8', 'utf-8'], ['UTF8', 'utf-8'], [' utf-8 ', 'utf-8'], ['us-ascii', 'utf-8'], ['ascii', 'utf-8'],
    ['iso-8859-1', 'iso-8859-1'], ['latin1', 'iso-8859-1'], ['windows-1252', 'iso-8859-1'],
    ['euc-kr', 'euc-kr'], ['EUC-KR', 'euc-kr'], ['ks_c_5601-1987', 'euc-kr'], ['windows-949', 'euc-kr'], ['cp949', 'euc-kr'],
    ['MS949', 'euc-kr'], ['x-windows-949', 'euc-kr'], ['iso-8859-15', 'iso-8859-15'], ['l9', 'iso-8859-15'],
    ['euc-jp', undefined], ['koi8-r', undefined], ['windows-1251', undefined], ['utf-80', undefined], ['ibm038', undefined],
    ['utf-7', undefined], ['utf-16', undefined], ['utf-16be', undefined], ['utf-32', undefined], ['ibm037', undefined],
    ['shift_jis', undefined], ['sjis', undefined], ['gbk', undefined], ['gb2312', undefined], ['gb18030', undefined],
    ['big5', undefined], ['iso-2022-jp', undefined], ['iso-2022-kr', undefined], ['x-user-defined', undefined],
    ['replacement', undefined], ['', undefined], ['x-unknown', undefined],
  ];
  for (const [label, charset] of cases) assert.equal(charsetOf(label), charset, label);
});

test('decoding: EUC-KR as Korean, full-width forms as such; bytes not valid in a charset kept one by one', () => {
  assert.equal(decodeText(Buffer.from([0xc8, 0xab, 0xb1, 0xe6, 0xb5, 0xbf]), 'euc-kr'), '홍길동');
  assert.equal(decodeText(Buffer.from([0xa3, 0xbc, 0xa3, 0xf3]), 'euc-kr'), '＜ｓ');
  assert.equal(decodeText(Buffer.from([0xc8, 0x27, 0x20, 0x4f, 0x52]), 'euc-kr'), "\u00c8' OR");
  assert.equal(strictText(Buffer.from([0xc8, 0x27]), 'euc-kr'), undefined);
  assert.equal(decodeText(Buffer.from([0xe9]), 'iso-8859-1'), 'é');
  assert.equal(decodeText(Buffer.from([0xc0, 0xaf])), '\u00c0\u00af', 'overlong UTF-8 stays visible');
  assert.equal(strictText(Buffer.from([0xc0, 0xaf]), 'utf-8'), undefined);
});

test('EUC-KR swallows no ASCII byte other than a letter into a character', () => {
  // The reason EUC-KR is accepted and Shift_JIS is not: what the decoder reads as part of a character must not be
  // punctuation or a digit that a backend reading bytes sees as itself (`\`, `|`, a quote).
  for (const charset of ['euc-kr']) {
    for (let lead = 0x80; lead <= 0xff; lead++) {
      for (let second = 0x00; second < 0x80; second++) {
        const text = strictText(Buffer.from([lead, second]), charset);
        if (text === undefined || text.length !== 1) continue;
        assert.match(String.fromCharCode(second), /[A-Za-z]/, `${charset} ${lead.toString(16)} ${second.toString(16)}`);
      }
    }
  }
  // and Shift_JIS would: 0x95 0x5C is one character
  assert.equal(new TextDecoder('shift_jis').decode(Buffer.from([0x95, 0x5c])).length, 1);
});
