import type { ExperimentResult, LatencyStats, ReporterContext, RunResults, SummaryStats, TextSink } from '@llmbench/plugin-api';

function latency(p50: number): LatencyStats {
  return { avg: p50 * 1.1, min: p50 / 2, max: p50 * 3, stddev: p50 / 4, p50, p90: p50 * 1.5, p95: p50 * 1.8, p99: p50 * 2.5 };
}

function summary(requests: number, p50: number): SummaryStats {
  const none = { http_error: 0, timeout: 0, connection_error: 0, protocol_error: 0, aborted: 0 };
  return {
    requests,
    successes: requests,
    failures: none,
    success_rate: 1,
    wall_time_s: 2.5,
    requests_per_second: requests / 2.5,
    latency_ms: latency(p50),
    latency_histogram: '',
    ttft_ms: null,
    itl_ms: null,
    tpot_ms: null,
    tokens: {
      input: 0,
      output: 0,
      cached: 0,
      output_tokens_per_second: 0,
      sources: { server: 0, counted: 0, estimated: 0, none: requests },
      cache_reported: 0,
    },
    server_ttft_ms: null,
    server_prompt_ms: null,
    server_tpot_ms: null,
    server_tokens_per_second: null,
    prefix_cache_hit_rate: null,
    prefix_cache_source: null,
    goodput: null,
    slo_met_requests: null,
    slo_met: null,
    slo: [],
    max_in_flight: 10,
    queue_ms: null,
    queued_requests: 0,
    reconnects: 0,
    no_reuse_requests: 0,
    servers: [
      {
        id: 'mock',
        requests,
        successes: requests,
        failures: none,
        success_rate: 1,
        load_share: 1,
        max_in_flight: 10,
        latency_ms: latency(p50),
        queue_ms: null,
        queued_requests: 0,
        busy_fraction: 0.98,
        ejections: 0,
        reconnects: 0,
        no_reuse_requests: 0,
      },
    ],
    failure_samples: [],
    server_metrics: {},
    collectors: {},
  };
}

/** A one-run, one-server experiment whose latency percentiles are p50 x (1, 1.5, 1.8, 2.5). */
export function experiment(name: string, p50 = 20): ExperimentResult {
  const s = summary(1000, p50);
  return {
    name,
    experiment: name,
    label: name,
    params: { concurrency: 10 },
    strategy: { name: 'semaphore', options: { concurrency: 10 } },
    point: {
      concurrency: 10,
      barrier: false,
      requests: 1000,
      servers: ['mock'],
      balancer: {
        policy: 'latency-aware',
        ewma_alpha: 0.3,
        ewma_decay_ms: 1000,
        eject_after: 5,
        backoff_ms: 1000,
        max_backoff_ms: 30000,
      },
    },
    runs: [{ run: 1, started_at: '2025-01-01T00:00:00.000Z', ...s }],
    summary: s,
  };
}

export function results(experiments: ExperimentResult[]): RunResults {
  return {
    schema_version: 2,
    llmbench_version: '0.1.0',
    scenario: { name: 'test', file: 'test.yaml', definition: {} },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', os_release: '', cpu: '', cpus: 1, memory_gb: 1, hostname: 'h' },
    servers: [{ id: 'mock', backend: 'mock', max_concurrent_requests: null }],
    started_at: '2025-01-01T00:00:00.000Z',
    finished_at: '2025-01-01T00:00:05.000Z',
    status: 'completed',
    experiments,
    thresholds: [],
    passed: true,
  };
}

/** A sink that keeps everything written to it. */
export function captureSink(isTTY: boolean): TextSink & { text: string } {
  return {
    isTTY,
    text: '',
    write(text) {
      this.text += text;
    },
  };
}

export function reporterContext(out: TextSink): ReporterContext {
  const quiet = () => undefined;
  return {
    logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    clock: { now: () => 0 },
    scenarioDir: '/tmp',
    seed: 1,
    out,
    resolveOutput: (template) => template,
    fileWritten: quiet,
  };
}
