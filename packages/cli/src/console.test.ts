import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';

/**
 * The console reporter's progress as users see it: the built CLI on a real pseudo-terminal (util-linux
 * `script`), and on a pipe. The scenario takes about 2.5 s: 50 requests of 100 ms, 2 at a time, so
 * the runner's 250 ms progress ticks redraw the bar about ten times. The Ctrl-C test runs the same
 * scenario with 2,000 requests (100 s of load), so the run is still going whenever the Ctrl-C lands.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');
const SCRIPT = '/usr/bin/script';

const scenarioYaml = (requests: number): string => `name: console-progress
backend:
  use: mock
  options:
    latency: { model: fixed, ms: 100 }
workload:
  requests: ${requests}
  prompts:
    - "Hello #{i}"
experiments:
  - name: slow-2
    strategy: { use: semaphore, options: { concurrency: 2 } }
reporters:
  - use: console
    options: { progress_interval_s: 1 }
`;

const ESC = '\x1b';
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
/** A live progress line of `requests` requests; `eta` is the ETA's pattern (minutes from 60 s up). */
const live = (requests: number, eta = '[\\d.]+s'): RegExp =>
  new RegExp(
    `slow-2 \\S+ [\\d,]+/${requests.toLocaleString('en-US')} \\(\\d+%\\) \\| [\\d.,]+ req/s \\| p50 [\\d.]+ms \\| 0 errors \\| ETA ${eta}`,
  );
const LIVE = live(50);
const LONG = 2000;
const LONG_LIVE = live(LONG, '\\d+m \\d+s');
const PLAIN = /^\[slow-2\] \d+\/50 \(\d+%\), [\d.,]+ req\/s, p50 [\d.]+ms, 0 errors, ETA [\d.]+s$/;

/** The summary block (and the blank line after it), exactly as the reporter prints it up to the numbers. */
const SUMMARY = new RegExp(
  [
    'EXPERIMENT: slow-2 \\(semaphore, concurrency=2\\)',
    'Results:',
    '  Requests: 50',
    '  Requests/sec: [\\d.,]+',
    '  Success rate: 100\\.0%',
    '  Avg response time: [\\d.]+ms',
    '  P50 response time: [\\d.]+ms',
    '  P95 response time: [\\d.]+ms',
    '  P99 response time: [\\d.]+ms',
    '  Total time: [\\d.]+s',
    "  Tokens: output [\\d,]+, from the server's usage",
    '  Output tokens/sec: [\\d.,]+',
    '',
    'Worker utilization:',
    '  mock: 50 requests, 100\\.0% success rate, 100\\.0% of load, busy [\\d.]+%',
    '',
    '',
  ].join('\n'),
);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], ci: string | undefined): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: root, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

let scenario = '';
let longScenario = '';
let out = '';

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-console-'));
  scenario = join(dir, 'scenario.yaml');
  longScenario = join(dir, 'long.yaml');
  out = join(dir, 'out');
  await writeFile(scenario, scenarioYaml(50));
  await writeFile(longScenario, scenarioYaml(LONG));
});

/**
 * `script` runs this through `$SHELL -c`. `exec` makes the CLI the terminal's foreground process: a
 * shell that stays as its parent (dash does) takes the Ctrl-C's SIGINT too and dies at once with 130.
 */
const terminalCommand = (file: string): string =>
  `exec ${[process.execPath, bin, 'run', file, '--out', out].map((a) => `'${a}'`).join(' ')}`;

/** `llmbench run` on a pseudo-terminal; the terminal's CR-LF line ends become LF. */
async function onTerminal(ci: string | undefined): Promise<Ran> {
  const ran = await run(SCRIPT, ['-qfec', terminalCommand(scenario), '/dev/null'], ci);
  return { ...ran, stdout: ran.stdout.replaceAll('\r\n', '\n') };
}

/**
 * `llmbench run` on a pseudo-terminal, and Ctrl-C typed on it once `marker` has been drawn: `script`
 * copies its stdin to the terminal, whose line discipline turns ^C into SIGINT for the CLI. If the
 * marker never comes, the run is killed after `limitMs` (and its exit code then fails the test).
 */
