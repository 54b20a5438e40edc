import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { CH_LINE } from '../../value-chars.ts';

/**
 * Mail injection: e-mail header injection (a value that an application puts into a `To:`/`Subject:` header gains
 * new header lines) and SMTP/IMAP/POP3 command injection (a value written to a mail-server conversation gains new
 * commands). Both need a line break; each line after one is parsed:
 * - SMTP: `MAIL FROM:<...>`, `RCPT TO:<...>`, `HELO`/`EHLO host`, `VRFY`/`EXPN x`, `AUTH mech`, or a bare `DATA`,
 *   `QUIT`, `RSET`, `NOOP`, `STARTTLS` line;
 * - IMAP: `tag COMMAND ...` with a tag such as `A001` (letters and at least one digit) and an IMAP command;
 * - POP3: `RETR n`, `DELE n`, `USER x` + `PASS y`;
 * - mail headers (`Bcc:`, `Cc:`, `To:`, `Subject:`, `Content-Type:`, ...).
 * Commands are the attack anywhere. Header lines are the attack in fields whose name says they end up in a mail
 * (email, to, from, subject, name, ...); elsewhere (a message textarea may hold a pasted e-mail) they count at
 * paranoia 2 (Bcc/Cc with an address) or 3.
 */

const SMTP_BARE = new Set(['DATA', 'QUIT', 'RSET', 'NOOP', 'STARTTLS', 'TURN']);
const SMTP_ARG = new Set(['HELO', 'EHLO', 'VRFY', 'EXPN', 'AUTH', 'ETRN', 'BDAT']);
const IMAP = new Set([
  'CAPABILITY', 'LOGIN', 'LOGOUT', 'SELECT', 'EXAMINE', 'FETCH', 'STORE', 'COPY', 'SEARCH', 'LIST', 'LSUB', 'STATUS',
  'APPEND', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE', 'UID', 'NOOP', 'AUTHENTICATE', 'STARTTLS',
  'CLOSE', 'EXPUNGE', 'CHECK', 'IDLE', 'ENABLE', 'NAMESPACE', 'GETQUOTA', 'GETQUOTAROOT', 'SETQUOTA', 'GETACL',
  'SETACL', 'MOVE', 'UNSELECT',
]);
const MAIL_HEADERS = new Set([
  'bcc', 'cc', 'to', 'from', 'subject', 'reply-to', 'content-type', 'mime-version', 'content-transfer-encoding',
  'sender', 'return-path', 'x-mailer', 'message-id', 'in-reply-to', 'references', 'disposition-notification-to',
  'x-priority', 'errors-to', 'resent-to', 'resent-cc', 'resent-bcc', 'resent-from',
]);
/** Field-name words that say the value goes into a mail header. */
const MAIL_FIELDS = new Set([
  'email', 'mail', 'e-mail', 'to', 'from', 'subject', 'sender', 'recipient', 'recipients', 'cc', 'bcc', 'reply',
  'replyto', 'reply-to', 'name', 'fullname', 'firstname', 'lastname', 'username', 'title', 'topic', 'mailto',
  'address', 'emailaddress', 'contact',
]);

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}
function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isBreak(c: number): boolean {
  return c === 10 || c === 13;
}

function mailField(name: string): boolean {
  const n = name.toLowerCase();
  if (n.includes('mail')) return true;
  let cur = '';
  for (let i = 0; i <= n.length && i < 128; i++) {
    const c = i < n.length ? n.charCodeAt(i) : 32;
    if (isAlnum(c)) { cur += n[i]; continue; }
    if (cur !== '' && MAIL_FIELDS.has(cur)) return true;
    cur = '';
  }
  return MAIL_FIELDS.has(n.replace(/[^a-z]/g, ''));
}

interface LineKind { kind: 'command' | 'header' | ''; what: string; address: boolean }

/** Reads the word of upper-case letters at `i`. */
function upperWord(v: string, i: number): string {
  let j = i;
  while (j < v.length && j - i < 16 && isUpper(v.charCodeAt(j))) j++;
  return v.slice(i, j);
}

function lineEnd(v: string, i: number): number {
  let j = i;
  while (j < v.length && !isBreak(v.charCodeAt(j))) j++;
  return j;
}

