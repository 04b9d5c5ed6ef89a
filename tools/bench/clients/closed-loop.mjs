// What the bare undici clients share: their config from argv, one Pool, the closed loop that keeps
// every connection busy until the request count is reached, and the percentiles of the summary.
// Each client stays a process of its own (bench.mjs runs and pins it), so the CPU time it reports
// is its own; the per-request work is all in the client's own `one()`.
import { createRequire } from 'node:module';

const { Pool } = createRequire(import.meta.resolve('@llmbench/backend-openai'))('undici');

/** The client's config (argv[2], JSON), its Pool and the request body as a Buffer. */
export function setup() {
  const cfg = JSON.parse(process.argv[2]);
  return { cfg, pool: new Pool(cfg.url, { connections: cfg.connections }), body: Buffer.from(cfg.body) };
}

/**
 * Runs `one()` back to back on each of `cfg.connections` lanes until `requests` (default
 * `cfg.requests`) have started. Returns the wall seconds and the CPU milliseconds of this process for
 * the loop. The caller closes the pool.
 */
export async function drive(cfg, one, requests = cfg.requests) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: cfg.connections }, async () => {
      while (next++ < requests) await one();
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * The floor's request for JSON answers: `pool.dispatch` with a minimal handler that collects the
 * body, JSON-parses it and times the request with performance.now(), nothing else. Latencies go
 * into `latencies` (a ring of its length); `counts.failed` counts non-200s and errors.
 */
export function bareJsonRequest(pool, body, latencies) {
  const headers = { 'content-type': 'application/json' };
  const counts = { failed: 0, recorded: 0 };
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
            latencies[counts.recorded++ % latencies.length] = performance.now() - start;
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (status !== 200) counts.failed++;
            resolve();
          },
          onResponseError() {
            counts.failed++;
            resolve();
          },
        },
      );
    });
  return { one, counts };
}

/** Nearest-rank percentiles of the first `recorded` samples: `rank(p)` for p in 0..100. */
export function ranks(samples, recorded) {
  const sorted = samples.subarray(0, recorded).sort();
  return (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The one JSON line bench.mjs reads. */
export function report(summary) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
