import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { mailDetector as detector } from './mail.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'body', name: 'message' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks: [string, Partial<DetectorContext>][] = [
  ['victim@example.com\r\nBcc: everyone@example.org', { name: 'email' }],
  ['Hello\nCc: a@example.org', { name: 'subject' }],
  ['me@example.com%0a\nContent-Type: text/html', { name: 'from' }],
  ['John\r\nTo: x@example.org', { name: 'full_name' }],
  ['x\r\nSubject: spam', { name: 'contact[email]' }],
  ['hi\r\nBcc: a@example.org', { source: 'query', name: 'q' }],
  ['\r\nV100 CAPABILITY\r\nV101 FETCH 4791', {}],
  ['x\r\nA001 LOGIN admin secret', { source: 'query', name: 'folder' }],
  ['INBOX\r\na1 SELECT Drafts', {}],
  ['\r\nQUIT\r\n', {}],
  ['\nRCPT TO: attacker@example.org\n', {}],
  ['x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nspam\r\n.\r\nQUIT', { source: 'query', name: 'q' }],
  ['x\r\nHELO evil.example', {}],
  ['x\r\nDATA', { source: 'path', name: '' }],
  ['x\r\nUSER bob\r\nPASS secret', {}],
  ['x\nRETR 1', {}],
];

const benign: [string, Partial<DetectorContext>][] = [
  ['Hi,\r\nplease call me back.\r\nThanks, Anna', {}],
  ['Forwarded message:\nFrom: Anna\nTo: Bob\nSubject: lunch', {}],
  ['Dear team,\nData is attached.\nQuit smoking!', {}],
  ['The QUIT command ends the session', {}],
  ['RCPT TO: is an SMTP command', {}],
  ['anna@example.com', { name: 'email' }],
  ['Line 1\nLine 2', { name: 'address' }],
  ['Notes:\n- call A1 tomorrow\n- B2 select paint', {}],
  ['Step 1\nData\nmore', {}],
  ['Steps:\n1 Select your size\n2 Check out\n3 COPY the code', {}],
  ['Todo:\nA1 select paint\nB2 list rooms', {}],
];

test('mail header and command injections are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    for (const f of fs) {
      assert.equal(f.category, 'mail');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('e-mail text in message fields gives nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${JSON.stringify(value)}`);
});

test('a pasted e-mail header in a textarea is paranoia 2 or 3', () => {
  const fs = run('See below\nBcc: someone@example.org');
  assert.equal(fs.length, 1);
  assert.equal(fs[0]!.paranoia, 2);
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += '\r\nA1 QUITRCPT TO:Bcc@ DATAUSERPASS'[Math.floor(Math.random() * 34)] ?? '';
    run(s);
    run(s, { name: 'email' });
  }
  const inputs = [
    'A paragraph of an ordinary message.\r\nAnother line follows here.\r\n'.repeat(3000),
    '\n'.repeat(200000),
    '\nA1'.repeat(60000),
    '\nx: y'.repeat(40000),
  ];
  for (const v of inputs) {
    const ms = Math.max(bestOf(() => { run(v); }), bestOf(() => { run(v, { name: 'email' }); }));
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${JSON.stringify(v.slice(0, 12))}`);
  }
});
