import { expect, test } from 'vitest';
import { parseDcgm, parseNvidiaSmi, toReadings } from './parse.js';

test('nvidia-smi CSV of one GPU gives its memory (MiB) and utilization (%)', () => {
  expect(parseNvidiaSmi('0, 30512, 81920, 87\n')).toEqual([
    { index: 0, memoryUsedMb: 30512, memoryTotalMb: 81920, utilizationPct: 87 },
  ]);
});

test('nvidia-smi "[N/A]" and "[Not Supported]" fields are left out, the others kept', () => {
  expect(parseNvidiaSmi('0, 1024, 24576, [N/A]\n1, [Not Supported], 24576, 12\n')).toEqual([
    { index: 0, memoryUsedMb: 1024, memoryTotalMb: 24576 },
    { index: 1, memoryTotalMb: 24576, utilizationPct: 12 },
  ]);
});

test('nvidia-smi lines that are not GPU rows (messages, blank lines, CRLF) are skipped', () => {
  expect(parseNvidiaSmi('No devices were found\n')).toEqual([]);
  expect(parseNvidiaSmi('0, 10, 20, 30\r\n\r\n')).toEqual([
    { index: 0, memoryUsedMb: 10, memoryTotalMb: 20, utilizationPct: 30 },
  ]);
});

test("several GPUs: memory summed, utilization averaged, and each GPU's own readings", () => {
  expect(toReadings(parseNvidiaSmi('0, 30000, 81920, 90\n1, 20000, 81920, 40\n'))).toEqual({
    gpu_memory_used_mb: 50000,
    gpu_memory_total_mb: 163840,
    gpu_utilization_pct: 65,
    gpu0_memory_used_mb: 30000,
    gpu0_memory_total_mb: 81920,
    gpu0_utilization_pct: 90,
    gpu1_memory_used_mb: 20000,
    gpu1_memory_total_mb: 81920,
    gpu1_utilization_pct: 40,
  });
});

test('one GPU gives only the totals, with no per-GPU copies', () => {
  expect(toReadings([{ index: 3, memoryUsedMb: 5, memoryTotalMb: 10, utilizationPct: 50 }])).toEqual({
    gpu_memory_used_mb: 5,
    gpu_memory_total_mb: 10,
    gpu_utilization_pct: 50,
  });
});

test('a total is given only when every GPU reported the field', () => {
  const r = toReadings(parseNvidiaSmi('0, 1000, 8000, [N/A]\n1, 2000, 8000, 30\n'));
  expect(r).toEqual({
    gpu_memory_used_mb: 3000,
    gpu_memory_total_mb: 16000,
    gpu0_memory_used_mb: 1000,
    gpu0_memory_total_mb: 8000,
    gpu1_memory_used_mb: 2000,
    gpu1_memory_total_mb: 8000,
    gpu1_utilization_pct: 30,
  });
  expect(toReadings([])).toEqual({});
});

const DCGM = `# HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).
# TYPE DCGM_FI_DEV_FB_FREE gauge
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-box"} 51408
DCGM_FI_DEV_FB_FREE{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-box"} 80000
# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-box"} 30512
DCGM_FI_DEV_FB_USED{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-box"} 1920
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-box"} 97
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-box"} 0
DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a"} 61
DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a"} 312.5
`;

test('DCGM text gives per-GPU used, total = used + free, and utilization; other series ignored', () => {
  expect(parseDcgm(DCGM)).toEqual([
    { index: 0, memoryUsedMb: 30512, memoryTotalMb: 81920, utilizationPct: 97 },
    { index: 1, memoryUsedMb: 1920, memoryTotalMb: 81920, utilizationPct: 0 },
  ]);
});

test('DCGM: no total without FB_FREE, and series without a gpu label are skipped', () => {
  expect(
    parseDcgm(
      'DCGM_FI_DEV_FB_USED{gpu="2"} 100 1700000000000\nDCGM_FI_DEV_GPU_UTIL{UUID="x"} 50\nDCGM_FI_DEV_GPU_UTIL{UUID="x",gpu="2"} 5\n',
    ),
  ).toEqual([{ index: 2, memoryUsedMb: 100, utilizationPct: 5 }]);
  expect(parseDcgm('vllm:num_requests_running{model_name="m"} 3\n')).toEqual([]);
});
