import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS, isBase64, isDate, isDateTime, isEmail, isHostname, isTime, isUri, isUriReference, isUuid } from './formats.ts';

describe('formats', () => {
  const cases: [string, (text: string) => boolean, string[], string[]][] = [
    ['date', isDate, ['2026-11-27', '2024-02-29', '2000-02-29'], ['2026-02-29', '1900-02-29', '2026-13-01', '2026-11-31', '26-11-27', '2026-11-27T00:00:00Z']],
    ['time', isTime, ['10:20:30Z', '23:59:60+09:00', '00:00:00.123-01:30'], ['10:20Z', '24:00:00Z', '10:20:30', '10:20:30+9:00']],
    ['date-time', isDateTime, ['2026-11-27T10:20:30Z', '2026-11-27t10:20:30.5+09:00'], ['2026-11-27 10:20:30Z', '2026-11-27T10:20:30', '2026-11-31T10:20:30Z']],
    ['email', isEmail, ['carol@example.com', 'a.b+tag@mail.example.co.kr'], ['carol', '@example.com', 'a..b@example.com', '.a@example.com', 'a@localhost', 'a b@example.com', 'a@-x.com']],
    ['hostname', isHostname, ['example.com', 'a-b.c1', 'localhost'], ['-a.com', 'a-.com', 'a..b', '', 'a_b.com', 'x'.repeat(64) + '.com']],
    ['uuid', isUuid, ['5f0c6f0e-3f51-4bde-9c1d-7c2a2f6f4a10'], ['5f0c6f0e3f514bde9c1d7c2a2f6f4a10', '5f0c6f0e-3f51-4bde-9c1d-7c2a2f6f4a1g']],
    ['uri', isUri, ['https://example.com/a?b=c#d', 'urn:isbn:123', 'mailto:a@b.c'], ['/relative', 'http://exa mple.com', 'https://x/%zz', '1http://x']],
    ['uri-reference', isUriReference, ['/relative/path?x=1', 'https://x.example/', ''], ['/a b', '/%4']],
    ['byte', isBase64, ['aGVsbG8=', 'aGk=', ''], ['aGVsbG8', 'aGk=a===', 'a=Gk', '****']],
  ];
  for (const [name, check, valid, invalid] of cases) {
    test(name, () => {
      for (const text of valid) assert.equal(check(text), true, `${name}: ${text}`);
      for (const text of invalid) assert.equal(check(text), false, `${name}: ${text}`);
    });
  }

  test('numeric formats', () => {
    const int32 = FORMATS.int32!.validate as (n: number) => boolean;
    const int64 = FORMATS.int64!.validate as (n: number) => boolean;
    assert.equal(int32(2 ** 31 - 1), true);
    assert.equal(int32(2 ** 31), false);
    assert.equal(int32(1.5), false);
    assert.equal(int64(Number.MAX_SAFE_INTEGER), true);
    assert.equal(int64(2 ** 53), false);
  });
});
