import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchRequest, ChatMessage } from '@llmbench/plugin-api';
import type { ResolvedWorkload } from '../scenario/load.js';
import { ensureIndex, readIndex, taskKey } from './answers.js';
import { documentTextPath, extractPdfs, listDocuments } from './documents.js';
import type { PresetPrompt } from './presets.js';

/**
 * A directory job as the engine runs it: plain data, so it crosses into worker threads. Its tasks are
 * (document x prompt), numbered `document * prompts + prompt`; the engine's request `i` is the task
 * `pending[i]`, so memory is a few bytes per task and the documents' names, never their text or answers.
 */
export interface DirectoryJob {
  readonly input: string;
  readonly out: string;
  readonly preset: string;
  readonly documents: readonly string[];
  readonly folders: readonly string[];
  readonly prompts: readonly PresetPrompt[];
  /** Task numbers not done yet, in order (on a SharedArrayBuffer, so threads share one copy). */
  readonly pending: Uint32Array;
}

/** A directory job as a scenario names it (paths absolute; out may hold "{experiment}" and "{timestamp}"). */
export interface DirectorySpec {
  readonly input: string;
  readonly out: string;
  readonly preset: string;
  readonly prompts: readonly PresetPrompt[];
}

export interface DirectoryPlan {
  readonly job: DirectoryJob;
  /** documents x prompts. */
  readonly tasks: number;
  /** Tasks whose answer is already saved (skipped). */
  readonly done: number;
  /** Index lines dropped because their answer was missing, cut short or repeated (those tasks are done again). */
  readonly repaired: number;
  /** PDFs skipped because no text could be extracted from them (scans, damaged files). */
  readonly pdfs: number;
  readonly unreadablePdfs: readonly string[];
  readonly others: number;
}

/**
 * Lists the documents, reads what an earlier run saved (the index, checked against the files) and
 * returns the tasks still to do. Creates the out folder and its index.
 */
export async function planDirectoryJob(o: {
  input: string;
  out: string;
  preset: string;
  prompts: readonly PresetPrompt[];
}): Promise<DirectoryPlan> {
  const input = resolve(o.input);
  const out = resolve(o.out);
  await ensureIndex(out);
  const list = await extractPdfs(input, out, await listDocuments(input, out));
  const index = await readIndex(out);
  const p = o.prompts.length;
  const tasks = list.documents.length * p;
  let pending = new Uint32Array(new SharedArrayBuffer(4 * Math.max(1, Math.min(tasks, 1024))));
  let n = 0;
  for (let d = 0; d < list.documents.length; d++) {
    for (let k = 0; k < p; k++) {
      if (index.done.has(taskKey(list.documents[d]!, o.prompts[k]!.id))) continue;
      if (n === pending.length) {
        const grown = new Uint32Array(new SharedArrayBuffer(8 * pending.length));
        grown.set(pending);
        pending = grown;
      }
      pending[n++] = d * p + k;
    }
  }
  const exact = new Uint32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
  exact.set(pending.subarray(0, n));
  return {
    job: {
      input,
      out,
      preset: o.preset,
      documents: list.documents,
      folders: list.folders,
      prompts: o.prompts,
      pending: exact.subarray(0, n),
    },
    tasks,
    done: tasks - n,
    repaired: index.dropped,
    pdfs: list.unreadable.length,
    unreadablePdfs: list.unreadable,
    others: list.others,
  };
}

/** The task behind engine request `index`. */
export function taskOf(job: DirectoryJob, index: number): { document: number; prompt: number } {
  const task = job.pending[index]!;
  const p = job.prompts.length;
  return { document: Math.floor(task / p), prompt: task % p };
}

/**
 * The user message of a task: the document first, then the prompt, so the prompts of one document
 * share a prefix a server's prefix cache can reuse.
 */
export function taskMessage(document: string, text: string, prompt: string): string {
  return `Document: ${document}\n\n${text.trimEnd()}\n\n---\n\n${prompt}`;
}

/** Documents read lately, per thread: a document's prompts are asked one after another. */
const RECENT_DOCUMENTS = 16;

/** Requests of a directory job: each reads its document (a few recent ones are kept) and asks for the answer's text. */
export function directoryRequests(
  workload: ResolvedWorkload & { readonly directory: DirectoryJob },
  options: { warmup?: boolean } = {},
): (index: number) => BenchRequest {
  const job = workload.directory;
  const system: ChatMessage[] = workload.systemPrompt === undefined ? [] : [{ role: 'system', content: workload.systemPrompt }];
  const recent = new Map<number, string>();
  const read = (d: number): string => {
    let text = recent.get(d);
    if (text === undefined) {
      text = readFileSync(documentTextPath(job.input, job.out, job.documents[d]!), 'utf8');
      if (recent.size >= RECENT_DOCUMENTS) recent.delete(recent.keys().next().value!);
      recent.set(d, text);
    }
    return text;
  };
  const { model, stream, maxTokens, temperature } = workload;
  const warmup = options.warmup ?? false;
  return (index) => {
    const t = taskOf(job, index);
    const content = taskMessage(job.documents[t.document]!, read(t.document), job.prompts[t.prompt]!.prompt);
    return {
      index,
      messages: [...system, { role: 'user', content }],
      model,
      maxTokens,
      temperature,
      stream,
      warmup,
      keepText: true,
    };
  };
}
