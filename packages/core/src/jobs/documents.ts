import { opendir } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { ErrorCodes, LlmbenchError } from '@llmbench/plugin-api';

/** Extensions read as documents (plain text). */
export const DOCUMENT_EXTENSIONS: readonly string[] = ['.txt', '.md', '.markdown'];

export interface DocumentList {
  /** Paths relative to the input folder, with "/" separators, sorted. */
  readonly documents: string[];
  /** Output folder of each document, relative to the job's out folder: its path without extension, or with it where two would collide. */
  readonly folders: string[];
  /** PDFs found and skipped (not supported yet). */
  readonly pdfs: number;
  /** Other files skipped (neither text nor Markdown). */
  readonly others: number;
}

/**
 * Every text and Markdown file under `input` (subfolders too; names starting with "." and the
 * `exclude` folder, e.g. the job's own out folder inside it, are left out), in a stable order.
 */
export async function listDocuments(input: string, exclude?: string): Promise<DocumentList> {
  const root = resolve(input);
  const skip = exclude === undefined ? undefined : resolve(exclude);
  const documents: string[] = [];
  let pdfs = 0;
  let others = 0;
  const walk = async (dir: string): Promise<void> => {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (error) {
      throw new LlmbenchError(ErrorCodes.USAGE, `--input ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`, {
        hint: 'pass the folder holding the documents (.txt, .md)',
        cause: error,
      });
    }
    for await (const entry of handle) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== skip) await walk(path);
      } else if (entry.isFile()) {
        const ext = extname(entry.name).toLowerCase();
        if (DOCUMENT_EXTENSIONS.includes(ext)) documents.push(relative(root, path).split(sep).join('/'));
        else if (ext === '.pdf') pdfs++;
        else others++;
      }
    }
  };
  await walk(root);
  documents.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const stems = documents.map((d) => d.slice(0, d.length - extname(d).length));
  const count = new Map<string, number>();
  for (const s of stems) count.set(s, (count.get(s) ?? 0) + 1);
  const folders = documents.map((d, i) => (count.get(stems[i]!)! > 1 ? d : stems[i]!));
  return { documents, folders, pdfs, others };
}
