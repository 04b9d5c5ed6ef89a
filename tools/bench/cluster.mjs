// The cluster speedup, one mock LM Studio against three (caps 5, fixed response time, 20 in flight):
// the figure packages/cli/src/cluster.test.ts no longer asserts, because it is a ratio of two
// separately timed runs and so moves with the machine's load. Pairs alternate their order; medians.
//   node tools/bench/cluster.mjs [--repeats 5] [--requests 300] [--ms 40]
// Needs the packages built (`npx nx run-many -t build`). See docs/performance.md.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockHttpServer } from '../../plugins/backend-mock/dist/index.js';
import { loadScenario, runScenario } from '../../packages/core/dist/index.js';
import { builtinPlugins } from '../../packages/cli/dist/builtins.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REPEATS = flag('repeats', 5);
const REQUESTS = flag('requests', 300);
const MS = flag('ms', 40);
const CAP = 5;
const CONCURRENCY = 20;
const MODEL = 'mistral-7b-instruct-v0.2';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const studios = await Promise.all(
  [1, 2, 3].map((seed) => startMockHttpServer({ mock: { latency: { model: 'fixed', ms: MS }, seed }, models: [MODEL] })),
);
const dir = await mkdtemp(join(tmpdir(), 'llmbench-bench-cluster-'));

/** One load point on the first `servers` studios, `requests` × servers requests: its summary. */
async function point(servers) {
  const file = join(dir, `cluster-${servers}.yaml`);
  await writeFile(
    file,
    `workers_file: workers.json
workload: { requests: ${REQUESTS * servers} }
experiments:
  - name: point
    servers: [${studios
      .slice(0, servers)
      .map((_, i) => `mac-studio-${i + 1}`)
      .join(', ')}]
    strategy: { use: semaphore, options: { concurrency: ${CONCURRENCY} } }
reporters: []
`,
  );
  const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
  const { results, errors } = await runScenario(scenario, { version: 'bench', threads: 1, out: { write() {}, isTTY: false } });
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  return results.experiments[0].summary;
}

try {
  await writeFile(
    join(dir, 'workers.json'),
    JSON.stringify({
      workers: studios.map((s, i) => ({
        id: `mac-studio-${i + 1}`,
        host: '127.0.0.1',
        port: s.port,
        type: 'lm_studio',
        model: MODEL,
        max_concurrent_requests: CAP,
      })),
    }),
  );
  console.log(
    `one studio vs three: caps ${CAP}, fixed ${MS} ms, ${CONCURRENCY} in flight, ${REQUESTS} requests per studio, ${REPEATS} repeats`,
  );
  console.log(`load average at the start: ${loadavg()}`);
  // In flight by Little's law (throughput x mean latency), from the same run: the speedup's cause.
  const inFlight = (s) => (s.requests_per_second * s.latency_ms.avg) / 1000;
  const speedups = [];
  for (let r = 0; r < REPEATS; r++) {
    const order = r % 2 === 0 ? [1, 3] : [3, 1];
    const got = {};
    for (const servers of order) got[servers] = await point(servers);
    const speedup = got[3].requests_per_second / got[1].requests_per_second;
    speedups.push(speedup);
    console.log(
      `  repeat ${r + 1}: one ${got[1].requests_per_second.toFixed(1)} req/s (${inFlight(got[1]).toFixed(2)} in flight), ` +
        `three ${got[3].requests_per_second.toFixed(1)} req/s (${inFlight(got[3]).toFixed(2)} in flight), speedup ${speedup.toFixed(2)}x`,
    );
  }
  const m = median(speedups);
  console.log(`median speedup ${m.toFixed(2)}x (target >= 2.7: ${m >= 2.7 ? 'met' : 'not met'})`);
  console.log(`load average at the end: ${loadavg()}`);
} finally {
  await Promise.all(studios.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
}
