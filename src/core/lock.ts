// One writer at a time: a lock file made atomically (link of a finished
// temp file, so no one ever reads half a holder), naming the holder (process
// id, host, since when, what it runs). A lock whose holder process is gone
// from this host is stale (a crash or kill -9) and is taken over. Released on
// exit, including process.exit from a signal handler.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ToonscopeError } from './errors.js';
import { diskFull, isDiskFull } from './files.js';

export interface Holder {
  pid: number;
  host: string;
  since: string;
  what: string;
}

/** Locks this process holds, with how many holders (Workspace objects) in it share each. */
const held = new Map<string, { holder: Holder; count: number }>();
let hooked = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** "process 123 on host since 2026-...Z (analyze)" */
export function describe(h: Holder): string {
  return `process ${h.pid} on ${h.host} since ${h.since}${h.what ? ` (${h.what})` : ''}`;
}

/**
 * Take the lock at `path` for this process, or throw a one-line ToonscopeError naming `owner` (the workspace or
 * output) and the holder. Re-entrant within a process. `busy` words the refusal ("is in use by").
 */
export function acquire(path: string, owner: string, what: string, busy = 'is in use by another toonscope run'): void {
  const own = held.get(path);
  if (own) {
    own.count++;
    return;
  }
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(me));
  } catch (e) {
    if (isDiskFull(e)) throw diskFull(owner);
    throw new ToonscopeError(owner, `cannot create its lock file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        held.set(path, { holder: me, count: 1 });
        if (!hooked) {
          hooked = true;
          process.on('exit', releaseAll);
        }
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new ToonscopeError(owner, `cannot create its lock file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
      }
      const h = read(path);
      if (h && h.pid === process.pid && h.host === me.host) {
        // This process holds it through another handle (e.g. a second Workspace object on the same folder).
        held.set(path, { holder: h, count: 1 });
        return;
      }
      if (h && (h.host !== me.host || alive(h.pid))) throw new ToonscopeError(owner, `${busy}: ${describe(h)}; wait for it to finish or stop it`);
      // Stale (holder gone) or unreadable: move it aside atomically, and put it back if someone renewed it meanwhile.
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      const moved = read(aside);
      if (moved && h && (moved.pid !== h.pid || moved.since !== h.since)) {
        try {
          linkSync(aside, path);
        } catch {
          /* a third run took it: the next attempt reports it */
        }
      }
      try {
        unlinkSync(aside);
      } catch {
        /* gone already */
      }
    }
    const h = read(path);
    throw new ToonscopeError(owner, `${busy}${h ? `: ${describe(h)}` : ''}; wait for it to finish or stop it`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

/** Give the lock back (only if this process still holds it). */
export function release(path: string): void {
  const mine = held.get(path);
  if (!mine || --mine.count > 0) return;
  held.delete(path);
  const h = read(path);
  if (h && h.pid === mine.holder.pid && h.since === mine.holder.since) {
    try {
      unlinkSync(path);
    } catch {
      /* gone already */
    }
  }
}

function releaseAll(): void {
  for (const [p, m] of [...held]) {
    m.count = 1;
    release(p);
  }
}
