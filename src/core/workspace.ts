// The workspace: one folder with an embedded SQLite database (toonscope.db)
// plus files (images, masks, reports). CLI, library and web app share it.
// Each capability owns its tables through `schema()`, so adding one never
// touches another's migrations. `stage()` records finished work so re-runs
// skip it and interrupted runs resume.
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { ToonscopeError } from './errors.js';
import { acquire, release } from './lock.js';
import type { VideoInfo } from './types.js';

export type DB = Database.Database;

/** better-sqlite3, required when a workspace is first opened: commands that never open one (`comics --out`,
 * `--help`) skip loading its modules at start-up. */
let sqliteClass: typeof Database | undefined;
const sqlite = (): typeof Database => (sqliteClass ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database);

/** The workspace folder used when none is given, relative to the current folder. */
export const DEFAULT_WORKSPACE = 'toonscope-workspace';

/** A video registered in the workspace (its id is what the other tables refer to). */
export interface VideoRow {
  id: number;
  path: string;
  fingerprint: string;
  width: number;
  height: number;
  fps: number;
  frames: number | null;
  duration: number;
}

/** Run `fn`, again for up to ~10 s while SQLite says the database is busy in a way its own busy wait does not cover. */
function whenFree<T>(fn: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!/^SQLITE_BUSY/.test(String((e as { code?: string }).code)) || attempt >= 200) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

/**
 * One folder with an SQLite database (toonscope.db) and the files every capability writes. Records finished
 * work so re-runs skip it and interrupted runs resume. Open with `Workspace.open(dir)`, `close()` when done.
 */
export class Workspace {
  readonly dir: string;
  readonly db: DB;
  private claimed = false;

  private constructor(dir: string, db: DB) {
    this.dir = dir;
    this.db = db;
  }

  /** Open (creating if needed) the workspace folder `dir`. */
  static open(dir: string = DEFAULT_WORKSPACE): Workspace {
    const abs = resolve(dir);
    try {
      mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw new ToonscopeError(abs, `cannot create workspace folder (${(e as NodeJS.ErrnoException).code})`);
    }
    let db: DB;
    try {
      // A reader (app, label, export) waits out a writer's short transactions instead of failing at once.
      db = new (sqlite())(join(abs, 'toonscope.db'), { timeout: 10_000 });
      // Two processes opening a new workspace together both switch it to WAL; SQLite refuses one at once
      // (a journal-mode change does not wait for the other), so it tries again.
      whenFree(() => {
        if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      });
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      throw new ToonscopeError(join(abs, 'toonscope.db'), `cannot open workspace database (${(e as Error).message})`);
    }
    const ws = new Workspace(abs, db);
    ws.schema('core', 1, `
      CREATE TABLE videos (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL,
        width INTEGER, height INTEGER, fps REAL, frames INTEGER, duration REAL,
        added_at TEXT DEFAULT CURRENT_TIMESTAMP
      );
      CREATE TABLE stages (
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        stage TEXT NOT NULL,
        params TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT,
        updated_at TEXT DEFAULT CURRENT_TIMESTAMP,
        PRIMARY KEY (video_id, stage)
      );
    `);
    return ws;
  }

