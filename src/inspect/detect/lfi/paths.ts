/**
 * File-path facts for the path traversal / local file inclusion detector (and for the command injection
 * detector, whose `cat FILE` needs to know what FILE is): path tokens in a value, the segments that climb
 * (`..`, `..;`, `....`, `.. ` with trailing blanks), the path they resolve to, and whether that path names a file
 * or directory an application should never serve (system files, secrets, keys, VCS metadata, server config).
 *
 * Paths are compared in lower case with `/` for `\`, repeated separators merged and `.` segments dropped, so
 * `C:\\WINDOWS\\.\\win.ini`, `/etc//passwd` and `/ETC/./PASSWD` are the same file.
 */

export interface Sensitive {
  /** What was recognised, for the message (`/etc/passwd`, `.git/`, `id_rsa`). */
  readonly name: string;
  /** Strong: never served by an application (keys, system files). Weak: suspicious in a path (logs, backups). */
  readonly strong: boolean;
  /**
   * A backup, dump or secret file (`.bak`, `.sql`, `.swp`, `.inc`, `.key`, ...): what scanners ask a web server for,
   * never a page it serves.
   */
  readonly backup?: boolean;
}

export interface PathToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Characters that end a path token inside a longer value. */
export function isBoundary(c: number): boolean {
  return c < 128 && BOUNDARY[c] === 1;
}
const BOUNDARY = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  BOUNDARY[c] = c <= 32 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 124 || c === 38 || c === 61 ||
    c === 63 || c === 35 || c === 44 || c === 40 || c === 41 || c === 123 || c === 125 || c === 0x7f ? 1 : 0;
}

/**
 * Splits a value into candidate path tokens (runs without blanks, quotes and query/shell punctuation), keeping
 * only those that can matter: with a separator or a colon, starting with a dot, or with a dot when the token is
 * the whole value. At most `max` are returned (each costs little; the cap only bounds pathological values).
 */
export function pathTokens(value: string, max = 4096, blanksOnly = false): PathToken[] {
  if (!blanksOnly) return seededPathTokens(value, max);
  const out: PathToken[] = [];
  let start = -1;
  let interesting = false;
  let dot = false;
  const n = value.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? value.charCodeAt(i) : 32;
    if (blanksOnly ? c <= 32 || c === 34 || c === 39 : isBoundary(c)) {
      if (start >= 0) {
        if (interesting || (dot && (start === 0 || i === n) ) || value.charCodeAt(start) === 46) {
          out.push({ text: value.slice(start, i), start, end: i });
          if (out.length >= max) return out;
        }
        start = -1;
      }
      continue;
    }
    if (start < 0) { start = i; interesting = false; dot = false; }
    if (c === 47 || c === 92 || c === 58) interesting = true;
    else if (c === 46) dot = true;
  }
  return out;
}

/**
 * `pathTokens` without blanksOnly: the same tokens in the same order, found from their seeds rather than by a loop
 * over every character, so long prose costs little. A token is kept when it holds a separator or a colon, starts
 * with a dot, or has a dot and is the first or last of the value. The seeds are a separator or a colon anywhere and
 * a dot that starts a token; each seed's token is widened to its boundaries and the search resumes after it. The
 * first and last tokens, kept for a dot anywhere, are looked at apart.
 */
