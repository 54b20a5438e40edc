import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorSet, isCardNumber, isResidentNumber, luhnValid, type DetectorSpec } from './detectors.ts';
import { compileTemplate, type CompiledTemplate } from './templates.ts';
import { maskText } from './actions.ts';

const template = (source: string) => compileTemplate(source) as CompiledTemplate;

const ALL: DetectorSpec[] = [
  { id: 'residentNumbers', kind: 'residentNumbers', requireChecksum: true },
  { id: 'cards', kind: 'cards' },
  { id: 'phones', kind: 'phones', mobile: true, landline: true },
  { id: 'emails', kind: 'emails' },
  { id: 'bankAccounts', kind: 'templates', templates: [template('###-###-######')] },
];

function found(text: string, specs: DetectorSpec[] = ALL): [string, string][] {
  const set = new DetectorSet(specs);
  return set.scan(text).map((m) => [specs[m.detector]!.id, text.slice(m.start, m.end)]);
}

/** A resident number with a valid check digit for the first 12 digits. */
function withCheck(first12: string): string {
  const weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * weights[i]!;
  return first12 + String((11 - (sum % 11)) % 10);
}

describe('checksums', () => {
  test('Luhn', () => {
    assert.ok(luhnValid('4111111111111111'));
    assert.ok(!luhnValid('4111111111111112'));
    assert.ok(luhnValid('79927398713'));
  });
  test('card numbers: issuer prefix, length and Luhn', () => {
    for (const good of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '3530111333300000', '2223003122003222', '4222222222222', '9410123456789018'.slice(0, 15) + '0']) {
      if (good.startsWith('941')) continue; // placeholder for a Korean domestic card; see below
      assert.ok(isCardNumber(good), good);
    }
    assert.ok(isCardNumber(luhnComplete('941012345678901')), 'Korean domestic 9-prefix');
    for (const bad of ['4111111111111112', luhnComplete('123456789012345'), luhnComplete('800000000000000'), luhnComplete('220000000000000'), '411111111111', luhnComplete('41111111111111111111')]) {
      assert.ok(!isCardNumber(bad), bad);
    }
  });
  test('resident numbers: date, 7th digit, check digit', () => {
    const korean = withCheck('900101123456');
    assert.ok(isResidentNumber(korean, true));
    assert.ok(isResidentNumber(withCheck('040229312345'), true), '2004-02-29 exists');
    assert.ok(!isResidentNumber(withCheck('050229312345'), true), '2005-02-29 does not');
    assert.ok(!isResidentNumber(withCheck('901301123456'), true), 'month 13');
    assert.ok(!isResidentNumber(withCheck('900100123456'), true), 'day 0');
    assert.ok(!isResidentNumber(withCheck('900101923456'), true), '7th digit 9 (born in the 1800s) is not matched');
    assert.ok(isResidentNumber(withCheck('900101523456'), true), 'foreigner, 7th digit 5');
    assert.ok(isResidentNumber(withCheck('100101823456'), true), 'foreigner, 7th digit 8');
    const wrongCheck = korean.slice(0, 12) + String((Number(korean[12]) + 1) % 10);
    assert.ok(!isResidentNumber(wrongCheck, true));
    assert.ok(isResidentNumber(wrongCheck, false), 'without the checksum requirement (numbers issued since October 2020)');
  });
});

function luhnComplete(first: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(first + d)) return first + d;
  throw new Error('unreachable');
}

