// One llmbench run in its own process, so its CPU time and peak RSS are its own.
// Usage: node llmbench.mjs '{"url":..., "concurrency":64, "requests":100000, "threads":1, "warmup":1000, "stream":false}'
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, runScenario } from '@llmbench/core';
import { builtinPlugins } from 'llmbench';

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
import { Session } from 'node:inspector/promises';
const ses = new Session();
ses.connect();
await ses.post('Profiler.enable');
await ses.post('Profiler.start');
const cpu0 = process.cpuUsage();
const outcome = await runScenario(scenario, { version: 'bench', threads: cfg.threads, out: { write() {}, isTTY: false } });
const cpu = process.cpuUsage(cpu0);
const { profile } = await ses.post('Profiler.stop');
(await import('node:fs')).writeFileSync('/tmp/perf/main-run.cpuprofile', JSON.stringify(profile));
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
