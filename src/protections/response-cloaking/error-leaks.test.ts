import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findErrorLeaks, MAX_SCANNED_ERROR_CHARS } from './error-leaks.ts';

/** Error bodies as the runtimes and frameworks print them (shortened), with the kind each must be reported as. */
const SAMPLES: [string, string][] = [
  ['stack-trace:java', 'java.lang.NullPointerException: Cannot invoke "String.length()"\n\tat com.example.shop.ShopService.find(ShopService.java:42)\n\tat com.example.shop.ShopController.get(ShopController.java:17)'],
  ['stack-trace:java', '{"timestamp":"2026-01-01T00:00:00Z","status":500,"error":"Internal Server Error","trace":"java.lang.IllegalStateException: boom\\n\\tat org.example.App.main(App.java:10)\\n"}'],
  ['stack-trace:java', 'Exception in thread "main" kotlin.KotlinNullPointerException\n    at shop.MainKt.main(Main.kt:3)'],
  ['stack-trace:python', 'Traceback (most recent call last):\n  File "/app/shop/views.py", line 42, in get_shop\n    return shops[name]\nKeyError: \'alice\''],
  ['stack-trace:python', '{"detail": "  File \\"/srv/app/main.py\\", line 7, in handler\\n"}'],
  ['stack-trace:node', "TypeError: Cannot read properties of undefined (reading 'id')\n    at getShop (/srv/shop/routes/shops.js:27:18)\n    at Layer.handle [as handle_request] (/srv/shop/node_modules/express/lib/router/layer.js:95:5)"],
  ['stack-trace:node', '<pre>Error: boom<br> &nbsp; &nbsp;at /app/server.mjs:12:9<br> &nbsp; &nbsp;at process.processTicksAndRejections (node:internal/process/task_queues:95:5)</pre>'],
  ['stack-trace:dotnet', 'System.NullReferenceException: Object reference not set to an instance of an object.\n   at Shop.Api.Controllers.ShopController.Get(String name) in C:\\src\\Shop.Api\\Controllers\\ShopController.cs:line 31'],
  ['stack-trace:dotnet', 'System.Exception: x\n   at System.Threading.Tasks.Task.Execute()\n--- End of stack trace from previous location ---'],
  ['stack-trace:php', "PHP Fatal error:  Uncaught Error: Call to a member function fetch() on bool in /var/www/html/shop.php:12\nStack trace:\n#0 {main}\n  thrown in /var/www/html/shop.php on line 12"],
  ['stack-trace:php', '<br />\n<b>Warning</b>:  Undefined variable $shop in <b>/var/www/html/index.php</b> on line <b>8</b><br />'],
  ['stack-trace:go', 'panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation]\n\ngoroutine 1 [running]:\nmain.handler(...)\n\t/app/main.go:23 +0x1d'],
  ['stack-trace:ruby', "NoMethodError (undefined method `name' for nil):\napp/controllers/shops_controller.rb:12:in `show'"],
  ['sql-error:mysql', "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''alice'' at line 1"],
  ['sql-error:postgresql', 'ERROR:  syntax error at or near "FROM"\nLINE 1: SELECT * FROM FROM shops'],
  ['sql-error:postgresql', 'ERROR: relation "shopz" does not exist'],
  ['sql-error:oracle', 'ORA-00933: SQL command not properly ended'],
  ['sql-error:mssql', "Unclosed quotation mark after the character string 'alice'. Incorrect syntax near 'alice'."],
  ['sql-error:sqlite', 'sqlite3.OperationalError: near "FORM": syntax error'],
  ['sql-error:sqlite', 'SQLITE_ERROR: no such table: shopz'],
  ['sql-error:generic', "SQLSTATE[42S02]: Base table or view not found: 1146 Table 'shop.shopz' doesn't exist"],
  ['debug-page:django', "<p>You're seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p>"],
  ['debug-page:werkzeug', '<title>KeyError // Werkzeug Debugger</title>'],
  ['debug-page:rails', '<h1>Action Controller: Exception caught</h1>'],
  ['debug-page:laravel', '{"message":"Server Error","exception":"Illuminate\\\\Database\\\\QueryException"}'],
  ['debug-page:symfony', 'Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException'],
  ['debug-page:spring', '<html><body><h1>Whitelabel Error Page</h1><p>This application has no explicit mapping for /error</p></body></html>'],
  ['debug-page:aspnet', "<h1>Server Error in '/' Application.</h1>"],
  ['debug-page:tomcat', '<h3>Apache Tomcat/9.0.65</h3>'],
];

describe('error leaks', () => {
  for (const [kind, body] of SAMPLES) {
    test(`${kind}: ${JSON.stringify(body.slice(0, 50))}`, () => assert.ok(findErrorLeaks(body).includes(kind), `${findErrorLeaks(body).join(',')}`));
  }

  test('ordinary error bodies are not leaks', () => {
    for (const body of [
      '{"error":"internal error"}', '{"type":"about:blank","title":"Service Unavailable","status":503}', '<h1>502 Bad Gateway</h1><hr><center>nginx</center>',
      'Upstream timed out, try again at 10:30', '{"error":"order 4111 failed at step 2 (payment)"}', 'Something went wrong. Please try again later.',
    ]) assert.deepEqual(findErrorLeaks(body), [], body);
  });

  test('an oversized error body counts as a leak without being scanned', () => {
    assert.deepEqual(findErrorLeaks('x'.repeat(MAX_SCANNED_ERROR_CHARS + 1)), ['oversized-error-body']);
  });

  test('the scan stays fast on hostile bodies', () => {
    for (const body of ['at a.'.repeat(100_000), 'File "'.repeat(80_000), 'at x ('.repeat(80_000), '.go:1 +0x'.repeat(50_000), 'near "'.repeat(80_000)]) {
      const started = process.hrtime.bigint();
      findErrorLeaks(body.slice(0, MAX_SCANNED_ERROR_CHARS));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 2000, `${JSON.stringify(body.slice(0, 8))}: ${ms} ms`);
    }
  });
});
