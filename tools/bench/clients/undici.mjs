// The floor for any undici-based client: a bare Pool.dispatch loop with a minimal handler (collect
// the body, JSON.parse it) that times each request with performance.now() and nothing else
// (`bareJsonRequest`). llmbench's own overhead is its distance from this.
// Usage: node undici.mjs '{"url":..., "connections":64, "requests":100000, "body":"..."}'
import { bareJsonRequest, drive, ranks, report, setup } from './closed-loop.mjs';

const { cfg, pool, body } = setup();
const latencies = new Float64Array(cfg.requests);
const { one, counts } = bareJsonRequest(pool, body, latencies);
const { wall, cpuMs } = await drive(cfg, one);
await pool.close();
const rank = ranks(latencies, counts.recorded);
report({
  requests: cfg.requests,
  errors: counts.failed,
  rps: cfg.requests / wall,
  wall_s: wall,
  cpu_ms: cpuMs,
  p50_ms: rank(50),
  p99_ms: rank(99),
});