function seededPathTokens(value: string, max: number): PathToken[] {
  const out: PathToken[] = [];
  const n = value.length;
  let pos = 0;
  // the first token: kept with a dot anywhere (or a seed)
  if (n > 0 && !isBoundary(value.charCodeAt(0))) {
    let e = 0;
    let keep = false;
    for (; e < n; e++) {
      const c = value.charCodeAt(e);
      if (isBoundary(c)) break;
      if (c === 47 || c === 92 || c === 58 || c === 46) keep = true;
    }
    if (keep) {
      out.push({ text: value.slice(0, e), start: 0, end: e });
      if (out.length >= max) return out;
    }
    pos = e;
  }
  // tokens with a seed; the next occurrence of each seed character is searched natively (indexOf), once per token
  let slash = value.indexOf('/', pos);
  let backslash = value.indexOf('\\', pos);
  let colon = value.indexOf(':', pos);
  let dot = leadingDot(value, pos);
  for (;;) {
    let at = n;
    if (slash >= 0 && slash < at) at = slash;
    if (backslash >= 0 && backslash < at) at = backslash;
    if (colon >= 0 && colon < at) at = colon;
    if (dot >= 0 && dot < at) at = dot;
    if (at === n) break;
    let s = at;
    while (s > pos && !isBoundary(value.charCodeAt(s - 1))) s--;
    let e = at + 1;
    while (e < n && !isBoundary(value.charCodeAt(e))) e++;
    out.push({ text: value.slice(s, e), start: s, end: e });
    if (out.length >= max) return out;
    pos = e;
    if (slash >= 0 && slash < pos) slash = value.indexOf('/', pos);
    if (backslash >= 0 && backslash < pos) backslash = value.indexOf('\\', pos);
    if (colon >= 0 && colon < pos) colon = value.indexOf(':', pos);
    if (dot >= 0 && dot < pos) dot = leadingDot(value, pos);
  }
  // the last token (when not already read): kept with a dot anywhere; a seed would have found it above
  if (pos < n && !isBoundary(value.charCodeAt(n - 1))) {
    let s = n - 1;
    while (s > pos && !isBoundary(value.charCodeAt(s - 1))) s--;
    if (value.indexOf('.', s) >= 0) out.push({ text: value.slice(s, n), start: s, end: n });
  }
  return out;
}

/** The first dot at or after `from` that starts a token (at the start of the value or after a boundary), or -1. */
function leadingDot(value: string, from: number): number {
  for (let d = value.indexOf('.', from); d >= 0; d = value.indexOf('.', d + 1)) {
    if (d === 0 || isBoundary(value.charCodeAt(d - 1))) return d;
  }
  return -1;
}

export interface PathShape {
  /** Segments that climb one level. */
  readonly climbs: number;
  /** The longest run of consecutive climbing segments. */
  readonly run: number;
  /** The token starts with a climbing segment. */
  readonly leading: boolean;
  /** A climbing segment is written with a backslash separator or an evasion (`..;`, `....`, `.. `). */
  readonly odd: boolean;
  /** The token ends with a climbing segment (`/get/..`). */
  readonly trailing: boolean;
  /** The path without climbing segments, `.` segments and repeated separators, lower case, `/` separated. */
  readonly normal: string;
  /** What follows the last climbing segment, as an absolute path (`../../etc/passwd` → `/etc/passwd`). */
  readonly tail: string;
}

/** One segment (token[from, to)): 0 if it does not climb, 1 for `..`, 2 for an evasive form (`..;x`, `...`, `.. `). */
function climbKind(token: string, from: number, to: number): number {
  let end = to;
  while (end > from && (token.charCodeAt(end - 1) === 32 || token.charCodeAt(end - 1) === 9)) end--;
  if (end - from < 2 || token.charCodeAt(from) !== 46 || token.charCodeAt(from + 1) !== 46) return 0;
  let dots = from;
  while (dots < end && token.charCodeAt(dots) === 46) dots++;
  if (dots === end) return end - from === 2 && end === to ? 1 : 2;
  if (dots - from === 2 && token.charCodeAt(dots) === 59) return 2; // ..;jsessionid=x (Tomcat path parameter)
  return 0;
}

/** Reads the shape of one path token. */
export function pathShape(token: string): PathShape {
  let climbs = 0;
  let run = 0;
  let cur = 0;
  let leading = false;
  let odd = false;
  let trailing = false;
  let contentSeen = false;
  const parts: string[] = [];
  let tailFrom = 0; // index in parts where the tail (after the last climb) begins
  let segStart = 0;
  const lowToken = token.toLowerCase();
  for (let i = 0; i <= token.length; i++) {
    const c = i < token.length ? token.charCodeAt(i) : 47;
    if (c !== 47 && c !== 92) continue;
    const kind = climbKind(token, segStart, i);
    if (kind > 0) {
      climbs++;
      cur++;
      if (cur > run) run = cur;
      if (!contentSeen) leading = true;
      if (kind === 2 || c === 92 || (segStart > 0 && token.charCodeAt(segStart - 1) === 92)) odd = true;
      trailing = i === token.length;
      if (parts.length > 0) parts.pop();
      tailFrom = -1;
    } else {
      cur = 0;
      trailing = false;
      const len = i - segStart;
      if (len > 0 && !(len === 1 && token.charCodeAt(segStart) === 46)) {
        parts.push(lowToken.slice(segStart, i));
        contentSeen = true;
        if (tailFrom === -1) tailFrom = parts.length - 1;
      }
    }
    segStart = i + 1;
  }
  const absolute = token.charCodeAt(0) === 47 || token.charCodeAt(0) === 92;
  const normal = (absolute ? '/' : '') + parts.join('/');
  let tail = normal;
  if (climbs > 0) tail = tailFrom < 0 ? '/' : '/' + parts.slice(tailFrom).join('/');
  return { climbs, run, leading, odd, trailing, normal, tail };
}

