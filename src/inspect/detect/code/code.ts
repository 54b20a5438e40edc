import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { ID, NUM, PUNCT, STR, isIdentPart, matchBrackets, tokenize, type Tok } from './tokens.ts';
import { isFileNameField } from '../field-name.ts';
import { storedUploadNames } from '../upload-name.ts';

/**
 * Server-side code injection in Node.js, Python, Ruby and Perl (what OWASP CRS 934 covers besides SSRF).
 *
 * The value is read with a small token scanner (identifiers, strings, numbers, punctuation; see `tokens.ts`) and
 * decided from structure: a dangerous callee reached through a call or member chain is the attack at paranoia 1
 * (`require('child_process')`, `process.mainModule`, `__import__('os').system(...)`, `subprocess.Popen([...])`,
 * `Kernel.exec`, `IO.popen`, `qx{...}`, `open(F, "|cmd")`), and so is code handed to an evaluator when it is
 * decoded on the fly or reaches the process (`eval(atob(..))`, `Function("return process")()`,
 * `exec(compile(..))`). The same names as bare words (prose about processes, systems and requirements, a Python
 * tutorial sentence, `require('lodash')` in a README) give nothing or only a paranoia 2/3 finding.
 *
 * Besides code, serialized payloads: node-serialize `_$$ND_FUNC$$_`, funcster `__js_function`, Python pickle
 * GLOBAL opcodes naming `os`/`subprocess`/`builtins` (text and binary, raw or base64), YAML tags that construct
 * objects (`!!python/object/apply:`, `!ruby/object:Gem::...`, `!!js/function`), jsonpickle `py/reduce`, Ruby
 * Marshal/YAML gadget classes, React Server Components reference paths through `constructor`/`__proto__`.
 * And JavaScript denial of service: constant-true loops with an empty body (`while(!0);`, `for(;;){}`).
 *
 * Left to other detectors: shell commands (cmdi), template delimiters (ssti), PHP and Java (php, java), browser
 * sinks such as `alert`/`document.cookie` (xss), `__proto__` keys (prototype-pollution), ORM lookups (nosqli).
 * Each string literal is also read as code (two levels deep), and the value is read a second time as if it
 * started inside a quoted string (`'+require('child_process')...+'`), within a budget linear in its length.
 */

interface Hit { ruleId: string; paranoia: Paranoia; message: string; at: number }

// ------------------------------------------------------------------ vocabulary

/** Members of the Node.js modules that run commands, read/write files, open sockets or compile code. */
const NODE_EXEC = new Set(['exec', 'execsync', 'spawn', 'spawnsync', 'execfile', 'execfilesync', 'fork', '_forkchild']);
const FS_MEMBERS = new Set([
  'readfilesync', 'readfile', 'writefilesync', 'writefile', 'appendfilesync', 'appendfile', 'unlinksync', 'unlink',
  'rmsync', 'rm', 'rmdirsync', 'rmdir', 'readdirsync', 'readdir', 'createreadstream', 'createwritestream',
  'copyfilesync', 'copyfile', 'chmodsync', 'chmod', 'symlinksync', 'symlink', 'opensync', 'renamesync', 'truncatesync',
  'writesync', 'readsync', 'cpsync', 'readlinksync', 'realpathsync',
]);
const VM_MEMBERS = new Set(['runinnewcontext', 'runinthiscontext', 'runincontext', 'script', 'compilefunction', 'sourcetextmodule']);
/** Modules whose `require`/`import` is the attack when a dangerous member is used right away (paranoia 2 alone). */
const NODE_SENSITIVE_MODULES = new Map<string, ReadonlySet<string>>([
  ['fs', FS_MEMBERS],
  ['fs/promises', FS_MEMBERS],
  ['vm', VM_MEMBERS],
  ['net', new Set(['connect', 'createconnection', 'socket'])],
  ['worker_threads', new Set(['worker'])],
  ['module', new Set(['_load', '_compile'])],
  ['process', new Set(['binding', 'mainmodule', 'dlopen', 'env'])],
  ['v8', new Set(['setflagsfromstring'])],
  ['inspector', new Set(['open'])],
  ['dgram', new Set(['createsocket'])],
  ['cluster', new Set(['fork'])],
  ['http', new Set(['get', 'request'])],
  ['https', new Set(['get', 'request'])],
]);
/** `process.<member>` that is the attack on its own. */
const PROCESS_CRITICAL = new Set(['mainmodule', 'binding', '_linkedbinding', 'dlopen', 'getbuiltinmodule', 'moduleloadlist', 'reallyexit', '_getactivehandles', 'openstdin', 'setuid', 'setgid', 'seteuid', 'initgroups']);
/** Members of the global object that reach the process. */
const GLOBAL_DANGER = new Set(['process', 'require', 'mainmodule', 'child_process', 'module']);
/** Native bindings that run commands or touch files (`process.binding('spawn_sync').spawn(...)`). */
const NATIVE_BINDINGS = new Set(['spawn_sync', 'process_wrap', 'fs', 'fs_dir', 'pipe_wrap', 'tcp_wrap', 'natives', 'os', 'child_process', 'constants', 'util', 'contextify', 'module_wrap', 'worker', 'cares_wrap', 'stream_wrap', 'udp_wrap', 'tty_wrap', 'fs_event_wrap', 'signal_wrap', 'inspector', 'v8', 'buffer', 'uv', 'errors']);
/** `process.<member>` that a code snippet may use: paranoia 2. */
const PROCESS_SENSITIVE = new Set(['env', 'exit', 'kill', 'abort', 'chdir', 'umask', 'execpath', 'execargv', '_rawdebug', 'getuid', 'geteuid', 'stdin']);

/**
 * Objects whose members run commands: member -> paranoia when called (1), or as a reference or a call (2).
 * Python `os`/`posix`/`subprocess`/`pty`/`commands`, Ruby `Kernel`/`IO`/`Open3`/`Process`/`PTY`, Perl `CORE::`,
 * Node `child_process`, Deno, Bun.
 */
const EXEC_OBJECTS = new Map<string, ReadonlyMap<string, Paranoia>>();
function members(names: string, pl: Paranoia, into: Map<string, Paranoia> = new Map()): Map<string, Paranoia> {
  for (const name of names.split(' ')) if (name) into.set(name, pl);
  return into;
}
const PY_OS = members('system popen popen2 popen3 popen4 execl execle execlp execlpe execv execve execvp execvpe spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe posix_spawn posix_spawnp startfile dup2 forkpty', 1,
  members('fork kill killpg remove unlink rmdir removedirs listdir scandir walk chmod chown environ getenv putenv setuid chroot rename symlink getcwd', 2));
EXEC_OBJECTS.set('os', PY_OS);
EXEC_OBJECTS.set('posix', PY_OS);
EXEC_OBJECTS.set('nt', PY_OS);
EXEC_OBJECTS.set('subprocess', members('popen call run check_output check_call getoutput getstatusoutput', 1));
EXEC_OBJECTS.set('commands', members('getoutput getstatusoutput getstatus', 1));
EXEC_OBJECTS.set('platform', members('popen', 1));
EXEC_OBJECTS.set('pty', members('spawn', 1, members('fork openpty', 2)));
EXEC_OBJECTS.set('kernel', members('exec system spawn fork syscall open eval instance_eval send public_send __send__ ` exit!', 1, members('load require const_get autoload', 2)));
EXEC_OBJECTS.set('io', members('popen sysopen', 1));
EXEC_OBJECTS.set('open3', members('popen3 popen2 popen2e capture2 capture2e capture3 pipeline pipeline_r pipeline_w pipeline_rw pipeline_start', 1));
EXEC_OBJECTS.set('process', members('spawn exec daemon', 1, members('fork detach', 2)));
EXEC_OBJECTS.set('core', members('system exec readpipe fork syscall', 1, members('eval require do global', 2)));
EXEC_OBJECTS.set('child_process', members([...NODE_EXEC].join(' '), 1));
EXEC_OBJECTS.set('deno', members('run command', 1));
EXEC_OBJECTS.set('bun', members('spawn spawnsync $', 1));
EXEC_OBJECTS.set('builtins', members('eval exec __import__ compile execfile', 1, members('open getattr globals', 2)));
EXEC_OBJECTS.set('__builtins__', members('eval exec __import__ compile execfile open getattr', 1));
EXEC_OBJECTS.set('__builtin__', members('eval exec __import__ compile execfile open getattr', 1));

/** Python modules whose import is the first step of command execution. */
const PY_DANGER_MODULES = new Set(['os', 'subprocess', 'pty', 'socket', 'commands', 'posix', 'nt', 'ctypes', 'builtins', '__builtin__', 'importlib', 'platform', 'shutil', 'code', 'runpy', 'pickle', 'marshal', 'sys']);
/** Python pickle GLOBAL modules that lead to code execution. */
const PICKLE_MODULES = new Set(['os', 'posix', 'nt', 'subprocess', 'builtins', '__builtin__', 'commands', 'pty', 'socket', 'sys', 'platform', 'shutil', 'importlib', 'runpy', 'code', 'ctypes', 'webbrowser', 'timeit', 'pdb', 'operator', 'functools', 'codecs', 'eval', 'exec', 'apply']);

/** Callables a pickle GLOBAL opcode names in exploits. */
const PICKLE_NAMES = new Set(['system', 'popen', 'Popen', 'exec', 'eval', 'execv', 'execve', 'execl', 'spawnl', 'spawnv', 'getoutput', 'check_output', 'check_call', 'call', 'run', '__import__', 'apply', 'getattr', 'open', 'compile', 'spawn', 'run_path', 'run_module', 'timeit', 'attrgetter', 'methodcaller', 'partial', 'create_connection', 'socket', 'open_new', 'interact', 'rmtree', 'remove', 'unlink', 'startfile', 'dup2', 'execfile', 'input', 'exit']);

/** Names that, inside code handed to an evaluator, make it reach the process. */
const EVAL_DANGER = new Set([
  'process', 'require', 'child_process', 'mainmodule', 'global', 'globalthis', 'constructor', '__import__',
  'subprocess', 'popen', 'system', 'exec', 'execsync', 'spawn', 'spawnsync', 'execfile', 'kernel', 'open3',
  'readpipe', '__builtins__', '__globals__', '__subclasses__', 'shell_exec', 'passthru', 'proc_open', 'getruntime',
  'processbuilder', 'readfilesync', 'writefilesync', 'import', 'qx', 'popen3', 'check_output', 'os',
]);
/** Calls that decode or assemble code (eval of their result is obfuscated code execution). */
const DECODE_WORDS = new Set([
  'fromcharcode', 'atob', 'b64decode', 'decodebytes', 'b32decode', 'b16decode', 'a85decode', 'b85decode',
  'unhexlify', 'fromhex', 'decompress', 'decode64', 'strict_decode64', 'urlsafe_decode64', 'urlsafe_b64decode',
  'unpack1', 'unescape', 'decodeuricomponent', 'rot13', 'compile', 'base64_decode', 'gzinflate', 'str_rot13',
  'buffer', 'codecs', 'base64', 'zlib', 'reverse', 'reversed', 'chr', 'fromcodepoint', 'hex2bin', 'bytes',
  'bytearray', 'decodestring', 'pack',
]);
/** Evaluators: what they run is code. */
const EVALUATORS = new Set(['eval', 'exec', 'instance_eval', 'class_eval', 'module_eval', 'instance_exec', 'class_exec', 'execfile', 'evaluate', 'execute', 'executeglobal']);
/**
 * COM objects of classic ASP and Windows Script Host (`CreateObject("WScript.Shell")`, JScript `new ActiveXObject(...)`):
 * those that run commands (paranoia 1), and those webshells use to write files and fetch payloads (paranoia 2).
 */
const COM_OBJECTS = new Map<string, Paranoia>([
  ['wscript.shell', 1], ['shell.application', 1], ['wscript.network', 2], ['scripting.filesystemobject', 2],
  ['adodb.stream', 2], ['msxml2.serverxmlhttp', 2], ['msxml2.xmlhttp', 2], ['microsoft.xmlhttp', 2],
  ['winhttp.winhttprequest.5.1', 2], ['wscript.shell.1', 1],
]);
/** Ruby method names whose `send(:name, ...)` / `method(:name)` is command or code execution. */
const RUBY_SEND_NAMES = new Set(['system', 'exec', 'spawn', 'eval', 'instance_eval', 'class_eval', 'module_eval', '`', 'syscall', 'popen', 'open', 'fork', 'load', 'require', 'const_get', 'instance_variable_set', 'define_method', 'send', 'public_send', 'binding']);
/** Python names whose string argument to `getattr` is the attack. */
const PY_GETATTR_NAMES = new Set(['system', 'popen', 'eval', 'exec', '__import__', '__globals__', '__subclasses__', '__builtins__', 'check_output', 'spawn', 'getoutput', 'popen2', 'execv', 'execl', '__getattribute__', 'compile', 'import_module']);

/** Python dunders that lead from any object to modules and builtins. */
const STRONG_DUNDERS = new Set([
  '__globals__', '__subclasses__', '__mro__', '__bases__', '__base__', '__builtins__', '__getattribute__',
  '__code__', '__reduce__', '__reduce_ex__', '__import__', '__loader__', '__spec__', 'func_globals', 'f_globals',
  '__closure__', '__self__', '__func__', 'gi_frame', 'f_back', 'tb_frame', '__dict__', '__class__', '__init__',
]);
/**
 * Of those, the ones that escape from an object to classes, modules and builtins: in a chain with another dunder
 * they are the attack, alone paranoia 2.
 */
const RARE_DUNDERS = new Set(['__globals__', '__subclasses__', '__mro__', '__bases__', '__base__', '__builtins__', '__getattribute__', '__reduce__', '__reduce_ex__', 'func_globals', 'f_globals', '__import__', '__loader__']);
/** Keys whose lookup in `__globals__`/`__builtins__` reaches modules or code execution. */
const GLOBALS_KEYS = new Set(['__builtins__', 'os', 'sys', '__import__', 'subprocess', 'eval', 'exec', 'open', 'builtins', '__loader__', 'compile', 'execfile', 'getattr', 'popen', 'system', 'linecache', 'importlib']);

