// Peak RSS of a run through the in-process mock at `ms: 0`, whose requests all settle without a timer.
//   node tools/bench/mock-memory.mjs [--requests 1000000] [--ms 0] [--concurrency 16]
// Needs the packages built (`npx nx run-many -t build`). A per-request retention shows as RSS that
// grows with --requests; without one, 1M requests stay near the figure for 100k.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, runScenario } from '../../packages/core/dist/index.js';
import { builtinPlugins } from '../../packages/cli/dist/builtins.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const requests = flag('requests', 1_000_000);
const ms = flag('ms', 0);
const concurrency = flag('concurrency', 16);

const dir = await mkdtemp(join(tmpdir(), 'llmbench-mock-memory-'));
try {
  const file = join(dir, 'memory.yaml');
  await writeFile(
    file,
    `backend: { use: mock, options: { latency: { model: fixed, ms: ${ms} } } }
workload: { requests: ${requests} }
experiments: [{ name: memory, strategy: { use: semaphore, options: { concurrency: ${concurrency} } } }]
reporters: []
`,
  );
  const scenario = await loadScenario(file, { builtins: builtinPlugins(), env: {} });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const started = performance.now();
  const { results, errors } = await runScenario(scenario, { version: 'bench', threads: 1, out: { write() {}, isTTY: false } });
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  // maxRSS (KiB) covers moments the sampler missed, e.g. a run with no timer turn at all.
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const s = results.experiments[0].summary;
  console.log(`requests ${requests}  ms ${ms}  concurrency ${concurrency}  successes ${s.successes}  errors ${errors.length}`);
  console.log(`  ${seconds.toFixed(1)} s, peak RSS ${mb(peak)} MB, heap used after ${mb(process.memoryUsage().heapUsed)} MB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
