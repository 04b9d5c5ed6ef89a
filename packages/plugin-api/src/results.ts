// Over 400 lines on purpose: the results file format, every field with its description, is one
// schema that `schemas/results.schema.json` and the docs are generated from.
import { z } from 'zod';

/**
 * The results file format. This zod schema is the one hand-written description; `schemas/results.schema.json`
 * and `schemas/results.d.ts` are generated from it (`npm run schemas:generate`).
 */
export const RESULTS_SCHEMA_VERSION = 2;

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

export const LatencyStatsSchema = z
  .object({
    avg: ms.describe('Arithmetic mean of successful request latencies (exact, not from the histogram).'),
    min: ms,
    max: ms,
    stddev: ms,
    p50: ms,
    p90: ms,
    p95: ms,
    p99: ms,
    extra: z
      .record(z.string().regex(/^p\d+(\.\d+)?$/), ms)
      .optional()
      .describe(
        'Further percentiles the scenario asked for (its percentiles field, or a threshold or SLO on e.g. p99.9), keyed "p99.9"; absent when none.',
      ),
  })
  .describe(
    'Latency of successful requests in milliseconds, from send (paced points: from the intended start) to the end of the response.',
  )
  .meta({ id: 'LatencyStats' });

export const FailureCountsSchema = z
  .object({
    http_error: count,
    timeout: count,
    connection_error: count,
    protocol_error: count,
    aborted: count,
  })
  .describe('Failed requests by kind.')
  .meta({ id: 'FailureCounts' });

export const FailureSampleSchema = z
  .object({
    kind: z.enum(['http_error', 'timeout', 'connection_error', 'protocol_error', 'aborted']),
    message: z.string(),
    count,
  })
  .meta({ id: 'FailureSample' });

export const ServerStatsSchema = z
  .object({
    id: z.string(),
    url: z.string().optional(),
    requests: count,
    successes: count,
    failures: FailureCountsSchema,
    success_rate: z.number().min(0).max(1),
    load_share: z.number().min(0).max(1).describe("Fraction of the run's requests this server received."),
    max_in_flight: count.describe('Most requests in flight to this server at once, as the client saw it.'),
    latency_ms: LatencyStatsSchema.nullable(),
    queue_ms: LatencyStatsSchema.nullable().describe(
      'Time requests waited client-side for a free slot (max_concurrent_requests) before going to this server; null when it got none.',
    ),
    queued_requests: count.describe('Requests that had to wait for a slot before going to this server.'),
    busy_fraction: z.number().min(0).max(1).describe('Time with at least one request in flight to this server / wall time.'),
    ejections: count.describe(
      'Times the load balancer took this server out after consecutive failures (it is probed back in after a back-off).',
    ),
    reconnects: count
      .default(0)
      .describe(
        'Requests sent again, once, on a fresh connection because the reused connection they went out on died before any byte of the answer (the server had closed it). Their times count from the resend.',
      ),
    no_reuse_requests: count
      .default(0)
      .describe(
        'Requests sent with "connection: close" because this server was seen closing its connections after answering although it offered keep-alive.',
      ),
  })
  .meta({ id: 'ServerStats' });

export const BarrierStatsSchema = z
  .object({
    batches: count,
    idle_slot_s: z
      .number()
      .nonnegative()
      .describe('Sum over requests of (batch end - request end): slot time spent waiting for the slowest request of the batch.'),
    idle_fraction: z
      .number()
      .min(0)
      .max(1)
      .describe('idle_slot_s / (batch size x wall time): share of capacity the barrier left unused.'),
  })
  .describe('Only for batch (barrier) points.')
  .meta({ id: 'BarrierStats' });