/** Deserialization sinks (a call of one in a request is code, not data): paranoia 2, 1 with a decoder inside. */
const DESERIALIZERS = new Map<string, ReadonlySet<string>>([
  ['pickle', new Set(['loads', 'load', 'unpickler'])],
  ['cpickle', new Set(['loads', 'load', 'unpickler'])],
  ['_pickle', new Set(['loads', 'load', 'unpickler'])],
  ['dill', new Set(['loads', 'load'])],
  ['shelve', new Set(['open'])],
  ['jsonpickle', new Set(['decode', 'loads'])],
  ['yaml', new Set(['load', 'unsafe_load', 'full_load', 'load_all', 'unsafe_load_all'])],
  ['marshal', new Set(['load', 'loads', 'restore'])],
]);

/** Truthy global constructors and objects (`while(String)`). */
const TRUTHY_GLOBALS = new Set([
  'String', 'Number', 'Object', 'Array', 'Boolean', 'Function', 'Date', 'Math', 'JSON', 'Symbol', 'RegExp', 'Error',
  'Promise', 'Map', 'Set', 'WeakMap', 'Reflect', 'Proxy', 'globalThis', 'BigInt', 'Intl', 'console', 'process',
  'this', 'window', 'document', 'self', 'global',
]);

/** Words after which a call starts a statement or expression (not prose). */
const STMT_WORDS = new Set([
  'return', 'do', 'then', 'else', 'and', 'or', 'not', 'await', 'yield', 'void', 'typeof', 'in', 'of', 'case',
  'when', 'unless', 'if', 'while', 'begin', 'lambda', 'print', 'puts', 'echo', 'eval', 'exec', 'try', 'finally',
  'except', 'rescue', 'ensure', 'elif', 'elsif', 'until', 'throw', 'raise', 'assert', 'new',
]);
const STMT_PUNCT = new Set([';', '{', '}', '(', '[', ',', '=', ':', '!', '&', '|', '?', '<', '>', '+', '-', '*', '/', '%', '^', '~', '@', '\\', '=>', '`', '.', "'", '"']);

const SENSITIVE_PATH_PREFIXES = ['/etc/', '/proc/', '/root', '/home/', '/var/', '/usr/', '/bin/', '/sys/', '/opt/', '~/', 'c:\\', 'c:/', '\\\\', '../', '..\\', '/etc', '/.'];

const STD_HANDLES = new Set(['STDIN', 'STDOUT', 'STDERR']);

/** Ruby gadget classes of Marshal/YAML deserialization chains (case-sensitive). */
const RUBY_GADGETS = [
  'Gem::Requirement', 'Gem::Installer', 'Gem::StubSpecification', 'Gem::Package::TarReader', 'Gem::RequestSet',
  'Gem::Source::SpecificFile', 'Gem::Resolver::', 'Gem::DependencyList', 'Net::WriteAdapter', 'Net::BufferedIO',
  'DeprecatedInstanceVariableProxy', 'ActiveModel::AttributeMethods::ClassMethods::CodeGenerator',
  'ActionDispatch::Routing::RouteSet::NamedRouteCollection', 'Gem::Version::', 'Gem::Security::Policy',
];
/**
 * .NET types that deserializers letting the payload name the type (Json.NET with TypeNameHandling, JavaScriptSerializer
 * and DataContractJsonSerializer `__type`, XmlSerializer, XAML, YamlDotNet, fastJSON, BinaryFormatter) turn into a
 * process start, code load or file operation: the gadgets of the published .NET deserialization chains. Full names,
 * case-sensitive as the type resolvers read them. (`System.Diagnostics.Process` itself is cmdi's.)
 */
const DOTNET_GADGETS = [
  'System.Windows.Data.ObjectDataProvider', 'System.Windows.Markup.XamlReader', 'System.Windows.ResourceDictionary',
  'System.Security.Principal.WindowsIdentity', 'System.Windows.Forms.AxHost+State', 'System.Windows.Data.XmlDataProvider',
  'System.Configuration.Install.AssemblyInstaller', 'System.Activities.Presentation.WorkflowDesigner',
  'System.Management.Automation.PSObject', 'System.Data.Services.Internal.ExpandedWrapper',
  'System.IdentityModel.Tokens.SessionSecurityToken', 'System.Web.Security.RolePrincipal',
  'System.DelegateSerializationHolder', 'System.CodeDom.Compiler.TempFileCollection', 'System.Runtime.Remoting.ObjRef',
  'System.Web.UI.LosFormatter', 'System.Web.UI.ObjectStateFormatter', 'System.Runtime.Serialization.Formatters.Binary.BinaryFormatter',
  'Microsoft.VisualStudio.Text.Formatting.TextFormattingRunProperties', 'Microsoft.PowerShell.Editor',
];
/**
 * Where a type is named for a deserializer: Json.NET's `$type` (and `$types`), the `__type` of the ASP.NET
 * serializers, an XML `type=` attribute, YamlDotNet's `!<!...>` tag, XAML's `ObjectType=` and `{x:Type`.
 */
const DOTNET_TYPE_MARKERS = ['$type', '__type', 'type="', "type='", '!<!', 'ObjectType', 'x:Type', 'MethodName'];

/** Class prefixes whose construction from a YAML document is the attack at paranoia 1. */
const RUBY_DANGER_CLASSES = ['Gem::', 'Net::', 'ERB', 'ActiveSupport', 'ActionController', 'ActionDispatch', 'ActiveModel', 'ActiveRecord', 'Kernel', 'Process', 'IO', 'Open3', 'Object', 'Class', 'Module', 'Rack::', 'Psych', 'Sprockets', 'Logger', 'File', 'Dir', 'Method', 'Proc', 'Binding', 'OpenStruct', 'Set'];

/**
 * Words the rules start from. A strong anchor is rare in prose; a weak one is an English word too and counts only
 * glued to code punctuation (`process.`, `require(`, `open(`, `system '...'`). A value without anchors holds no code
 * these rules could find, and is not tokenized at all.
 */
const STRONG_ANCHORS = new Set([
  'child_process', 'mainmodule', 'constructor', '__import__', 'import_module', 'getattr', 'public_send', '__send__',
  'const_get', 'execsync', 'spawnsync', 'execfilesync', 'execfile', 'readpipe', 'instance_eval', 'class_eval',
  'module_eval', 'instance_exec', 'class_exec', 'subprocess', 'popen', 'open3', 'pickle', 'cpickle', '_pickle',
  'dill', 'jsonpickle', 'marshal', 'globalthis', 'erb', 'qx', 'qq', 'settimeout', 'setinterval', 'setimmediate',
  'eval', 'exec', 'kernel', 'builtins', 'posix', 'pty', 'vm', 'fs', 'console', 'func_globals', 'f_globals', 'deno',
  'shelve', 'importlib', 'evaluate', 'executeglobal', 'createobject', 'activexobject',
]);
const WEAK_ANCHORS = new Set([
  'require', 'import', 'process', 'global', 'root', 'function', 'module', 'open', 'read', 'write', 'readlines',
  'foreach', 'binread', 'while', 'for', 'system', 'spawn', 'os', 'io', 'nt', 'commands', 'platform', 'core', 'send',
  'method', 'yaml', 'bun', 'q', 'execute',
]);
/** ASCII identifier characters (letters, digits, `_`, `$`). */
const IDENT = new Uint8Array(128);
for (let c = 0; c < 128; c++) IDENT[c] = isIdentPart(c) ? 1 : 0;


/** Anchors by first letter and length (`first * 32 + length`): 1 strong, 2 weak. */
const ANCHOR_INDEX: ([string, number][] | undefined)[] = new Array(128 * 32);
for (const [set, kind] of [[STRONG_ANCHORS, 1], [WEAK_ANCHORS, 2]] as const) {
  for (const w of set) {
    const key = w.charCodeAt(0) * 32 + w.length;
    (ANCHOR_INDEX[key] ??= []).push([w, kind]);
  }
}

/** 1 (strong anchor), 2 (weak anchor) or 0 for the word v[i, j), compared case-insensitively without allocating. */
function anchorKind(v: string, i: number, j: number): number {
  let first = v.charCodeAt(i);
  if (first >= 65 && first <= 90) first += 32;
  const len = j - i;
  if (first === 95 && len > 4 && v.charCodeAt(i + 1) === 95 && v.charCodeAt(j - 1) === 95 && v.charCodeAt(j - 2) === 95) return 1;
  if (first >= 128 || len >= 32) return 0;
  const list = ANCHOR_INDEX[first * 32 + len];
  if (!list) return 0;
  for (const [w, kind] of list) {
    let k = 1;
    for (; k < len; k++) {
      let c = v.charCodeAt(i + k);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== w.charCodeAt(k)) break;
    }
    if (k === len) return kind;
  }
  return 0;
}

/** What one pass over the value finds: anchor offsets (ascending, at most 4096), binary bytes, long runs. */
interface Facts {
  readonly anchors: readonly number[];
  /**
   * Control characters (not tab/CR/LF) or DEL outside identifiers: possibly binary data. (The C1 controls and U+FFFD
   * count as identifier characters here, so they never set it.)
   */
  readonly binary: boolean;
  /** An identifier-like run of 12+ characters (a base64 token may hold a binary payload). */
  readonly longRun: boolean;
  /**
   * The value holds `$`, `!`, a line feed, `__`, `py/` or `%x`: what every check of `markers` but the binary and
   * long-run ones needs (node-serialize and React references, funcster, YAML tags, jsonpickle, text pickles), and
   * what `readCode` needs when there is no anchor (a Ruby `%x` command literal).
   */
  readonly hint: boolean;
}

/** Nothing found (most values): shared, so the pass allocates nothing for them. */
const NO_FACTS: Facts = { anchors: [], binary: false, longRun: false, hint: false };

/**
 * The anchor pass is the cost of this detector on ordinary text, which has no anchor: it looks at every character.
 * It is kept lean: a class table per ASCII character, and `anchorKind` only for the words whose first letter, last
 * letter and length are those of an anchor (ANCHOR_KEYS). Long pure-ASCII values are read from their bytes
 * (`TextEncoder`: the same characters at the same offsets), which JavaScript reads much faster than a string.
 */
function facts(v: string): Facts {
  if (v.length >= BYTES_MIN && v.length <= BYTES_MAX) {
    const bytes = asciiBytes(v);
    if (bytes !== undefined) return quietBytes(v, bytes) ? NO_FACTS : factsOfBytes(v, bytes);
  }
  return v.length < BYTES_MIN && quietChars(v) ? NO_FACTS : factsOf(v);
}

/**
 * ASCII classes for the anchor pass: 1 an identifier character, 4 one that matters to `hint` (`$`, `_`), 2 a control
 * character of binary data, 3 punctuation that matters to `hint` (`!`, line feed, `/`, `%`), 0 other.
 */
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  CHAR_CLASS[c] = c === 36 || c === 95 ? 4 : IDENT[c] === 1 ? 1 : (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f ? 2 :
    c === 33 || c === 10 || c === 47 || c === 37 ? 3 : 0;
}

/** Whether the punctuation (class 3) at v[i] completes a hint: `!`, a line feed, `py/`, `%x`. */
function punctHint(v: string, i: number, c: number): boolean {
  if (c === 47) return i >= 2 && v.charCodeAt(i - 1) === 121 && v.charCodeAt(i - 2) === 112;
  if (c === 37) return v.charCodeAt(i + 1) === 120;
  return true;
}
/** Whether the identifier character (class 4) at v[i] completes a hint: `$`, `__`. */
function identHint(v: string, i: number, c: number): boolean {
  return c === 36 || v.charCodeAt(i + 1) === 95;
}

/** Case-folded 5-bit codes of the ASCII identifier characters (letters 0-25, `_` 26, any digit 27, `$` 28). */
const CODE5 = new Uint8Array(128).fill(31);
for (let c = 97; c <= 122; c++) CODE5[c] = CODE5[c - 32] = c - 97;
CODE5[95] = 26;
for (let c = 48; c <= 57; c++) CODE5[c] = 27;
CODE5[36] = 28;

/**
 * The (first character, last character, length) of every anchor, case-folded. A word equal to an anchor has its
 * key, so a word whose key is not here is no anchor (except the dunder rule's `__name__`, which starts with `_`).
 */
const ANCHOR_KEYS = new Uint8Array(32 * 32 * 32);
for (const w of [...STRONG_ANCHORS, ...WEAK_ANCHORS]) ANCHOR_KEYS[anchorKey(w.charCodeAt(0), w.charCodeAt(w.length - 1), w.length)] = 1;
function anchorKey(first: number, last: number, len: number): number {
  return (CODE5[first]! * 32 + CODE5[last]!) * 32 + len;
}
/** Whether `anchorKind` can find an anchor in a word of 1-20 characters with these first and last characters. */
function mayBeAnchor(first: number, last: number, len: number): boolean {
  return first === 95 || (first < 128 && last < 128 && ANCHOR_KEYS[anchorKey(first, last, len)] === 1);
}

