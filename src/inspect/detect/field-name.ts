import type { DetectorContext } from '../finding.ts';

/**
 * What a parameter's name says about its value, as several detectors read it: a file name (php, code and java look
 * for script uploads there), or the last step of a structured name (`vars[callback]`, `schema.pattern`).
 */

/** The last field name looked at, and what it says (fields repeat: one value after another). */
let lastFieldName: string | undefined;
let lastHasFilename = false;
let lastIsFile = false;

function noteFieldName(name: string): void {
  lastFieldName = name;
  // both want an `f`, and no other character lower-cases to one: most names need no normalizing
  const n = name.includes('f') || name.includes('F') ? name.toLowerCase().replace(/[-_.\s]/g, '') : '';
  lastHasFilename = n.includes('filename');
  lastIsFile = n === 'file';
}

/** The input is a file name: a multipart part's `filename`, or a field named for one (`file_name`, `fileName`). */
export function isFileNameField(context: DetectorContext): boolean {
  if (context.name !== lastFieldName) noteFieldName(context.name);
  return lastHasFilename;
}

/** The input is a header named `File` (`X-File` and the like are not): some upload clients send the name there. */
export function isFileHeader(context: DetectorContext): boolean {
  if (context.source !== 'header') return false;
  if (context.name !== lastFieldName) noteFieldName(context.name);
  return lastIsFile;
}

/**
 * The last step of a parameter name, lower case, without brackets and quotes: `callback` for `vars[callback]`,
 * `pattern` for `schema.pattern` or `x['pattern']`.
 */
export function lastNameStep(name: string): string {
  const lower = name.toLowerCase();
  return lower.slice(Math.max(lower.lastIndexOf('['), lower.lastIndexOf('.')) + 1).replace(/[\]"' ]/g, '');
}

/** The last name asked about by isPasswordField, and the answer (one value after another has the same name). */
let lastPasswordName: string | undefined;
let lastIsPassword = false;

/**
 * The input is a password field (`password`, `new_password`, `user[passwd]`, `pwd`, `passphrase`, `pin`), whose
 * characters are chosen at random: a quote followed by `#` or `--` is common there, and cutting the query after the
 * password check gains an attacker nothing that the password would not.
 */
export function isPasswordField(context: DetectorContext): boolean {
  if (context.source === 'header' || context.isName) return false;
  if (context.name !== lastPasswordName) {
    lastPasswordName = context.name;
    const step = lastNameStep(context.name).replace(/[-_]/g, '');
    lastIsPassword = step.includes('passw') || step === 'pass' || step === 'pwd' || step.endsWith('pwd') ||
      step.includes('passphrase') || step.includes('passcode') || step === 'pin';
  }
  return lastIsPassword;
}