// ---- what is sensitive ----------------------------------------------------------------------------------------

const set = (s: string): ReadonlySet<string> => new Set(s.split(/\s+/).filter((x) => x !== ''));

/** Files under /etc that disclose accounts, hosts or configuration. */
export const ETC_STRONG = set(`passwd passwd- shadow shadow- group group- gshadow master.passwd sudoers sudoers.d hosts
  hostname issue issue.net motd crontab cron.d cron.daily fstab mtab profile bashrc bash.bashrc environment
  resolv.conf nsswitch.conf ld.so.preload ld.so.conf os-release lsb-release redhat-release debian_version
  alpine-release subuid subgid shells login.defs sysctl.conf inittab exports aliases inetd.conf xinetd.conf
  krb5.conf krb5.keytab my.cnf mysql php.ini php apache apache2 httpd nginx lighttpd ssh ssl pki security pam.d
  sysconfig network networks netplan init.d rc.d systemd shadow.bak passwd.bak security.conf modules
  postfix dovecot samba openvpn wireguard kubernetes docker containerd vsftpd.conf proftpd.conf exim4 sasldb2
  snmp snmpd.conf ntp.conf chrony.conf timezone localtime machine-id opasswd securetty selinux audit
  iptables nftables.conf ufw firewalld haproxy squid tomcat tomcat9 jetty redis mongod.conf postgresql
  cups ldap openldap sssd gitlab grafana prometheus vault consul nomad`);

/**
 * Names that are secrets wherever they are. Words that are also ordinary names (`identity`, `sam`: `/api/identity`,
 * `/users/sam`) are not here: the SSH `identity` file counts below `.ssh/` and the SAM hive in WINDOWS_FILES.
 */
const SECRET_NAMES = set(`id_rsa id_dsa id_ecdsa id_ed25519 id_rsa.pub authorized_keys authorized_keys2
  .bash_history .zsh_history .sh_history .history .mysql_history .psql_history .python_history .sqlite_history
  .node_repl_history .rediscli_history .lesshst .viminfo .netrc .pgpass .my.cnf .npmrc .pypirc .git-credentials
  .dockercfg .env .htpasswd .htaccess .htdigest web.config wp-config.php boot.ini win.ini system.ini ntuser.dat
  ntuser.dat.log applicationhost.config .boto .s3cfg .terraformrc .vault-token .kube .aws .ssh .gnupg .rhosts .shosts hosts.equiv
  .git-credential-cache .docker .pki .ds_store pagefile.sys hiberfil.sys swapfile.sys unattend.xml
  sysprep.inf sysprep.xml localsettings.php configuration.php config.inc.php settings.local.php
  database.yml secrets.yml master.key credentials.yml.enc appsettings.json .dockerenv .aiignore .cursorignore
  .cursorrules .clinerules .windsurfrules .boltignore .codeiumignore .aider.conf.yml .mcp.json tomcat-users.xml
  docker.sock containerd.sock redis.conf pg_hba.conf mongod.conf smb.conf`);

/** Templates of `.env` files, committed to repositories beside `.gitignore`d real ones, with placeholder values. */
const ENV_TEMPLATES = set('.env.example .env.sample .env.template .env.dist .env-example .env-sample .env.defaults');

/** Shell start-up files: a user's configuration, suspicious in a path but also ordinary words in data. */
const RC_NAMES = set('.bashrc .bash_profile .bash_logout .profile .zshrc .zprofile .zshenv .cshrc .tcshrc .login .inputrc .vimrc');

