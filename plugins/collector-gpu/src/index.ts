import { execFile } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { defineCollector } from '@llmbench/plugin-api';
import { NVIDIA_SMI_ARGS, parseDcgm, parseNvidiaSmi, toReadings, type GpuReading } from './parse.js';

export { DCGM_METRICS, GPU_METRICS, NVIDIA_SMI_ARGS, parseDcgm, parseNvidiaSmi, toReadings, type GpuReading } from './parse.js';
export { gpuSummary, type GpuSummary } from './summary.js';

export const GpuOptions = z
  .strictObject({
    source: z
      .enum(['nvidia-smi', 'dcgm'])
      .default('nvidia-smi')
      .describe(
        "nvidia-smi: run nvidia-smi on this machine (the client's GPUs). dcgm: read a DCGM exporter's /metrics (e.g. the server machine's GPUs).",
      ),
    nvidia_smi_path: z
      .string()
      .min(1)
      .default('nvidia-smi')
      .describe('The nvidia-smi binary: a name looked up on PATH, or a path (relative to the scenario file).'),
    url: z.url().optional().describe("source dcgm: the exporter's metrics endpoint, e.g. http://gpu-box:9400/metrics."),
    gpus: z
      .array(z.number().int().nonnegative())
      .min(1)
      .optional()
      .describe("GPU indices to read (nvidia-smi's index, DCGM's gpu label); default all."),
    timeout_ms: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('Longest wait for one reading (nvidia-smi is killed after it); a reading that takes longer is skipped.'),
  })
  .superRefine((o, ctx) => {
    if (o.source === 'dcgm' && o.url === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: "source dcgm needs url: the DCGM exporter's metrics endpoint, e.g. http://gpu-box:9400/metrics",
      });
    }
  });
export type GpuOptions = z.output<typeof GpuOptions>;

/** A reading, or why there is none; `lasting` when asking again during the run would not help. */
type Read = { ok: true; gpus: GpuReading[] } | { ok: false; reason: string; lasting: boolean };

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

function readNvidiaSmi(bin: string, timeoutMs: number): Promise<Read> {
  return new Promise((done) => {
    execFile(
      bin,
      NVIDIA_SMI_ARGS,
      { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (/No devices were found/i.test(`${stdout}\n${stderr}`)) {
          done({ ok: false, reason: `${bin} found no GPU ("No devices were found")`, lasting: true });
          return;
        }
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT')
            done({ ok: false, reason: `${bin} not found (no NVIDIA driver here? else set nvidia_smi_path)`, lasting: true });
          else if (error.killed)
            done({ ok: false, reason: `${bin} gave no answer within ${timeoutMs} ms (timeout_ms)`, lasting: false });
          else if (typeof code === 'string') done({ ok: false, reason: `${bin} could not be started (${code})`, lasting: true });
          else
            done({
              ok: false,
              reason: `${bin} exited with code ${String(code)}${firstLine(`${stderr}\n${stdout}`) ? `: ${firstLine(`${stderr}\n${stdout}`)}` : ''}`,
              lasting: true,
            });
          return;
        }
        const gpus = parseNvidiaSmi(stdout);
        done(gpus.length > 0 ? { ok: true, gpus } : { ok: false, reason: `${bin} listed no GPU`, lasting: true });
      },
    );
  });
}

async function readDcgm(url: string, timeoutMs: number): Promise<Read> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return { ok: false, reason: `the DCGM exporter at ${url} answered HTTP ${res.status}`, lasting: false };
    }
    const gpus = parseDcgm(await res.text());
    return gpus.length > 0
      ? { ok: true, gpus }
      : {
          ok: false,
          reason: `the DCGM exporter at ${url} has no DCGM_FI_DEV_FB_USED, _FB_FREE or _GPU_UTIL series with a gpu label`,
          lasting: false,
        };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms (timeout_ms)` : (e.cause?.code ?? e.message);
    return { ok: false, reason: `the DCGM exporter at ${url} did not answer: ${why}`, lasting: false };
  }
}

/**
 * GPU memory and utilization, sampled during each measured run. A missing GPU, nvidia-smi or
 * exporter is said once as a warning and the run goes on without GPU readings: sample() never throws.
 */
export default defineCollector({
  name: 'gpu',
  description: "GPU memory used/total and utilization from nvidia-smi (this machine) or a DCGM exporter (the server's).",
  options: GpuOptions,
  create(ctx, options) {
    const bin =
      options.nvidia_smi_path.includes('/') && !isAbsolute(options.nvidia_smi_path)
        ? resolve(ctx.scenarioDir, options.nvidia_smi_path)
        : options.nvidia_smi_path;
    const read =
      options.source === 'dcgm' ? () => readDcgm(options.url!, options.timeout_ms) : () => readNvidiaSmi(bin, options.timeout_ms);
    const selected = options.gpus;
    let warned = false;
    // Once: a GPU that is not there is one fact, not one per sample.
    const warnOnce = (message: string): void => {
      if (warned) return;
      warned = true;
      ctx.logger.warn(`gpu: ${message}`);
    };
    const without = '; the run goes on without GPU readings';
    let off = false;
    let busy = false;
    return {
      async sample() {
        // A slow reading is not queued behind: that tick gives nothing.
        if (off || busy) return {};
        busy = true;
        try {
          const r = await read();
          if (!r.ok) {
            warnOnce(r.reason + without);
            off = r.lasting;
            return {};
          }
          if (!selected) return toReadings(r.gpus);
          const chosen = r.gpus.filter((g) => selected.includes(g.index));
          if (chosen.length < selected.length) {
            const missing = selected.filter((i) => !chosen.some((g) => g.index === i));
            warnOnce(
              `GPU ${missing.join(', ')} not found (${options.source} lists ${r.gpus.map((g) => g.index).join(', ')})${chosen.length ? `; reading GPU ${chosen.map((g) => g.index).join(', ')} only` : without}`,
            );
          }
          return toReadings(chosen);
        } catch (error) {
          warnOnce(`reading failed: ${(error as Error).message}${without}`);
          return {};
        } finally {
          busy = false;
        }
      },
    };
  },
});
