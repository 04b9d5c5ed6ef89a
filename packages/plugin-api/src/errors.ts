/**
 * Stable error codes. Tools and tests match on `code`, never on message text.
 * Only configuration and internal faults throw; a failing server is an `Outcome`, not an error.
 */
export const ErrorCodes = {
  /** A scenario or config file does not validate. Carries `issues`. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A scenario, config or prompt file cannot be read. */
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  /** No module could be loaded for a plugin name. Lists every specifier tried. */
  PLUGIN_NOT_FOUND: 'PLUGIN_NOT_FOUND',
  /** A module loaded but does not default-export a define* result of the expected kind. */
  PLUGIN_INVALID: 'PLUGIN_INVALID',
  /** Bad command-line usage. */
  USAGE: 'USAGE',
  /** A backend could not be set up (e.g. the server is unreachable at setup). */
  BACKEND_UNREACHABLE: 'BACKEND_UNREACHABLE',
  /** A plugin hook threw. */
  PLUGIN_FAILED: 'PLUGIN_FAILED',
  /** A report could not be written. */
  REPORT_FAILED: 'REPORT_FAILED',
  /** An experiment ended with no successful request: the run measured nothing it can compare. */
  NO_SUCCESS: 'NO_SUCCESS',
  /** A bug in llmbench. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** One problem found in an input file, located precisely enough to fix without guessing. */
export interface ConfigIssue {
  /** Absolute or as-given path of the file the issue is in. */
  readonly file: string;
  /** 1-based line, or undefined when the issue has no position (e.g. an empty file). */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
  /** Dotted field path, e.g. `experiments.1.strategy.options.concurrency`; empty for the document root. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** What was expected there, when that can be said. */
  readonly expected?: string;
  /** How to fix it. */
  readonly hint?: string;
}

export interface LlmbenchErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
  readonly issues?: readonly ConfigIssue[];
}

const BRAND = Symbol.for('llmbench.error');

export class LlmbenchError extends Error {
  override readonly name: string = 'LlmbenchError';
  /** Lets `isLlmbenchError` recognise errors from another copy of this package. */
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly issues: readonly ConfigIssue[];

  constructor(code: ErrorCode, message: string, options: LlmbenchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.issues = options.issues ?? [];
  }
}

export function isLlmbenchError(value: unknown): value is LlmbenchError {
  return value instanceof Error && (value as unknown as Record<symbol, unknown>)[BRAND] === true;
}

/** Formats a located issue as `file:line:col  path  message (expected …) — hint`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  const field = issue.path === '' ? '(root)' : issue.path;
  let text = `${where}  ${field}: ${issue.message}`;
  if (issue.expected !== undefined) text += ` (expected ${issue.expected})`;
  if (issue.hint !== undefined) text += `\n  fix: ${issue.hint}`;
  return text;
}
