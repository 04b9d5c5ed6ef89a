import type { Dir } from 'node:fs';
import { access, mkdir, opendir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { ErrorCodes, LlmbenchError } from '@llmbench/plugin-api';
import { extractText, getDocumentProxy } from 'unpdf';

/** Extensions read as documents: plain text, and PDFs through their extracted text. */
export const DOCUMENT_EXTENSIONS: readonly string[] = ['.txt', '.md', '.markdown', '.pdf'];

/** Where the extracted text of a job's PDFs is kept, under its out folder (hidden, so never listed as a document). */
export const PDF_TEXT_DIR = '.text';

const isPdf = (document: string): boolean => document.toLowerCase().endsWith('.pdf');

/** The file a document's text is read from: the document itself, or for a PDF its extracted text. */
export function documentTextPath(input: string, out: string, document: string): string {
  return isPdf(document) ? join(out, PDF_TEXT_DIR, `${document}.txt`) : join(input, document);
}

/**
 * Extracts the text of every PDF among the documents (unpdf, pdf.js in pure JS) into the out
 * folder's `.text`, once: a PDF already extracted by an earlier run is not read again, and a text
 * is written whole (temporary file, then rename). PDFs without text (scans, damaged files) are left
 * out of the returned list and named in `unreadable`.
 */
export async function extractPdfs(
  input: string,
  out: string,
  list: DocumentList,
): Promise<DocumentList & { readonly unreadable: readonly string[] }> {
  const unreadable: string[] = [];
  const keep: number[] = [];
  for (const [i, document] of list.documents.entries()) {
    if (!isPdf(document)) {
      keep.push(i);
      continue;
    }
    const target = documentTextPath(input, out, document);
    if (await exists(target)) {
      keep.push(i);
      continue;
    }
    const text = await pdfText(join(input, document));
    if (text === undefined || text.trim() === '') {
      unreadable.push(document);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.partial`, text);
    await rename(`${target}.partial`, target);
    keep.push(i);
  }
  return {
    documents: keep.map((i) => list.documents[i]!),
    folders: keep.map((i) => list.folders[i]!),
    pdfs: list.pdfs,
    others: list.others,
    unreadable,
  };
}

/** A PDF's text, pages joined by blank lines; undefined when pdf.js cannot read the file. */
export async function pdfText(file: string): Promise<string | undefined> {
  try {
    // verbosity 0: errors only; pdf.js would print its warnings on stdout.
    const pdf = await getDocumentProxy(new Uint8Array(await readFile(file)), { verbosity: 0 });
    try {
      const { text } = await extractText(pdf, { mergePages: false });
      return text.join('\n\n');
    } finally {
      await pdf.destroy();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw error;
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export interface DocumentList {
  /** Paths relative to the input folder, with "/" separators, sorted. */
  readonly documents: string[];
  /** Output folder of each document, relative to the job's out folder: its path without extension, or with it where two would collide. */
  readonly folders: string[];
  /** PDFs among the documents. */
  readonly pdfs: number;
  /** Other files skipped (neither text nor Markdown). */
  readonly others: number;
}

/**
 * Every text, Markdown and PDF file under `input` (subfolders too; names starting with "." and the
 * `exclude` folder, e.g. the job's own out folder inside it, are left out), in a stable order.
 */
export async function listDocuments(input: string, exclude?: string): Promise<DocumentList> {
  const root = resolve(input);
  const skip = exclude === undefined ? undefined : resolve(exclude);
  const documents: string[] = [];
  let pdfs = 0;
  let others = 0;
  const walk = async (dir: string): Promise<void> => {
    let handle: Dir;
    try {
      handle = await opendir(dir);
    } catch (error) {
      throw new LlmbenchError(
        ErrorCodes.USAGE,
        `--input ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`,
        {
          hint: 'pass the folder holding the documents (.txt, .md, .pdf)',
          cause: error,
        },
      );
    }
    for await (const entry of handle) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== skip) await walk(path);
      } else if (entry.isFile()) {
        const ext = extname(entry.name).toLowerCase();
        if (DOCUMENT_EXTENSIONS.includes(ext)) {
          documents.push(relative(root, path).split(sep).join('/'));
          if (ext === '.pdf') pdfs++;
        } else others++;
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