/** Appends i to `out` when the word v[i, j) is an anchor: a strong one, or a weak one glued to code punctuation. */
function recordAnchor(v: string, i: number, j: number, out: number[]): void {
  const kind = anchorKind(v, i, j);
  if (kind === 1) {
    out.push(i);
  } else if (kind === 2) {
    const n = v.length;
    const len = j - i;
    const isWhile = len === 5 && (v.charCodeAt(i) | 32) === 119 && (v.charCodeAt(i + 1) | 32) === 104;
    let k = j;
    while (k < n && k - j < 3 && (v.charCodeAt(k) === 32 || v.charCodeAt(k) === 9)) k++;
    const next = v.charCodeAt(k);
    const prev = i > 0 ? v.charCodeAt(i - 1) : 0;
    const glued = next === 46 || next === 40 || next === 91 || next === 39 || next === 34 || next === 96 || next === 58 ||
      (next === 123 && k === j) || (next === 63 && v.charCodeAt(k + 1) === 46) || (next === 45 && v.charCodeAt(k + 1) === 62) ||
      prev === 46 || prev === 91 || prev === 39 || prev === 34 || prev === 38 || prev === 58 ||
      (isWhile && (next === 84 || next === 116 || next === 49 || next === 33)) ||
      // Perl's paren-less open: `open F, '|cmd'`, `open $fh, ...`, `open my $fh, ...`
      (len === 4 && (v.charCodeAt(i) | 32) === 111 && k > j && (next === 36 || (next >= 65 && next <= 90) || (next === 109 && v.charCodeAt(k + 1) === 121)));
    if (glued) out.push(i);
  }
}

function factsFound(out: number[] | undefined, binary: boolean, longRun: boolean, hint: boolean): Facts {
  if (out === undefined && !binary && !longRun && !hint) return NO_FACTS;
  return { anchors: out ?? [], binary, longRun, hint };
}

/** The anchor pass over the characters of `v`. */
function factsOf(v: string): Facts {
  let out: number[] | undefined;
  let binary = false;
  let longRun = false;
  let hint = false;
  const n = v.length;
  let i = 0;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (c < 128) {
      const k = CHAR_CLASS[c]!;
      if (k === 0) { i++; continue; }
      if (k === 2 || k === 3) {
        if (k === 2) binary = true;
        else if (!hint) hint = punctHint(v, i, c);
        i++;
        continue;
      }
    } else if (!isIdentPart(c)) {
      i++;
      continue;
    }
    // a word: identifier characters from i to j
    let j = i;
    for (; j < n; j++) {
      const d = v.charCodeAt(j);
      if (d < 128) {
        const k = CHAR_CLASS[d]!;
        if (k === 4) { if (!hint) hint = identHint(v, j, d); } else if (k !== 1) break;
      } else if (!isIdentPart(d)) {
        break;
      }
    }
    const len = j - i;
    if (len >= 12) longRun = true;
    if (len <= 20 && (out === undefined || out.length < 4096) && mayBeAnchor(c, v.charCodeAt(j - 1), len)) recordAnchor(v, i, j, out ??= []);
    i = j;
  }
  return factsFound(out?.length === 0 ? undefined : out, binary, longRun, hint);
}

/**
 * The same pass over `bytes`, the characters of the pure-ASCII value `v` (words are still read from `v`). The
 * hints inside identifiers (`$`, `__`) are two native searches at the end rather than a test per character.
 */
function factsOfBytes(v: string, bytes: Uint8Array): Facts {
  let out: number[] | undefined;
  let binary = false;
  let longRun = false;
  let hint = false;
  const n = v.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (IDENT[c] !== 1) {
      const k = CHAR_CLASS[c]!;
      if (k === 2) binary = true;
      else if (k === 3 && !hint) hint = punctHint(v, i, c);
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && IDENT[bytes[j]!] === 1) j++;
    const len = j - i;
    if (len >= 12) longRun = true;
    if (len <= 20 && (c === 95 || ANCHOR_KEYS[anchorKey(c, bytes[j - 1]!, len)] === 1) && (out === undefined || out.length < 4096)) {
      recordAnchor(v, i, j, out ??= []);
    }
    i = j;
  }
  if (!hint) hint = v.includes('$') || v.includes('__');
  return factsFound(out?.length === 0 ? undefined : out, binary, longRun, hint);
}

/**
 * Byte classes for `quietBytes`: 1 an identifier character, 2 one that may make a hint (`$`, `_`), 3 a byte that
 * `factsOfBytes` looks at outside words (control characters of binary data, `!`, line feed, `/`, `%`), 0 other.
 * 256 entries, so that no lookup falls outside the table.
 */
const QUIET_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  QUIET_CLASS[c] = c >= 128 ? 3 : c === 36 || c === 95 ? 2 : IDENT[c] === 1 ? 1 : CHAR_CLASS[c] === 0 ? 0 : 3;
}

/**
 * `mayBeAnchor` for the words of 1-11 ASCII characters, as one lookup: by first and last character, a bit per
 * length that may be an anchor's.
 */
const ANCHOR_LENGTHS = new Uint16Array(128 * 128);
for (let first = 0; first < 128; first++) {
  for (let last = 0; last < 128; last++) {
    for (let len = 1; len < 12; len++) if (mayBeAnchor(first, last, len)) ANCHOR_LENGTHS[(first << 7) | last] |= 1 << len;
  }
}

/** Receives the anchor `recordAnchor` finds for `quietBytes` (emptied at once). */
const probe: number[] = [];

/**
 * True when `factsOfBytes(v, bytes)` would find nothing (NO_FACTS): the common case of ordinary text, answered by a
 * leaner pass that records nothing and stops at the first word or character that `factsOfBytes` would record, or
 * might (the full pass then runs). It reads the same words: runs of identifier bytes, ended by a zero byte put
 * right after the value (the shared buffer has room for it).
 */
function quietBytes(v: string, bytes: Uint8Array): boolean {
  const n = v.length;
  bytes[n] = 0;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    let k = QUIET_CLASS[c]!;
    if (k === 1 || k === 2) {
      // a word from i to j: `$` anywhere in it and `__` are hints, 12 characters or more a long run
      let j = i;
      for (;;) {
        if (k === 2 && (bytes[j] === 36 || bytes[j + 1] === 95)) return false;
        j++;
        while ((k = QUIET_CLASS[bytes[j]!]!) === 1) j++;
        if (k !== 2) break;
      }
      const len = j - i;
      if (len >= 12) return false;
      if (((ANCHOR_LENGTHS[(c << 7) | bytes[j - 1]!]! >>> len) & 1) !== 0) {
        recordAnchor(v, i, j, probe);
        if (probe.length !== 0) {
          probe.length = 0;
          return false;
        }
      }
      // the byte at j ends the word: it is read below (the sentinel ends the loop)
      i = j;
      if (k === 0) {
        i++;
        continue;
      }
      if (i >= n) break;
    }
    // binary data, or the punctuation of a hint (as in `factsOfBytes`)
    if (k === 3 && (CHAR_CLASS[bytes[i]!] === 2 || punctHint(v, i, bytes[i]!))) return false;
    i++;
  }
  return true;
}

/**
 * `quietBytes` for a short value, read from its characters: true when `factsOf(v)` would find nothing. A character
 * above U+007F ends it (false: the full pass decides).
 */
function quietChars(v: string): boolean {
  const n = v.length;
  let i = 0;
  while (i < n) {
    let c = v.charCodeAt(i);
    if (c >= 128) return false;
    let k = QUIET_CLASS[c]!;
    if (k === 1 || k === 2) {
      // a word from i to j, as in `quietBytes`
      const first = c;
      let j = i;
      for (;;) {
        if (k === 2 && (c === 36 || v.charCodeAt(j + 1) === 95)) return false;
        j++;
        if (j >= n) break;
        c = v.charCodeAt(j);
        if (c >= 128) return false;
        k = QUIET_CLASS[c]!;
        if (k !== 1 && k !== 2) break;
      }
      const len = j - i;
      if (len >= 12) return false;
      if (((ANCHOR_LENGTHS[(first << 7) | v.charCodeAt(j - 1)]! >>> len) & 1) !== 0) {
        recordAnchor(v, i, j, probe);
        if (probe.length !== 0) {
          probe.length = 0;
          return false;
        }
      }
      // c (class k) at j ends the word: it is read below
      i = j;
      if (i >= n) break;
    }
    if (k === 3 && (CHAR_CLASS[c] === 2 || punctHint(v, i, c))) return false;
    i++;
  }
  return true;
}

/**
 * Values from this length on are read from their bytes when pure ASCII (below it the encoding costs more than
 * reading the characters: measured, the two break even at about 50 characters), up to the engine's default longest
 * value (the shared buffer stays at most three times that).
 */
const BYTES_MIN = 48;
const BYTES_MAX = 256 * 1024;
const encoder = new TextEncoder();
let scratch = new Uint8Array(3 * 4096);

/**
 * The characters of `v` as bytes when they are all ASCII (then UTF-8 is one byte per character, at the same
 * offsets), or undefined. The bytes are the first `v.length` of a shared buffer, valid until the next call.
 */
function asciiBytes(v: string): Uint8Array | undefined {
  const n = v.length;
  // room for every character's UTF-8 (at most 3 bytes each), so `written` tells ASCII (n bytes) from the rest
  if (scratch.length < 3 * n) scratch = new Uint8Array(3 * n);
  const { read, written } = encoder.encodeInto(v, scratch);
  return read === n && written === n ? scratch : undefined;
}

/** True when an anchor lies in [from, to). */
function anchorIn(list: readonly number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length && list[lo]! < to;
}

// ------------------------------------------------------------------ helpers

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

function excerpt(v: string, at: number): string {
  const s = Math.max(0, at - 20);
  return JSON.stringify(v.slice(s, s + 100)).slice(1, -1).slice(0, 120);
}

function better(a: Hit | undefined, b: Hit | undefined): Hit | undefined {
  if (!b) return a;
  if (!a || b.paranoia < a.paranoia) return b;
  return a;
}

/** Shared state of one detection: the budget of characters all readings may tokenize, the anchors of the value. */
interface Budget { chars: number; anchors: readonly number[] }

// ------------------------------------------------------------------ the code reader

class Reader {
  private readonly base: number;
  private readonly depth: number;
  private readonly budget: Budget;
  private readonly toks: Tok[];
  private matched: Int32Array | undefined;
  best: Hit | undefined;

  constructor(text: string, base: number, depth: number, budget: Budget) {
    this.base = base;
    this.depth = depth;
    this.budget = budget;
    budget.chars -= text.length;
    this.toks = tokenize(text);
    this.steps = this.toks.length * 8 + 1024;
  }

  /** Matching brackets, computed on first use (most readings never need them). */
  private get match(): Int32Array {
    if (!this.matched) this.matched = matchBrackets(this.toks);
    return this.matched;
  }

  /** Look-ahead steps left: rules that scan forward stop when the reading has spent a multiple of its length. */
  private steps = 0;

  private spend(): boolean {
    return this.steps-- > 0;
  }

  private hit(ruleId: string, paranoia: Paranoia, message: string, tokIndex: number): void {
    const t = this.toks[Math.min(tokIndex, this.toks.length - 1)];
    const at = this.base + (t ? t.s : 0);
    if (!this.best || paranoia < this.best.paranoia) this.best = { ruleId, paranoia, message, at };
  }

  private done(): boolean {
    return this.best !== undefined && this.best.paranoia === 1;
  }

  private tok(i: number): Tok | undefined {
    return i >= 0 && i < this.toks.length ? this.toks[i] : undefined;
  }

  private isP(i: number, p: string): boolean {
    const t = this.toks[i];
    return t !== undefined && t.k === PUNCT && t.t === p;
  }

  /** End (exclusive) of the bracketed group opened at `i`: its closer's index, or the end of the tokens. */
  private closeOf(i: number): number {
    const m = this.match[i]!;
    return m >= 0 ? m : this.toks.length;
  }

  /** Strings joined with `+` or `.` (or adjacent) from `i` up to `end`: their content, or undefined. */
  private stringAt(i: number, end: number): { text: string; next: number } | undefined {
    let text = '';
    let k = i;
    let parts = 0;
    while (k < end && parts < 16) {
      const t = this.toks[k];
      if (!t || t.k !== STR || t.q === 'qx' || t.q === '%x') break;
      text += t.t;
      parts++;
      k++;
      if (this.isP(k, '+') || this.isP(k, '.')) {
        const n = this.toks[k + 1];
        if (n && n.k === STR) { k++; continue; }
      }
      break;
    }
    return parts > 0 ? { text, next: k } : undefined;
  }

  /**
   * A member access at `j`: `.name`, `::name`, `->name`, `?.name`, or `['name']` (strings may be joined);
   * its lower-case name and the index after it.
   */
  private member(j: number): { name: string; end: number; bracket: boolean } | undefined {
    const t = this.toks[j];
    if (!t || t.k !== PUNCT) return undefined;
    // after a bracketed name (`['constructor']`), the next member follows its `]`
    if (t.t === ']' && j >= 2 && this.toks[j - 1]!.k === STR && this.isP(j - 2, '[')) return this.member(j + 1);
    if (t.t === '.' || t.t === '::' || t.t === '->') {
      const n = this.toks[j + 1];
      if (n && n.k === ID) return { name: n.t.toLowerCase(), end: j + 2, bracket: false };
      if (n && n.k === PUNCT && n.t === '`' ) return { name: '`', end: j + 2, bracket: false };
      return undefined;
    }
    if (t.t === '[') {
      const close = this.match[j]!;
      const s = this.stringAt(j + 1, close >= 0 ? close : this.toks.length);
      if (s && (close < 0 || s.next === close)) return { name: s.text.trim().toLowerCase(), end: close >= 0 ? close + 1 : s.next, bracket: true };
    }
    return undefined;
  }

  /** Walks up to `steps` members (and calls) from `j`; returns the first name in `names`, or ''. */
  private chainFind(j: number, names: ReadonlySet<string>, steps: number): string {
    let k = j;
    for (let s = 0; s < steps; s++) {
      if (this.isP(k, '(')) {
        const c = this.match[k]!;
        if (c < 0) return '';
        k = c + 1;
        continue;
      }
      const m = this.member(k);
      if (!m) return '';
      if (names.has(m.name)) return m.name;
      k = m.end;
    }
    return '';
  }

  /** A call follows at `j`: `(`, or a string / command literal / symbol argument without parentheses. */
  private callAt(j: number): boolean {
    const t = this.toks[j];
    if (!t) return false;
    if (t.k === PUNCT) return t.t === '(';
    return t.k === STR && !t.nl;
  }

