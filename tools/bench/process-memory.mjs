// Peak RSS of a directory job of many tasks (the second seed's production case: 170,000) on the
// in-process mock at `ms: 0`, plus the time to plan its resume (reading the index back).
//   node tools/bench/process-memory.mjs [--documents 34000] [--prompts 5] [--concurrency 16] [--dir /dev/shm]
// Every answer is fsynced, so on a disk the run is as fast as the disk's fsyncs (about 170/s on this
// machine's virtual disk); on tmpfs (--dir /dev/shm) it measures llmbench itself.
// Needs the packages built (`npx nx run-many -t build`). Writes documents and answers under a temp
// folder (removed at the end). Memory must not grow with the tasks: compare --documents 3400 and 34000.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadScenario,
  planDirectoryJob,
  processScenario,
  runScenario,
  withDirectoryJob,
} from '../../packages/core/dist/index.js';
import { builtinPlugins } from '../../packages/cli/dist/builtins.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const documents = flag('documents', 34_000);
const promptCount = flag('prompts', 5);
const concurrency = flag('concurrency', 16);
const base = args.includes('--dir') ? args[args.indexOf('--dir') + 1] : tmpdir();

const dir = await mkdtemp(join(base, 'llmbench-process-memory-'));
const mb = (b) => (b / 2 ** 20).toFixed(0);
try {
  const input = join(dir, 'docs');
  await mkdir(input);
  const text = 'A short paper about serving language models. '.repeat(20);
  for (let i = 0; i < documents; i++) await writeFile(join(input, `doc-${String(i).padStart(6, '0')}.txt`), text);
  await writeFile(
    join(dir, 'workers.json'),
    JSON.stringify({
      workers: [{ id: 'mock-1', host: '127.0.0.1', port: 1, type: 'mock', max_concurrent_requests: concurrency }],
    }),
  );
  const prompts = Array.from({ length: promptCount }, (_, i) => ({
    id: `p${i + 1}`,
    prompt: `Question ${i + 1} about this document.`,
  }));
  const options = { config: 'workers.json', input, out: join(dir, 'answers'), preset: 'bench', cwd: dir };

  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const started = performance.now();
  const plan = await planDirectoryJob({ input, out: options.out, preset: 'bench', prompts });
  const generated = processScenario(options, plan.job.pending.length, concurrency);
  const text0 = generated.text.replace(
    '"workers_file"',
    '"backend": { "use": "mock", "options": { "latency": { "model": "fixed", "ms": 0 } } }, "workers_file"',
  );
  const loaded = await loadScenario(generated.file, {
    builtins: builtinPlugins(),
    env: {},
    text: text0.replace('"reporters": [\n    "console"\n  ]', '"reporters": []'),
  });
  const { results, errors } = await runScenario(withDirectoryJob(loaded, plan.job), {
    version: 'bench',
    threads: 1,
    out: { write() {}, isTTY: false },
  });
  const seconds = (performance.now() - started) / 1000;
  const resumeStart = performance.now();
  const again = await planDirectoryJob({ input, out: options.out, preset: 'bench', prompts });
  const resumeSeconds = (performance.now() - resumeStart) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const s = results.experiments[0]?.summary;
  console.log(
    JSON.stringify({
      tasks: plan.tasks,
      saved: s?.successes ?? 0,
      errors: errors.map((e) => e.message),
      seconds: Number(seconds.toFixed(1)),
      tasks_per_min: s ? Math.round(s.requests_per_second * 60) : 0,
      resume_plan_seconds: Number(resumeSeconds.toFixed(1)),
      resume_done: again.done,
      peak_rss_mb: Number(mb(peak)),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
