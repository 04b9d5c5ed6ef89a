// The floor for any undici-based client: a bare Pool.dispatch loop with a minimal handler (collect
// the body, JSON.parse it) that times each request with performance.now() and nothing else. llmbench's own overhead is its distance
// from this. Usage: node undici.mjs '{"url":..., "connections":64, "requests":100000, "body":"..."}'
import { drive, ranks, report, setup } from './closed-loop.mjs';

const { cfg, pool, body } = setup();
const headers = { 'content-type': 'application/json' };
let failed = 0;
const latencies = new Float64Array(cfg.requests);
let recorded = 0;
const one = () =>
  new Promise((resolve) => {
    const chunks = [];
    let status = 0;
    const start = performance.now();
    pool.dispatch(
      { method: 'POST', path: '/v1/chat/completions', headers, body },
      {
        onRequestStart() {},
        onResponseStart(_c, code) {
          status = code;
        },
        onResponseData(_c, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          latencies[recorded++] = performance.now() - start;
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (status !== 200) failed++;
          resolve();
        },
        onResponseError() {
          failed++;
          resolve();
        },
      },
    );
  });
const { wall, cpuMs } = await drive(cfg, pool, one);
const rank = ranks(latencies, recorded);
report({
  requests: cfg.requests,
  errors: failed,
  rps: cfg.requests / wall,
  wall_s: wall,
  cpu_ms: cpuMs,
  p50_ms: rank(50),
  p99_ms: rank(99),
});
