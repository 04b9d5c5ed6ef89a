// One llmbench run in its own process, so its CPU time and peak RSS are its own.
// Usage: node llmbench.mjs '{"url":..., "concurrency":64, "requests":100000, "threads":1, "warmup":1000, "stream":false}'
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, runScenario } from '@llmbench/core';
import { builtinPlugins } from 'llmbench';

import v8 from 'node:v8';
v8.setFlagsFromString('--trace-gc');
const cfg = JSON.parse(process.argv[2]);
const dir = await mkdtemp(join(tmpdir(), 'llmbench-bench-'));
const file = join(dir, 'bench.yaml');
await writeFile(
  file,
  `servers: [{ id: mock, url: "${cfg.url}", backend: openai }]
workload: { requests: ${cfg.requests}, warmup: ${cfg.warmup ?? 0}, prompts: ["${cfg.prompt}"], max_tokens: ${cfg.maxTokens}, stream: ${cfg.stream === true} }
experiments: [{ name: bench, strategy: { use: semaphore, options: { concurrency: ${cfg.concurrency} } } }]
reporters: []
`,
);
const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
const cpu0 = process.cpuUsage();
const outcome = await runScenario(scenario, { version: 'bench', threads: cfg.threads, out: { write() {}, isTTY: false } });
const cpu = process.cpuUsage(cpu0);
if (outcome.errors.length) throw outcome.errors[0];
const s = outcome.results.experiments[0].summary;
const measuredCpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(
  `${JSON.stringify({
    requests: s.requests + (cfg.warmup ?? 0),
    measured: s.requests,
    successes: s.successes,
    rps: s.requests_per_second,
    wall_s: s.wall_time_s,
    cpu_ms: measuredCpuMs,
    p50_ms: s.latency_ms?.p50,
    p99_ms: s.latency_ms?.p99,
    tokens: s.tokens.output,
    ttft_p50_ms: s.ttft_ms?.p50,
    ttft_p99_ms: s.ttft_ms?.p99,
    itl_mean_ms: s.itl_ms?.avg,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