export const TokenStatsSchema = z
  .object({
    input: count.describe('Prompt tokens summed over successful requests (server-reported).'),
    output: count.describe('Output tokens summed over successful requests.'),
    cached: count.describe('Prompt tokens the server reported as cached (prompt_tokens_details.cached_tokens).'),
    output_tokens_per_second: z.number().nonnegative().describe('output / wall_time_s'),
    sources: z
      .object({ server: count, counted: count, estimated: count.default(0), none: count })
      .describe(
        "Successful requests whose counts came from the server usage (exact), were counted from streamed chunks (a lower bound: servers may merge tokens into one chunk), were estimated, or are unknown. Every token figure's provenance follows from these (docs/metrics.md#token-provenance).",
      ),
    cache_reported: count
      .default(0)
      .describe('Successful requests whose usage said how many prompt tokens were cached (prompt_tokens_details.cached_tokens).'),
  })
  .meta({ id: 'TokenStats' });

export const SloResultSchema = z
  .object({
    metric: z.enum(['ttft_ms', 'itl_ms', 'tpot_ms', 'e2el_ms']),
    bound: z.string().describe('"max", or the percentile the objective is on ("p95").'),
    limit: ms,
    actual: ms
      .nullable()
      .describe(
        'The run\'s value at that bound (its percentile, or its largest value for "max"); null when no request had the measure.',
      ),
    met: z.boolean().describe('actual <= limit.'),
    met_requests: count.describe("Successful requests whose own value was within limit (ITL: the request's largest gap)."),
  })
  .meta({ id: 'SloResult' });

export const MetricSummarySchema = z
  .object({ first: z.number(), last: z.number(), min: z.number(), max: z.number(), avg: z.number(), samples: count })
  .meta({ id: 'MetricSummary' });

export const LengthStatsSchema = z
  .object({ avg: z.number().nonnegative(), p50: z.number().nonnegative(), p99: z.number().nonnegative() })
  .meta({ id: 'LengthStats' });

export const LengthsSchema = z
  .object({
    requested: LengthStatsSchema.nullable().describe(
      'What the workload asked for, over the requests sent: synthetic input_tokens; max_tokens for output (per prompt with output_tokens or output_length: recorded). Null when it asked for nothing.',
    ),
    actual: LengthStatsSchema.nullable().describe(
      'What the server reported in usage (prompt_tokens, completion_tokens), over successful requests that reported it. Null when none did.',
    ),
    tokenizer: z
      .enum(['server', 'library', 'estimate'])
      .nullable()
      .describe(
        "What counted the requested tokens: the server's own tokenizer, gpt-tokenizer (o200k), or an estimate (4 characters per token). Null when nothing was counted.",
      ),
  })
  .meta({ id: 'Lengths' });

const P50P95Schema = z.object({ p50: z.number().nonnegative(), p95: z.number().nonnegative() });
const TokenSpreadSchema = z.object({
  avg: z.number().nonnegative(),
  p50: z.number().nonnegative(),
  p95: z.number().nonnegative(),
});

export const TurnStatsSchema = z
  .object({
    turn: z
      .number()
      .int()
      .positive()
      .describe('1-based turn of its conversation. The row of turn 32 also holds any later turns.'),
    requests: count.describe(
      'Requests sent for this turn and ended (a conversation ends at its first failed turn, so later turns see fewer).',
    ),
    successes: count,
    latency_ms: P50P95Schema.nullable().describe("Latency of this turn's successful requests; null when none succeeded."),
    ttft_ms: P50P95Schema.nullable().describe("Time to first token of this turn's streamed successful requests; null when none."),
    input_tokens: TokenSpreadSchema.nullable().describe(
      'Prompt tokens as the server reported them (usage.prompt_tokens): the whole history sent with this turn.',
    ),
    output_tokens: TokenSpreadSchema.nullable().describe('Answer tokens as the server reported them (usage.completion_tokens).'),
  })
  .meta({ id: 'TurnStats' });

