import { describe, expect, test } from 'vitest';
import type { ProgressSnapshot } from '@llmbench/plugin-api';
import { captureSink } from './__fixtures__/results.js';
import { LiveProgress, PlainProgress, progressLabel, progressLine, useLiveBar } from './progress.js';

const snap = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  experiment: 'semaphore-10',
  run: 1,
  done: 400,
  total: 1000,
  failures: 0,
  elapsedMs: 1075,
  latencyP50Ms: 26.3,
  ...over,
});

describe('progressLine', () => {
  test('shows name, done/total, req/s so far, p50, errors and ETA', () => {
    expect(progressLine(snap(), 'semaphore-10')).toBe(
      '[semaphore-10] 400/1,000 (40%), 372 req/s, p50 26.3ms, 0 errors, ETA 1.6s',
    );
  });

  test('shows "-" for p50 and ETA before anything has finished', () => {
    expect(progressLine(snap({ done: 0, elapsedMs: 250, latencyP50Ms: undefined, failures: 1 }), 'x')).toBe(
      '[x] 0/1,000 (0%), 0.00 req/s, p50 -, 1 error, ETA -',
    );
  });

  test('names the run when the scenario repeats experiments', () => {
    expect(progressLabel(snap({ run: 2 }), 3)).toBe('semaphore-10 run 2');
    expect(progressLabel(snap(), 1)).toBe('semaphore-10');
  });
});

describe('useLiveBar', () => {
  test('auto draws the bar on a terminal outside CI only', () => {
    expect(useLiveBar('auto', true, {})).toBe(true);
    expect(useLiveBar('auto', false, {})).toBe(false);
    expect(useLiveBar('auto', true, { CI: '1' })).toBe(false);
    expect(useLiveBar('auto', true, { CI: 'true' })).toBe(false);
    expect(useLiveBar('auto', true, { CI: 'false' })).toBe(true);
    expect(useLiveBar('auto', true, { CI: '' })).toBe(true);
  });

  test('always and never ignore the terminal and CI', () => {
    expect(useLiveBar('always', false, { CI: '1' })).toBe(true);
    expect(useLiveBar('never', true, {})).toBe(false);
  });
});

describe('PlainProgress', () => {
  /** Snapshots every 250 ms of elapsed time, as the runner sends them. */
  function drive(progress: PlainProgress, experiment: string, untilMs: number): void {
    for (let t = 250; t <= untilMs; t += 250)
      progress.update(snap({ experiment, elapsedMs: t, done: Math.round(t / 10) }), experiment);
  }

  test('writes at most one line per interval of elapsed time, restarting with each experiment', () => {
    const out = captureSink(false);
    const progress = new PlainProgress(out, 5000);
    drive(progress, 'a', 12_000);
    progress.stop();
    drive(progress, 'b', 4_750);
    expect(
      out.text
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(0, l.indexOf(' '))),
    ).toEqual(['[a]', '[a]']);
    expect(out.text).toContain('[a] 500/1,000 (50%)');
    expect(out.text).toContain('[a] 1,000/1,000 (100%)');
  });

  test('an interval of 0 writes nothing', () => {
    const out = captureSink(false);
    drive(new PlainProgress(out, 0), 'a', 60_000);
    expect(out.text).toBe('');
  });
});

describe('LiveProgress', () => {
  test('redraws one line in place with cli-progress and clears it on stop', () => {
    const out = captureSink(true);
    const live = new LiveProgress(out);
    live.update(snap({ done: 100, elapsedMs: 250 }), 'semaphore-10');
    live.update(snap(), 'semaphore-10');
    live.stop();
    out.write('EXPERIMENT: semaphore-10\n');
    expect(out.text).toContain('\x1b[1G');
    expect(out.text).toContain('semaphore-10 ');
    expect(out.text).toContain('400/1,000 (40%) | 372 req/s | p50 26.3ms | 0 errors | ETA 1.6s');
    expect(out.text).not.toContain('\n\x1b');
    expect(out.text).not.toMatch(/\x1b[78]/);
    expect(out.text).toMatch(/\x1b\[2KEXPERIMENT: semaphore-10\n$/);
  });

  test('a SIGINT stops the bar and turns line wrapping back on; later progress is not drawn', () => {
    const out = captureSink(true);
    const live = new LiveProgress(out);
    const before = process.listeners('SIGINT');
    live.update(snap({ done: 100, elapsedMs: 250 }), 'semaphore-10');
    const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    added[0]!('SIGINT');
    expect(process.listeners('SIGINT')).toEqual(before);
    expect(out.text).toMatch(/\x1b\[\?7l[\s\S]*\x1b\[\?7h/);
    const stoppedAt = out.text.length;
    live.update(snap(), 'semaphore-10');
    live.stop();
    expect(out.text.length).toBe(stoppedAt);
  });

  test('stop removes its signal handlers', () => {
    const before = process.listenerCount('SIGINT');
    const live = new LiveProgress(captureSink(true));
    live.update(snap(), 'semaphore-10');
    live.stop();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  test('stop without any progress writes nothing', () => {
    const out = captureSink(true);
    new LiveProgress(out).stop();
    expect(out.text).toBe('');
  });
});