  /** The argument tokens of the call at `j` ([start, end)), or undefined. */
  private args(j: number): [number, number] | undefined {
    const t = this.toks[j];
    if (!t) return undefined;
    if (t.k === PUNCT && t.t === '(') return [j + 1, this.closeOf(j)];
    if (t.k === STR) {
      // paren-less call: up to the end of the statement
      let k = j;
      while (k < this.toks.length && k - j < 24) {
        const u = this.toks[k]!;
        if (k > j && (u.nl || (u.k === PUNCT && (u.t === ';' || u.t === ']' || u.t === '}' || u.t === ')')))) break;
        k++;
      }
      return [j, k];
    }
    return undefined;
  }

  /** No white space before token `i`. */
  private glued(i: number): boolean {
    const t = this.toks[i];
    return t !== undefined && !t.sp;
  }

  /** Token `i` starts a statement or an expression operand (not the middle of prose). */
  private stmtPos(i: number): boolean {
    if (i === 0) return true;
    const t = this.toks[i]!;
    if (t.nl) return true;
    const p = this.toks[i - 1]!;
    if (p.k === PUNCT) return STMT_PUNCT.has(p.t);
    if (p.k === ID) return STMT_WORDS.has(p.l);
    return false;
  }

  /** The lower-case name at token `i`: an identifier, or a string between brackets (`['constructor']`). */
  private nameAt(i: number): string {
    const t = this.toks[i]!;
    if (t.k === ID) return t.l;
    if (t.k === STR && this.isP(i - 1, '[')) return t.l.trim();
    return '';
  }

  /**
   * What the code in [start, end) hands to an evaluator: 'danger' when it reaches the process, 'decode' when it is
   * decoded or assembled on the fly, 'string' for other string code, 'code' otherwise, '' when empty.
   */
  private evalArgs(start: number, end: number): string {
    if (start >= end) return '';
    let kind = 'code';
    const first = this.toks[start]!;
    if (first.k === STR) kind = 'string';
    let global = false;
    for (let k = start; k < end && k - start < 128 && this.spend(); k++) {
      const t = this.toks[k]!;
      if (t.k === ID) {
        if (DECODE_WORDS.has(t.l) && (t.l !== 'chr' && t.l !== 'bytes' && t.l !== 'reverse' && t.l !== 'base64' && t.l !== 'zlib' || this.isP(k + 1, '(') || this.isP(k + 1, '.'))) return 'decode';
        if (EVAL_DANGER.has(t.l) && t.l !== 'os' && t.l !== 'import' && t.l !== 'exec') return 'danger';
        // what the request carries, run as code: `eval(request("x"))`, `eval(req.body.code)` is the webshell's own shape
        if (this.requestData(k)) return 'danger';
        if (t.l === 'this' && k > start && this.toks[k - 1]!.l === 'return') global = true;
        // a nested evaluator is read on its own
        if (k > start && (EVALUATORS.has(t.l) || t.t === 'Function') && this.isP(k + 1, '(')) break;
      } else if (t.k === STR) {
        const d = this.dangerCode(t);
        if (d === 2) return 'danger';
        if (d === 1) global = true;
      }
    }
    return global ? 'global' : kind;
  }

  /**
   * 2 when a string literal holds code that reaches the process (`"return process"`, "`id`"), 1 when it returns the
   * global object (`"return this"`, which polyfills do too), 0 otherwise.
   */
  private dangerCode(t: Tok): number {
    if (t.q === 'qx' || t.q === '%x') return 2;
    const known = this.dangerCache.get(t);
    if (known !== undefined) return known;
    const d = this.dangerWords(t);
    this.dangerCache.set(t, d);
    return d;
  }

  private readonly dangerCache = new Map<Tok, number>();

