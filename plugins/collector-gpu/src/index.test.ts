import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { Collector, CollectorContext } from '@llmbench/plugin-api';
import gpu, { GpuOptions } from './index.js';

const warnings: string[] = [];
const ctx = (scenarioDir = tmpdir()): CollectorContext => ({
  logger: { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) },
  clock: { now: () => 0 },
  scenarioDir,
  seed: 1,
});

const originalPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = originalPath;
  warnings.length = 0;
});

/** A directory holding an executable `nvidia-smi` shell script with this body; returns the directory. */
async function fakeNvidiaSmi(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbench-fake-smi-'));
  const file = join(dir, 'nvidia-smi');
  await writeFile(file, `#!/bin/sh\necho run >> "${join(dir, 'calls')}"\n${body}\n`);
  await chmod(file, 0o755);
  return dir;
}
const calls = async (dir: string) =>
  (await readFile(join(dir, 'calls'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

async function collector(options: Record<string, unknown> = {}, scenarioDir?: string): Promise<Collector> {
  return gpu.create(ctx(scenarioDir), GpuOptions.parse(options));
}

test('reads the nvidia-smi found on PATH, with the query the parser expects', async () => {
  const dir =
    await fakeNvidiaSmi(`[ "$1" = "--query-gpu=index,memory.used,memory.total,utilization.gpu" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 2
printf '0, 30512, 81920, 90\\n1, 1920, 81920, 10\\n'`);
  process.env.PATH = `${dir}${delimiter}${originalPath}`;
  const c = await collector();
  expect(await c.sample()).toEqual({
    gpu_memory_used_mb: 32432,
    gpu_memory_total_mb: 163840,
    gpu_utilization_pct: 50,
    gpu0_memory_used_mb: 30512,
    gpu0_memory_total_mb: 81920,
    gpu0_utilization_pct: 90,
    gpu1_memory_used_mb: 1920,
    gpu1_memory_total_mb: 81920,
    gpu1_utilization_pct: 10,
  });
  expect(warnings).toEqual([]);
});

test('gpus selects by index: one selected GPU gives only its totals', async () => {
  const dir = await fakeNvidiaSmi(`printf '0, 30512, 81920, 90\\n1, 1920, 81920, 10\\n'`);
  process.env.PATH = `${dir}${delimiter}${originalPath}`;
  const c = await collector({ gpus: [1] });
  expect(await c.sample()).toEqual({ gpu_memory_used_mb: 1920, gpu_memory_total_mb: 81920, gpu_utilization_pct: 10 });
});

test('a selected GPU that is not there is said once; the others are still read', async () => {
  const dir = await fakeNvidiaSmi(`printf '0, 100, 1000, 5\\n'`);
  const c = await collector({ gpus: [0, 7], nvidia_smi_path: './nvidia-smi' }, dir);
  expect(await c.sample()).toEqual({ gpu_memory_used_mb: 100, gpu_memory_total_mb: 1000, gpu_utilization_pct: 5 });
  expect(await c.sample()).toEqual({ gpu_memory_used_mb: 100, gpu_memory_total_mb: 1000, gpu_utilization_pct: 5 });
  expect(warnings).toEqual(['gpu: GPU 7 not found (nvidia-smi lists 0); reading GPU 0 only']);
});

test('no nvidia-smi on PATH: one warning, no readings, no throw', async () => {
  process.env.PATH = await mkdtemp(join(tmpdir(), 'llmbench-empty-path-'));
  const c = await collector();
  expect([await c.sample(), await c.sample(), await c.sample()]).toEqual([{}, {}, {}]);
  expect(warnings).toEqual([
    'gpu: nvidia-smi not found (no NVIDIA driver here? else set nvidia_smi_path); the run goes on without GPU readings',
  ]);
});

test('"No devices were found" (exit 6): one warning, and nvidia-smi is not asked again', async () => {
  const dir = await fakeNvidiaSmi(`echo "No devices were found"\nexit 6`);
  const c = await collector({ nvidia_smi_path: join(dir, 'nvidia-smi') });
  expect([await c.sample(), await c.sample()]).toEqual([{}, {}]);
  expect(warnings).toEqual([
    `gpu: ${join(dir, 'nvidia-smi')} found no GPU ("No devices were found"); the run goes on without GPU readings`,
  ]);
  expect(await calls(dir)).toBe(1);
});

test('a failing nvidia-smi is named with its exit code and first line of output', async () => {
  const dir = await fakeNvidiaSmi(
    `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." >&2\nexit 9`,
  );
  process.env.PATH = `${dir}${delimiter}${originalPath}`;
  const c = await collector();
  expect(await c.sample()).toEqual({});
  expect(warnings).toEqual([
    "gpu: nvidia-smi exited with code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.; the run goes on without GPU readings",
  ]);
});

test('a hung nvidia-smi is killed after timeout_ms and the sample gives nothing', async () => {
  // exec: the shell becomes sleep, so the kill reaches the process holding the output open.
  const dir = await fakeNvidiaSmi('exec sleep 30');
  process.env.PATH = `${dir}${delimiter}${originalPath}`;
  const c = await collector({ timeout_ms: 100 });
  expect(await c.sample()).toEqual({});
  expect(warnings).toEqual(['gpu: nvidia-smi gave no answer within 100 ms (timeout_ms); the run goes on without GPU readings']);
});

test('"[N/A]" fields leave out the totals that need them', async () => {
  const dir = await fakeNvidiaSmi(`printf '0, 500, 24576, [N/A]\\n'`);
  process.env.PATH = `${dir}${delimiter}${originalPath}`;
  expect(await (await collector()).sample()).toEqual({ gpu_memory_used_mb: 500, gpu_memory_total_mb: 24576 });
});

// ------------------------------------------------------------------ DCGM exporter

const DCGM = `# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-box"} 70000
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-box"} 11559
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-box"} 83
`;

async function exporter(
  handle: (answer: (status: number, body: string) => void) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    handle((status, body) => res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`, server };
}

test('source dcgm reads the exporter: used, used + free as total, utilization', async () => {
  const { url, server } = await exporter((answer) => answer(200, DCGM));
  try {
    const c = await collector({ source: 'dcgm', url });
    expect(await c.sample()).toEqual({ gpu_memory_used_mb: 70000, gpu_memory_total_mb: 81559, gpu_utilization_pct: 83 });
    expect(warnings).toEqual([]);
  } finally {
    server.close();
  }
});

test('an exporter that fails is said once, and its readings count again once it answers', async () => {
  let status = 503;
  const { url, server } = await exporter((answer) => answer(status, status === 200 ? DCGM : 'not ready'));
  try {
    const c = await collector({ source: 'dcgm', url });
    expect([await c.sample(), await c.sample()]).toEqual([{}, {}]);
    status = 200;
    expect(await c.sample()).toMatchObject({ gpu_memory_used_mb: 70000 });
    expect(warnings).toEqual([`gpu: the DCGM exporter at ${url} answered HTTP 503; the run goes on without GPU readings`]);
  } finally {
    server.close();
  }
});

test('an exporter that is not there: one warning naming the connection error', async () => {
  const { url, server } = await exporter((answer) => answer(200, DCGM));
  await new Promise((r) => server.close(r));
  const c = await collector({ source: 'dcgm', url });
  expect([await c.sample(), await c.sample()]).toEqual([{}, {}]);
  expect(warnings).toEqual([
    `gpu: the DCGM exporter at ${url} did not answer: ECONNREFUSED; the run goes on without GPU readings`,
  ]);
});

test('an exporter that never answers is given up on after timeout_ms', async () => {
  const { url, server } = await exporter(() => {});
  try {
    const c = await collector({ source: 'dcgm', url, timeout_ms: 100 });
    expect(await c.sample()).toEqual({});
    expect(warnings).toEqual([
      `gpu: the DCGM exporter at ${url} did not answer: no answer within 100 ms (timeout_ms); the run goes on without GPU readings`,
    ]);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('source dcgm without url is an options error at url', () => {
  const r = GpuOptions.safeParse({ source: 'dcgm' });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
    ['url', "source dcgm needs url: the DCGM exporter's metrics endpoint, e.g. http://gpu-box:9400/metrics"],
  ]);
  expect(GpuOptions.parse({})).toEqual({ source: 'nvidia-smi', nvidia_smi_path: 'nvidia-smi', timeout_ms: 2000 });
});