function readLine(v: string, i: number): LineKind {
  const end = lineEnd(v, i);
  const line = v.slice(i, Math.min(end, i + 512));
  const upper = line.toUpperCase();
  if (upper.startsWith('MAIL FROM:') || upper.startsWith('RCPT TO:')) return { kind: 'command', what: upper.slice(0, 9).trim(), address: true };
  const w = upperWord(line, 0);
  const rest = line.slice(w.length);
  if (w !== '') {
    if (SMTP_BARE.has(w) && rest.trim() === '') return { kind: 'command', what: w, address: false };
    if (SMTP_ARG.has(w) && rest.startsWith(' ') && rest.trim() !== '') return { kind: 'command', what: w, address: false };
    if ((w === 'RETR' || w === 'DELE') && rest.startsWith(' ') && isDigit(rest.charCodeAt(1))) return { kind: 'command', what: w, address: false };
  }
  // IMAP: tag SP COMMAND, the tag of letters and digits (`A001`, `a1`), the command in upper case as clients send
  // it ("2 Select your size" in a numbered list is not a command).
  let t = 0;
  let digits = 0;
  let letters = 0;
  while (t < line.length && t < 17 && isAlnum(line.charCodeAt(t))) {
    if (isDigit(line.charCodeAt(t))) digits++;
    else letters++;
    t++;
  }
  if (t > 0 && t <= 16 && digits > 0 && letters > 0 && line.charCodeAt(t) === 32) {
    const cmd = upperWord(line, t + 1);
    const after = line.charCodeAt(t + 1 + cmd.length);
    if (IMAP.has(cmd) && (Number.isNaN(after) || after === 32)) return { kind: 'command', what: cmd, address: false };
  }
  // header line
  let h = 0;
  while (h < line.length && h < 40 && (isAlnum(line.charCodeAt(h)) || line.charCodeAt(h) === 45)) h++;
  if (h > 0) {
    let k = h;
    while (k < line.length && (line.charCodeAt(k) === 32 || line.charCodeAt(k) === 9)) k++;
    if (line.charCodeAt(k) === 58) {
      const name = line.slice(0, h).toLowerCase();
      if (MAIL_HEADERS.has(name)) return { kind: 'header', what: name, address: line.includes('@', k) };
    }
  }
  return { kind: '', what: '', address: false };
}

export const mailDetector: Detector = {
  category: 'mail',
  needs: CH_LINE, // every finding needs a line break
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 4) return;
    // Every finding needs a line break: two searches (fast, unlike a loop over the characters) tell where the
    // first one is, or that there is none.
    const lf = value.indexOf('\n');
    const cr = value.indexOf('\r');
    if (lf === -1 && cr === -1) return;
    const first = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    const mailish = !context.isName && mailField(context.name);
    let header: { name: string; at: number; address: boolean } | undefined;
    let pop3User = false;
    for (let i = first; i < value.length;) {
      while (i < value.length && isBreak(value.charCodeAt(i))) i++;
      if (i >= value.length) break;
      const line = readLine(value, i);
      if (line.kind === 'command') {
        report({
          ruleId: 'mail-command-injection', category: 'mail', paranoia: 1, score: SCORE.critical,
          message: `mail protocol command after a line break (${line.what})`,
          matched: JSON.stringify(value.slice(Math.max(0, i - 10), i + 80)).slice(1, -1).slice(0, 120),
        });
        return;
      }
      if (line.kind === 'header' && !header) header = { name: line.what, at: i, address: line.address };
      const w = upperWord(value, i);
      if (w === 'USER' && value.charCodeAt(i + 4) === 32) pop3User = true;
      if (w === 'PASS' && pop3User && value.charCodeAt(i + 4) === 32) {
        report({
          ruleId: 'mail-command-injection', category: 'mail', paranoia: 1, score: SCORE.critical,
          message: 'POP3 USER/PASS commands after line breaks', matched: JSON.stringify(value.slice(Math.max(0, i - 30), i + 60)).slice(1, -1).slice(0, 120),
        });
        return;
      }
      i = lineEnd(value, i);
    }
    if (header) {
      let paranoia: Paranoia;
      if (mailish) paranoia = 1;
      else if ((header.name === 'bcc' || header.name === 'cc' || header.name === 'to') && header.address) paranoia = context.source === 'body' ? 2 : 1;
      else paranoia = context.source === 'body' ? 3 : 2;
      report({
        ruleId: 'mail-header-injection', category: 'mail', paranoia, score: SCORE.critical,
        message: `mail header after a line break (${header.name})`,
        matched: JSON.stringify(value.slice(Math.max(0, header.at - 10), header.at + 80)).slice(1, -1).slice(0, 120),
      });
      return;
    }
    if (mailish) {
      report({
        ruleId: 'mail-line-break', category: 'mail', paranoia: 2, score: SCORE.warning,
        message: 'line break in a mail field', matched: JSON.stringify(value.slice(Math.max(0, first - 20), first + 40)).slice(1, -1).slice(0, 120),
      });
    }
  },
};
