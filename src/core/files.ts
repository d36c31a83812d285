// Files a person opens (sheets, reports, exports) are written whole or not at
// all: to a temporary name beside the target, then renamed over it, so a full
// disk or a kill leaves the old file or none, never a truncated one. A full
// disk is a user-caused failure: one line naming the folder, not libvips or
// SQLite detail.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ToonscopeError } from './errors.js';

/** Whether an error (fs, SQLite, libvips) means the disk or quota is full. */
export function isDiskFull(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (!err) return false;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'SQLITE_FULL') return true;
  return /no space left on device|database or disk is full|disk quota exceeded/i.test(String(err.message ?? ''));
}

/** What a file-system error code means for the path it names, said as a user would need it. */
const FS_PROBLEMS: Record<string, string> = {
  EEXIST: 'already exists',
  ENOTDIR: 'is not a folder (a file stands where a folder is needed)',
  EISDIR: 'is a folder, expected a file',
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'is on a read-only file system',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A file-system error (Node's, with a `code` and the `path` it failed on) as the one-line error naming that path;
 * undefined for anything else. Commands check their own paths where they can; this is for the ones they miss.
 */
export function fsError(e: unknown): ToonscopeError | undefined {
  const err = e as { code?: unknown; path?: unknown; syscall?: unknown } | undefined;
  // Making a folder where a file stands.
  if (err?.code === 'EEXIST' && err.syscall === 'mkdir' && typeof err.path === 'string') return new ToonscopeError(err.path, 'is a file, expected a folder');
  const problem = typeof err?.code === 'string' ? FS_PROBLEMS[err.code] : undefined;
  return problem && typeof err?.path === 'string' ? new ToonscopeError(err.path, problem) : undefined;
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