/** Directory names that hold metadata or secrets and are never part of a served site. */
const SECRET_DIRS = set(`.git .svn .hg .bzr _darcs .ssh .aws .gnupg .docker .kube .azure .gcloud .terraform
  web-inf meta-inf .idea .claude .cursor .continue .aider .codex .roo .zed .cline .kiro .windsurf .rovodev
  .junie .opencode .a0proj .plandex .fabric .n8n .gemini .copilot .amazonq .tabnine .sourcegraph .augment
  .ollama .lmstudio .huggingface .ipython .jupyter .vscode-server .subversion .password-store .local .config
  .mozilla .thunderbird .purple .irssi .weechat .msf4 .john .hashcat .sqlmap`);

/** Windows system paths (after the drive letter), lower case, `/` separated. */
const WINDOWS_FILES = set(`/windows/win.ini /windows/system.ini /boot.ini /winnt/win.ini /winnt/system.ini
  /windows/system32/drivers/etc/hosts /windows/system32/config/sam /windows/system32/config/system
  /windows/system32/config/security /windows/system32/config/software /windows/system32/config/regback/sam
  /windows/repair/sam /windows/repair/system /windows/panther/unattend.xml /windows/panther/unattended.xml
  /windows/debug/netsetup.log /windows/system32/inetsrv/config/applicationhost.config /windows/iis.log
  /windows/system32/license.rtf /windows/system32/eula.txt /windows/windowsupdate.log /inetpub/wwwroot/web.config
  /windows/system32/cmd.exe /windows/system32/windowspowershell/v1.0/powershell.exe /autoexec.bat /config.sys`);

/** The sensitivity of one path, or null. `token` is a path as written (any separators, any case). */
export function sensitivePath(token: string): Sensitive | null {
  const shape = pathShape(token);
  return sensitiveNormal(shape.normal) ?? (shape.climbs > 0 ? sensitiveNormal(shape.tail) : null);
}