describe('detector scanning', () => {
  const rrn = withCheck('900101123456');
  const cases: [string, [string, string][]][] = [
    ['card 4111111111111111 end', [['cards', '4111111111111111']]],
    ['4111 1111 1111 1111', [['cards', '4111 1111 1111 1111']]],
    ['4111-1111-1111-1111', [['cards', '4111-1111-1111-1111']]],
    ['amex 3782 822463 10005.', [['cards', '3782 822463 10005']]],
    ['4111-1111 1111-1111', []], // mixed separators
    ['4111111111111112', []], // bad Luhn
    ['order ORD4111111111111111', []], // inside a token
    ['score 0.4111111111111111', []], // a decimal
    ['ts 1700000000000 and 17000000000001', []],
    [`rrn ${rrn.slice(0, 6)}-${rrn.slice(6)}`, [['residentNumbers', `${rrn.slice(0, 6)}-${rrn.slice(6)}`]]],
    [`rrn ${rrn}`, [['residentNumbers', rrn]]],
    [`${rrn.slice(0, 6)}-${rrn.slice(6, 12)}${(Number(rrn[12]) + 1) % 10}`, []],
    ['010-1234-5678', [['phones', '010-1234-5678']]],
    ['tel:01012345678', [['phones', '01012345678']]],
    ['010.1234.5678 / 010 1234 5678', [['phones', '010.1234.5678'], ['phones', '010 1234 5678']]],
    ['011-123-4567', [['phones', '011-123-4567']]],
    ['010-123-4567', []],
    ['+82 10-1234-5678', [['phones', '+82 10-1234-5678']]],
    ['+82-10-1234-5678', [['phones', '+82-10-1234-5678']]],
    ['+821012345678', [['phones', '+821012345678']]],
    ['02-123-4567, 02-1234-5678, 0212345678', [['phones', '02-123-4567'], ['phones', '02-1234-5678'], ['phones', '0212345678']]],
    ['031-123-4567 064-1234-5678 070-1234-5678', [['phones', '031-123-4567'], ['phones', '064-1234-5678'], ['phones', '070-1234-5678']]],
    ['099-123-4567 1588-1234 010-1234-56789 010-1234-5678a', []],
    ['call 02-123-4567 010-9876-5432', [['phones', '02-123-4567'], ['phones', '010-9876-5432']]],
    ['전화010-1234-5678번', [['phones', '010-1234-5678']]],
    ['mail alice@example.com, Bob.Smith+tag@mail.example.co.kr.', [['emails', 'alice@example.com'], ['emails', 'Bob.Smith+tag@mail.example.co.kr']]],
    ['not mail: a@b, @example.com, alice@localhost, x@y.c, a@b..com', []],
    ['<a href="mailto:carol@example.com">', [['emails', 'carol@example.com']]],
    ['account 110-234-567890', [['bankAccounts', '110-234-567890']]],
    ['110-234-5678901', []],
  ];
  for (const [text, expected] of cases) test(JSON.stringify(text), () => assert.deepEqual(found(text), expected));

  test('requireChecksum false also catches resident numbers without a valid check digit', () => {
    const noCheck = `${rrn.slice(0, 12)}${(Number(rrn[12]) + 1) % 10}`;
    const lenient: DetectorSpec[] = [{ id: 'residentNumbers', kind: 'residentNumbers', requireChecksum: false }];
    assert.deepEqual(found(noCheck, lenient), [['residentNumbers', noCheck]]);
    assert.deepEqual(found('991301-1234567', lenient), [], 'still needs a real birth date');
  });

  test('mobile or landline only', () => {
    const mobileOnly: DetectorSpec[] = [{ id: 'phones', kind: 'phones', mobile: true, landline: false }];
    assert.deepEqual(found('02-123-4567 010-1234-5678', mobileOnly), [['phones', '010-1234-5678']]);
  });

  test('templates honour context words', () => {
    const specs: DetectorSpec[] = [{ id: 'custom:member', kind: 'templates', templates: [template('MB-#{6}')], context: ['member', '회원'] }];
    assert.deepEqual(found('member id: MB-123456', specs), [['custom:member', 'MB-123456']]);
    assert.deepEqual(found('회원번호 mb-123456', specs), [['custom:member', 'mb-123456']]);
    assert.deepEqual(found('ticket MB-123456', specs), []);
  });

  test('overlaps: the earlier, then the longer match wins', () => {
    const specs: DetectorSpec[] = [
      { id: 'phones', kind: 'phones', mobile: true, landline: true },
      { id: 'custom:short', kind: 'templates', templates: [template('###-####')] },
    ];
    assert.deepEqual(found('010-1234-5678', specs), [['phones', '010-1234-5678']]);
  });

  test('hashing normalises digits, so formats join', () => {
    const set = new DetectorSet(ALL);
    assert.equal(set.normalize(2, '010-1234-5678'), '01012345678');
    assert.equal(set.normalize(2, '+82 10-1234-5678'), '01012345678');
    assert.equal(set.normalize(1, '4111 1111 1111 1111'), '4111111111111111');
    assert.equal(set.normalize(3, 'Alice@Example.com'), 'alice@example.com');
  });

  test('scanning stays linear on hostile input', () => {
    const set = new DetectorSet([...ALL, { id: 'custom:x', kind: 'templates', templates: [template('#{20}X'), template('A#A#A#A#')], context: ['zz'] }]);
    const inputs = ['1-'.repeat(100_000), '1 '.repeat(100_000), 'a@'.repeat(100_000), '@a.'.repeat(70_000), '9'.repeat(200_000), 'a1'.repeat(100_000), '+8'.repeat(100_000)];
    for (const input of inputs) {
      const started = process.hrtime.bigint();
      set.scan(input);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 2000, `${JSON.stringify(input.slice(0, 6))}…: ${ms} ms`);
    }
  });
});

describe('masking', () => {
  test('keeps separators and the last characters', () => {
    assert.equal(maskText('010-1234-5678', 4, 0, '*'), '***-****-5678');
    assert.equal(maskText('4111 1111 1111 1111', 4, 0, '#'), '#### #### #### 1111');
    assert.equal(maskText('900101-1234567', 0, 7, '*'), '900101-1******');
    assert.equal(maskText('alice@example.com', 0, 0, '*'), '*****@*******.***');
    assert.equal(maskText('홍길동', 1, 0, '*'), '**동');
    assert.equal(maskText('Kim', 4, 0, '*'), '***', 'no more characters than kept: all masked');
    assert.equal(maskText('a😀b', 1, 0, '•'), '••b', 'astral characters count once');
  });
});
