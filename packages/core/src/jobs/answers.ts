import { createReadStream, closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { OkOutcome } from '@llmbench/plugin-api';

export const INDEX_FILE = 'index.jsonl';

/** One line of `OUT/index.jsonl`: a saved answer. */
export interface IndexEntry {
  readonly document: string;
  readonly prompt: string;
  /** The answer file, relative to the out folder. */
  readonly file: string;
  readonly server: string;
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly latency_ms: number;
  readonly finished_at: string;
  /** The answer file's size, checked when the job resumes. */
  readonly bytes: number;
}

/** The key of a task in the done-set. */
export function taskKey(document: string, prompt: string): string {
  return `${document}\u0000${prompt}`;
}

export interface IndexState {
  /** Tasks whose answer is in the index and on disk, whole. */
  readonly done: Set<string>;
  /** Lines dropped: cut short, not JSON, repeated, or naming an answer file that is missing or of another size. */
  readonly dropped: number;
}

/**
 * Reads the index line by line (never whole) and keeps the tasks whose answer file is there with the
 * size the index says. When any line was dropped, the index is rewritten (to a temporary file, then
 * renamed over it) with only the good lines, so that afterwards the index and the files agree.
 */
export async function readIndex(out: string): Promise<IndexState> {
  const path = join(out, INDEX_FILE);
  const done = new Set<string>();
  let dropped = 0;
  let exists = true;
  try {
    statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    exists = false;
  }
  if (!exists) return { done, dropped };
  for await (const line of lines(path)) {
    const entry = parseEntry(line);
    if (entry && !done.has(taskKey(entry.document, entry.prompt)) && whole(join(out, entry.file), entry.bytes))
      done.add(taskKey(entry.document, entry.prompt));
    else dropped++;
  }
  if (dropped > 0) {
    // A second pass writes the good lines, each task once, to a temporary file renamed over the index.
    const tmp = `${path}.rewrite`;
    const fd = openSync(tmp, 'w');
    const written = new Set<string>();
    try {
      let chunk = '';
      for await (const line of lines(path)) {
        const entry = parseEntry(line);
        const key = entry && taskKey(entry.document, entry.prompt);
        if (!key || !done.has(key) || written.has(key) || !whole(join(out, entry.file), entry.bytes)) continue;
        written.add(key);
        chunk += `${line}\n`;
        if (chunk.length > 1 << 16) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    await rename(tmp, path);
  }
  return { done, dropped };
}

function lines(path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
}

/** A line the writer wrote whole: every field there (a line cut short by a kill is not JSON). */
function parseEntry(line: string): IndexEntry | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const e = value as Partial<IndexEntry>;
  return typeof e.document === 'string' &&
    typeof e.prompt === 'string' &&
    typeof e.file === 'string' &&
    typeof e.bytes === 'number'
    ? (e as IndexEntry)
    : undefined;
}

function whole(path: string, bytes: number): boolean {
  try {
    return statSync(path).size === bytes;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Starts an empty index when there is none (so a job that saves nothing still leaves one). */
export async function ensureIndex(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  await writeFile(join(out, INDEX_FILE), '', { flag: 'a' });
}

/**
 * Saves answers where the sending thread is, as they arrive: each answer goes to a temporary file in
 * its own folder, is fsynced and renamed into place, and only then is its index line appended (one
 * write per line, to a file opened for appending, so threads never interleave lines). A run stopped
 * at any instant leaves every answer either whole and indexed, whole and not yet indexed (done again
 * on resume, replacing it), or not there.
 */
export class AnswerWriter {
  private readonly fd: number;
  private lastDir = '';

  constructor(private readonly out: string) {
    this.fd = openSync(join(out, INDEX_FILE), 'a');
  }

  save(
    document: string,
    folder: string,
    prompt: string,
    server: string,
    latencyMs: number,
    outcome: OkOutcome,
    finishedAt: Date,
  ): void {
    const file = `${folder}/${prompt}.md`;
    const path = join(this.out, file);
    const dir = dirname(path);
    if (dir !== this.lastDir) {
      mkdirSync(dir, { recursive: true });
      this.lastDir = dir;
    }
    const text = Buffer.from(outcome.text ?? '', 'utf8');
    // One temporary name per task: a run killed mid-write leaves it, and the task's next attempt overwrites it.
    const tmp = join(dir, `.${prompt}.md.partial`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    const entry: IndexEntry = {
      document,
      prompt,
      file,
      server,
      input_tokens: outcome.usage?.inputTokens ?? null,
      output_tokens: outcome.usage?.outputTokens ?? null,
      latency_ms: Math.round(latencyMs * 1000) / 1000,
      finished_at: finishedAt.toISOString(),
      bytes: text.length,
    };
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
