// llmbench's hot path and bare undici in ONE process, in alternating rounds: the engine's partition
// loop (the one each worker thread runs) over backend-openai's real backend against bare
// Pool.dispatch, same server, same body, same concurrency. Alternating in one process cancels the
// machine's slow drift between separate runs, and no run starts (threads, modules) are counted, so
// the paired difference is llmbench's own CPU per request on the sending path and nothing else.
// Usage: node inprocess.mjs '{"url":..., "connections":64, "requests":30000, "rounds":6, "body":"...", "prompt":"...", "maxTokens":16}'
import backendOpenai from '@llmbench/backend-openai';
import { Balancer, BALANCER_CLOCKS, Control, DEFAULT_BALANCER, monotonicClock, runPartition } from '@llmbench/core';
import { bareJsonRequest, drive, setup } from './closed-loop.mjs';

const { cfg, pool, body } = setup();
// The floor's own request (as clients/undici.mjs), timing each into a ring as llmbench's tally does.
const bare = bareJsonRequest(pool, body, new Float64Array(65_536));

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
const bareRun = async (n) => {
  await drive(cfg, bare.one, n);
  if (bare.counts.failed) throw new Error(`bare undici: ${bare.counts.failed} requests failed`);
};
// Warm both paths up (JIT, connections), then alternate which goes first.
await bareRun(Math.min(5000, cfg.requests));
await llmbench(Math.min(5000, cfg.requests));
const rounds = [];
for (let r = 0; r < cfg.rounds; r++) {
  const round = {};
  for (const who of r % 2 ? ['bare', 'llmbench'] : ['llmbench', 'bare'])
    round[who] = await cpu(who === 'bare' ? bareRun : llmbench, cfg.requests);
  rounds.push(round);
}
await pool.close();
await backend.teardown?.();
process.stdout.write(`${JSON.stringify({ rounds })}\n`);