/** The sensitivity of a normalised path (lower case, `/` separators, no `.`/`..` segments). */
export function sensitiveNormal(p: string): Sensitive | null {
  if (p === '' || p === '/') return null;
  let path = p;
  // drive letter: c:/windows/win.ini → /windows/win.ini
  if (path.length >= 2 && path.charCodeAt(1) === 58 && isLetter(path.charCodeAt(0))) path = '/' + path.slice(2);
  const segs: string[] = [];
  let from = 0;
  for (let k = 0; k <= path.length; k++) {
    if (k < path.length && path.charCodeAt(k) !== 47) continue;
    if (k > from) segs.push(path.slice(from, k));
    from = k + 1;
  }
  if (segs.length === 0) return null;
  const absolute = path.charCodeAt(0) === 47;
  const first = segs[0]!;
  const last = stripTrail(segs[segs.length - 1]!);
  // A directory that is only worth a weak finding (`/var/www/`, `/tmp/`) does not hide a secret file below it
  // (`/var/www/html/.env`): the checks for those come first, the weak answer last.
  let weak: Sensitive | null = null;

  if (absolute) {
    if (first === 'etc' && segs.length >= 2) {
      const name = stripTrail(segs[1]!);
      // everything under /etc is system configuration; the list only names the message
      return { name: ETC_STRONG.has(name) ? `/etc/${name}` : `/etc/${name}`, strong: name !== '' };
    }
    if (first === 'proc' && segs.length >= 2) return { name: `/proc/${segs[1]}`, strong: true };
    if (first === 'sys' && segs.length >= 2 && SYS_DIRS.has(segs[1]!)) return { name: `/sys/${segs[1]}`, strong: true };
    // root's home: its dotfiles (`.bash_history`, `.ssh/`); `/root/folders` is as often an application's own word
    if (first === 'root') return { name: '/root/', strong: segs.length >= 2 && segs[1]!.charCodeAt(0) === 46 };
    if (first === 'dev' && segs.length >= 2 && DEV_FILES.has(segs[1]!)) return { name: `/dev/${segs[1]}`, strong: true };
    if (first === 'var' && segs.length >= 2) {
      const second = segs[1]!;
      if (second === 'log' || second === 'mail' || second === 'spool' || second === 'backups') {
        return { name: `/var/${second}/`, strong: segs.length >= 3 || second !== 'log' };
      }
      if (second === 'run' && segs[2] === 'secrets') return { name: '/var/run/secrets/', strong: true };
      if (second === 'lib' && segs.length >= 3 && VAR_LIB.has(segs[2]!)) return { name: `/var/lib/${segs[2]}/`, strong: true };
      if (second === 'www' || second === 'lib' || second === 'run' || second === 'tmp') weak = { name: `/var/${second}/`, strong: false };
    }
    if (first === 'home' && segs.length >= 3 && segs[2]!.charCodeAt(0) === 46) return { name: `/home/*/${segs[2]}`, strong: true };
    if (first === 'tmp' && segs.length >= 2) weak = { name: '/tmp/', strong: false };
    if (WINDOWS_ROOTS.has(first) || last.endsWith('.ini') || last.endsWith('.bat') || last.endsWith('.sys')) {
      const win = '/' + segs.map(stripTrail).join('/');
      if (WINDOWS_FILES.has(win)) return { name: win, strong: true };
    }
    if ((first === 'windows' || first === 'winnt') && segs.length >= 2) weak ??= { name: `/${first}/${segs[1]}`, strong: false };
    if (first === 'documents and settings' || (first === 'users' && segs.length >= 3 && last === 'ntuser.dat')) return { name: `/${first}/`, strong: true };
    if (first === 'inetpub') weak ??= { name: '/inetpub/', strong: false };
  }
  // anywhere: secret files and metadata directories
  for (let k = 0; k < segs.length; k++) {
    const raw = segs[k]!;
    const c = raw.charCodeAt(0);
    if (c !== 46 && c !== 119 && c !== 109 && c !== 95) continue; // . w(eb-inf) m(eta-inf) _(darcs)
    const s = stripTrail(raw);
    if (SECRET_DIRS.has(s) && !((s === '.config' || s === '.local') && k === segs.length - 1)) {
      return strongest({ name: `${s}/`, strong: s !== '.config' && s !== '.local' }, weak);
    }
  }
  if (SECRET_NAMES.has(last)) return { name: last, strong: true };
  if (RC_NAMES.has(last)) return strongest({ name: last, strong: segs.length >= 2 }, weak);
  const l0 = last.charCodeAt(0);
  if (l0 === 46 && (last.startsWith('.env.') || last.startsWith('.env-') || last === '.envrc' || last.startsWith('.htpasswd') || last.startsWith('.git-'))) {
    // (the templates committed beside the real file hold no secret: `.env.example`, `.env.sample`, `.env.dist`)
    if (!ENV_TEMPLATES.has(last)) return { name: last, strong: true };
  }
  if ((l0 === 119 && last.startsWith('wp-config')) || (l0 === 105 && last.startsWith('id_rsa'))) return { name: last, strong: true };
  // PHP's session files, which an inclusion turns into code with a value the attacker stored in the session
  if (l0 === 115 && last.startsWith('sess_') && segs.length >= 2 && (segs[segs.length - 2] === 'sessions' || segs[segs.length - 2] === 'tmp' || segs.includes('php'))) {
    return { name: 'PHP session file', strong: true };
  }
  if (segs.length >= 2 && segs[segs.length - 2] === 'etc' && (last === 'passwd' || last === 'shadow' || last === 'master.passwd')) {
    return { name: `etc/${last}`, strong: true };
  }
  // a web server's own logs wherever it is installed (`/usr/local/apache2/logs/error_log`, `C:\\xampp\\apache\\logs\\access.log`):
  // what log poisoning includes after writing PHP into a request line or User-Agent
  if (WEB_SERVER_LOGS.has(last) && segs.length >= 3 && (segs[segs.length - 2] === 'logs' || segs[segs.length - 2] === 'log') && segs.some((s) => WEB_SERVER_DIRS.has(s))) {
    return { name: `${segs[segs.length - 3]}/${segs[segs.length - 2]}/${last}`, strong: true };
  }
  // backups and dumps, logs in a web tree
  if (last.includes('.')) {
    if (isBackupName(last)) return weak ?? { name: last, strong: false, backup: endsAsBackup(last) };
    if (SECRET_EXTENSIONS.has(last.slice(last.lastIndexOf('.') + 1))) return weak ?? { name: last, strong: false, backup: true };
    if (last.endsWith('.log') && segs.length >= 2) {
      // WordPress writes its debug log (queries, paths, secrets in notices) to wp-content/debug.log when WP_DEBUG_LOG is on
      if (last === 'debug.log' && segs[segs.length - 2] === 'wp-content') return { name: 'wp-content/debug.log', strong: true };
      return weak ?? { name: last, strong: false };
    }
  }
  return weak;
}

