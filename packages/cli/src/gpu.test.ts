import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { startMockHttpServer } from '@llmbench/backend-mock';
import type { RunResults } from '@llmbench/plugin-api';
import { runNode } from '@llmbench/test-support';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/llmbench.js');

/**
 * A fake nvidia-smi: each call prints one GPU with readings that change from call to call
 * (memory 20,000 + 100 n MiB of 81,920, utilization 37 n mod 101 %) and logs what it printed, so
 * the test knows every sample the collector took.
 */
async function fakeNvidiaSmi(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-gpu-smi-'));
  await writeFile(
    join(dir, 'nvidia-smi'),
    `#!/bin/sh
n=0
[ -f "${dir}/n" ] && read n < "${dir}/n"
n=$((n + 1))
echo "$n" > "${dir}/n"
used=$((20000 + 100 * n))
util=$(((37 * n) % 101))
echo "$used $util" >> "${dir}/printed"
printf '0, %d, 81920, %d\\n' "$used" "$util"
`,
  );
  await chmod(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

test('the vLLM batch-vs-semaphore scenario shows the GPU memory and utilization nvidia-smi printed', async () => {
  const server = await startMockHttpServer({ mock: { latency: { model: 'fixed', ms: 20 } } });
  try {
    const smi = await fakeNvidiaSmi();
    const dir = await mkdtemp(join(tmpdir(), 'llmbench-gpu-run-'));
    // The seed's scenario, smaller, against the mock vLLM, sampling the GPU every 50 ms.
    const original = await readFile(join(root, 'scenarios/vllm-batch-vs-semaphore.yaml'), 'utf8');
    const scenario = original
      .replace('  requests: 5000\n', '  requests: 300\n')
      .replace('  warmup: 100\n', '  warmup: 20\n')
      .replace('  options:\n    ignore_eos: true', `  options:\n    base_url: "${server.url}"\n    ignore_eos: true`)
      .replace('collectors: [gpu]\n', 'collectors: [{ use: gpu, interval_ms: 50 }]\n');
    expect(scenario).not.toBe(original);
    expect(scenario).toContain('interval_ms: 50');
    expect(scenario).toContain(server.url);
    await writeFile(join(dir, 'vllm-batch-vs-semaphore.yaml'), scenario);
    const ran = await runNode([bin, 'run', 'vllm-batch-vs-semaphore.yaml', '--out', 'out'], {
      cwd: dir,
      env: { ...process.env, PATH: `${smi}${delimiter}${process.env.PATH ?? ''}` },
    });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);

    const files = await readdir(join(dir, 'out'));
    const results = JSON.parse(await readFile(join(dir, 'out', files.find((f) => f.endsWith('.json'))!), 'utf8')) as RunResults;
    const markdown = await readFile(join(dir, 'out', files.find((f) => f.endsWith('.md'))!), 'utf8');
    // Every call of the fake, in order: the first experiment's samples, then the second's.
    const printed = (await readFile(join(smi, 'printed'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number) as [number, number]);
    const samples = results.experiments.map((e) => e.summary.collectors.gpu!.gpu_memory_used_mb!.samples);
    expect(samples.every((n) => n >= 3)).toBe(true);
    expect(samples[0]! + samples[1]!).toBe(printed.length);

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const cells: string[][] = [];
    let from = 0;
    for (const [i, e] of results.experiments.entries()) {
      const mine = printed.slice(from, from + samples[i]!);
      from += samples[i]!;
      const used = mine.map(([u]) => u);
      const util = mine.map(([, u]) => u);
      const g = e.summary.collectors.gpu!;
      expect(g.gpu_memory_used_mb!.avg).toBeCloseTo(mean(used), 6);
      expect(g.gpu_memory_used_mb!.max).toBe(Math.max(...used));
      expect(g.gpu_memory_total_mb!.max).toBe(81920);
      expect(g.gpu_utilization_pct!.avg).toBeCloseTo(mean(util), 6);
      expect(g.gpu_utilization_pct!.max).toBe(Math.max(...util));

      const block = ran.stdout.slice(ran.stdout.indexOf(`EXPERIMENT: ${e.name}`));
      const n = (x: number) => Math.round(x).toLocaleString('en-US');
      expect(block).toContain(`  GPU memory: avg ${n(mean(used))} / peak ${n(Math.max(...used))} of 81,920 MiB\n`);
      expect(block).toContain(`  GPU utilization: avg ${mean(util).toFixed(1)}% / peak ${Math.max(...util).toFixed(1)}%\n`);
      cells.push([
        `${n(mean(used))} / ${n(Math.max(...used))} of 81,920 MiB`,
        `${mean(util).toFixed(1)}% / ${Math.max(...util).toFixed(1)}%`,
      ]);
    }
    expect(markdown).toContain(`| **GPU memory (avg / peak)** | ${cells[0]![0]} | ${cells[1]![0]} | - |\n`);
    expect(markdown).toContain(`| **GPU utilization (avg / peak)** | ${cells[0]![1]} | ${cells[1]![1]} | - |\n`);
    // In the same summary table as throughput, latency and success rate.
    const answer = markdown.slice(markdown.indexOf('## Answer'), markdown.indexOf('\n\n## ', markdown.indexOf('## Answer')));
    expect(answer).toMatch(
      /\*\*Throughput\*\*[\s\S]*\*\*Success rate\*\*[\s\S]*\*\*GPU memory \(avg \/ peak\)\*\*[\s\S]*\*\*GPU utilization \(avg \/ peak\)\*\*/,
    );
  } finally {
    await server.close();
  }
}, 30_000);
