import { lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, LlmbenchError } from './errors.js';

/** Temp files of `writeFileAtomic` for `<name>`: `.<name>.llmbench-<pid>-<n>.tmp`, beside it. */
const TEMP = /^\.(.+)\.llmbench-(\d+)-\d+\.tmp$/;
let written = 0;

/**
 * Writes `text` to `path` atomically (a temp file in the same directory, flushed to disk, then a
 * rename), creating the directory: a reader never sees half a report. Temp files carry a
 * recognisable name; one left by a process that was killed mid-write (kill -9) is removed by the
 * next write to the same file.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await ensureDir(dir);
  await removeStaleTemps(dir, basename(path));
  const temp = join(dir, `.${basename(path)}.llmbench-${process.pid}-${++written}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Creates a directory and its missing parents one at a time, so a path that cannot exist (under
 * /proc, say) fails at once with the component that could not be made (Node's recursive mkdir
 * loops on some of those).
 */
export async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const found = await stat(d).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? undefined : Promise.reject(error),
    );
    if (found) {
      if (!found.isDirectory())
        throw new LlmbenchError(ErrorCodes.REPORT_FAILED, `cannot write under ${dir}: ${d} is not a directory`);
      break;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST')
        throw new LlmbenchError(ErrorCodes.REPORT_FAILED, `cannot create directory ${d}: ${error.code ?? error.message}`, {
          cause: error,
        });
    });
  }
}

/**
 * Checks, before anything is measured, that a file can be written at `path`: its directory exists or
 * can be made, and the path is not a directory, a FIFO or a device (writing to a FIFO nobody reads
 * would hang). Throws a USAGE error naming the path.
 */
export async function checkWritable(path: string, what: string): Promise<void> {
  const found = await lstat(path).catch(() => undefined);
  if (found && !found.isFile()) {
    const kind = found.isDirectory()
      ? 'a directory'
      : found.isFIFO()
        ? 'a FIFO (named pipe)'
        : found.isSymbolicLink()
          ? 'a symbolic link'
          : 'not a regular file';
    if (
      !found.isSymbolicLink() ||
      !(await stat(path).then(
        (s) => s.isFile(),
        () => false,
      ))
    ) {
      throw new LlmbenchError(ErrorCodes.USAGE, `${what} ${path} is ${kind}`, {
        hint: 'give the path of a regular file (it is created if missing)',
      });
    }
  }
  try {
    await ensureDir(dirname(path));
  } catch (error) {
    throw new LlmbenchError(ErrorCodes.USAGE, `${what} ${path} cannot be written: ${(error as Error).message}`, {
      cause: error,
      hint: 'choose a directory you can write to (--out DIR)',
    });
  }
}

/** Removes temp files for `name` in `dir` left by processes that no longer run. */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const m = TEMP.exec(entry);
    if (!m || m[1] !== name || alive(Number(m[2]))) continue;
    await rm(join(dir, entry), { force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