  private dangerWords(t: Tok): number {
    const s = t.t;
    if (s.length < 2) return 0;
    let global = 0;
    // a command in backticks inside the code (`eval("`id`")`), not a lone backtick (Perl's *` glob)
    if (t.q !== '`') {
      const b = s.indexOf('`');
      if (b >= 0) {
        const e = s.indexOf('`', b + 1);
        if (e > b + 1 && /[A-Za-z]/.test(s.slice(b + 1, Math.min(e, b + 64)))) return 2;
      }
    }
    const codey = s.includes('(') || s.includes('.') || s.includes('"') || s.includes("'");
    const n = Math.min(s.length, 4096);
    let prevWord = '';
    for (let i = 0; i < n; i++) {
      if (!isIdentPart(s.charCodeAt(i))) continue;
      let j = i + 1;
      while (j < n && isIdentPart(s.charCodeAt(j))) j++;
      const w = j - i <= 32 ? s.slice(i, j).toLowerCase() : '';
      let k = j;
      while (k < n && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k++;
      const next = k < s.length ? s.charCodeAt(k) : -1;
      i = j - 1;
      if (w === 'this' && prevWord === 'return') global = 1;
      const before = prevWord;
      prevWord = w;
      if (!EVAL_DANGER.has(w)) continue;
      switch (w) {
        case 'os': case 'exec': case 'system': case 'spawn': case 'popen':
          // a command word needs code around it: `os.system(`, `exec(`, `system "id"`
          if (codey) return 2;
          continue;
        case 'import': {
          // Python `import os`; not Perl's `->import`
          let m = k;
          while (m < n && isIdentPart(s.charCodeAt(m))) m++;
          if (PY_DANGER_MODULES.has(s.slice(k, m).toLowerCase())) return 2;
          continue;
        }
        case 'require':
          // JavaScript `require(...)`/`require.main`; Perl's `require Module` is how Perl loads modules
          if (next === 40 || next === 46 || next === 91) return 2;
          continue;
        case 'process':
          if (next === 46 || next === 91 || next === -1 || next === 41 || next === 59 || before === 'return') return 2;
          continue;
        case 'global': case 'globalthis':
          if (next === 46 || next === 91) return 2;
          continue;
        default:
          return 2;
      }
    }
    return global;
  }

  // ---------------------------------------------------------------- rules at a name

  private requireCall(i: number, name: string): void {
    const j = i + 1;
    if (this.isP(j, '(')) {
      const close = this.closeOf(j);
      const s = this.stringAt(j + 1, close);
      if (s) {
        let m = s.text.trim().toLowerCase();
        if (m.startsWith('node:')) m = m.slice(5);
        if (m === 'child_process') return this.hit('code-node-require', 1, `${name} of child_process`, i);
        const dangerous = NODE_SENSITIVE_MODULES.get(m);
        if (dangerous) {
          const use = this.chainFind(close + 1, dangerous, 1);
          if (use) return this.hit('code-node-require', 1, `${name}('${m}').${use}`, i);
          return this.hit('code-node-require', 2, `${name} of the ${m} module`, i);
        }
        return;
      }
      // an obfuscated module name: require(String.fromCharCode(...)), require(atob(...))
      const kind = this.evalArgs(j + 1, close);
      if (kind === 'decode' || kind === 'danger') this.hit('code-node-require', 1, `${name} of a computed module name`, i);
      return;
    }
    if (name !== 'require') return;
    if (this.isP(j, '[') && this.glued(j)) {
      const close = this.closeOf(j);
      if (close > j + 1 && !this.isP(close + 1, '(')) return this.hit('code-node-require', 1, 'computed member of require', i);
      return;
    }
    const m = this.member(j);
    if (m && (m.name === 'main' || m.name === 'cache' || m.name === 'extensions')) {
      const deep = this.chainFind(m.end, new Set(['constructor', '_load', '_compile', 'require', 'children', 'exports']), 4);
      if (deep === 'constructor' || deep === '_load' || deep === '_compile' || deep === 'require') return this.hit('code-node-module', 1, `require.${m.name}.${deep}`, i);
      return this.hit('code-node-module', 2, `require.${m.name}`, i);
    }
    // `x = require;` : the loader kept in a variable to be called later
    if (i > 0 && this.isP(i - 1, '=') && (j >= this.toks.length || this.isP(j, ';') || this.isP(j, ',') || this.toks[j]!.nl)) {
      this.hit('code-node-require', 2, 'require assigned to a variable', i);
    }
  }

  private processRef(i: number): void {
    const j = i + 1;
    const m = this.member(j);
    if (m) {
      if (m.name === 'binding' || m.name === '_linkedbinding') {
        // process.binding('spawn_sync') / ('fs') reach native code; other bindings are legacy API use
        const s = this.isP(m.end, '(') ? this.stringAt(m.end + 1, this.closeOf(m.end)) : undefined;
        if (s && !NATIVE_BINDINGS.has(s.text.trim().toLowerCase())) return this.hit('code-node-process', 2, `process.${m.name}('${s.text.slice(0, 20)}')`, i);
        return this.hit('code-node-process', 1, `process.${m.name}`, i);
      }
      if (PROCESS_CRITICAL.has(m.name)) return this.hit('code-node-process', 1, `process.${m.name}`, i);
      if (m.bracket) return this.hit('code-node-process', 1, `process['${m.name.slice(0, 20)}']`, i);
      if (PROCESS_SENSITIVE.has(m.name)) return this.hit('code-node-process', 2, `process.${m.name}`, i);
      return;
    }
    if (this.isP(j, '[') && this.glued(j)) {
      const n = this.tok(j + 1);
      const close = this.closeOf(j);
      if (n && n.k !== NUM && !this.isP(j + 1, ']') && !this.isP(close + 1, '(')) this.hit('code-node-process', 1, 'computed member of process', i);
    }
  }

  private globalRef(i: number, name: string): void {
    const m = this.member(i + 1);
    if (!m || this.isP(i + 1, '::') || this.isP(i + 1, '->')) return;
    if (m.name === 'process' || m.name === 'require' || m.name === 'mainmodule' || m.name === 'child_process') {
      return this.hit('code-node-process', 1, `${name}.${m.name}`, i);
    }
  }

  private constructorRef(i: number): void {
    const m = this.member(i + 1);
    if (m && m.name === 'constructor' && (m.bracket || this.toks[m.end - 1]!.t === 'constructor')) return this.hit('code-node-constructor', 1, 'constructor.constructor (Function constructor)', i);
    // x.constructor('return process')() : a function's constructor is Function
    const prev = this.tok(i - 1);
    if (prev && prev.k === PUNCT && (prev.t === '.' || prev.t === '[') && this.isP(i + (prev.t === '[' ? 2 : 1), '(')) {
      const j = i + (prev.t === '[' ? 2 : 1);
      const kind = this.evalArgs(j + 1, this.closeOf(j));
      if (kind === 'danger' || kind === 'decode') this.hit('code-node-constructor', 1, 'code run through .constructor(...)', i);
      else if (kind === 'global') this.hit('code-node-constructor', 2, 'global object through .constructor(...)', i);
    }
  }

  private functionCtor(i: number): void {
    const j = i + 1;
    if (!this.isP(j, '(')) return;
    const close = this.closeOf(j);
    const kind = this.evalArgs(j + 1, close);
    if (kind === 'danger' || kind === 'decode') return this.hit('code-node-constructor', 1, 'Function(...) compiling code that reaches the process', i);
    const isNew = i > 0 && this.toks[i - 1]!.l === 'new';
    const invoked = close < this.toks.length && this.isP(close + 1, '(');
    if (kind === 'global') {
      // Function("return this")().process: the process through the global object
      const use = invoked ? this.chainFind(this.closeOf(close + 1) + 1, GLOBAL_DANGER, 2) : '';
      if (use) return this.hit('code-node-constructor', 1, `Function("return this")().${use}`, i);
      return this.hit('code-node-constructor', 2, 'Function("return this") (the global object)', i);
    }
    if (invoked || isNew) this.hit('code-node-constructor', 2, isNew ? 'new Function(...)' : 'Function(...)() invoked', i);
  }

  private evaluator(i: number, name: string): void {
    const prev = this.tok(i - 1);
    const member = prev !== undefined && prev.k === PUNCT && (prev.t === '.' || prev.t === '->');
    // Groovy runs a string or a list of strings as a command: `"id".execute()`, `['bash','-c','id'].execute()`
    // (Jenkins script consoles, Gradle and Grails templates); nothing else gives a literal an `execute` method
    if (member && name === 'execute' && this.isP(i + 1, '(') && this.literalBefore(i - 1)) {
      return this.hit('code-groovy-execute', 1, 'Groovy execute() of a string or list: a command', i);
    }
    // `.exec(` is also RegExp.prototype.exec and a database call, `.execute(` a database cursor's: only evaluators
    // that are not members, or Ruby's binding/Kernel eval
    if (member && (name === 'exec' || name === 'execute')) return;
    const j = i + 1;
    // VBScript calls without parentheses, as statements: `<%eval request("x")%>`, `Eval Request.Form("c")` (classic
    // ASP webshells); in prose ("I had to eval request.body") the word is no statement
    if (this.requestData(j) && (this.stmtPos(i) || this.isP(i - 1, '%'))) return this.hit('code-eval', 1, `${name} of request data`, i);
    const range = this.args(j);
    if (!range) {
      if (name === 'eval' && this.isP(j, '{') && this.stmtPos(i)) this.hit('code-eval', 3, 'eval block', i);
      return;
    }
    const kind = this.evalArgs(range[0], range[1]);
    if (kind === 'danger') return this.hit('code-eval', 1, `${name} of code that reaches the process`, i);
    if (kind === 'decode') return this.hit('code-eval', 1, `${name} of decoded code`, i);
    if (kind === 'string') {
      if (this.isP(j, '(') || this.stmtPos(i)) this.hit('code-eval', 2, `${name} of a string`, i);
      return;
    }
    if (kind === 'code' && name === 'eval' && this.isP(j, '(')) this.hit('code-eval', 3, 'eval call', i);
  }

  /**
   * The member access at `dot` is made on a string literal (`"id".`) or on a list literal of strings
   * (`['bash', '-c', 'id'].`, not `commands[0].`: the `[` of a literal follows no name, call or index).
   */
  private literalBefore(dot: number): boolean {
    const t = this.tok(dot - 1);
    if (t === undefined) return false;
    if (t.k === STR) return t.q !== 'qx' && t.q !== '%x';
    if (!(t.k === PUNCT && t.t === ']')) return false;
    const open = this.match[dot - 1]!;
    if (open < 0 || this.tok(open + 1)?.k !== STR) return false;
    const before = this.tok(open - 1);
    return before === undefined || (before.k === PUNCT && before.t !== ')' && before.t !== ']');
  }

  /** Token `k` reads the request: ASP's `Request(...)`/`Request.Form`, or Node's `req.body`/`req.query`/`req.params`. */
  private requestData(k: number): boolean {
    const t = this.tok(k);
    if (t === undefined || t.k !== ID) return false;
    // `Request("x")` with a literal name (`request(s)` is prose), or a member that holds what the client sent
    if (t.l === 'request') return (this.isP(k + 1, '(') && this.tok(k + 2)?.k === STR) || (this.isP(k + 1, '.') && REQUEST_MEMBERS.has(this.tok(k + 2)?.l ?? ''));
    return t.l === 'req' && this.isP(k + 1, '.') && REQUEST_MEMBERS.has(this.tok(k + 2)?.l ?? '');
  }

  /** `CreateObject("WScript.Shell")`, `Server.CreateObject(...)`, `new ActiveXObject(...)`: see COM_OBJECTS. */
  private comObject(i: number): void {
    if (!this.isP(i + 1, '(')) return;
    const arg = this.tok(i + 2);
    if (arg === undefined || arg.k !== STR) return;
    const level = COM_OBJECTS.get(arg.l.trim());
    if (level !== undefined) this.hit('code-com-object', level, `COM object ${arg.t.trim()}`, i);
  }

  private timer(i: number): void {
    if (!this.isP(i + 1, '(')) return;
    const close = this.closeOf(i + 1);
    const first = this.tok(i + 2);
    if (!first || first.k !== STR) return;
    const kind = this.evalArgs(i + 2, close);
    if (kind === 'danger' || kind === 'decode') this.hit('code-eval', 1, 'timer running string code that reaches the process', i);
  }

  /** `obj.member(...)` for objects that run commands. */
  private execObject(i: number, obj: string, table: ReadonlyMap<string, Paranoia>): void {
    const m = this.member(i + 1);
    if (!m) return;
    // Node's `process` is handled elsewhere; Ruby's is capitalised
    if (obj === 'process' && this.toks[i]!.t !== 'Process') return;
    if (obj === 'io' && this.toks[i]!.t !== 'IO') return;
    const pl = table.get(m.name);
    if (pl === undefined) {
      if (obj === 'core' && this.callAt(m.end)) this.hit('code-perl-exec', 2, `CORE::${m.name}`, i);
      return;
    }
    const rule = obj === 'child_process' || obj === 'deno' || obj === 'bun' ? 'code-node-exec'
      : obj === 'core' ? 'code-perl-exec'
      : obj === 'kernel' || obj === 'io' || obj === 'open3' || obj === 'process' || (obj === 'pty' && this.toks[i]!.t === 'PTY') ? 'code-ruby-exec'
      : obj.includes('builtin') ? 'code-python-builtins' : 'code-python-exec';
    const call = this.callAt(m.end);
    if (pl === 1 && call) {
      const range = this.args(m.end);
      // an empty call (`subprocess.run()` in a sentence) names the API without running anything
      if (range && range[0] < range[1]) return this.hit(rule, 1, `call of ${obj}.${m.name}`, i);
      return this.hit(rule, 2, `${obj}.${m.name}()`, i);
    }
    this.hit(rule, 2, `${obj}.${m.name}`, i);
  }

  /** Bare `system(...)`, `popen(...)`, `execSync(...)`, `spawn(...)`, `readpipe(...)`. */
  private bareExec(i: number, name: string): void {
    const prev = this.tok(i - 1);
    if (prev && prev.k === PUNCT && (prev.t === '.' || prev.t === '->')) return;
    const j = i + 1;
    if (!this.callAt(j)) return;
    const range = this.args(j)!;
    if (range[0] >= range[1]) return;
    const first = this.toks[range[0]]!;
    const literal = first.k === STR || this.isP(range[0], '[') || (first.k === ID && (first.l === 'qq' || first.l === 'q'));
    const rule = name === 'execsync' || name === 'spawnsync' || name === 'execfilesync' || name === 'execfile' ? 'code-node-exec'
      : name === 'readpipe' ? 'code-perl-exec' : 'code-exec-call';
    const core = prev !== undefined && ((prev.k === PUNCT && (prev.t === '&' || prev.t === '::')) || prev.l === 'do');
    if (name === 'readpipe') return this.hit(rule, 1, `call of ${name}`, i);
    if (rule === 'code-node-exec') {
      // Node's camel-case names (`execSync(`); Python 2's execfile() is an evaluator
      const t = this.toks[i]!.t;
      if (this.isP(j, '(') && (t === 'execSync' || t === 'spawnSync' || t === 'execFileSync' || t === 'execFile')) {
        // a literal command is what an injected call runs; a variable is how programs use the API
        this.hit(rule, literal ? 1 : 2, `call of ${t}`, i);
      }
      return;
    }
    if (name === 'spawn') {
      if (literal && this.stmtPos(i)) this.hit(rule, 2, 'spawn(...) call', i);
      return;
    }
    const paren = this.isP(j, '(');
    if (literal && this.stmtPos(i) && (paren || (i > 0 && !this.toks[i]!.nl) || core)) return this.hit(rule, 1, `${name}(...) with a command`, i);
    if (this.stmtPos(i) && (literal || paren)) this.hit(rule, 2, `${name}(...) call`, i);
  }

  /** `open(F, "|cmd")`, `open("| cmd")`, `open my $fh, "-|", ...`, `open(STDIN, ">&S")`, `IO.read("|cmd")`. */
  private pipeOpen(i: number, name: string): void {
    const prev = this.tok(i - 1);
    if (prev && prev.k === PUNCT && (prev.t === '.' || prev.t === '::')) {
      const obj = this.tok(i - 2);
      if (!obj || (obj.t !== 'Kernel' && obj.t !== 'IO' && obj.t !== 'URI' && obj.t !== 'File' && obj.t !== 'CORE')) return;
    } else if (name !== 'open') {
      return;
    }
    const j = i + 1;
    let start: number;
    let end: number;
    if (this.isP(j, '(')) {
      start = j + 1;
      end = this.closeOf(j);
    } else {
      // paren-less: `open F, '|ls'`, `open my $fh, "-|"`
      start = j;
      end = Math.min(this.toks.length, j + 8);
    }
    for (let k = start; k < end && k - start < 16; k++) {
      const t = this.toks[k]!;
      if (t.k === PUNCT && (t.t === ';' || t.t === ']' || t.t === '}')) break;
      if (t.k !== STR) continue;
      const s = t.t.trim();
      if (s.length === 0) continue;
      const pipeFirst = s.charCodeAt(0) === 124 && s.length > 1;
      const pipeLast = s.charCodeAt(s.length - 1) === 124 && s.length > 1 && s.charCodeAt(s.length - 2) !== 124;
      // open(STDIN, ">&S"): a standard handle re-opened onto another (socket) handle
      // (restoring a saved handle, `open STDERR, ">&OLDERR"`, is ordinary: only STDIN, or a socket-like handle)
      const target = s.replace(/^[+<>&=]+/, '').trim();
      const handle = this.toks[start]?.t ?? '';
      const dup = (s.startsWith('>&') || s.startsWith('<&') || s.startsWith('+<&')) && /^[+<>&]{2,3}[A-Za-z$]/.test(s) &&
        STD_HANDLES.has(handle) && !STD_HANDLES.has(target) &&
        (handle === 'STDIN' || target.length <= 2 || target.toUpperCase().includes('SOCK') || target.startsWith('$'));
      if (s === '-|' || s === '|-' || pipeFirst || pipeLast || dup) {
        return this.hit(name === 'open' ? 'code-pipe-open' : 'code-ruby-exec', 1, dup ? 'open duplicating a file handle (reverse shell)' : 'open of a command pipe', i);
      }
    }
  }

  private pythonImport(i: number, name: string): void {
    const j = i + 1;
    if (name === '__import__' || name === 'import_module') {
      if (!this.isP(j, '(')) {
        if (name === '__import__' && this.stmtPos(i)) this.hit('code-python-import', 2, '__import__', i);
        return;
      }
      const close = this.closeOf(j);
      const s = this.stringAt(j + 1, close);
      const chained = close < this.toks.length ? this.member(close + 1) : undefined;
      if (chained && (PY_OS.get(chained.name) === 1 || chained.name === 'popen' || chained.name === 'check_output' || chained.name === 'getoutput' || chained.name === 'spawn' || chained.name === 'run' || chained.name === 'call')) {
        return this.hit('code-python-import', 1, `${name}(...).${chained.name}`, i);
      }
      if (s) {
        const m = s.text.trim().toLowerCase();
        if (PY_DANGER_MODULES.has(m)) return this.hit('code-python-import', 1, `${name}('${m}')`, i);
        if (m) this.hit('code-python-import', 2, `${name}('${m.slice(0, 20)}')`, i);
        return;
      }
      const kind = this.evalArgs(j + 1, close);
      if (kind === 'decode' || kind === 'danger') return this.hit('code-python-import', 1, `${name} of a computed module name`, i);
      if (close > j + 1 && name === '__import__') this.hit('code-python-import', 2, '__import__(...)', i);
      return;
    }
    if (name === 'import') {
      // JavaScript dynamic import('child_process'): as require (not a method such as Perl's `Exporter::import(...)`)
      const prev = this.tok(i - 1);
      if (prev && prev.k === PUNCT && (prev.t === '.' || prev.t === '::' || prev.t === '->')) return;
      if (this.isP(j, '(')) return this.requireCall(i, 'import');
      if (!this.stmtPos(i)) return;
      const m = this.tok(j);
      if (m && m.k === ID && PY_DANGER_MODULES.has(m.l) && m.l !== 'sys' && m.l !== 'code' && m.l !== 'platform') {
        const after = this.tok(j + 1);
        if (!after || after.nl || (after.k === PUNCT && (after.t === ';' || after.t === ',')) || after.l === 'as') {
          this.hit('code-python-import', 2, `import ${m.l}`, i);
        }
      }
      return;
    }
    if (name === 'from' && this.stmtPos(i)) {
      const m = this.tok(j);
      const imp = this.tok(j + 1);
      const what = this.tok(j + 2);
      if (m && m.k === ID && PY_DANGER_MODULES.has(m.l) && imp && imp.l === 'import' && what && what.k === ID) {
        const pl = PY_OS.get(what.l) === 1 || EXEC_OBJECTS.get(m.l)?.get(what.l) === 1 ? 2 : 3;
        this.hit('code-python-import', pl, `from ${m.l} import ${what.l}`, i);
      }
    }
  }

  /** `__class__.__mro__`, `__init__.__globals__['os']`, `__subclasses__()[133]`, `__builtins__['eval']`. */
  private dunder(i: number, name: string): void {
    const t = this.toks[i]!;
    const prev = this.tok(i - 1);
    const accessed = (prev !== undefined && prev.k === PUNCT && prev.t === '.') || (t.k === STR && this.isP(i - 1, '['));
    const escape = RARE_DUNDERS.has(name);
    if (name === '__subclasses__' && this.isP(i + 1, '(')) {
      const close = this.closeOf(i + 1);
      if (this.isP(close + 1, '[')) return this.hit('code-python-dunder', 1, '__subclasses__()[...] lookup', i);
    }
    if (name === '__globals__' || name === 'func_globals' || name === 'f_globals' || name === '__builtins__' || name === '__builtin__' || name === '__dict__') {
      // a lookup of a module or builtin in the globals: `__globals__['os']`, `__builtins__.get('eval')`
      let k = i + 1;
      const m = this.member(k);
      if (m && m.bracket) k = i + 2;
      else if (m && (m.name === 'get' || m.name === '__getitem__') && this.isP(m.end, '(')) k = m.end + 1;
      else if (this.isP(k, '[')) k = i + 2;
      else k = -1;
      const key = k > 0 ? this.tok(k) : undefined;
      if (key && key.k === STR && GLOBALS_KEYS.has(key.l.trim())) {
        return this.hit(name.includes('builtin') ? 'code-python-builtins' : 'code-python-dunder', 1, `${name} lookup of ${key.l.trim()}`, i);
      }
      if ((name === '__builtins__' || name === '__builtin__') && m && !m.bracket && GLOBALS_KEYS.has(m.name)) {
        return this.hit('code-python-builtins', 1, `${name}.${m.name}`, i);
      }
    }
    if (!accessed) {
      if (escape && this.stmtPos(i)) this.hit('code-python-dunder', 2, name, i);
      return;
    }
    const other = this.chainDunder(i);
    if (other && other !== name && (escape || RARE_DUNDERS.has(other))) return this.hit('code-python-dunder', 1, `dunder chain ${other}...${name}`, i);
    if (escape) this.hit('code-python-dunder', 2, `.${name}`, i);
  }

  /** A dunder earlier in the member chain that reaches token `i` (`x.__class__.__base__[0].<i>`), or ''. */
  private chainDunder(i: number): string {
    let k = i - 2;
    for (let steps = 0; steps < 24 && k >= 0; steps++) {
      const u = this.toks[k]!;
      if (u.k === PUNCT && (u.t === ']' || u.t === ')')) {
        const o = this.match[k]!;
        if (o < 0 || o >= k) return '';
        const inner = this.toks[o + 1]!;
        if (u.t === ']' && inner.k === STR && STRONG_DUNDERS.has(inner.l.trim())) return inner.l.trim();
        k = o - 1;
        continue;
      }
      if (u.k === ID) {
        if (STRONG_DUNDERS.has(u.l)) return u.l;
        if (this.isP(k - 1, '.')) { k -= 2; continue; }
        return '';
      }
      return '';
    }
    return '';
  }

  private getattr(i: number): void {
    if (!this.isP(i + 1, '(')) return;
    const close = this.closeOf(i + 1);
    for (let k = i + 2; k < close && k - i < 32; k++) {
      const t = this.toks[k]!;
      if (t.k === STR && PY_GETATTR_NAMES.has(t.l.trim())) return this.hit('code-python-exec', 1, `getattr(..., '${t.l.trim()}')`, i);
    }
  }

  private rubySend(i: number, name: string): void {
    const j = i + 1;
    let k = j;
    if (this.isP(k, '(')) k++;
    const t = this.tok(k);
    if (!t) return;
    let target = '';
    if (t.k === PUNCT && t.t === ':') {
      const n = this.tok(k + 1);
      if (n && n.k === ID && !n.sp) target = n.l;
      else if (n && n.k === PUNCT && n.t === '`') target = '`';
    } else if (t.k === STR) {
      target = t.l.trim();
    }
    if (target && RUBY_SEND_NAMES.has(target)) {
      const prev = this.tok(i - 1);
      if (name === 'method' && !(prev && prev.k === PUNCT && prev.t === '.') && !this.isP(j, '(')) return;
      this.hit('code-ruby-exec', 1, `${name}(:${target})`, i);
    }
  }

  private erb(i: number): void {
    const m = this.member(i + 1);
    if (!m || m.name !== 'new' || !this.isP(m.end, '(')) return;
    const close = this.closeOf(m.end);
    const r = this.chainFind(close + 1, new Set(['result', 'result_with_hash', 'run', 'src']), 1);
    if (r) return this.hit('code-ruby-erb', 1, `ERB.new(...).${r}`, i);
    this.hit('code-ruby-erb', 2, 'ERB.new(...)', i);
  }

  private deserializer(i: number, obj: string, table: ReadonlySet<string>): void {
    const m = this.member(i + 1);
    if (!m || !table.has(m.name) || !this.isP(m.end, '(')) return;
    const kind = this.evalArgs(m.end + 1, this.closeOf(m.end));
    const rule = obj === 'marshal' && this.toks[i]!.t === 'Marshal' ? 'code-ruby-marshal' : 'code-deserialize-call';
    this.hit(rule, kind === 'decode' ? 1 : 2, `${obj}.${m.name}(...)`, i);
  }

  private fsCall(i: number): void {
    const m = this.member(i + 1);
    if (!m || !FS_MEMBERS.has(m.name) || !this.isP(m.end, '(')) return;
    const close = this.closeOf(m.end);
    const s = this.stringAt(m.end + 1, close);
    if (s) {
      const p = s.text.trim().toLowerCase();
      if (SENSITIVE_PATH_PREFIXES.some((x) => p.startsWith(x)) || p.includes('/../')) return this.hit('code-node-fs', 1, `fs.${m.name} of ${p.slice(0, 30)}`, i);
    }
    this.hit('code-node-fs', 2, `fs.${m.name}(...)`, i);
  }

  private vmCall(i: number): void {
    const m = this.member(i + 1);
    if (!m || !VM_MEMBERS.has(m.name) || !this.isP(m.end, '(')) return;
    const kind = this.evalArgs(m.end + 1, this.closeOf(m.end));
    if (kind === 'danger' || kind === 'decode') return this.hit('code-node-vm', 1, `vm.${m.name} of code that reaches the process`, i);
    this.hit('code-node-vm', 2, `vm.${m.name}(...)`, i);
  }

  private moduleRef(i: number): void {
    const m = this.member(i + 1);
    if (!m) return;
    if (m.name === '_load' || m.name === '_compile') return this.hit('code-node-module', 1, `Module.${m.name}`, i);
    if (m.name === '_resolvefilename' || m.name === '_extensions' || m.name === '_cache') return this.hit('code-node-module', 2, `Module.${m.name}`, i);
    if (m.name === 'constructor' || m.name === 'prototype') {
      const deep = this.chainFind(m.end, new Set(['_load', '_compile', 'require']), 3);
      if (deep) return this.hit('code-node-module', 1, `module.${m.name}.${deep}`, i);
      return this.hit('code-node-module', 2, `module.${m.name}`, i);
    }
    if (m.name === 'exports' && this.isP(m.end, '=') && !this.isP(m.end + 1, '=')) this.hit('code-node-module', 3, 'module.exports =', i);
  }

  private consoleRef(i: number): void {
    const m = this.member(i + 1);
    if (!m) return;
    if (!['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table', 'assert'].includes(m.name)) return;
    if (m.bracket && this.isP(m.end, '(')) return this.hit('code-node-console', 1, `console['${m.name}'](...)`, i);
    const n = this.member(m.end);
    if (n && (n.name === 'call' || n.name === 'apply' || n.name === 'bind')) return this.hit('code-node-console', 2, `console.${m.name}.${n.name}`, i);
    if (!this.isP(m.end, '(')) return;
    // the whole value is one console call with constant arguments: an injection probe
    const close = this.closeOf(m.end);
    if (i === 0 && this.depth === 0 && close >= this.toks.length - 2) {
      let constant = true;
      for (let k = m.end + 1; k < close; k++) {
        const t = this.toks[k]!;
        if (t.k === ID || (t.k === PUNCT && !'+-*/%(),'.includes(t.t))) constant = false;
      }
      if (constant) return this.hit('code-node-console', 2, `console.${m.name}(constant) probe`, i);
    }
    this.hit('code-node-console', 3, `console.${m.name}(...)`, i);
  }

  private functionKeyword(i: number): void {
    let j = i + 1;
    if (this.tok(j)?.k === ID) j++;
    if (!this.isP(j, '(')) return;
    const close = this.closeOf(j);
    if (close >= this.toks.length || !this.isP(close + 1, '{')) return;
    const end = this.match[close + 1]!;
    // function(){...}() and (function(){...})()
    const wrapped = end >= 0 && this.isP(end + 1, ')') && this.match[end + 1] === i - 1;
    if (end >= 0 && (this.isP(end + 1, '(') || (wrapped && this.isP(end + 2, '(')))) return this.hit('code-js-function', 2, 'function expression invoked immediately', i);
    this.hit('code-js-function', 3, 'function expression', i);
  }

  // ---------------------------------------------------------------- infinite loops

  /** Truthiness of the constant expression in [start, end): true, false, or undefined (not a constant). */
  private constant(start: number, end: number, depth = 0): boolean | undefined {
    if (depth > 16) return undefined;
    let k = start;
    let negate = 0;
    let numeric = false;
    let sign = false;
    while (k < end) {
      const t = this.toks[k]!;
      if (t.k === PUNCT && t.t === '!') { negate++; k++; continue; }
      if (t.k === PUNCT && (t.t === '-' || t.t === '+')) { sign = true; k++; continue; }
      if (t.k === ID && (t.l === 'not')) { negate++; k++; continue; }
      break;
    }
    if (k >= end || negate > 8) return undefined;
    const t = this.toks[k]!;
    let value: boolean | undefined;
    let next = k + 1;
    if (t.k === NUM) {
      const x = Number(t.t);
      if (Number.isNaN(x)) return undefined;
      value = x !== 0;
      numeric = true;
    } else if (t.k === STR) {
      if (t.q === '`' && t.t.includes('${')) return undefined;
      if (t.q !== "'" && t.q !== '"' && t.q !== '`') return undefined;
      if (sign) return undefined;
      value = t.t.length > 0;
    } else if (t.k === ID) {
      switch (t.t) {
        case 'true': case 'True': value = true; break;
        case 'false': case 'False': case 'null': case 'undefined': case 'None': case 'NaN': case 'nil': value = false; break;
        case 'Infinity': value = true; numeric = true; break;
        case 'new': {
          const c = this.tok(k + 1);
          if (!c || c.k !== ID) return undefined;
          value = true;
          next = k + 2;
          if (this.isP(next, '(')) next = this.closeOf(next) + 1;
          break;
        }
        default:
          if (TRUTHY_GLOBALS.has(t.t)) value = true;
          else return undefined;
      }
      if (sign && !numeric && value !== undefined && t.t !== 'true' && t.t !== 'false' && t.t !== 'null' && t.t !== 'True' && t.t !== 'False') {
        // +undefined, -NaN are NaN (falsy); +String is NaN; keep it simple: unknown
        if (t.t === 'undefined' || t.t === 'NaN') value = false;
        else return undefined;
      }
    } else if (t.k === PUNCT && (t.t === '[' || t.t === '{')) {
      const c = this.match[k]!;
      if (c < 0) return undefined;
      if (sign) return undefined;
      value = true;
      next = c + 1;
    } else if (t.k === PUNCT && t.t === '(') {
      const c = this.match[k]!;
      if (c < 0 || c >= end) return undefined;
      value = this.constant(k + 1, c, depth + 1);
      if (value === undefined) return undefined;
      next = c + 1;
    } else {
      return undefined;
    }
    if (value === undefined || next !== end) return undefined;
    return negate % 2 === 0 ? value : !value;
  }

  /** What follows a loop head at `j`: 'empty' (nothing, `;`, `{}`), 'exits' (a body that breaks), 'body'. */
  private loopBody(j: number): string {
    const t = this.tok(j);
    if (!t) return 'empty';
    if (t.k === PUNCT && t.t === '{') {
      const c = this.match[j]!;
      if (c === j + 1) return 'empty';
      const end = c >= 0 ? c : this.toks.length;
      for (let k = j + 1; k < end && k - j < 1024 && this.spend(); k++) {
        const u = this.toks[k]!;
        if (u.k === ID && (u.l === 'break' || u.l === 'return' || u.l === 'throw' || u.l === 'exit' || u.l === 'yield' || u.l === 'await' || u.l === 'raise' || u.l === 'last')) return 'exits';
      }
      return 'body';
    }
    if (t.k === ID) {
      if (t.l === 'pass' || t.l === 'continue') return 'empty';
      for (let k = j; k < this.toks.length && k - j < 64 && this.spend(); k++) {
        const u = this.toks[k]!;
        if (k > j && (u.nl || (u.k === PUNCT && u.t === ';'))) break;
        if (u.k === ID && (u.l === 'break' || u.l === 'return' || u.l === 'throw' || u.l === 'raise')) return 'exits';
      }
      return 'body';
    }
    if (t.k === STR || t.k === NUM) return 'body';
    return 'empty';
  }

  private loop(i: number, name: string): void {
    const j = i + 1;
    let bodyAt: number;
    if (this.isP(j, '(')) {
      const close = this.match[j]!;
      const end = close >= 0 ? close : this.toks.length;
      if (name === 'while') {
        if (this.constant(j + 1, end) !== true) return;
      } else {
        // for (init; cond; step) with an empty or constant-true condition
        let s1 = -1;
        let s2 = -1;
        for (let k = j + 1; k < end && this.spend(); k++) {
          const t = this.toks[k]!;
          if (t.k === PUNCT && t.t === ';') {
            if (s1 < 0) s1 = k;
            else { s2 = k; break; }
          } else if (t.k === PUNCT && (t.t === '(' || t.t === '[' || t.t === '{')) {
            const c = this.match[k]!;
            if (c < 0 || c > end) return;
            k = c;
          }
        }
        if (s1 < 0 || s2 < 0) return;
        if (s2 > s1 + 1 && this.constant(s1 + 1, s2) !== true) return;
      }
      bodyAt = close >= 0 ? close + 1 : this.toks.length;
    } else if (name === 'while') {
      // Python / Ruby: while True: / while 1: / while true do
      let k = j;
      while (k < this.toks.length && k - j < 8 && !this.isP(k, ':') && this.toks[k]!.l !== 'do' && !this.toks[k]!.nl) k++;
      if (k === j || k >= this.toks.length || k - j >= 8) return;
      if (this.constant(j, k) !== true) return;
      // Python's block follows on the next lines: only `while True: pass` is known to be empty
      const b = this.tok(k + 1);
      if (!b || b.nl) {
        if (this.stmtPos(i)) this.hit('code-infinite-loop', 2, `infinite ${name} loop`, i);
        return;
      }
      bodyAt = k + 1;
    } else {
      return;
    }
    // do { ... } while (true): the body is the block before (unknown when that block is cut off)
    let body = this.loopBody(bodyAt);
    if (name === 'while' && this.isP(i - 1, '}')) {
      const open = this.match[i - 1]!;
      if (open > 0 && this.toks[open - 1]!.l === 'do') body = this.loopBody(open) === 'exits' ? 'exits' : 'body';
      else if (open < 0) body = 'body';
    }
    if (body === 'exits') return;
    const statement = this.stmtPos(i);
    if (body === 'empty' && statement) return this.hit('code-infinite-loop', 1, `infinite ${name} loop with an empty body`, i);
    if (body === 'empty' || statement) this.hit('code-infinite-loop', 2, `infinite ${name} loop`, i);
  }

  // ---------------------------------------------------------------- the pass

  run(): Hit | undefined {
    const toks = this.toks;
    for (let i = 0; i < toks.length && !this.done(); i++) {
      const t = toks[i]!;
      if (t.k === STR) {
        this.stringToken(i, t);
        if (this.done()) break;
      }
      const name = this.nameAt(i);
      if (!name) continue;
      this.atName(i, name, t);
    }
    return this.best;
  }

  private stringToken(i: number, t: Tok): void {
    if (t.q === 'qx') return this.hit('code-perl-exec', /[A-Za-z]/.test(t.t) ? 1 : 2, 'qx command literal', i);
    if (t.q === '%x') {
      // `%x(...)` is also a printf format followed by text: a command starts with a letter or a path, perhaps quoted
      // (the shell takes the quotes off: `%x('ls -al /')`)
      const command = t.t.trimStart();
      const c = command.charCodeAt(command.charCodeAt(0) === 0x27 || command.charCodeAt(0) === 0x22 ? 1 : 0) | 32;
      if (t.t.includes('%') || !((c >= 97 && c <= 122) || c === 47 || c === 46)) return;
      return this.hit('code-ruby-exec', this.stmtPos(i) ? 1 : 2, '%x command literal', i);
    }
    const l = t.l.trim();
    if (l === 'child_process' || l === 'node:child_process') {
      const prev = this.tok(i - 1);
      const next = this.tok(i + 1);
      const codeBefore = !prev || (prev.k === PUNCT && '([=,:+'.includes(prev.t)) || (prev.k === ID && (prev.l === 'from' || prev.l === 'require' || prev.l === 'import'));
      const codeAfter = !next || (next.k === PUNCT && ')];,+.'.includes(next.t));
      this.hit('code-node-child-process', codeBefore && codeAfter ? 1 : 2, 'child_process module name', i);
      return;
    }
    // the content of a string literal is read as code too (payloads wrapped in quotes, JSON-in-JSON, eval args)
    if (this.depth < 2 && t.t.length >= 8 && this.budget.chars > t.t.length && anchorIn(this.budget.anchors, this.base + t.cs, this.base + t.cs + t.t.length)) {
      const inner = new Reader(t.t, this.base + t.cs, this.depth + 1, this.budget).run();
      if (inner && (!this.best || inner.paranoia < this.best.paranoia)) this.best = inner;
    }
  }

  /**
   * Token `i` names the function of a stack-trace frame (`at Module._load (node:internal/...:12:5)`,
   * `at eval (eval at f (app.js:1:2), <anonymous>:3:4)`), as error reports carry them: not code.
   */
  private stackFrame(i: number): boolean {
    let h = i;
    for (let s = 0; s < 8 && h >= 2 && this.isP(h - 1, '.') && this.toks[h - 2]!.k === ID; s++) h -= 2;
    let p = h - 1;
    if (p >= 0 && this.toks[p]!.l === 'new') p--;
    if (p < 0 || this.toks[p]!.l !== 'at') return false;
    let e = i + 1;
    for (let s = 0; s < 8 && this.isP(e, '.') && this.tok(e + 1)?.k === ID; s++) e += 2;
    if (!this.isP(e, '(')) return false;
    for (let k = e + 1; k < this.toks.length && k - e < 24; k++) {
      const t = this.toks[k]!;
      if (t.k === PUNCT && t.t === ':' && this.tok(k + 1)?.k === NUM) return true;
      if (t.k === PUNCT && t.t === '<') return true;
      if (t.nl) return false;
    }
    return false;
  }

  private atName(i: number, name: string, t: Tok): void {
    if (!DISPATCH.has(name) && !(name.length > 4 && STRONG_DUNDERS.has(name))) return;
    if (t.k === ID && i > 0 && this.stackFrame(i)) return;
    switch (name) {
      case 'require': return this.requireCall(i, 'require');
      case 'process': if (t.t === 'process') this.processRef(i); break;
      case 'global': case 'globalthis': if (t.t === 'global' || t.t === 'globalThis') this.globalRef(i, t.t); return;
      case 'mainmodule': {
        const prev = this.tok(i - 1);
        if (prev && prev.k === PUNCT && (prev.t === '.' || prev.t === '[')) return this.hit('code-node-process', 1, 'mainModule', i);
        return this.hit('code-node-process', 2, 'mainModule', i);
      }
      case 'child_process': {
        if (t.k !== ID) return;
        const m = this.member(i + 1);
        if (m && NODE_EXEC.has(m.name)) return this.hit('code-node-child-process', 1, `child_process.${m.name}`, i);
        if (this.isP(i - 1, '(') && (this.isP(i + 1, ')') || i + 1 >= this.toks.length)) return this.hit('code-node-child-process', 1, 'child_process as an argument', i);
        return this.hit('code-node-child-process', 2, 'child_process', i);
      }
      case 'constructor': if (t.t === 'constructor') this.constructorRef(i); return;
      case 'function':
        if (t.t === 'Function') return this.functionCtor(i);
        if (t.t === 'function') return this.functionKeyword(i);
        return;
      case 'fs': if (t.t === 'fs') this.fsCall(i); return;
      case 'vm': if (t.t === 'vm') this.vmCall(i); return;
      case 'module': return this.moduleRef(i);
      case 'console': if (t.t === 'console') this.consoleRef(i); return;
      case 'import': case '__import__': case 'import_module': case 'from': return this.pythonImport(i, name);
      case 'getattr': return this.getattr(i);
      case 'send': case 'public_send': case '__send__': case 'method': return this.rubySend(i, name);
      case 'erb': if (t.t === 'ERB') this.erb(i); return;
      case 'open': case 'read': case 'readlines': case 'foreach': case 'binread': case 'write': return this.pipeOpen(i, name);
      case 'while': case 'for': return this.loop(i, name);
      case 'system': case 'popen': case 'spawn': case 'execsync': case 'spawnsync': case 'execfilesync': case 'execfile': case 'readpipe':
        this.bareExec(i, name);
        if (name !== 'execfile') return;
        break;
      case 'settimeout': case 'setinterval': case 'setimmediate': return this.timer(i);
      case 'const_get': {
        if (this.isP(i + 1, '(') || this.callAt(i + 1)) this.hit('code-ruby-exec', 2, 'const_get', i);
        return;
      }
      case 'createobject': case 'activexobject': return this.comObject(i);
      default: break;
    }
    if (EVALUATORS.has(name)) this.evaluator(i, name);
    if (this.done()) return;
    const exec = EXEC_OBJECTS.get(name);
    if (exec) this.execObject(i, name, exec);
    if (this.done()) return;
    const deser = DESERIALIZERS.get(name);
    if (deser) this.deserializer(i, name, deser);
    if (name.length > 4 && (name.charCodeAt(0) === 95 || name.charCodeAt(1) === 95 || name.endsWith('globals') || name.endsWith('frame') || name === 'f_back') && STRONG_DUNDERS.has(name)) this.dunder(i, name);
  }
}

/** Members of the request object that carry what the client sent (ASP, Express, Flask, Django). */
const REQUEST_MEMBERS = new Set(['form', 'querystring', 'item', 'cookies', 'servervariables', 'body', 'query', 'params', 'args', 'values', 'get', 'post', 'data', 'json']);

/** Every name a rule starts from (a cheap filter before the rules). */
const DISPATCH = new Set([
  'require', 'process', 'global', 'globalthis', 'root', 'mainmodule', 'child_process', 'constructor', 'function',
  'fs', 'vm', 'module', 'console', 'import', '__import__', 'import_module', 'from', 'getattr', 'send', 'public_send',
  '__send__', 'method', 'erb', 'open', 'read', 'readlines', 'foreach', 'binread', 'write', 'while', 'for', 'system',
  'popen', 'spawn', 'execsync', 'spawnsync', 'execfilesync', 'execfile', 'readpipe', 'settimeout', 'setinterval',
  'setimmediate', 'const_get', 'createobject', 'activexobject', ...EVALUATORS, ...EXEC_OBJECTS.keys(), ...DESERIALIZERS.keys(),
]);

// ------------------------------------------------------------------ serialized payloads and markers

/** `$1:constructor:constructor`, `$7:Module:prototype:_compile`: React Flight references walking prototypes. */
function rscReference(v: string): Hit | undefined {
  let from = 0;
  for (;;) {
    const at = v.indexOf('$', from);
    if (at < 0) return undefined;
    from = at + 1;
    let k = at + 1;
    while (k < v.length && k - at <= 9 && (isAlnum(v.charCodeAt(k)) || v.charCodeAt(k) === 64)) k++;
    if (k === at + 1 || v[k] !== ':') continue;
    let segs = 0;
    while (v[k] === ':' && segs < 12) {
      const s = k + 1;
      k = s;
      while (k < v.length && k - s < 40 && isIdentPart(v.charCodeAt(k))) k++;
      const seg = v.slice(s, k);
      if (seg === 'constructor' || seg === '__proto__' || seg === 'prototype' || seg === '_compile' || seg === '_load') {
        return { ruleId: 'code-node-rsc', paranoia: 1, message: `server-components reference path through ${seg}`, at };
      }
      segs++;
      if (k === s) break;
    }
    from = Math.max(from, k);
  }
}

/** Python pickle GLOBAL / INST opcodes naming a dangerous module: `cos\nsystem\n`, `c__builtin__\neval\n`. */
function pickleText(v: string): Hit | undefined {
  let from = 0;
  for (let guard = 0; guard < 100000; guard++) {
    const nl = v.indexOf('\n', from);
    if (nl < 0) return undefined;
    from = nl + 1;
    let s = nl;
    while (s > 0 && nl - s < 24 && (isIdentPart(v.charCodeAt(s - 1)) || v.charCodeAt(s - 1) === 46)) s--;
    if (s >= nl || (s > 0 && isIdentPart(v.charCodeAt(s - 1)))) continue;
    // the opcode letter (c = GLOBAL, i = INST) starts the run, the module name follows; the name is on the next line
    const op = v.charCodeAt(s);
    const module = v.slice(s + 1, nl);
    if ((op !== 99 && op !== 105) || !PICKLE_MODULES.has(module.split('.')[0]!)) continue;
    let e = nl + 1;
    while (e < v.length && e - nl < 40 && (isIdentPart(v.charCodeAt(e)) || v.charCodeAt(e) === 46)) e++;
    if (e === nl + 1 || (v.charCodeAt(e) !== 10 && v.charCodeAt(e) !== 13)) continue;
    if (!PICKLE_NAMES.has(v.slice(nl + 1, e))) continue;
    return { ruleId: 'code-python-pickle', paranoia: 1, message: `pickle opcode loading ${module}.${v.slice(nl + 1, e)}`, at: s };
  }
  return undefined;
}

/** Binary pickle (protocol 2+): SHORT_BINUNICODE module names and STACK_GLOBAL, also after UTF-8 replacement. */
function pickleBinary(v: string): Hit | undefined {
  for (let i = 0; i + 3 < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c !== 0x8c && c !== 0xfffd && c !== 0x58 && c !== 0x55) continue; // SHORT_BINUNICODE, BINUNICODE, SHORT_BINSTRING
    const len = v.charCodeAt(i + 1);
    if (len < 1 || len > 24) continue;
    let s = i + 2;
    if (c === 0x58) { // 4-byte length
      if (v.charCodeAt(i + 2) !== 0 || v.charCodeAt(i + 3) !== 0 || v.charCodeAt(i + 4) !== 0) continue;
      s = i + 5;
    }
    const module = v.slice(s, s + len);
    if (!PICKLE_MODULES.has(module) || module === 'operator' || module === 'functools' || module === 'codecs') continue;
    const after = v.slice(s + len, s + len + 48);
    if (after.includes('\u0093') || (c === 0xfffd && after.includes('\ufffd'))) {
      return { ruleId: 'code-python-pickle', paranoia: 1, message: `binary pickle importing ${module}`, at: i };
    }
  }
  return undefined;
}

