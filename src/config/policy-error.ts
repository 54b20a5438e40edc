/** One problem in a policy, located by JSON pointer (`/routes/3/methods/0`). */
export interface PolicyIssue { path: string; message: string }

/** A policy that cannot be used; lists every problem found, not just the first. Exit code 2 from the CLI. */
export class PolicyError extends Error {
  readonly code = 'PORTCULLIS_ERR_POLICY';
  readonly issues: readonly PolicyIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly PolicyIssue[]) {
    super(`${source}: ${issues.length} error${issues.length === 1 ? '' : 's'}\n` +
      issues.map((issue) => `  ${issue.path || '/'}: ${issue.message}`).join('\n'));
    this.name = 'PolicyError';
    this.source = source;
    this.issues = issues;
  }
}
