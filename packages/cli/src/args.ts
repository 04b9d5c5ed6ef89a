import { InvalidArgumentError } from 'commander';

/** Said after the help of the program and of every command whose exit codes are the usual ones. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the run finished but a threshold failed
  2  usage or configuration error (bad flags, invalid scenario, unknown plugin)
  3  runtime error or interrupted (Ctrl-C); results measured so far are still written
`;

/** The workers file's shape, as `--config` help and errors describe it. */
export const WORKERS_FILE_SHAPE = '{"workers": [{"id", "host", "port", "type", "model", "max_concurrent_requests"}]}';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

/** Collects a variadic option's values (`--concurrency-levels 5 10 20`) as whole numbers >= 1. */
export function intList(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), positiveInt(value)];
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port from 0 to 65535 (0 picks a free one)');
  return n;
}
