import type { Detector } from '../finding.ts';
import { cmdiDetector } from './cmdi/cmdi.ts';
import { codeDetector } from './code/code.ts';
import { crlfDetector } from './crlf/crlf.ts';
import { javaDetector } from './java/java.ts';
import { jndiDetector } from './jndi/jndi.ts';
import { ldapiDetector } from './ldapi/ldapi.ts';
import { lfiDetector } from './lfi/lfi.ts';
import { mailDetector } from './mail/mail.ts';
import { nosqliDetector } from './nosqli/nosqli.ts';
import { phpDetector } from './php/php.ts';
import { prototypePollutionDetector } from './prototype-pollution/prototype-pollution.ts';
import { rfiDetector } from './rfi/rfi.ts';
import { scannerDetector } from './scanner/scanner.ts';
import { sessionFixationDetector } from './session-fixation/session-fixation.ts';
import { sqliDetector } from './sqli/sqli.ts';
import { ssiDetector } from './ssi/ssi.ts';
import { ssrfDetector } from './ssrf/ssrf.ts';
import { sstiDetector } from './ssti/ssti.ts';
import { xssDetector } from './xss/xss.ts';
import { xpathiDetector } from './xpathi/xpathi.ts';
import { xxeDetector } from './xxe/xxe.ts';

/**
 * Every detector, in the order they run. Adding one is a folder under `detect/` and one line here.
 * (Lines are added in alphabetical order of the folder name.)
 */
export const DETECTORS: readonly Detector[] = [
  // detectors: one line each, alphabetical
  cmdiDetector,
  codeDetector,
  crlfDetector,
  javaDetector,
  jndiDetector,
  ldapiDetector,
  lfiDetector,
  mailDetector,
  nosqliDetector,
  phpDetector,
  prototypePollutionDetector,
  rfiDetector,
  scannerDetector,
  sessionFixationDetector,
  sqliDetector,
  ssiDetector,
  ssrfDetector,
  sstiDetector,
  xpathiDetector,
  xssDetector,
  xxeDetector,
];
