import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { PolicySchema } from './policy-schema.ts';
import type { PolicyIssue } from './policy-error.ts';

let compiled: ValidateFunction | undefined;

/** The policy validator, compiled once per process (defaults are filled in while validating). */
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, allowUnionTypes: true });
    compiled = ajv.compile(PolicySchema);
  }
  return compiled;
}

/** Validates `input` in place (filling defaults) and returns every problem, each with its JSON pointer. */
export function validatePolicyShape(input: unknown): PolicyIssue[] {
  const validate = validator();
  if (validate(input)) return [];
  return describeErrors(validate.errors ?? []);
}

function describeErrors(errors: readonly ErrorObject[]): PolicyIssue[] {
  // Errors under an anyOf are summarised by the anyOf itself ("must be one of ..."), not listed branch by branch.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
  const issues: PolicyIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (anyOfPaths.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const issue = describe(error);
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) { seen.add(key); issues.push(issue); }
  }
  return issues;
}

function describe(error: ErrorObject): PolicyIssue {
  const path = error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path, message: `unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"` };
    case 'required':
      return { path: `${path}/${(error.params as { missingProperty: string }).missingProperty}`, message: 'is required' };
    case 'anyOf': {
      const branches = (error.schema as { const?: unknown }[]) ?? [];
      if (branches.length > 0 && branches.every((b) => 'const' in b)) {
        return { path, message: `must be one of ${branches.map((b) => String(b.const)).join(', ')}` };
      }
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return { path, message: description ? `must be ${lowerFirst(description)}` : 'does not match any allowed form' };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
