/**
 * Recognises upstream error bodies that leak internals: stack traces, SQL error messages, framework debug pages.
 * Only run on 5xx bodies. Literal needles (case-sensitive, as the runtimes print them) and a few small anchored
 * regular expressions; each check is one linear pass. The needles work on raw text, HTML and JSON-escaped text
 * alike (frames are recognised by their own shape, not by line breaks).
 */

interface LeakRule {
  readonly kind: string;
  readonly needles?: readonly string[];
  readonly patterns?: readonly RegExp[];
}

const RULES: readonly LeakRule[] = [
  // Framework debug pages first: the most specific names.
  { kind: 'debug-page:django', needles: ["You're seeing this error because you have <code>DEBUG = True</code>", 'in your Django settings file', 'Django Version:'] },
  { kind: 'debug-page:werkzeug', needles: ['Werkzeug Debugger', 'The debugger caught an exception in your WSGI application', '?__debugger__=yes'] },
  { kind: 'debug-page:rails', needles: ['Action Controller: Exception caught', 'Rails.root:', 'ActionView::Template::Error'] },
  { kind: 'debug-page:laravel', needles: ['Whoops! There was an error', 'Whoops, looks like something went wrong', 'Illuminate\\', 'laravel/framework'] },
  { kind: 'debug-page:symfony', needles: ['Symfony\\Component\\', 'Symfony\\\\Component', 'symfony/error-handler', 'class="sf-dump"'] },
  { kind: 'debug-page:spring', needles: ['Whitelabel Error Page'] },
  { kind: 'debug-page:aspnet', needles: ["Server Error in '", 'ASP.NET is configured to show verbose error messages', 'Version Information: Microsoft .NET Framework', 'An unhandled exception occurred while processing the request'] },
  { kind: 'debug-page:tomcat', needles: ['Apache Tomcat/', 'Powered by Jetty://'] },
  // SQL errors.
  { kind: 'sql-error:mysql', needles: ['You have an error in your SQL syntax', 'server version for the right syntax', 'MySqlException', 'com.mysql.jdbc', 'com.mysql.cj.jdbc', 'MySQLSyntaxErrorException', 'mysqli_sql_exception', 'Warning: mysql_', 'Warning: mysqli_', 'MySqlClient.'] },
  {
    kind: 'sql-error:postgresql',
    needles: ['syntax error at or near', 'PSQLException', 'org.postgresql.', 'PG::SyntaxError', 'PG::UndefinedTable', 'PG::UndefinedColumn', 'pg_query(', 'unterminated quoted string at or near', 'invalid input syntax for type', 'current transaction is aborted, commands ignored', 'psycopg2.', 'Npgsql.'],
    patterns: [/(?:relation|column) "[^"\n]{1,128}" does not exist/],
  },
  { kind: 'sql-error:oracle', needles: ['PLS-00', 'OracleException', 'oracle.jdbc', 'quoted string not properly terminated', 'SQL command not properly ended', 'cx_Oracle.'], patterns: [/\bORA-\d{5}/] },
  { kind: 'sql-error:mssql', needles: ['Unclosed quotation mark after the character string', 'Incorrect syntax near', '[Microsoft][ODBC SQL Server Driver]', '[SQL Server]', 'System.Data.SqlClient.', 'Microsoft.Data.SqlClient', 'Microsoft OLE DB Provider for SQL Server', 'SQL Server Native Client', 'com.microsoft.sqlserver.jdbc'] },
  { kind: 'sql-error:sqlite', needles: ['SQLITE_ERROR', 'SQLITE_CONSTRAINT', 'sqlite3.OperationalError', 'sqlite3.IntegrityError', 'SQLiteException', 'SQLite3::SQLException', 'no such table:', 'no such column:', 'unrecognized token:'], patterns: [/near "[^"\n]{1,64}": syntax error/] },
  { kind: 'sql-error:generic', needles: ['SQLSTATE[', 'SQLException', 'JDBCException', 'java.sql.', 'PDOException', 'SequelizeDatabaseError', 'QueryFailedError', 'sqlalchemy.exc.', 'ActiveRecord::StatementInvalid', 'DbUpdateException', 'PrismaClientKnownRequestError', 'ODBC Driver'] },
  // Stack traces.
  {
    kind: 'stack-trace:java',
    needles: ['Exception in thread "', 'at java.base/', 'at sun.reflect.', 'at jdk.internal.'],
    // No word boundary before `at`: in JSON-escaped traces the frame follows `\t` written as two characters.
    patterns: [/at (?:[\w$]+\.)+[\w$<>]+\((?:[\w$]+\.(?:java|kt|scala|groovy):\d+|Native Method|Unknown Source)\)/],
  },
  { kind: 'stack-trace:python', needles: ['Traceback (most recent call last)'], patterns: [/File \\?"[^"\n]{1,400}", line \d{1,7}, in /] },
  { kind: 'stack-trace:node', needles: ['at node:internal/', '(node:internal/', 'at process.processTicksAndRejections'], patterns: [/\bat [^\s()]{1,200} \([^\s()]{1,400}\.(?:[cm]?js|tsx?|jsx):\d+:\d+\)/, /\bat (?:file:\/\/)?\/[^\s():]{1,400}\.(?:[cm]?js|tsx?|jsx):\d+:\d+/] },
  { kind: 'stack-trace:dotnet', needles: ['--- End of stack trace from previous location', '--- End of inner exception stack trace ---', 'System.NullReferenceException', 'System.InvalidOperationException'], patterns: [/\.(?:cs|vb):line \d+/, /\bat System\.[\w.`]+\(/] },
  { kind: 'stack-trace:php', needles: ['PHP Fatal error', 'PHP Warning:', 'PHP Parse error', 'Fatal error</b>:', 'Fatal error: Uncaught', '#0 {main}'], patterns: [/\.php(?:<\/b>)? on line (?:<b>)?\d+/, /\.php\(\d+\): /] },
  { kind: 'stack-trace:go', needles: ['panic: runtime error', 'goroutine 1 [running]'], patterns: [/goroutine \d+ \[[a-z ]{1,40}\]:/, /\.go:\d+ \+0x[0-9a-f]+/] },
  { kind: 'stack-trace:ruby', patterns: [/\.rb:\d+:in [`']/] },
];

/** 5xx bodies longer than this are not scanned: they are treated as a leak (an error page should be small). */
export const MAX_SCANNED_ERROR_CHARS = 512 * 1024;

/** The kinds of leak found in an error body (empty: none), in rule order. */
export function findErrorLeaks(text: string): string[] {
  if (text.length > MAX_SCANNED_ERROR_CHARS) return ['oversized-error-body'];
  const kinds: string[] = [];
  for (const rule of RULES) {
    if (rule.needles?.some((needle) => text.includes(needle)) || rule.patterns?.some((pattern) => pattern.test(text))) kinds.push(rule.kind);
  }
  return kinds;
}