export const RunStatsSchema = z
  .object({
    run: z.number().int().positive(),
    started_at: z.iso.datetime(),
    requests: count.describe('Requests sent and ended (ok + failures). Warmup requests are not counted.'),
    successes: count,
    failures: FailureCountsSchema,
    success_rate: z.number().min(0).max(1),
    wall_time_s: z.number().nonnegative(),
    requests_per_second: z.number().nonnegative().describe('requests / wall_time_s'),
    latency_ms: LatencyStatsSchema.nullable().describe('Null when no request succeeded.'),
    latency_histogram: z
      .string()
      .describe(
        'HDR histogram of successful latencies in microseconds, compressed base64 (hdr-histogram-js encodeIntoCompressedBase64).',
      ),
    ttft_ms: LatencyStatsSchema.nullable().describe(
      'Time to first token (first chunk with choices - send), streamed successful requests only; null when none.',
    ),
    itl_ms: LatencyStatsSchema.nullable().describe(
      'Inter-token latency: gaps between consecutive chunks with choices, pooled over requests.',
    ),
    tpot_ms: LatencyStatsSchema.nullable().describe(
      'Time per output token: (latency - TTFT) / (output tokens - 1), requests with more than one output token.',
    ),
    tokens: TokenStatsSchema,
    server_ttft_ms: LatencyStatsSchema.nullable().describe(
      'Time to first token as the server reported it (LM Studio native stats), when it did.',
    ),
    server_prompt_ms: LatencyStatsSchema.nullable()
      .default(null)
      .describe('Prompt processing time as the server reported it per request (llama.cpp timings.prompt_ms), when it did.'),
    server_tpot_ms: LatencyStatsSchema.nullable()
      .default(null)
      .describe(
        "Decode time per generated token as the server reported it per request (llama.cpp timings: predicted_ms / predicted_n), beside the client's TPOT.",
      ),
    server_tokens_per_second: z
      .object({ avg: z.number().nonnegative(), min: z.number().nonnegative(), max: z.number().nonnegative() })
      .nullable()
      .describe(
        'Generation speed as the server reported it per request (LM Studio native stats, llama.cpp timings.predicted_per_second): mean, min and max over requests.',
      ),
    prefix_cache_hit_rate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe(
        "Prefix-cache hit rate in prompt tokens: from the servers' counters when their backend reads them (sum of prefix_cache_hits deltas / sum of prefix_cache_queries deltas: vLLM, llama.cpp), else from the responses' usage (cached tokens / prompt tokens, when any response reported cached tokens); null when neither says. prefix_cache_source tells which.",
      ),
    prefix_cache_source: z
      .enum(['server_metrics', 'usage'])
      .nullable()
      .default(null)
      .describe("Where prefix_cache_hit_rate came from: the servers' own counters, or the responses' usage.cached_tokens."),
    goodput: z
      .number()
      .nonnegative()
      .nullable()
      .default(null)
      .describe(
        'Requests per second that met every service-level objective: slo_met_requests / wall_time_s (vLLM --goodput); null without an slo.',
      ),
    slo_met_requests: count
      .nullable()
      .default(null)
      .describe("Successful requests within every objective's limit; null without an slo."),
    slo_met: z
      .boolean()
      .nullable()
      .default(null)
      .describe("The verdict: every objective met (each slo entry's met); null without an slo."),
    slo: z.array(SloResultSchema).default([]).describe("One entry per objective of the scenario's slo."),
    input_lengths: LengthsSchema.nullable()
      .optional()
      .describe('Prompt lengths in tokens, requested and actual (docs/metrics.md#input-and-output-lengths).'),
    output_lengths: LengthsSchema.nullable().optional().describe('Output lengths in tokens, requested (max_tokens) and actual.'),
    turns: z
      .array(TurnStatsSchema)
      .nullable()
      .optional()
      .describe(
        'Multi-turn conversations (sharegpt multi_turn): figures per turn index (docs/metrics.md#per-turn-figures); null or absent for other workloads.',
      ),
    max_in_flight: count,
    queue_ms: LatencyStatsSchema.nullable().describe(
      'Time requests waited client-side for a free server slot, over all requests (0 for those that did not wait).',
    ),
    queued_requests: count.describe('Requests that had to wait for a server slot.'),
    reconnects: count.default(0).describe("Sum of the servers' reconnects."),
    no_reuse_requests: count.default(0).describe("Sum of the servers' no_reuse_requests."),
    servers: z.array(ServerStatsSchema),
    barrier: BarrierStatsSchema.optional(),
    failure_samples: z.array(FailureSampleSchema).describe('Up to 5 distinct messages per failure kind, with counts.'),
    server_metrics: z
      .record(z.string(), z.object({ start: z.record(z.string(), z.number()), end: z.record(z.string(), z.number()) }))
      .describe('Backend readings per server id at the start and end of the run.'),
    collectors: z
      .record(z.string(), z.record(z.string(), MetricSummarySchema))
      .describe('Collector readings sampled during the run, per collector then per metric.'),
  })
  .meta({ id: 'RunStats' });

