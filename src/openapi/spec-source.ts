import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

/**
 * The files of one API description: the entry document and every file its `$ref`s reach, parsed once each.
 *
 * References are local (`#/components/schemas/Order`) or relative files (`common.yaml#/components/schemas/Money`,
 * `schemas/order.json`). Remote references (`https://...`) are refused: a policy load must not depend on the
 * network. Referenced files must be YAML or JSON (`.yaml`, `.yml`, `.json`) so that a typo cannot read an unrelated
 * file into the policy.
 */
export interface SpecLocation {
  /** Absolute path of the file. */
  readonly file: string;
  /** JSON pointer inside the file (`''` for the document, `/paths/~1orders/post`). */
  readonly pointer: string;
}

export class SpecProblem extends Error {
  readonly where: string;
  constructor(where: string, message: string) {
    super(message);
    this.where = where;
  }
}

const MAX_FILE_BYTES = 16 * 1024 * 1024;
const EXTENSIONS = ['.yaml', '.yml', '.json'];

export function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapeToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function pointerOf(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => '/' + escapeToken(String(t))).join('');
}

export class SpecSource {
  readonly entry: string;
  private readonly files = new Map<string, unknown>();
  private readonly baseDir: string;

  constructor(entry: string) {
    this.entry = path.resolve(entry);
    this.baseDir = path.dirname(this.entry);
    this.load(this.entry, 'the API description');
  }

  /** A short, stable name for a location in messages: `shop.yaml#/paths/~1orders/post`. */
  describe(location: SpecLocation): string {
    const relative = path.relative(this.baseDir, location.file) || path.basename(location.file);
    return `${relative}#${location.pointer}`;
  }

  root(): unknown { return this.files.get(this.entry); }

  private load(file: string, what: string): unknown {
    if (this.files.has(file)) return this.files.get(file);
    let text: string;
    try {
      const size = statSync(file).size;
      if (size > MAX_FILE_BYTES) throw new SpecProblem(file, `${what} is larger than ${MAX_FILE_BYTES} bytes`);
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (error instanceof SpecProblem) throw error;
      throw new SpecProblem(path.basename(file), `cannot read ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const lines = new LineCounter();
    // Duplicate keys are an error (YAML 1.2), and aliases are bounded (no "billion laughs").
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
    if (document.errors.length > 0) {
      const first = document.errors[0]!;
      const { line, col } = lines.linePos(first.pos[0]);
      throw new SpecProblem(path.basename(file), `line ${line}, column ${col}: ${first.message.split('\n')[0]}`);
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      throw new SpecProblem(path.basename(file), (error as Error).message.split('\n')[0]!);
    }
    this.files.set(file, value);
    return value;
  }

  /** The value at a location; throws a SpecProblem when the pointer leads nowhere. */
  get(location: SpecLocation): unknown {
    let node = this.load(location.file, 'a referenced file');
    if (location.pointer === '') return node;
    const tokens = location.pointer.slice(1).split('/').map(unescapeToken);
    for (const token of tokens) {
      if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) node = (node as Record<string, unknown>)[token];
      else throw new SpecProblem(this.describe(location), 'the reference leads nowhere');
    }
    return node;
  }

  /** Where `ref` (a `$ref` value found at `from`) points. */
  resolveRef(ref: string, from: SpecLocation): SpecLocation {
    const hash = ref.indexOf('#');
    const filePart = hash === -1 ? ref : ref.slice(0, hash);
    const fragment = hash === -1 ? '' : ref.slice(hash + 1);
    let file = from.file;
    if (filePart !== '') {
      const colon = filePart.indexOf(':');
      const slash = filePart.indexOf('/');
      if (colon > 0 && (slash === -1 || colon < slash)) {
        throw new SpecProblem(this.describe(from), `remote reference "${ref.slice(0, 200)}" is not supported: use local or relative-file references`);
      }
      let decoded: string;
      try { decoded = decodeURIComponent(filePart); } catch { throw new SpecProblem(this.describe(from), `malformed reference "${ref.slice(0, 200)}"`); }
      file = path.resolve(path.dirname(from.file), decoded);
      if (!EXTENSIONS.includes(path.extname(file).toLowerCase())) {
        throw new SpecProblem(this.describe(from), `reference "${ref.slice(0, 200)}" must name a .yaml, .yml or .json file`);
      }
    }
    let pointer = '';
    if (fragment !== '') {
      if (!fragment.startsWith('/')) throw new SpecProblem(this.describe(from), `reference "${ref.slice(0, 200)}": only JSON-pointer fragments (#/...) are supported`);
      try { pointer = decodeURIComponent(fragment); } catch { throw new SpecProblem(this.describe(from), `malformed reference "${ref.slice(0, 200)}"`); }
    }
    const target = { file, pointer };
    try {
      this.get(target);
    } catch (error) {
      if (!(error instanceof SpecProblem)) throw error;
      if (error.message === 'the reference leads nowhere') throw new SpecProblem(this.describe(from), `cannot resolve "${ref.slice(0, 200)}"`);
      throw new SpecProblem(this.describe(from), `"${ref.slice(0, 200)}": ${error.message}`);
    }
    return target;
  }

  /**
   * Follows `$ref` chains of a non-schema object (parameter, request body, response, header, path item, security
   * scheme) to the object itself. Loops are an error.
   */
  deref(node: unknown, at: SpecLocation): { value: unknown; location: SpecLocation } {
    let value = node;
    let location = at;
    const seen = new Set<string>();
    while (value !== null && typeof value === 'object' && typeof (value as { $ref?: unknown }).$ref === 'string') {
      const key = `${location.file}#${location.pointer}`;
      if (seen.has(key)) throw new SpecProblem(this.describe(at), 'the references form a loop');
      seen.add(key);
      location = this.resolveRef((value as { $ref: string }).$ref, location);
      value = this.get(location);
    }
    return { value, location };
  }
}

export function child(location: SpecLocation, ...tokens: (string | number)[]): SpecLocation {
  return { file: location.file, pointer: location.pointer + pointerOf(...tokens) };
}
