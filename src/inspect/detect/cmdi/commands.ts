/**
 * The command vocabulary of the OS command injection detector: which words name real programs or builtins, and
 * what kind of program each is (that decides which arguments make a use of it dangerous).
 *
 * Two tiers. A *distinct* name is not an English word or a common abbreviation (`whoami`, `ifconfig`, `wget`):
 * seen where a shell would run a command, it is enough. A *common* name collides with prose (`cat`, `time`,
 * `more`, `find`, `curl`, `bash`): it needs arguments that only make sense on a command line.
 */

/** Kinds of program, as bit flags: they select the argument checks in the detector. */
export const K = {
  /** A shell: `-c STRING` or `-i` runs code. */
  shell: 1,
  /** A language interpreter: `-c`, `-e`, `-r`, `-m` run code. */
  interp: 2,
  /** Talks to the network: a URL, an IP address or a host name is its dangerous argument. */
  net: 4,
  /** Reads or dumps files: a sensitive file is its dangerous argument. */
  reader: 8,
  /** Changes the system (permissions, users, processes, files). */
  modify: 16,
  /** Reconnaissance: prints facts about the system (`id`, `uname`, `ifconfig`). */
  recon: 32,
  /** Windows cmd.exe builtin or Windows program. */
  windows: 64,
  /** PowerShell cmdlet or alias. */
  powershell: 128,
  /** Runs the command that follows it (`time`, `nohup`, `sudo`, `env`, `xargs`). */
  wrapper: 256,
  /** Common word: needs command-line evidence around it. */
  common: 512,
  /** Compiler or build tool (can build and run code). */
  build: 1024,
  /**
   * Administers hosts or their defences (configuration management that runs commands on fleets, security and
   * firewall consoles, offensive tools): unlike a build tool or package manager, chained after `;`, `|` or `&&`
   * it is not a build script.
   */
  admin: 2048,
} as const;

export interface CommandInfo {
  readonly name: string;
  readonly kind: number;
}

const TABLE = new Map<string, CommandInfo>();

function add(kind: number, names: string): void {
  for (const name of names.split(/\s+/)) {
    if (name === '') continue;
    const old = TABLE.get(name);
    TABLE.set(name, { name, kind: (old?.kind ?? 0) | kind });
  }
}

// ---- Unix, distinct names -------------------------------------------------------------------------------------
add(K.recon, `htop btop atop glances iftop nethogs iotop whoami uname ifconfig iwconfig netstat ss lsof lsmod lspci lsusb lsblk lscpu lshw dmidecode dmesg
  getent hostnamectl timedatectl localectl loginctl journalctl systemctl busctl ulimit sysctl getconf printenv
  arp ethtool nmcli iptables ip6tables nft ebtables ufw firewall-cmd getfacl lsattr auditctl ausearch aureport
  lastlog lastlogin lastb faillog pwdx pstree pgrep pidof vmstat iostat mpstat sestatus getenforce aa-status
  apparmor_status aa-enabled aa-disable aa-complain aa-enforce aa-exec ipcs lslocks lsns findmnt blkid
  fdisk sfdisk parted tune2fs debugfs dumpe2fs e2label xfs_db xfs_info mdadm lvdisplay pvdisplay vgdisplay
  ldconfig ldd readelf objdump nm strings`);
add(K.net, `wget ncat netcat nc.traditional nc.openbsd socat telnet tftp ftp sftp scp rsync ssh ssh-keygen
  ssh-keyscan ssh-copy-id ssh-agent ssh-add sshpass nslookup traceroute tracepath mtr tcpdump tshark nmap masscan
  zmap hping3 arping fping nping aria2c lwp-download lwp-request lwp-mirror lynx links elinks w3m httpie
  http https curlie xh ngrok chisel proxychains proxychains4 torsocks tor smbclient rpcclient nbtscan
  enum4linux snmpwalk snmpget ldapsearch ldapadd ldapmodify dnsrecon dnsenum whois finger rdesktop xfreerdp
  rlogin rsh rexec rcp openssl gnutls-cli s_client cryptcat sbd dnscat dnscat2 iodine ptunnel udptunnel`);
add(K.shell, `bash zsh ksh mksh pdksh csh tcsh dash ash fish busybox rbash sh.distrib yash posh`);
add(K.interp, `python2 python3 pypy pypy3 ipython perl5 php5 php7 php8 php-cgi irb jruby jython lua luajit
  tclsh wish expect guile gawk mawk nawk rscript scala groovy jshell kotlin deno bun tsx ts-node osascript
  jrunscript jjs nodejs pwsh`);
add(K.modify, `chmod chown chgrp chattr setfacl useradd userdel usermod adduser deluser addgroup delgroup
  groupadd groupdel groupmod passwd chpasswd chsh chfn visudo sudoedit crontab mkfifo mknod mkswap mkfs
  mkfs.ext4 swapon swapoff insmod rmmod modprobe killall pkill shutdown reboot poweroff halt telinit
  runlevel update-rc.d chkconfig service setcap getcap setenforce semanage restorecon chroot unshare nsenter
  pivot_root mount umount losetup shred wipefs truncate install usermod newgrp sg setuid setsid
  update-alternatives dpkg-reconfigure`);
