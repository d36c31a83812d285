// Files a person opens (sheets, reports, exports) are written whole or not at
// all: to a temporary name beside the target, then renamed over it, so a full
// disk or a kill leaves the old file or none, never a truncated one. A full
// disk is a user-caused failure: one line naming the folder, not libvips or
// SQLite detail.
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ToonscopeError } from './errors.js';

/** Whether an error (fs, SQLite, libvips) means the disk or quota is full. */
export function isDiskFull(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (!err) return false;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'SQLITE_FULL') return true;
  return /no space left on device|database or disk is full|disk quota exceeded/i.test(String(err.message ?? ''));
}

/**
 * A file-system error on a path of the wrong kind (Node's, with the `path` it failed on) as the one-line error naming
 * that path: a file where a folder is needed, a folder where a file is. Undefined for anything else (a missing or
 * unreadable path may be one of toonscope's own: those stay internal errors), and for a copy or rename, whose `path`
 * is the source. Commands check their own paths where they can; this is for the ones they miss.
 */
export function fsError(e: unknown): ToonscopeError | undefined {
  const err = e as { code?: unknown; path?: unknown; syscall?: unknown; dest?: unknown } | undefined;
  if (typeof err?.path !== 'string' || err.dest !== undefined) return undefined;
  const path = err.path;
  const isFile = (p: string) => { try { return statSync(p).isFile(); } catch { return false; } };
  if (err.code === 'EEXIST' && err.syscall === 'mkdir' && isFile(path)) return new ToonscopeError(path, 'is a file, expected a folder');
  if (err.code === 'EISDIR') return new ToonscopeError(path, 'is a folder, expected a file');
  if (err.code === 'ENOTDIR') {
    // The path itself may not exist: the file standing where one of its folders should be is what to name.
    for (let p = path; p !== dirname(p); p = dirname(p)) if (isFile(p)) return new ToonscopeError(p, `is a file, expected a folder (for ${path})`);
  }
  return undefined;
}

/** The one-line error for a full disk while writing into `folder`. */
export function diskFull(folder: string, what?: string): ToonscopeError {
  return new ToonscopeError(resolve(folder), `the disk is full${what ? ` (writing ${what})` : ''}; free some space and run the command again (finished work is kept)`);
}

/** Write `path` through `write(tmp)`; on any failure the partial file is removed, a full disk becomes `diskFull`. */
export async function writeWhole(path: string, write: (tmp: string) => Promise<unknown> | unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.part`;
  try {
    await write(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (isDiskFull(e)) throw diskFull(dirname(path), basename(path));
    throw e;
  }
}

/** writeFileSync, whole or not at all. */
export function writeFileWhole(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.part`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (isDiskFull(e)) throw diskFull(dirname(path), basename(path));
    throw e;
  }
}