  /** Apply a capability's schema once per version (versions are applied in order, each exactly once). */
  schema(owner: string, version: number, sql: string): void {
    const applied = (): number => {
      try {
        return (this.db.prepare('SELECT version FROM schema_versions WHERE owner = ?').get(owner) as { version: number } | undefined)?.version ?? 0;
      } catch {
        return 0; // no schema_versions table yet
      }
    };
    if (applied() >= version) return;
    // BEGIN IMMEDIATE takes the write lock first (waiting for it), then checks again: of two processes opening a
    // new workspace together, one applies the schema and the other finds it applied, instead of failing.
    whenFree(() => this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      if (applied() >= version) return;
      this.db.exec(sql);
      this.db.prepare('INSERT INTO schema_versions (owner, version) VALUES (?, ?) ON CONFLICT(owner) DO UPDATE SET version = excluded.version').run(owner, version);
    }).immediate());
  }

  /** Absolute path inside the workspace, creating parent folders. */
  file(...parts: string[]): string {
    const p = join(this.dir, ...parts);
    mkdirSync(join(p, '..'), { recursive: true });
    return p;
  }

  /** Register a video (or find it again). Changing the file's content gives it a new fingerprint and drops stale results. */
  addVideo(info: VideoInfo): VideoRow {
    const path = resolve(info.path);
    const st = statSync(path);
    const fingerprint = createHash('sha1').update(`${st.size}:${st.mtimeMs}:${info.width}x${info.height}:${info.duration}`).digest('hex').slice(0, 16);
    const existing = this.db.prepare('SELECT * FROM videos WHERE path = ?').get(path) as VideoRow | undefined;
    if (existing && existing.fingerprint === fingerprint) return existing;
    if (existing) this.db.prepare('DELETE FROM videos WHERE id = ?').run(existing.id);
    const r = this.db.prepare('INSERT INTO videos (path, fingerprint, width, height, fps, frames, duration) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(path, fingerprint, info.width, info.height, info.fps, info.frames, info.duration);
    return this.db.prepare('SELECT * FROM videos WHERE id = ?').get(r.lastInsertRowid) as VideoRow;
  }

  videos(): VideoRow[] {
    return this.db.prepare('SELECT * FROM videos ORDER BY id').all() as VideoRow[];
  }

  video(id: number): VideoRow | undefined {
    return this.db.prepare('SELECT * FROM videos WHERE id = ?').get(id) as VideoRow | undefined;
  }

  /** The recorded state of a stage for a video, if its params match. */
  stage(videoId: number, stage: string, params: unknown): { status: string; result: unknown } | undefined {
    const row = this.db.prepare('SELECT params, status, result FROM stages WHERE video_id = ? AND stage = ?').get(videoId, stage) as
      | { params: string; status: string; result: string | null }
      | undefined;
    if (!row || row.params !== JSON.stringify(params)) return undefined;
    return { status: row.status, result: row.result ? JSON.parse(row.result) : null };
  }

  setStage(videoId: number, stage: string, params: unknown, status: 'running' | 'done', result: unknown = null): void {
    this.db.prepare(`INSERT INTO stages (video_id, stage, params, status, result, updated_at) VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)
      ON CONFLICT(video_id, stage) DO UPDATE SET params = excluded.params, status = excluded.status, result = excluded.result, updated_at = CURRENT_TIMESTAMP`)
      .run(videoId, stage, JSON.stringify(params), status, JSON.stringify(result));
  }

  /** The writer lock file: at most one process runs long jobs on a workspace at a time. */
  get lockFile(): string {
    return join(this.dir, 'toonscope.lock');
  }

  /**
   * Become the workspace's one writer for `what` (a command name), or fail with a one-line error naming the
   * workspace and the run that holds it. Two long jobs interleaving their stages would double rows; reads
   * need no claim (SQLite's WAL lets them run beside the writer). Released by close() or when the process ends.
   */
  claim(what: string): void {
    if (this.claimed) return;
    acquire(this.lockFile, this.dir, what, 'is in use by another toonscope run');
    this.claimed = true;
  }

  close(): void {
    if (this.claimed) release(this.lockFile);
    this.claimed = false;
    this.db.close();
  }
}

/**
 * Open a workspace that must exist already. Commands that only read or edit what `analyze` made (label, export,
 * app) refuse a mistyped --workspace instead of creating an empty folder and answering "nothing here".
 */
export function openExisting(dir: string = DEFAULT_WORKSPACE): Workspace {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'toonscope.db'))) {
    throw new ToonscopeError(abs, `${existsSync(abs) ? 'not a toonscope workspace (it has no toonscope.db)' : 'no such workspace'}; check --workspace, or run \`toonscope analyze VIDEO\` first`);
  }
  return Workspace.open(abs);
}
