import type { CliIO } from './context.js';

/** The real process's streams, directory and environment; SIGINT, SIGTERM and SIGHUP stop the run. */
export function processIO(): CliIO {
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\n${signal}: stopping; press Ctrl-C again to quit at once\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal: stop as for Ctrl-C, so what was measured is written.
  process.on('SIGHUP', onSignal);
  return {
    signal: stop.signal,
    stdout: { write: (t) => void process.stdout.write(t), isTTY: Boolean(process.stdout.isTTY) },
    stderr: { write: (t) => void process.stderr.write(t), isTTY: Boolean(process.stderr.isTTY) },
    cwd: process.cwd(),
    env: process.env,
  };
}
