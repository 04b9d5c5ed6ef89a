import { afterEach, describe, expect, test, vi } from 'vitest';
import type { ProgressSnapshot, Reporter } from '@llmbench/plugin-api';
import { captureSink, experiment, reporterContext, results } from './__fixtures__/results.js';
import reporter, { ConsoleOptions, renderExperiment, renderSummary } from './index.js';

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

async function create(isTTY: boolean, options: Record<string, unknown> = {}) {
  const out = captureSink(isTTY);
  const r: Reporter = await reporter.create(reporterContext(out), ConsoleOptions.parse(options));
  return { out, r };
}

/** What the runner does for a two-experiment run: progress every 250 ms, then each summary. */
async function simulate(r: Reporter, durationMs: number): Promise<void> {
  await r.onRunStart?.({ scenario: 'test', experiments: ['a', 'b'], runs: 1 });
  const done: ReturnType<typeof experiment>[] = [];
  for (const name of ['a', 'b']) {
    for (let t = 250; t <= durationMs; t += 250) {
      const snapshot: ProgressSnapshot = {
        experiment: name,
        run: 1,
        done: Math.round((1000 * t) / durationMs),
        total: 1000,
        failures: 0,
        elapsedMs: t,
        latencyP50Ms: 20,
      };
      r.onProgress?.(snapshot);
    }
    const e = experiment(name);
    done.push(e);
    await r.onExperimentEnd?.(e);
  }
  await r.onRunEnd?.(results(done));
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('without a terminal', () => {
  test('progress lines and summaries carry no control characters', async () => {
    const { out, r } = await create(false);
    await simulate(r, 12_000);
    expect(out.text).not.toMatch(CONTROL);
    expect(out.text).toContain('[a] 417/1,000 (41%), 83.4 req/s, p50 20.0ms, 0 errors, ETA 7.0s\n');
  });

  test('at most one progress line per progress_interval_s of each experiment, before its summary', async () => {
    const { out, r } = await create(false, { progress_interval_s: 5 });
    await simulate(r, 12_000);
    const lines = out.text.split('\n');
    const progress = lines.filter((l) => l.startsWith('['));
    expect(progress.map((l) => l.slice(0, l.indexOf('%') + 2))).toEqual([
      '[a] 417/1,000 (41%)',
      '[a] 833/1,000 (83%)',
      '[b] 417/1,000 (41%)',
      '[b] 833/1,000 (83%)',
    ]);
    expect(lines.indexOf(progress[1]!)).toBeLessThan(lines.indexOf('EXPERIMENT: a (semaphore, concurrency=10)'));
  });

  test('progress_interval_s 0 leaves only the summaries', async () => {
    const { out, r } = await create(false, { progress_interval_s: 0 });
    await simulate(r, 12_000);
    expect(out.text.split('\n').filter((l) => l.startsWith('['))).toEqual([]);
  });

  test('a run shorter than the interval prints nothing new', async () => {
    const quiet = await create(false, { progress_interval_s: 0 });
    const short = await create(false);
    await simulate(quiet.r, 3_000);
    await simulate(short.r, 3_000);
    expect(short.out.text).toBe(quiet.out.text);
  });
});

describe('on a terminal', () => {
  test('the live bar is cleared before each summary, which is written intact', async () => {
    vi.stubEnv('CI', '');
    const { out, r } = await create(true);
    await simulate(r, 1_000);
    expect(out.text).toContain('\x1b[1G');
    expect(out.text).toContain('1,000/1,000 (100%) | 1,000 req/s | p50 20.0ms | 0 errors | ETA 0.0s');
    // The bar lives between cli-progress's wrap-off (ESC [?7l) and its final clear-line; without
    // those stretches the output is exactly the header and the summaries, with no control codes.
    const bars = out.text.match(/\x1b\[\?7l[\s\S]*?\x1b\[2K/g) ?? [];
    expect(bars).toHaveLength(2);
    const a = experiment('a');
    const b = experiment('b');
    expect(out.text.replace(/\x1b\[\?7l[\s\S]*?\x1b\[2K/g, '')).toBe(
      `llmbench: test\n\n${renderExperiment(a)}\n${renderExperiment(b)}\n${renderSummary(results([a, b]))}`,
    );
  });

  test('with CI set the terminal gets plain lines', async () => {
    vi.stubEnv('CI', '1');
    const { out, r } = await create(true);
    await simulate(r, 12_000);
    expect(out.text).not.toMatch(CONTROL);
    expect(out.text).toContain('[a] 417/1,000 (41%)');
  });

  test('live: never gives plain lines on a terminal', async () => {
    vi.stubEnv('CI', '');
    const { out, r } = await create(true, { live: 'never' });
    await simulate(r, 12_000);
    expect(out.text).not.toMatch(CONTROL);
  });
});

describe('percentiles', () => {
  test('the default lists P50, P95 and P99 after the average', () => {
    const text = renderExperiment(experiment('a', 20));
    expect(text).toContain(
      '  Avg response time: 22.0ms\n  P50 response time: 20.0ms\n  P95 response time: 36.0ms\n  P99 response time: 50.0ms\n',
    );
    expect(text).not.toContain('P90');
  });

  test('the option picks the lines, in ascending order', () => {
    const { percentiles } = ConsoleOptions.parse({ percentiles: [99, 90] });
    const text = renderExperiment(experiment('a', 20), { percentiles });
    expect(text).toContain('  Avg response time: 22.0ms\n  P90 response time: 30.0ms\n  P99 response time: 50.0ms\n  Total time');
    expect(text).not.toMatch(/P50|P95/);
    expect(text).toMatch(/^EXPERIMENT: a .*\nResults:\n[\s\S]*\n\nWorker utilization:\n {2}mock: 1,000 requests/);
  });

  test('the option picks the summary table columns', () => {
    const text = renderSummary(results([experiment('a'), experiment('b')]), { percentiles: [90] });
    expect(text.split('\n')[1]).toMatch(/^Experiment\s+Req\/s\s+Avg\s+P90\s+Success\s+Total$/);
  });

  test('only 50, 90, 95 and 99 are accepted', () => {
    expect(ConsoleOptions.safeParse({ percentiles: [75] }).success).toBe(false);
    expect(ConsoleOptions.safeParse({ percentiles: [] }).success).toBe(false);
  });
});

describe('repeated runs', () => {
  const withInterval = (name: string, mean: number, half: number) => {
    const e = experiment(name);
    return { ...e, intervals: { requests_per_second: { mean, low: mean - half, high: mean + half, n: 3 } } };
  };

  test('the summary shows mean ± 95% CI and names a winner only where the intervals separate', () => {
    const apart = renderSummary(results([withInterval('a', 100, 5), withInterval('b', 130, 5)]));
    expect(apart).toContain('ACROSS RUNS (mean ± 95% confidence interval over');
    expect(apart).toMatch(/a\s+100 ± 5\.00 req\/s/);
    expect(apart).toContain('Throughput: b wins (+30%)');
    const overlapping = renderSummary(results([withInterval('a', 100, 10), withInterval('b', 105, 10)]));
    expect(overlapping).toContain('Throughput: b and a cannot be told apart (their intervals overlap)');
    expect(overlapping).not.toContain('wins');
  });
});

describe('rate sweeps', () => {
  const sweepPoint = (rate: number, achieved: number, saturated: boolean) => {
    const e = experiment(`sweep/rate=${rate}`);
    return {
      ...e,
      experiment: 'sweep',
      sweep: {
        index: 0,
        baseline: 'sweep/rate=10',
        servers: 1,
        throughput_per_server: achieved,
        speedup: 1,
        efficiency: null,
        offered_rps: rate,
        achieved_rps: achieved,
        saturated,
        ...(saturated ? { saturation_reason: 'throughput' as const } : {}),
      },
    };
  };

  test('a paced sweep point shows its offered and achieved rates and whether it kept up', () => {
    expect(renderExperiment(sweepPoint(10, 10.1, false))).toContain('  Offered / achieved: 10.0 / 10.1 req/s, keeping up\n');
    expect(renderExperiment(sweepPoint(80, 41.2, true))).toContain(
      '  Offered / achieved: 80.0 / 41.2 req/s, SATURATED (throughput fell short)\n',
    );
    expect(renderExperiment(experiment('a'))).not.toContain('Offered');
  });

  test("the summary names each sweep's saturation point and the highest rate sustained", () => {
    const run = {
      ...results([sweepPoint(10, 10, false), sweepPoint(80, 41.2, true)]),
      saturation: [
        { experiment: 'sweep', point: 'sweep/rate=80', offered_rps: 80, achieved_rps: 41.2, max_unsaturated_rps: 10 },
        { experiment: 'calm', point: null, offered_rps: null, achieved_rps: null, max_unsaturated_rps: 20 },
      ],
    };
    const text = renderSummary(run);
    expect(text).toContain(
      'Saturation (sweep): first at sweep/rate=80, 41.2 of 80.0 req/s offered; sustained up to 10.0 req/s.\n',
    );
    expect(text).toContain('Saturation (calm): no point saturated; sustained up to 20.0 req/s.\n');
  });
});

describe('labels', () => {
  test("the header lists the run's labels under the scenario name", async () => {
    const { out, r } = await create(false);
    await r.onRunStart?.({ scenario: 'test', experiments: ['a'], runs: 1, labels: { gpu: 'A100', commit: 'abc123' } });
    expect(out.text).toBe('llmbench: test\nlabels: gpu=A100, commit=abc123\n\n');
  });

  test('no labels, no labels line', async () => {
    const { out, r } = await create(false);
    await r.onRunStart?.({ scenario: 'test', experiments: ['a'], runs: 1, labels: {} });
    expect(out.text).toBe('llmbench: test\n\n');
  });
});