export const SummaryStatsSchema = RunStatsSchema.omit({ run: true, started_at: true })
  .describe('All runs of the experiment pooled: counts summed, histograms merged, wall time summed.')
  .meta({ id: 'SummaryStats' });

export const ExperimentResultSchema = z
  .object({
    name: z.string().describe('Unique: the experiment name, plus the point label for sweeps.'),
    experiment: z.string().describe('The experiment name as written in the scenario.'),
    label: z.string(),
    params: z.record(z.string(), z.union([z.number(), z.string()])),
    strategy: z.object({ name: z.string(), options: z.record(z.string(), z.unknown()) }),
    point: z.object({
      concurrency: z.number().int().positive().describe('Most requests in flight (for paced points: the max_in_flight bound).'),
      barrier: z.boolean(),
      requests: count,
      servers: z.array(z.string()),
      rate: z.number().positive().optional().describe('Paced points: requests started per second.'),
      arrivals: z
        .enum(['uniform', 'poisson', 'gamma'])
        .optional()
        .describe('Paced points: how starts were spaced (docs/metrics.md#arrivals).'),
      burstiness: z
        .number()
        .positive()
        .optional()
        .describe("Gamma arrivals: the gaps' shape (1 = Poisson; smaller is burstier)."),
      balancer: z
        .object({
          policy: z.enum(['latency-aware', 'least-outstanding', 'round-robin']),
          ewma_alpha: z.number(),
          ewma_decay_ms: z.number(),
          eject_after: count,
          backoff_ms: z.number(),
          max_backoff_ms: z.number(),
        })
        .describe('How requests were spread over the servers (docs/scenarios.md#balancer).'),
    }),
    partial: z
      .boolean()
      .optional()
      .describe(
        'True when the run was stopped (Ctrl-C, SIGTERM) before this point finished: it holds only what was measured until then.',
      ),
    runs: z.array(RunStatsSchema),
    summary: SummaryStatsSchema,
    sweep: z
      .object({
        index: count.describe('Position of this point in its sweep (0 = the baseline).'),
        baseline: z.string().describe("Name of the sweep's first point."),
        servers: count.describe('Servers this point used.'),
        throughput_per_server: z.number().nonnegative().describe('requests_per_second / servers'),
        speedup: z.number().nonnegative().describe("requests_per_second / the baseline's requests_per_second"),
        efficiency: z
          .number()
          .nonnegative()
          .nullable()
          .describe(
            "Scaling efficiency: requests_per_second / ((servers / baseline servers) x baseline requests_per_second); null when the server count is the baseline's.",
          ),
        offered_rps: z.number().positive().optional().describe('Paced points: the rate requests were started at (point.rate).'),
        achieved_rps: z
          .number()
          .nonnegative()
          .optional()
          .describe('Paced points: successful requests per second (requests_per_second x success_rate).'),
        saturated: z
          .boolean()
          .optional()
          .describe(
            'Paced points: achieved_rps fell short of offered_rps by more than the tolerance, or latency p95 jumped (docs/metrics.md#saturation).',
          ),
        saturation_reason: z
          .enum(['throughput', 'latency'])
          .optional()
          .describe('Saturated points: which test failed (throughput is checked first).'),
      })
      .optional()
      .describe('Only for points of a sweep (an experiment with more than one point).'),
    intervals: z
      .record(z.string(), z.object({ mean: z.number(), low: z.number(), high: z.number(), n: count }))
      .optional()
      .describe(
        'Only with 2 or more runs: per headline metric (requests_per_second, latency_ms.p50, ...), the mean over runs with its 95% confidence interval (Student t).',
      ),
  })
  .meta({ id: 'ExperimentResult' });

