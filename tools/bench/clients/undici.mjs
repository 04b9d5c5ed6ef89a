// The floor for any undici-based client: a bare Pool.dispatch loop with a minimal handler (collect
// the body, JSON.parse it) that times each request with performance.now() and nothing else. llmbench's own overhead is its distance
// from this. Usage: node undici.mjs '{"url":..., "connections":64, "requests":100000, "body":"..."}'
import { createRequire } from 'node:module';

const { Pool } = createRequire(import.meta.resolve('@llmbench/backend-openai'))('undici');
const cfg = JSON.parse(process.argv[2]);
const pool = new Pool(cfg.url, { connections: cfg.connections });
const body = Buffer.from(cfg.body);
const headers = { 'content-type': 'application/json' };
let next = 0;
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
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: cfg.connections }, async () => {
    while (next++ < cfg.requests) await one();
  }),
);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await pool.close();
const sorted = latencies.subarray(0, recorded).sort();
const rank = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
process.stdout.write(
  `${JSON.stringify({ requests: cfg.requests, errors: failed, rps: cfg.requests / wall, wall_s: wall, cpu_ms: (cpu.user + cpu.system) / 1000, p50_ms: rank(50), p99_ms: rank(99) })}\n`,
);
