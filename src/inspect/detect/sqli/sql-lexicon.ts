/**
 * Facts about SQL dialects used by the SQL injection detector: reserved words, functions grouped by what an
 * attacker does with them, and system catalogs. Names only; the decisions live in sqli.ts.
 */

/** Words that cannot stand as an operand (column or function name) in an expression. */
export const RESERVED: ReadonlySet<string> = new Set([
  'select', 'from', 'where', 'union', 'except', 'intersect', 'and', 'or', 'xor', 'not', 'like', 'rlike', 'regexp',
  'ilike', 'glob', 'in', 'is', 'between', 'order', 'group', 'having', 'limit', 'offset', 'into', 'values', 'set',
  'update', 'delete', 'insert', 'drop', 'create', 'alter', 'table', 'exec', 'execute', 'declare', 'waitfor', 'case',
  'when', 'then', 'else', 'end', 'as', 'on', 'join', 'inner', 'outer', 'cross', 'natural', 'by', 'desc', 'asc',
  'distinct', 'distinctrow', 'all', 'exists', 'collate', 'escape', 'div', 'procedure', 'using', 'truncate',
  'shutdown', 'sounds', 'similar', 'notnull', 'isnull', 'with', 'returning', 'fetch', 'window', 'grant', 'revoke',
]);

/** Words after which a select-list item or table cannot take a bare alias. */
export const CLAUSE_WORDS: ReadonlySet<string> = new Set([
  'from', 'where', 'group', 'order', 'having', 'limit', 'offset', 'union', 'except', 'intersect', 'minus', 'into',
  'procedure', 'for', 'lock', 'join', 'inner', 'left', 'right', 'outer', 'cross', 'natural', 'full', 'straight_join',
  'on', 'using', 'window', 'fetch', 'go',
]);

// Function flags.
export const F_TIME = 1; // delays the response: time-based blind injection
export const F_ERROR = 2; // raises an error carrying data: error-based injection
export const F_FILE = 4; // reads or writes server files
export const F_EXEC = 8; // runs operating-system commands or dynamic SQL
export const F_OOB = 16; // makes the database server contact another host
export const F_INFO = 32; // reveals the server, database, user
export const F_BLIND = 64; // character and string functions used to extract data bit by bit and to build strings
export const F_GENERIC = 128; // ordinary SQL functions (aggregates, maths, dates)
export const F_NEEDS_SQL_ARG = 256; // dangerous only with a subquery or `~` argument (geometry, exp)
export const F_JSON = 512; // JSON functions (JSON-based boolean injection)
export const F_DANGER = F_TIME | F_ERROR | F_FILE | F_EXEC | F_OOB;

const fnTable: Array<[number, string]> = [
  [F_TIME, 'sleep benchmark randomblob pg_sleep pg_sleep_for pg_sleep_until dbms_lock.sleep dbms_session.sleep ' +
    'dbms_pipe.receive_message sys.dbms_lock.sleep'],
  [F_ERROR, 'extractvalue updatexml xmltype name_const gtid_subset gtid_subtract st_latfromgeohash ' +
    'st_longfromgeohash st_pointfromgeohash ctxsys.drithsx.sn dbms_xmlgen.getxml sys.dbms_xmlgen.getxml ' +
    'dbms_utility.sqlid_to_sqlhash ordsys.ord_dicom.getmappingxpath'],
  [F_ERROR | F_NEEDS_SQL_ARG, 'exp polygon multipoint multipolygon multilinestring linestring geometrycollection ' +
    'json_keys'],
  [F_FILE, 'load_file pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file lo_import lo_export lo_get lo_put ' +
    'lo_from_bytea utl_file.fopen utl_file.get_line openrowset opendatasource'],
  [F_EXEC, 'xp_cmdshell sp_oacreate sp_oamethod sp_execute_external_script xp_regread xp_regwrite ' +
    'xp_servicecontrol sys_exec sys_eval sp_makewebtask sp_addextendedproc sp_executesql dbms_java.runjava ' +
    'dbms_scheduler.create_job sp_addlogin sp_addsrvrolemember sp_configure'],
  [F_OOB, 'utl_http.request utl_inaddr.get_host_address utl_inaddr.get_host_name dbms_ldap.init httpuritype ' +
    'sys.httpuritype utl_tcp.open_connection xp_dirtree xp_fileexist xp_subdirs dblink dblink_connect ' +
    'dbms_ldap.simple_bind_s'],
  [F_INFO, 'version database schema user current_user system_user session_user db_name schema_name user_name ' +
    'suser_name suser_sname host_name current_database current_schema sqlite_version connection_id ' +
    'sqlite_compileoption_used sqlite_compileoption_get is_srvrolemember current_setting inet_server_addr ' +
    'pg_backend_pid last_insert_id found_rows row_count uuid'],
  [F_BLIND, 'ascii ord char chr nchar unicode substring substr mid left right length len char_length bit_length ' +
    'octet_length hex unhex bin conv concat concat_ws group_concat string_agg listagg wm_concat xmlagg make_set elt ' +
    'field find_in_set instr locate position strcmp if iif ifnull isnull nullif coalesce cast convert lpad rpad ' +
    'reverse repeat space lcase ucase md5 sha sha1 sha2 crc32 compress uncompress from_base64 to_base64 ' +
    'regexp_like regexp_substr regexp_instr starts_with likely unlikely likelihood randomblob zeroblob ' +
    'char_length hextoraw rawtohex utl_raw.cast_to_varchar2 soundex quote printf typeof sqlite_source_id ' +
    'extract encode decode aes_encrypt aes_decrypt des_encrypt benchmark'],
  [F_JSON, 'json_extract json_depth json_search json_array json_object json_valid json_contains json_type ' +
    'json_unquote json_length json jsonb_extract_path json_extract_path json_value json_query isjson ' +
    'json_overlaps json_contains_path'],
  [F_GENERIC, 'count sum avg min max abs floor ceil ceiling round rand random pow power sqrt sin cos tan log ln ' +
    'mod now sysdate curdate curtime current_timestamp current_date unix_timestamp date time year month day ' +
    'lower upper trim ltrim rtrim replace format greatest least coalesce sign pi degrees radians ' +
    'datediff date_add date_sub timestampdiff str_to_date date_format getdate newid row_number rank ' +
    'avg stddev variance bit_and bit_or bit_xor ascii_str to_char to_number to_date nvl nvl2 decode'],
];

