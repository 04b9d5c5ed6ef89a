import { relative } from 'node:path';
import { formatIssue, isLlmbenchError, type ConfigIssue, type ErrorCode } from '@llmbench/plugin-api';

/** Exit codes, fixed and documented in `llmbench --help` and the README. */
export const ExitCode = {
  OK: 0,
  THRESHOLDS_FAILED: 1,
  USAGE: 2,
  RUNTIME: 3,
} as const;

const CONFIG_CODES: ReadonlySet<ErrorCode> = new Set([
  'CONFIG_INVALID',
  'FILE_NOT_FOUND',
  'PLUGIN_NOT_FOUND',
  'PLUGIN_INVALID',
  'USAGE',
]);

export function exitCodeFor(error: unknown): number {
  if (pathError(error)) return ExitCode.USAGE;
  return isLlmbenchError(error) && CONFIG_CODES.has(error.code) ? ExitCode.USAGE : ExitCode.RUNTIME;
}

/** What is wrong with a path the user gave (a directory where a file goes...), from a Node fs error. */
const PATH_PROBLEMS: Readonly<Record<string, string>> = {
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'has a part that is a file, not a directory',
  EACCES: 'cannot be written or read (permission denied)',
  EPERM: 'cannot be written or read (operation not permitted)',
  EROFS: 'is on a read-only file system',
  ENOENT: 'does not exist',
};

/** A file-system error on a path the user gave is their mistake to fix, not a bug in llmbench. */
function pathError(error: unknown): { path: string; problem: string } | undefined {
  if (isLlmbenchError(error) || !(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  const problem = code === undefined ? undefined : PATH_PROBLEMS[code];
  return problem !== undefined && typeof path === 'string' ? { path, problem } : undefined;
}

/** An error as a message for people: never a stack trace unless `debug`. */
export function renderError(error: unknown, options: { cwd: string; debug: boolean }): string {
  const lines: string[] = [];
  if (isLlmbenchError(error)) {
    lines.push(`error [${error.code}]: ${shorten(error.message, options.cwd)}`);
    for (const issue of error.issues)
      lines.push(`  ${shorten(formatIssue(relativeIssue(issue, options.cwd)), options.cwd).replaceAll('\n', '\n  ')}`);
    if (error.hint) lines.push(`  fix: ${error.hint}`);
  } else if (pathError(error)) {
    const { path, problem } = pathError(error)!;
    lines.push(`error [USAGE]: ${displayPath(path, options.cwd)} ${problem}`);
    lines.push('  fix: check the path given on the command line or in the scenario');
  } else {
    lines.push(`error [INTERNAL]: ${(error as Error)?.message ?? String(error)}`);
    if (!options.debug) lines.push('  this is a bug in llmbench; run again with --debug and report the stack trace');
  }
  if (options.debug && error instanceof Error && error.stack) {
    lines.push('', error.stack);
    let cause = error.cause;
    while (cause instanceof Error) {
      lines.push(`caused by: ${cause.stack ?? cause.message}`);
      cause = cause.cause;
    }
  }
  return `${lines.join('\n')}\n`;
}

function relativeIssue(issue: ConfigIssue, cwd: string): ConfigIssue {
  return { ...issue, file: displayPath(issue.file, cwd) };
}

export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

function shorten(text: string, cwd: string): string {
  return text.replaceAll(`${cwd}/`, '');
}