const B64 = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
B64[45] = 62;
B64[95] = 63;

/** Base64 runs starting with `prefix`, decoded as Latin-1 (binary formats the engine's decoder leaves alone). */
function base64Binary(v: string, prefix: string, max = 16384): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const at = v.indexOf(prefix, from);
    if (at < 0 || out.length >= 4) return out;
    from = at + prefix.length;
    if (at > 0) {
      const p = v.charCodeAt(at - 1);
      if (p < 128 && B64[p]! >= 0) continue;
    }
    let k = at;
    let acc = 0;
    let bits = 0;
    let text = '';
    while (k < v.length && k - at < max) {
      const c = v.charCodeAt(k);
      if (c >= 128 || B64[c]! < 0) break;
      acc = ((acc << 6) | B64[c]!) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        text += String.fromCharCode((acc >> bits) & 0xff);
      }
      k++;
    }
    from = k;
    if (text.length >= 8) out.push(text);
  }
}

function yamlTags(v: string): Hit | undefined {
  const py = v.indexOf('!!python/');
  if (py >= 0) return { ruleId: 'code-yaml-tag', paranoia: 1, message: `YAML tag ${v.slice(py, py + 30)}`, at: py };
  const pyTag = v.indexOf('yaml.org,2002:python/');
  if (pyTag >= 0) return { ruleId: 'code-yaml-tag', paranoia: 1, message: 'YAML python/ tag', at: pyTag };
  const js = v.indexOf('!!js/function');
  if (js >= 0) return { ruleId: 'code-yaml-tag', paranoia: 1, message: 'YAML !!js/function tag', at: js };
  const php = v.indexOf('!php/object');
  if (php >= 0) return { ruleId: 'code-yaml-tag', paranoia: 1, message: 'YAML !php/object tag', at: php };
  let weak: Hit | undefined;
  let from = 0;
  for (;;) {
    const at = v.indexOf('!ruby/', from);
    if (at < 0) return weak;
    from = at + 6;
    let k = at + 6;
    while (k < v.length && k - at < 24 && /[a-z_]/.test(v[k]!)) k++;
    const kind = v.slice(at + 6, k);
    if (!['object', 'hash', 'struct', 'marshalable', 'class', 'module', 'array', 'string', 'sym', 'symbol', 'regexp', 'range', 'exception'].includes(kind)) continue;
    let cls = '';
    if (v[k] === ':') {
      let e = k + 1;
      while (e < v.length && e - k < 120 && (isIdentPart(v.charCodeAt(e)) || v[e] === ':')) e++;
      cls = v.slice(k + 1, e);
    } else {
      // `!ruby/class 'Gem::Installer'`
      let e = k;
      while (e < v.length && e - k < 4 && (v[e] === ' ' || v[e] === "'" || v[e] === '"')) e++;
      const s = e;
      while (e < v.length && e - s < 120 && (isIdentPart(v.charCodeAt(e)) || v[e] === ':')) e++;
      cls = v.slice(s, e);
    }
    if (RUBY_DANGER_CLASSES.some((p) => cls.startsWith(p)) || kind === 'class' || kind === 'module' || kind === 'marshalable') {
      return { ruleId: 'code-yaml-tag', paranoia: 1, message: `YAML !ruby/${kind} ${cls.slice(0, 40)}`, at };
    }
    if (!weak) weak = { ruleId: 'code-yaml-tag', paranoia: 2, message: `YAML !ruby/${kind} tag`, at };
  }
}

