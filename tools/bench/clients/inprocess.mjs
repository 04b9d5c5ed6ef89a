// llmbench's hot path and bare undici in ONE process, in alternating rounds: the engine's partition
// loop (the one each worker thread runs) over backend-openai's real backend against bare
// Pool.dispatch, same server, same body, same concurrency. Alternating in one process cancels the
// machine's slow drift between separate runs, and no run starts (threads, modules) are counted, so
// the paired difference is llmbench's own CPU per request on the sending path and nothing else.
// Usage: node inprocess.mjs '{"url":..., "connections":64, "requests":30000, "rounds":6, "body":"...", "prompt":"...", "maxTokens":16}'
import { createRequire } from 'node:module';
import backendOpenai from '@llmbench/backend-openai';
import { Balancer, BALANCER_CLOCKS, Control, DEFAULT_BALANCER, monotonicClock, runPartition } from '@llmbench/core';

const cfg = JSON.parse(process.argv[2]);
const { Pool } = createRequire(import.meta.resolve('@llmbench/backend-openai'))('undici');
const pool = new Pool(cfg.url, { connections: cfg.connections });
const body = Buffer.from(cfg.body);
const headers = { 'content-type': 'application/json' };

/** bare undici: as clients/undici.mjs, without its latency array (the engine's tally is its own cost). */
async function bare(n) {
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const chunks = [];
      let status = 0;
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
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (status === 200) resolve();
            else reject(new Error(`status ${status}`));
          },
          onResponseError(_c, error) {
            reject(error);
          },
        },
      );
    });
  await Promise.all(
    Array.from({ length: cfg.connections }, async () => {
      while (next++ < n) await one();
    }),
  );
}

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const backend = await backendOpenai.create(
  {
    server: { id: 'mock', url: cfg.url, maxConcurrentRequests: cfg.connections },
    logger,
    clock: monotonicClock,
  },
  backendOpenai.options.parse({ base_url: cfg.url }),
);
const messages = [{ role: 'user', content: cfg.prompt }];
const request = (index) => ({ index, messages, maxTokens: cfg.maxTokens, stream: false, warmup: false });

/** llmbench: one thread's partition of a semaphore point, measured into a tally, as a worker runs it. */
async function llmbench(n) {
  const control = Control.create({ batches: 0, parties: 1 });
  await control.arrive(monotonicClock.now);
  const balancer = Balancer.create([cfg.connections], DEFAULT_BALANCER, control, BALANCER_CLOCKS);
  const { tally } = await runPartition({
    point: { concurrency: cfg.connections, barrier: false, requests: n },
    lanes: { start: 0, count: cfg.connections },
    servers: [{ backend }],
    balancer,
    request,
    clock: monotonicClock,
    control,
    timeoutMs: 60_000,
    cursor: 0,
    record: true,
  });
  control.stop();
  const ok = tally.servers[0].successes;
  if (ok !== n) throw new Error(`llmbench: ${ok} of ${n} requests succeeded`);
}

const cpu = async (fn, n) => {
  const c0 = process.cpuUsage();
  await fn(n);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
};
// Warm both paths up (JIT, connections), then alternate which goes first.
await bare(Math.min(5000, cfg.requests));
await llmbench(Math.min(5000, cfg.requests));
const rounds = [];
for (let r = 0; r < cfg.rounds; r++) {
  const round = {};
  for (const who of r % 2 ? ['bare', 'llmbench'] : ['llmbench', 'bare'])
    round[who] = await cpu(who === 'bare' ? bare : llmbench, cfg.requests);
  rounds.push(round);
}
await pool.close();
await backend.teardown?.();
process.stdout.write(`${JSON.stringify({ rounds })}\n`);