export const ThresholdResultSchema = z
  .object({
    metric: z.string(),
    experiment: z.string(),
    min: z.number().optional(),
    max: z.number().optional(),
    actual: z.number().nullable(),
    passed: z.boolean(),
  })
  .meta({ id: 'ThresholdResult' });

export const SaturationSchema = z
  .object({
    experiment: z.string().describe('The experiment name as written in the scenario.'),
    point: z.string().nullable().describe('Name of the first saturated point of the sweep; null when none saturated.'),
    offered_rps: z.number().positive().nullable().describe("That point's offered rate; null when none saturated."),
    achieved_rps: z.number().nonnegative().nullable().describe("That point's achieved rate; null when none saturated."),
    max_unsaturated_rps: z
      .number()
      .positive()
      .nullable()
      .describe('The highest offered rate the sweep sustained (a paced point not saturated); null when none.'),
  })
  .meta({ id: 'Saturation' });

export const RunResultsSchema = z
  .object({
    $schema: z.string().optional(),
    schema_version: z.literal(RESULTS_SCHEMA_VERSION),
    llmbench_version: z.string(),
    scenario: z.object({
      name: z.string(),
      description: z.string().optional(),
      file: z.string(),
      definition: z
        .record(z.string(), z.unknown())
        .describe('The validated scenario, with values from ${env:...} and secrets redacted.'),
    }),
    environment: z.object({
      node: z.string(),
      platform: z.string(),
      arch: z.string(),
      os_release: z.string(),
      cpu: z.string(),
      cpus: count,
      memory_gb: z.number(),
      hostname: z.string(),
    }),
    servers: z
      .array(
        z.object({
          id: z.string(),
          backend: z.string(),
          url: z.string().optional(),
          model: z.string().optional(),
          max_concurrent_requests: count.nullable().describe('Null when unlimited.'),
        }),
      )
      .describe('Every server the scenario defines, as resolved (experiments may use a subset).'),
    started_at: z.iso.datetime(),
    finished_at: z.iso.datetime(),
    status: z
      .enum(['completed', 'interrupted', 'failed'])
      .describe(
        'interrupted: stopped by a signal; failed: stopped by a runtime error, or an experiment had no successful request (error says which). Experiments that finished are kept either way.',
      ),
    error: z.string().optional(),
    experiments: z.array(ExperimentResultSchema),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe("The scenario's labels (with the project config's defaults); absent when it has none."),
    saturation: z
      .array(SaturationSchema)
      .optional()
      .describe('Per experiment whose sweep has paced points: its saturation point (docs/metrics.md#saturation).'),
    thresholds: z.array(ThresholdResultSchema),
    aborted_by: z
      .object({ metric: z.string(), experiment: z.string(), actual: z.number().nullable() })
      .optional()
      .describe('A threshold with abort_on_fail failed after this experiment; the experiments after it were not run.'),
    passed: z.boolean().describe('False when any threshold failed.'),
  })
  .describe('llmbench results file')
  .meta({ title: 'RunResults' });

export type LatencyStats = z.infer<typeof LatencyStatsSchema>;
export type FailureCounts = z.infer<typeof FailureCountsSchema>;
export type FailureSample = z.infer<typeof FailureSampleSchema>;
export type ServerStats = z.infer<typeof ServerStatsSchema>;
export type BarrierStats = z.infer<typeof BarrierStatsSchema>;
export type SloResult = z.infer<typeof SloResultSchema>;
export type MetricSummary = z.infer<typeof MetricSummarySchema>;
export type TokenStats = z.infer<typeof TokenStatsSchema>;
export type RunStats = z.infer<typeof RunStatsSchema>;
export type SummaryStats = z.infer<typeof SummaryStatsSchema>;
export type ExperimentResult = z.infer<typeof ExperimentResultSchema>;
export type ThresholdResult = z.infer<typeof ThresholdResultSchema>;
export type Saturation = z.infer<typeof SaturationSchema>;
export type RunResults = z.infer<typeof RunResultsSchema>;
export type Lengths = z.infer<typeof LengthsSchema>;
export type TurnStats = z.infer<typeof TurnStatsSchema>;