function ctrlCOnTerminal(file: string, marker: RegExp, limitMs: number): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  return new Promise((resolve) => {
    const child = spawn(SCRIPT, ['-qfec', terminalCommand(file), '/dev/null'], { cwd: root, env, stdio: 'pipe' });
    const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
    let stdout = '';
    let stderr = '';
    let typed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!typed && marker.test(stdout)) {
        typed = true;
        child.stdin.write('\x03');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code: code ?? -1, stdout: stdout.replaceAll('\r\n', '\n'), stderr });
    });
  });
}

describe.skipIf(!existsSync(SCRIPT))('on a terminal', () => {
  test('redraws a live progress line in place, then clears it and prints the summary intact', { timeout: 40_000 }, async () => {
    const ran = await onTerminal(undefined);
    expect(ran.code, ran.stderr).toBe(0);
    // cli-progress's redraw: back to column 1, the line, erase to its end; several times.
    const redraws = ran.stdout.split(`${ESC}[1G`).length - 1;
    expect(redraws).toBeGreaterThanOrEqual(3);
    expect(ran.stdout).toContain(`${ESC}[0K`);
    expect(ran.stdout).toMatch(LIVE);
    // After the bar's final clear-line, only the summary: intact and free of control codes.
    const after = ran.stdout.slice(ran.stdout.lastIndexOf(`${ESC}[2K`) + `${ESC}[2K`.length);
    expect(after).toMatch(new RegExp(`^${SUMMARY.source}$`));
    expect(after).not.toMatch(CONTROL);
  });

  test("a Ctrl-C during the bar leaves the CLI's notice and the summary on lines of their own", { timeout: 40_000 }, async () => {
    // Ctrl-C at the first live bar (the first 250 ms tick), with 100 s of load still to go.
    const ran = await ctrlCOnTerminal(longScenario, LONG_LIVE, 30_000);
    expect(ran.code, ran.stdout + ran.stderr).toBe(3);
    expect(ran.stdout).toMatch(LONG_LIVE);
    // Wrapping comes back on, and the cursor is never sent back over the notice.
    expect(ran.stdout.split(`${ESC}[?7l`)).toHaveLength(2);
    expect(ran.stdout.split(`${ESC}[?7h`)).toHaveLength(2);
    expect(ran.stdout).not.toMatch(/\x1b[78]/);
    const lines = ran.stdout.split('\n');
    expect(lines).toContain('SIGINT: stopping; press Ctrl-C again to quit at once');
    const summary = lines.findIndex((l) => l.endsWith('EXPERIMENT: slow-2 (semaphore, concurrency=2)'));
    expect(summary).toBeGreaterThan(lines.indexOf('SIGINT: stopping; press Ctrl-C again to quit at once'));
    expect(lines.slice(summary + 1, summary + 3)).toEqual(['Results:', expect.stringMatching(/^ {2}Requests: \d+$/)]);
    expect(ran.stdout).toMatch(/\nRun interrupted\. Results cover the experiments that ran; partial: slow-2\.\n$/);
  });

  test('with CI set prints plain progress lines without control codes', { timeout: 40_000 }, async () => {
    const ran = await onTerminal('1');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain(ESC);
    expect(ran.stdout.split('\n').filter((l) => PLAIN.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(ran.stdout).toMatch(SUMMARY);
  });
});

describe('on a pipe', () => {
  test.each([
    ['without CI', undefined],
    ['with CI=1', '1'],
  ])('%s: plain progress lines at most once a second, no control codes', { timeout: 40_000 }, async (_name, ci) => {
    const ran = await run(process.execPath, [bin, 'run', scenario, '--out', out], ci);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toMatch(CONTROL);
    const lines = ran.stdout.split('\n');
    const progress = lines.filter((l) => l.startsWith('[slow-2]'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(3);
    for (const line of progress) expect(line).toMatch(PLAIN);
    expect(ran.stdout).toMatch(new RegExp(`^llmbench: console-progress\\n\\n(\\[slow-2\\].*\\n)+${SUMMARY.source}$`));
  });
});
