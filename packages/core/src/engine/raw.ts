import { closeSync, openSync, writeSync } from 'node:fs';
import { hashString, type BenchRequest, type Outcome } from '@llmbench/plugin-api';

const FLUSH_BYTES = 64 * 1024;

/**
 * Appends one JSON line per request to a file, buffered in 64 KB chunks: memory stays flat however
 * many requests run. Several threads may append to the same file; each chunk holds whole lines and is
 * written with one append, so lines never interleave.
 */
export class RawWriter {
  private readonly fd: number;
  private chunk = '';
  private readonly prefix: string;
  private readonly serverIds: readonly string[];

  constructor(path: string, context: { experiment: string; run: number; thread: number; servers: readonly string[] }) {
    this.fd = openSync(path, 'a');
    this.prefix = `{"experiment":${JSON.stringify(context.experiment)},"run":${context.run},"thread":${context.thread},"index":`;
    this.serverIds = context.servers.map((s) => JSON.stringify(s));
  }

  /** Hash of each message array seen (prompts reuse theirs, so most are hashed once). */
  private readonly hashes = new WeakMap<readonly unknown[], string>();

  record(
    index: number,
    server: number,
    startMs: number,
    latencyMs: number,
    outcome: Outcome,
    ttftMs?: number,
    request?: BenchRequest,
    turn?: { readonly conversation: number; readonly turn: number },
  ): void {
    let line = `${this.prefix}${index},"server":${this.serverIds[server]},"start_ms":${startMs.toFixed(3)},"latency_ms":${latencyMs.toFixed(3)},"outcome":"${outcome.kind}"`;
    if (turn) line += `,"conversation":${turn.conversation},"turn":${turn.turn + 1}`;
    if (request) {
      let hash = this.hashes.get(request.messages);
      if (hash === undefined) {
        hash = hashString(JSON.stringify(request.messages)).toString(16).padStart(8, '0');
        this.hashes.set(request.messages, hash);
      }
      line += `,"prompt_hash":"${hash}"`;
      if (request.maxTokens !== undefined) line += `,"max_tokens":${request.maxTokens}`;
    }
    if (outcome.kind === 'ok' || outcome.kind === 'http_error') {
      if (outcome.status !== undefined) line += `,"status":${outcome.status}`;
    }
    if (outcome.kind === 'ok' && outcome.usage?.inputTokens !== undefined) line += `,"input_tokens":${outcome.usage.inputTokens}`;
    if (outcome.kind === 'ok' && outcome.usage?.outputTokens !== undefined)
      line += `,"output_tokens":${outcome.usage.outputTokens}`;
    if (ttftMs !== undefined) {
      line += `,"ttft_ms":${ttftMs.toFixed(3)}`;
      // As the tally computes it: (latency - TTFT) / (output tokens - 1).
      const out = outcome.kind === 'ok' ? outcome.usage?.outputTokens : undefined;
      if (out !== undefined && out > 1) line += `,"tpot_ms":${((latencyMs - ttftMs) / (out - 1)).toFixed(3)}`;
    }
    this.chunk += `${line}}\n`;
    if (this.chunk.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.chunk.length === 0) return;
    writeSync(this.fd, this.chunk);
    this.chunk = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
