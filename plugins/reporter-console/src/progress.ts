import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { ProgressSnapshot, TextSink } from '@llmbench/plugin-api';
import { formatCount, formatEta, formatMs, formatNumber } from '@llmbench/plugin-api/format';

export type LiveSetting = 'auto' | 'always' | 'never';

/**
 * Whether progress is a live bar (true) or plain lines (false). `auto` draws the bar only on a
 * terminal outside CI: CI logs keep every redraw, so there the bar would be thousands of lines.
 */
export function useLiveBar(setting: LiveSetting, isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  if (setting !== 'auto') return setting === 'always';
  const ci = env.CI;
  return isTTY && (ci === undefined || ci === '' || ci === '0' || ci.toLowerCase() === 'false');
}

/** `semaphore-10`, or `semaphore-10 run 2` when the scenario repeats experiments. */
export function progressLabel(s: ProgressSnapshot, runs: number): string {
  return runs > 1 ? `${s.experiment} run ${s.run}` : s.experiment;
}

function progressFields(s: ProgressSnapshot): { count: string; rate: string; p50: string; errors: string; eta: string } {
  const percent = s.total > 0 ? Math.floor((100 * s.done) / s.total) : 100;
  const rate = s.elapsedMs > 0 ? (1000 * s.done) / s.elapsedMs : 0;
  const remainingMs = s.done > 0 && s.elapsedMs > 0 ? (Math.max(0, s.total - s.done) * s.elapsedMs) / s.done : undefined;
  return {
    count: `${formatCount(s.done)}/${formatCount(s.total)} (${percent}%)`,
    rate: `${formatNumber(rate)} req/s`,
    p50: `p50 ${formatMs(s.latencyP50Ms)}`,
    errors: `${s.failures} error${s.failures === 1 ? '' : 's'}`,
    eta: `ETA ${formatEta(remainingMs)}`,
  };
}

/** `[semaphore-10] 400/1000 (40%), 372 req/s, p50 26.3ms, 0 errors, ETA 1.6s` */
export function progressLine(s: ProgressSnapshot, label: string): string {
  const f = progressFields(s);
  return `[${label}] ${f.count}, ${f.rate}, ${f.p50}, ${f.errors}, ${f.eta}`;
}

export interface ProgressView {
  update(snapshot: ProgressSnapshot, label: string): void;
  /** Ends the current experiment's progress; the next snapshot starts afresh. */
  stop(): void;
}

/**
 * Plain lines for logs and pipes: no control codes, and at most one line per interval of an
 * experiment run's elapsed time. `elapsedMs` restarts with each run, after any earlier line, so
 * lines stay an interval apart across runs and experiments too.
 */
export class PlainProgress implements ProgressView {
  private key: string | undefined;
  private nextAtMs = 0;

  constructor(
    private readonly out: TextSink,
    private readonly intervalMs: number,
  ) {}

  update(s: ProgressSnapshot, label: string): void {
    if (this.intervalMs <= 0) return;
    const key = `${s.experiment}\u0000${s.run}`;
    if (key !== this.key) {
      this.key = key;
      this.nextAtMs = this.intervalMs;
    }
    if (s.elapsedMs < this.nextAtMs) return;
    this.nextAtMs = s.elapsedMs + this.intervalMs;
    this.out.write(`${progressLine(s, label)}\n`);
  }

  stop(): void {
    this.key = undefined;
  }
}

const SAVE_CURSOR = '\x1b7';
const RESTORE_CURSOR = '\x1b8';

/**
 * cli-progress writes to a Node stream and drives the cursor through `readline`, which only calls
 * `write`. This stream hands every chunk to the sink synchronously, so the bar's codes and the
 * reporter's own text reach the sink in call order. `isTTY` is true because the bar is only made
 * when live output was chosen; without `columns` cli-progress assumes 80, which only matters for
 * alignment (the bar turns line wrapping off, so the terminal clips a long line instead).
 *
 * It drops cli-progress's cursor save and restore (ESC 7 / ESC 8, each written alone): restoring
 * jumps back to where the bar started, so any line written meanwhile (a warning or the CLI's SIGINT
 * notice on stderr) would be overwritten by the summary. The bar only needs column-1 redraws.
 */
class SinkStream extends Writable {
  readonly isTTY = true;

  constructor(private readonly sink: TextSink) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text !== SAVE_CURSOR && text !== RESTORE_CURSOR) this.sink.write(text);
    done();
  }
}

/**
 * One live line redrawn in place, cleared on `stop` so the next text starts on a clean line. The bar
 * turns the terminal's line wrapping off while it runs (a long line is clipped instead of wrapping
 * and breaking the redraw); `gracefulExit` has cli-progress stop it on SIGINT/SIGTERM so wrapping
 * comes back even when a second Ctrl-C exits the CLI at once.
 */
export class LiveProgress implements ProgressView {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(out: TextSink) {
    this.bar = new cliProgress.SingleBar({
      stream: new SinkStream(out),
      format: '{label} {bar} {count} | {rate} | {p50} | {errors} | {remaining}',
      barsize: 20,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      clearOnComplete: true,
      hideCursor: false,
      linewrap: false,
      gracefulExit: true,
    });
  }

  update(s: ProgressSnapshot, label: string): void {
    const f = progressFields(s);
    const payload = { label, count: f.count, rate: f.rate, p50: f.p50, errors: f.errors, remaining: f.eta };
    if (!this.started) {
      this.bar.start(s.total, s.done, payload);
      this.started = true;
      return;
    }
    // Stopped by a signal: stay off until the experiment ends.
    if (!this.bar.isActive) return;
    this.bar.setTotal(s.total);
    this.bar.update(s.done, payload);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.bar.stop();
  }
}
