/** The metric definitions a report may show, in the order it lists them (docs/metrics.md in full). */
export const DEFINITIONS = {
  requests: {
    term: 'Requests',
    text: 'requests sent and ended in measured runs (successes + failures of every kind); warmup is not counted.',
  },
  success_rate: { term: 'Success rate', text: 'successes / requests.' },
  throughput: { term: 'Throughput', text: 'requests / wall time, in requests per second.' },
  wall_time: {
    term: 'Wall time (total time)',
    text: 'from the first request sent to the last response received, summed over runs.',
  },
  latency: {
    term: 'Latency',
    text: 'send to end of response of successful requests (for paced load: from the intended send time); percentiles from an HDR histogram (0.1% resolution), avg exact.',
  },
  ttft: { term: 'TTFT', text: 'time to first token: first streamed chunk with choices - send.' },
  itl: { term: 'ITL', text: 'inter-token latency: gaps between consecutive streamed chunks, pooled over requests.' },
  tpot: {
    term: 'TPOT',
    text: 'time per output token: (latency - TTFT) / (output tokens - 1), requests with more than one output token.',
  },
  output_tps: { term: 'Output tokens/s', text: 'output tokens of successful requests / wall time.' },
  tokens: {
    term: 'Tokens',
    text: "input (prompt), cached prompt and output tokens summed over successful requests, from the server's usage; figures marked ≈ were counted from streamed chunks (a lower bound) or estimated.",
  },
  prefix_cache: {
    term: 'Prefix-cache hit rate',
    text: "cached prompt tokens / prompt tokens looked up: from the servers' counters (vLLM hits / queries, llama.cpp cached / (prompt + cached), deltas over the run), else from the responses' usage.cached_tokens / prompt_tokens.",
  },
  server_timing: {
    term: 'Server prompt time, server decode time per token',
    text: "what the server measured itself per request (llama.cpp timings: prompt_ms, predicted_ms / predicted_n), beside the client's TTFT and TPOT.",
  },
  goodput: {
    term: 'Goodput',
    text: "successful requests within every service-level objective's limit (TTFT, per-request largest ITL gap, TPOT, latency; a request lacking a measure is not within it) / wall time (vLLM --goodput). An objective is met when the run's value at its bound (a percentile, or the largest value for max) is within its limit.",
  },
  reconnects: {
    term: 'Reconnects',
    text: 'requests sent again, once, on a fresh connection because the reused keep-alive connection they went out on died before any byte of the answer; their times count from the resend.',
  },
  queue: { term: 'Queue time', text: 'time a request waited client-side for a free slot on a server (max_concurrent_requests).' },
  load_share: { term: 'Load share', text: "a server's requests / all requests of the point." },
  busy: { term: 'Busy', text: 'time a server had at least one request in flight / wall time.' },
  barrier: {
    term: 'Barrier idle',
    text: 'sum over requests of (batch end - request end) / (batch size x wall time): capacity left unused waiting for the slowest request of each batch.',
  },
  turns: {
    term: 'Per turn',
    text: 'multi-turn conversations: requests, successes, latency and TTFT p50 / p95 and the prompt tokens the server reported (the whole history sent), by turn index; a conversation ends at its first failed turn.',
  },
  speedup: { term: 'Speedup', text: "throughput / the throughput of the sweep's first point." },
  saturation: {
    term: 'Saturated',
    text: 'a paced sweep point whose successful requests per second (achieved) fell short of its offered rate by more than the tolerance (default 5%), or, when asked, whose latency p95 jumped above a factor of the lowest earlier p95; the saturation point is the lowest offered rate that saturated.',
  },
  efficiency: {
    term: 'Scaling efficiency',
    text: "throughput / ((servers / first point's servers) x first point's throughput); 100% is linear scaling.",
  },
  gpu_memory: {
    term: 'GPU memory (avg / peak)',
    text: "GPU memory used, summed over the GPUs read: the mean and the highest of the samples a collector took during the run (the last one, with several runs), of the GPUs' total memory.",
  },
  gpu_utilization: {
    term: 'GPU utilization (avg / peak)',
    text: 'percent of the time a GPU was running a kernel, averaged over the GPUs read: the mean and the highest of the samples, as for GPU memory.',
  },
} as const;

export type DefinitionKey = keyof typeof DEFINITIONS;
