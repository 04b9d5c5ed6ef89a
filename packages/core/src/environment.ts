import { cpus, hostname, release, totalmem } from 'node:os';
import type { RunResults } from '@llmbench/plugin-api';

/** Where a run happened, for the results file and reports. */
export function describeEnvironment(): RunResults['environment'] {
  const cpu = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    os_release: release(),
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cpus: cpu.length,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    hostname: hostname(),
  };
}
