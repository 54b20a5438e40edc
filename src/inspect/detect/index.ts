import type { Detector } from '../finding.ts';
import { crlfDetector } from './crlf/crlf.ts';
import { jndiDetector } from './jndi/jndi.ts';
import { ldapiDetector } from './ldapi/ldapi.ts';
import { mailDetector } from './mail/mail.ts';
import { nosqliDetector } from './nosqli/nosqli.ts';
import { prototypePollutionDetector } from './prototype-pollution/prototype-pollution.ts';
import { scannerDetector } from './scanner/scanner.ts';
import { ssiDetector } from './ssi/ssi.ts';
import { sstiDetector } from './ssti/ssti.ts';
import { xssDetector } from './xss/xss.ts';

/**
 * Every detector, in the order they run. Adding one is a folder under `detect/` and one line here.
 * (Lines are added in alphabetical order of the folder name.)
 */
export const DETECTORS: readonly Detector[] = [
  // detectors: one line each, alphabetical
  crlfDetector,
  jndiDetector,
  ldapiDetector,
  mailDetector,
  nosqliDetector,
  prototypePollutionDetector,
  scannerDetector,
  ssiDetector,
  sstiDetector,
  xssDetector,
];