add(K.reader, `base32 base64 basenc xxd hexdump hd od uuencode uudecode zcat zless zmore zgrep bzcat xzcat
  zstdcat lz4cat lzcat unxz unlzma gunzip bunzip2 unzstd unzip 7z 7za 7zr unrar zipinfo bsdtar bsdcat
  readlink realpath stat iconv uconv dos2unix unix2dos nl tac rev fmt pr ptx csplit tsort sha1sum sha256sum
  sha512sum md5sum b2sum cksum sum xargs awk sed grep egrep fgrep rgrep ripgrep ag ack jq yq xmllint
  sqlite3 mysql mysqldump psql pg_dump mongo mongosh redis-cli diff diff3 sdiff cmp vimdiff`);
add(K.build, `gcc g++ cc1 clang clang++ c89 c99 tcc make cmake ninja javac rustc cargo go gccgo ld.so
  as86 nasm yasm`);
add(K.modify | K.wrapper, `sudo doas nohup strace ltrace stdbuf unbuffer timeout nice ionice taskset chrt
  cpulimit flock fakeroot runuser pkexec su`);
add(0, `mkdir rmdir ln dirname basename mktemp tempfile pushd popd dirs shopt compgen complete bind
  declare typeset readonly unalias hash ulimit umask getopts caller disown enable logout mapfile readarray
  sysinfo uptime nproc lsb_release hostid tty stty setterm reset tput dircolors vdir dd sync
  terraform kubectl docker docker-compose podman crictl ctr helm vagrant
  pip pip2 pip3 pipx npm npx yarn pnpm gem bundle composer apt apt-get aptitude dpkg rpm yum dnf zypper
  pacman apk snap flatpak brew port emerge
  rmt rmt-tar rmt-dump tar cpio ar pax zip gzip bzip2 xz lz4 zstd compress uncompress
  at atq atrm batch anacron systemd-run cron crond inotifywait
  vi vim nvim nano emacs pico joe mcedit ed ex view gvim vimtutor
  gdb lldb valgrind perf bpftrace mtrace
  wall write mesg talk
  pdftotext pandoc soffice libreoffice convert magick ffmpeg exiftool
  env printf awk sed expr`);

add(K.admin, `ansible ansible-playbook ansible-galaxy ansible-vault ansible-console ansible-config ansible-doc
  ansible-inventory ansible-pull ansible-test chef chef-client chef-shell chef-solo chef-vault chef-run chef-apply
  knife puppet salt-call salt-ssh salt-run salt-key cscli fail2ban-client iptables-save iptables-restore
  msfconsole msfvenom sqlmap ncrack hashcat nikto gobuster dirb ffuf wfuzz`);

// ---- Unix, common names: programs whose names are also words --------------------------------------------------
add(K.reader, `cat more less head tail cut sort uniq paste join fold expand unexpand split comm column look file
  tee wc tr find locate which type`);
add(K.recon, `id who w ps top htop env set uptime date cal groups users last hostname ip route host dig df du free
  pwd echo print`);
add(K.net, `curl ping ping6 nc ssh ftp host dig mail telnet finger whois links http https tor`);
add(K.shell, `sh exec eval source`);
add(K.interp, `python perl ruby php node lua java tcl`);
add(K.modify, `rm cp mv ln touch kill install shred dd mkdir cd sleep wait trap alias export unset read test true
  false yes shift exit return break continue time watch script screen open start at nice`);
add(0, `ls ll la dir tree man info help clear make cc ld as ar od pr tac rev nl ed ex vi vim bc dc seq factor
  units bg fg`);
add(K.wrapper, `time command builtin exec env xargs nice watch .`);

// ---- Windows cmd.exe and Windows programs -------------------------------------------------------------------------
add(K.windows | K.modify, `bcdboot bootcfg diskshadow ntdsutil forfiles pcalua msbuild installutil regasm
  regsvcs odbcconf cmstp esentutl extrac32 makecab xwizard dnscmd wusa pnputil sdbinst mavinject
  control.exe explorer.exe hh infdefaultinstall msdt presentationhost syncappvpublishingserver wsl bash.exe
  vssvc wbadmin wevtutil auditpol secedit`);
add(K.windows | K.recon, `ipconfig systeminfo tasklist whoami hostname netsh nltest dsquery dsget qwinsta
  quser qprocess getmac driverquery wevtutil gpresult klist cmdkey vssadmin fsutil bcdedit`);
add(K.windows | K.net, `certutil bitsadmin curl.exe wget.exe nslookup tftp ftp mshta msiexec regsvr32
  rundll32 powercat`);
add(K.windows | K.modify, `taskkill schtasks sc reg regedit icacls cacls takeown attrib wmic net net1
  runas cipher format diskpart cscript wscript rmdir rd erase del mklink xcopy robocopy`);