export const FUNCTIONS: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  for (const [flag, names] of fnTable) {
    for (const name of names.split(' ')) if (name !== '') map.set(name, (map.get(name) ?? 0) | flag);
  }
  return map;
})();

/** Injection-typical functions among F_BLIND: enough alone (at paranoia 2) to call a value SQL. */
export const TYPICAL_FUNCTIONS: ReadonlySet<string> = new Set([
  'ascii', 'ord', 'char', 'chr', 'substring', 'substr', 'mid', 'hex', 'unhex', 'concat', 'concat_ws', 'group_concat',
  'make_set', 'elt', 'if', 'iif', 'ifnull', 'benchmark', 'sleep', 'pg_sleep', 'extractvalue', 'updatexml', 'load_file',
  'xmltype', 'name_const', 'string_agg', 'listagg', 'find_in_set', 'strcmp', 'unicode', 'nchar', 'randomblob',
  'json_extract', 'json_depth', 'json_search', 'likelihood', 'unlikely', 'sqlite_compileoption_used',
  'sqlite_compileoption_get', 'version', 'database', 'current_user', 'system_user', 'user', 'db_name', 'schema_name',
  'floor', 'rand', 'count', 'cast', 'convert', 'hextoraw', 'compress', 'uncompress', 'md5', 'sha1', 'lo_get',
]);

/**
 * System catalogs and tables. Tier 1: names no application uses for its own data (enough alone at paranoia 1);
 * tier 2: recognizable but also plausible as ordinary identifiers (counted when used as a table or qualified);
 * tier 3: sample and system database names (paranoia 2).
 */
export const CATALOGS: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  const tiers: Array<[number, string]> = [
    [1, 'information_schema performance_schema sqlite_master sqlite_schema sqlite_temp_master pg_catalog ' +
      'pg_shadow pg_authid msysaccessobjects msysobjects msysqueries msysrelationships sysobjects syscolumns ' +
      'sysdatabases syslogins all_tab_columns user_tab_columns dba_tab_columns v$version v$database ' +
      'innodb_table_stats innodb_index_stats sys.objects sys.tables sys.columns sys.databases sys.sql_logins ' +
      'sys.server_principals sys.sysobjects sys.syslogins mysql.tables_priv ' +
      'sysibm.systables sysibm.sysdummy1 syscat.tables rdb$relations rdb$database'],
    [2, 'pg_tables pg_user pg_database pg_namespace pg_class pg_attribute pg_proc pg_roles pg_stat_activity ' +
      'pg_largeobject all_users all_tables dba_users dba_tables user_tables user_objects sysusers sysfiles ' +
      'sysprocesses dual mysql.user mysql.db mysql.proc'],
    [3, 'tempdb msdb northwind pubs mysql master'],
  ];
  for (const [tier, names] of tiers) for (const name of names.split(' ')) if (name !== '') map.set(name, tier);
  return map;
})();

/** Words that start a statement (for stacked queries). */
export const STATEMENT_WORDS: ReadonlySet<string> = new Set([
  'select', 'with', 'values', 'insert', 'replace', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec',
  'execute', 'declare', 'set', 'shutdown', 'waitfor', 'grant', 'revoke', 'copy', 'load', 'call', 'prepare',
  'deallocate', 'print', 'use', 'rename', 'handler', 'begin', 'commit', 'rollback', 'if', 'show', 'describe',
  'backup', 'restore', 'kill', 'dbcc', 'merge', 'lock', 'unlock', 'attach', 'pragma', 'do',
]);

/** Object kinds after DROP / CREATE / ALTER. */
export const OBJECT_KINDS: ReadonlySet<string> = new Set([
  'table', 'database', 'schema', 'view', 'procedure', 'function', 'user', 'index', 'trigger', 'event', 'role',
  'sequence', 'login', 'extension', 'language', 'temporary', 'unique', 'definer', 'or', 'session', 'system', 'proc',
  'tablespace', 'server', 'type', 'aggregate', 'rule', 'policy', 'column', 'assembly',
]);
