// One autocannon run in its own process, for a same-run comparison with llmbench.
// Usage: node autocannon.mjs '{"url":..., "connections":64, "duration":5, "body":"..."}'
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const cpu0 = process.cpuUsage();
const result = await autocannon({
  url: `${cfg.url}/v1/chat/completions`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: cfg.body,
  connections: cfg.connections,
  duration: cfg.duration,
});
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    rps: result.requests.total / result.duration,
    wall_s: result.duration,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
  })}\n`,
);