/** A web server's access and error logs, by their usual names. */
const WEB_SERVER_LOGS: ReadonlySet<string> = new Set(['access.log', 'access_log', 'error.log', 'error_log', 'ssl_access_log', 'ssl_error_log']);
/** Directories web servers are installed in (a segment of the path to their logs). */
const WEB_SERVER_DIRS: ReadonlySet<string> = new Set(['apache', 'apache2', 'httpd', 'nginx', 'xampp', 'lampp', 'lighttpd', 'openresty', 'tomcat', 'wamp', 'wamp64', 'mamp']);

/** A strong finding over the weak one of its directory; the directory's when both are weak (it was found first). */
function strongest(found: Sensitive, weak: Sensitive | null): Sensitive {
  return found.strong || weak === null ? found : weak;
}

const WINDOWS_ROOTS = set('windows winnt inetpub');
const SYS_DIRS = set('class kernel devices firmware fs module power block bus hypervisor');
const DEV_FILES = set('mem kmem port tcp udp sda sdb nvme0 nvme0n1 vda xvda hda disk mapper shm fd stdin');
const VAR_LIB = set('mysql postgresql docker kubelet jenkins redis mongodb ldap rabbitmq etcd containerd dpkg rpm');

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Windows ignores trailing dots and blanks in names: `win.ini.` and `win.ini ` are `win.ini`. */
function stripTrail(s: string): string {
  const z = s.charCodeAt(s.length - 1);
  if (z !== 46 && z !== 32 && !s.includes(';')) return s;
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 46 || s.charCodeAt(end - 1) === 32)) end--;
  let semi = s.indexOf(';');
  if (semi < 0 || semi > end) semi = end;
  return s.slice(0, semi);
}

/** `backup.sql.zip`, `db.sql`, `site.tar.gz.bak`, `dump.sql.gz`, `config.php.save` (nano), `.x.swo` (vim). */
const BACKUP_EXTENSIONS = new Set(['sql', 'bak', 'old', 'orig', 'swp', 'swo', 'save', 'backup', 'bkp', 'bck', 'sqlite', 'mdb', 'dump']);

/**
 * Files no web server serves on purpose, by their last extension (from the list CRS 920440 restricts in URLs):
 * include files (`menu.inc`, `my.cnf`), keys and key stores, password databases, database and Redis dump files.
 * Not `.pdb` (protein structures), `.xsd` (schemas), `.com` (a domain in a path), `.ini` and `.cfg` (which updaters
 * download), nor source and project files (`.cs`, `.csproj`: a code host's pages name them, and IIS refuses them).
 */
const SECRET_EXTENSIONS = new Set(['inc', 'cnf', 'key', 'jks', 'keystore', 'kdbx', 'ppk', 'rdb', 'accdb', 'mdf', 'ldf']);
const ARCHIVE_EXTENSIONS = new Set(['gz', 'zip', 'tar', 'tgz', 'bz2', 'xz', '7z', 'rar', 'zst']);

/** The name is a backup or dump by its last extension, or the one before an archive's (`db.sql.gz`), not `x.old.pdf`. */
function endsAsBackup(name: string): boolean {
  const parts = name.split('.');
  let k = parts.length - 1;
  if (k >= 2 && ARCHIVE_EXTENSIONS.has(parts[k]!)) k--;
  // (a SQLite database is also what an application hands out on purpose: offline data, map tiles)
  return k >= 1 && BACKUP_EXTENSIONS.has(parts[k]!) && parts[k] !== 'sqlite';
}

/**
 * The last segment of a URL path ends in a backup or secret extension. `lfiMayFire` (rule-out.ts) looks only for
 * some of them in every value, since prose is full of `.com`, `.io` and `.php`: a path is let through on this.
 */
export function endsInRestrictedExtension(path: string): boolean {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || path.indexOf('/', dot) >= 0) return false;
  const ext = path.slice(dot + 1).toLowerCase();
  return SECRET_EXTENSIONS.has(ext) || BACKUP_EXTENSIONS.has(ext);
}

function isBackupName(name: string): boolean {
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
    let end = name.indexOf('.', dot + 1);
    if (end < 0) end = name.length;
    const ext = name.slice(dot + 1, end);
    if (BACKUP_EXTENSIONS.has(ext)) return true;
  }
  return false;
}