/** jsonpickle's keys that call what they name when the document is decoded. */
const PICKLE_CALL_KEYS: ReadonlySet<string> = new Set(['reduce', 'function', 'repr', 'newargs', 'newargsex', 'initargs']);

function jsonPickle(v: string): Hit | undefined {
  // a JSON body's key on its own (`{"py/reduce": [...]}` is walked key by key): the key is the whole value
  if (v.length <= 16 && v.startsWith('py/')) {
    const key = v.slice(3);
    if (PICKLE_CALL_KEYS.has(key)) return { ruleId: 'code-jsonpickle', paranoia: 1, message: `jsonpickle py/${key}`, at: 0 };
  }
  let weak: Hit | undefined;
  let from = 0;
  for (;;) {
    const at = v.indexOf('py/', from);
    if (at < 0) return weak;
    from = at + 3;
    const q = v[at - 1];
    if (q !== '"' && q !== "'") continue;
    let k = at + 3;
    while (k < v.length && k - at < 16 && /[a-z]/.test(v[k]!)) k++;
    const key = v.slice(at + 3, k);
    if (v[k] !== q) continue;
    if (PICKLE_CALL_KEYS.has(key)) {
      return { ruleId: 'code-jsonpickle', paranoia: 1, message: `jsonpickle py/${key}`, at: at - 1 };
    }
    if (key === 'object' || key === 'type' || key === 'newobj' || key === 'mod') {
      const rest = v.slice(k + 1, k + 64).replace(/^\s*:\s*["']/, '');
      const mod = rest.split(/[.'"]/)[0]!;
      if (PICKLE_MODULES.has(mod)) return { ruleId: 'code-jsonpickle', paranoia: 1, message: `jsonpickle py/${key} of ${mod}`, at: at - 1 };
      if (!weak) weak = { ruleId: 'code-jsonpickle', paranoia: 2, message: `jsonpickle py/${key}`, at: at - 1 };
    }
  }
}

function rubyGadgets(v: string): Hit | undefined {
  for (const g of RUBY_GADGETS) {
    const at = v.indexOf(g);
    if (at < 0) continue;
    // next to a serialization marker: YAML tag, Marshal instance variables (`:@x`) or header, Oj's `"^o"` key
    const marker = v.includes('!ruby/') || v.includes(':@') || v.includes('Marshal') || v.includes('\u0004\u0008') || v.includes('"^o"');
    return { ruleId: 'code-ruby-gadget', paranoia: marker ? 1 : 2, message: `Ruby deserialization gadget ${g}`, at };
  }
  return undefined;
}

/**
 * A .NET deserialization gadget named in the value (DOTNET_GADGETS): paranoia 1 where a type is named for a
 * deserializer (a marker in the value, or a field named `$type`/`__type`), 2 as a mere mention. XAML's
 * `<ObjectDataProvider ... MethodName=`, the element form of the first gadget, counts at paranoia 1 too.
 */
function dotnetGadgets(v: string, field: string): Hit | undefined {
  for (const g of DOTNET_GADGETS) {
    const at = v.indexOf(g);
    if (at < 0) continue;
    const typed = field === '$type' || field === '__type' || field === '$types' || DOTNET_TYPE_MARKERS.some((m) => v.includes(m));
    return { ruleId: 'code-dotnet-gadget', paranoia: typed ? 1 : 2, message: `.NET deserialization gadget ${g}`, at };
  }
  const element = v.indexOf('<ObjectDataProvider');
  if (element >= 0 && v.includes('MethodName')) {
    return { ruleId: 'code-dotnet-gadget', paranoia: 1, message: 'XAML ObjectDataProvider calling a method', at: element };
  }
  return undefined;
}

/**
 * ImageTragick and Ghostscript: an image that makes the converter read, delete or write files, or run a command.
 * ImageMagick's MVG (`push graphic-context`) or an SVG naming a coder instead of a file (`'ephemeral:/var/www/x'`
 * deletes it, `'label:@/etc/passwd'` draws it, `'msl:/tmp/x.msl'` runs a script that writes files, a `|` in a URL
 * runs a command), and PostScript's `%pipe%` device (the -dSAFER bypasses: `(%pipe%id) ... /OutputFile`).
 */
function imageCoders(v: string): Hit | undefined {
  const pipe = v.indexOf('%pipe%');
  if (pipe >= 0) return { ruleId: 'code-imagemagick', paranoia: 1, message: 'Ghostscript %pipe% device (runs a command)', at: pipe };
  // an MSL script (ImageMagick's XML scripting) that writes a file: `<image><read .../><write filename="/var/www/x.php"/>`
  const write = v.indexOf('<write filename=');
  if (write >= 0 && v.includes('<image')) return { ruleId: 'code-imagemagick', paranoia: 1, message: 'ImageMagick MSL script writing a file', at: write };
  const mvg = v.includes('graphic-context');
  if (!mvg) {
    // in SVG, an href's quoted value (`xlink:href="msl:/tmp/x.msl"`): only the start of each value is lower-cased (a
    // rich-text body is full of links)
    for (let h = v.indexOf('href='), n = 0; h >= 0 && n < 256; h = v.indexOf('href=', h + 5), n++) {
      const quote = v.charCodeAt(h + 5);
      if (quote !== 39 && quote !== 34) continue;
      const start = v.slice(h + 6, h + 16).toLowerCase();
      for (const coder of IMAGE_CODERS) {
        if (start.startsWith(coder)) return { ruleId: 'code-imagemagick', paranoia: 1, message: `ImageMagick coder ${coder} in an image`, at: h + 6 };
      }
    }
    return undefined;
  }
  const lower = v.toLowerCase();
  for (const coder of IMAGE_CODERS) {
    // in MVG, a quoted image name (`image over 0,0 0,0 'ephemeral:...'`)
    for (let at = lower.indexOf(coder); at >= 0; at = lower.indexOf(coder, at + coder.length)) {
      const before = lower.charCodeAt(at - 1);
      if (before === 39 || before === 34) return { ruleId: 'code-imagemagick', paranoia: 1, message: `ImageMagick coder ${coder} in an image`, at };
    }
  }
  // a command after the URL of a `url(...)` fill
  const url = lower.indexOf('url(');
  const bar = url >= 0 ? lower.indexOf('|', url) : -1;
  if (bar > url && bar - url < 200) return { ruleId: 'code-imagemagick', paranoia: 1, message: 'ImageMagick URL with a command (|)', at: url };
  return undefined;
}
/** ImageMagick coders that read, delete or run files in place of an image. */
const IMAGE_CODERS = ['ephemeral:', 'msl:', 'label:@', 'text:', 'mvg:', 'vid:msl:', 'caption:@'];

/**
 * A scanner's code-injection probe: a statement that prints the product of two large literals or the MD5 of a number
 * (`response.write(9273*8218)`, `print(31337*31337)`, `;print(md5(31337));`), whose answer in the response proves
 * that the code ran.
 */
const ARITHMETIC_ECHO = /\b(?:response\.write|print|echo|puts|printf|die|exit)\s{0,4}\(?\s{0,4}(?:\d{3,9}\s{0,4}\*\s{0,4}\d{3,9}|md5\s{0,4}\(\s{0,4}['"]?\d{3,12})/i;

function markers(v: string, f: Facts): Hit | undefined {
  const nd = v.indexOf('$$ND_FUNC$$');
  if (nd >= 0) return { ruleId: 'code-node-serialize', paranoia: 1, message: 'node-serialize function marker _$$ND_FUNC$$_', at: nd };
  const fn = v.indexOf('__js_function');
  if (fn >= 0) return { ruleId: 'code-node-serialize', paranoia: 1, message: 'funcster serialized function __js_function', at: fn };
  let best: Hit | undefined;
  if (v.includes('$') && v.includes(':')) best = better(best, rscReference(v));
  if (best?.paranoia === 1) return best;
  if (v.includes('!')) best = better(best, yamlTags(v));
  if (best?.paranoia === 1) return best;
  if (v.includes('py/')) best = better(best, jsonPickle(v));
  if (best?.paranoia === 1) return best;
  if (v.includes('\n')) best = better(best, pickleText(v));
  if (best?.paranoia === 1) return best;
  if (f.binary) best = better(best, pickleBinary(v));
  if (best?.paranoia === 1 || !f.longRun) return best;
  if (v.includes('::')) best = better(best, rubyGadgets(v));
  if (best?.paranoia === 1) return best;
  // base64 of binary pickles (protocol 2+ starts with 0x80 0x0N: `gAJ`, `gAN`, `gAS`, `gAV`) and of Ruby Marshal
  // data (0x04 0x08: `BAh`), which the engine's text decoder leaves alone
  for (const prefix of ['gAJ', 'gAN', 'gAS', 'gAV']) {
    for (const bin of base64Binary(v, prefix)) {
      const h = pickleBinary(bin) ?? pickleText(bin);
      if (h) return { ...h, message: `base64 ${h.message}`, at: v.indexOf(prefix) };
    }
  }
  for (const bin of base64Binary(v, 'BAh')) {
    const h = rubyGadgets(bin);
    if (h) return { ruleId: 'code-ruby-gadget', paranoia: 1, message: `base64 Ruby Marshal data with ${h.message}`, at: v.indexOf('BAh') };
  }
  // base64 of .NET serialized data: ViewState and LosFormatter/ObjectStateFormatter output (0xFF 0x01: `/wE`), as an
  // unsigned `__VIEWSTATE` takes it, and BinaryFormatter streams (`AAEAAAD/////`); a gadget type named inside is
  // the ysoserial.net payload (TextFormattingRunProperties, TypeConfuseDelegate's ObjectDataProvider...)
  for (const prefix of ['/wE', 'AAEAAAD/////']) {
    for (const bin of base64Binary(v, prefix, 131072)) {
      const h = dotnetGadgets(bin, '$type');
      if (h) return { ruleId: 'code-dotnet-gadget', paranoia: 1, message: `base64 .NET serialized data with ${h.message}`, at: v.indexOf(prefix) };
    }
  }
  return best;
}

// ------------------------------------------------------------------ the detector

/** Reads `text` as code, then (if needed) as if it started inside a '...' or "..." string. */
function readCode(v: string, list: readonly number[]): Hit | undefined {
  if (list.length === 0 && !v.includes('%x')) return undefined;
  const budget: Budget = { chars: v.length * 6 + 1024, anchors: list };
  let best = new Reader(v, 0, 0, budget).run();
  if (best?.paranoia === 1) return best;
  for (const q of ["'", '"']) {
    // a payload that breaks out of a string starts with the quote (or nearly)
    const at = v.indexOf(q);
    if (at < 0 || at > 32 || at + 1 >= v.length || budget.chars < v.length - at || !anchorIn(list, at + 1, v.length)) continue;
    const h = new Reader(v.slice(at + 1), at + 1, 0, budget).run();
    best = better(best, h);
    if (best?.paranoia === 1) return best;
  }
  return best;
}

/** Extensions IIS hands to ASP or ASP.NET: an upload stored under one is a webshell. */
const ASP_EXTENSIONS = new Set(['asp', 'aspx', 'asa', 'ashx', 'asmx', 'ascx', 'cshtml', 'vbhtml']);

/** An upload file name an IIS server would run as ASP or ASP.NET (`shell.aspx`, `shell.asp;.jpg`). */
function aspUpload(v: string): Hit | undefined {
  for (const name of storedUploadNames(v)) {
    const ext = name.slice(name.lastIndexOf('.') + 1);
    if (name.includes('.') && ASP_EXTENSIONS.has(ext)) return { ruleId: 'code-asp-upload', paranoia: 1, message: `ASP file name in an upload (.${ext})`, at: 0 };
  }
  return undefined;
}

export const codeDetector: Detector = {
  category: 'code',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    const v = value;
    if (v.length < 4) return;
    // (a file name has an extension near its end: most values are not asked about their field)
    const dot = v.lastIndexOf('.');
    const ext = (v.charCodeAt(dot + 1) | 32) - 97; // a letter starts an extension (`12000.000` has none)
    let best: Hit | undefined = dot >= 0 && v.length - dot <= 10 && ext >= 0 && ext < 26 && isFileNameField(context) ? aspUpload(v) : undefined;
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    const f = facts(v);
    // Without the characters the markers need (see Facts.hint; the others need binary data or a long run) and
    // without anchors or `%x`, neither the markers nor the code reader can find anything.
    if (best?.paranoia !== 1 && (f.hint || f.binary || f.longRun)) best = better(best, markers(v, f));
    if (best?.paranoia !== 1 && (v.includes('graphic-context') || v.includes('%pipe%') || v.includes('href=') || v.includes('<write'))) best = better(best, imageCoders(v));
    if (best?.paranoia !== 1 && v.length <= 4096 && (v.includes('*') || v.includes('md5'))) {
      const m = ARITHMETIC_ECHO.exec(v);
      if (m !== null) best = better(best, { ruleId: 'code-eval', paranoia: 1, message: 'code printing the product of two literals (a scanner\'s injection probe)', at: m.index });
    }
    if (best?.paranoia !== 1 && (f.hint || f.anchors.length > 0)) best = better(best, readCode(v, f.anchors));
    // (every gadget name has a dot and starts with one of these; a XAML gadget maps `clr-namespace:System.Diagnostics`)
    if (best?.paranoia !== 1 && dot >= 0 && (v.includes('System.') || v.includes('Microsoft.'))) {
      best = better(best, dotnetGadgets(v, context.name));
    }
    if (!best) return;
    // Code spelled with JavaScript escapes (`c\u006fnsole`, `\x72equire`) is evasion: one level stricter.
    let paranoia = best.paranoia;
    if (paranoia === 2 && context.layers.includes('js')) paranoia = 1;
    if (paranoia > context.paranoia) return;
    report({ ruleId: best.ruleId, category: 'code', paranoia, score: SCORE.critical, message: best.message, matched: excerpt(v, best.at) });
  },
};