add(K.windows | K.shell, `cmd cmd.exe command.com powershell powershell.exe pwsh pwsh.exe conhost`);
add(K.windows | K.common, `dir type copy move ren rename md echo set start call ver vol cls title color
  pause exit shift goto findstr find sort more tree path prompt pushd popd assoc ftype where`);

// ---- PowerShell -------------------------------------------------------------------------------------------------
add(K.powershell | K.interp, `iex invoke-expression`);
add(K.powershell | K.net, `iwr irm invoke-webrequest invoke-restmethod start-bitstransfer
  new-object test-netconnection resolve-dnsname send-mailmessage`);
add(K.powershell | K.modify, `start-process saps invoke-wmimethod iwmi invoke-cimmethod invoke-command icm
  invoke-item ii set-executionpolicy set-mppreference add-mppreference remove-item rm set-itemproperty
  new-itemproperty new-service stop-process spps set-content add-content out-file new-localuser
  add-localgroupmember register-scheduledtask new-scheduledtask enter-pssession new-pssession
  stop-computer restart-computer disable-windowsoptionalfeature start-sleep`);
add(K.powershell | K.recon | K.reader, `get-content gc get-childitem gci get-process gps get-service gsv
  get-wmiobject gwmi get-ciminstance gcim get-itemproperty gp get-acl get-localuser get-localgroup
  get-netipaddress get-nettcpconnection get-hotfix get-computerinfo select-string sls get-item gi
  get-clipboard get-credential`);

// Names that are also English (or other common) words, abbreviations or names used in prose: seen alone they prove
// nothing, so the detector asks for command-line evidence around them.
const COMMON = `cat more less head tail cut sort uniq paste join fold expand unexpand split comm column look file tee wc tr
  find locate which type id who w ps top env set uptime date cal groups users last hostname ip route host dig df du
  free pwd history jobs echo print curl ping nc ssh ftp mail telnet finger whois links http https tor sh bash zsh
  fish exec eval source python perl ruby php node lua java tcl rm cp mv ln touch kill install shred dd mkdir cd
  sleep wait trap alias export unset read test true false yes shift exit return break continue time watch script
  screen open start at nice ls ll la dir tree man info help clear make cc ld as ar od pr tac rev nl ed ex vi vim
  bc dc seq factor units bg fg command builtin sed . batch wall write talk view convert compress port snap bundle
  ansible knife puppet chef helm vagrant gem apt pacman brew emerge go cargo ninja reset sync hash enable bind complete
  caller declare disown logout mount service halt reboot shutdown format net sc reg cipher erase del rd expect
  wish stat sg su timeout flock ack ag hd pax gc gi gp ii rm nano pico joe where path prompt title color pause
  goto ver vol copy move ren rename md call ss nm dirs readonly hash diff sum cmp`;
for (const name of COMMON.split(/\s+/)) {
  const old = TABLE.get(name);
  if (old !== undefined) TABLE.set(name, { name, kind: old.kind | K.common });
}

/** The entry for a normalised (lower-case, no path, no `.exe`) command name, or undefined. */
export function commandInfo(name: string): CommandInfo | undefined {
  return TABLE.get(name);
}

/** Directories that hold programs, for absolute paths (`/bin/cat`) and wildcard paths (`/???/c?t`). */
export const BIN_DIRS: readonly string[] = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin',
  '/usr/local/sbin', '/opt/bin', '/system/bin', '/usr/libexec', '/usr/lib', '/snap/bin'];

/** The system's own program directories (of BIN_DIRS): every file in them is a program, known to us or not. */
export const SYSTEM_BIN_DIRS: readonly string[] = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

/** Every command name, for matching wildcard words against them (`c?t`, `/???/n?`). */
export function allCommandNames(): IterableIterator<string> {
  return TABLE.keys();
}

/** Environment variables a payload may use as a word, with the value a typical server shell gives them. */
export const KNOWN_ENV: ReadonlyMap<string, string> = new Map([
  ['SHELL', '/bin/sh'], ['BASH', '/bin/bash'], ['HOME', '/root'], ['PWD', '/'], ['OLDPWD', '/'],
  ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ['USER', 'root'], ['LOGNAME', 'root'],
  ['TMPDIR', '/tmp'], ['HOSTNAME', 'localhost'], ['EDITOR', 'vi'], ['PAGER', 'less'],
]);

/** Windows environment variables used to spell programs and paths (`%COMSPEC%`, `%SystemRoot%`). */
export const WINDOWS_ENV: ReadonlyMap<string, string> = new Map([
  ['comspec', 'C:\\Windows\\system32\\cmd.exe'], ['systemroot', 'C:\\Windows'], ['windir', 'C:\\Windows'],
  ['systemdrive', 'C:'], ['programfiles', 'C:\\Program Files'], ['programdata', 'C:\\ProgramData'],
  ['temp', 'C:\\Windows\\Temp'], ['tmp', 'C:\\Windows\\Temp'], ['userprofile', 'C:\\Users\\user'],
  ['appdata', 'C:\\Users\\user\\AppData\\Roaming'], ['public', 'C:\\Users\\Public'],
]);
