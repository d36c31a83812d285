// How a job's results travel: the worker runs the ordinary per-video stages
// in a temporary workspace of its own, then packs every row of every table
// keyed by video_id (shots, metrics, samples, appearances, stages, and any
// per-video table a capability adds later) into one compressed string that
// becomes the job's return value in Redis. The coordinator, the only writer
// of the real workspace, unpacks it in one transaction: it replaces the
// video's rows and records the job id, so a job that completes twice (a
// retry after a lost lock) is written once. The packed rows wait in Redis
// under a key of their own (not in the job, so bullmq's parent job does not
// keep a second copy) and are deleted once written.
import { createHash } from 'node:crypto';
import { gzipSync, gunzipSync } from 'node:zlib';
import { serialize, deserialize } from 'node:v8';
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { PROTOCOL } from './jobs.js';

export interface Payload {
  v: number;
  videoId: number;
  /** Schema versions of the worker's workspace: both sides must agree on the tables. */
  schema: Record<string, number>;
  tables: Record<string, { columns: string[]; rows: unknown[][] }>;
}

/**
 * Make the next video registered in a fresh workspace get id `videoId`: track ids are
 * derived from the video id, so the worker's rows need no renumbering.
 */
export function seatVideo(ws: Workspace, videoId: number): void {
  if (videoId > 1) ws.db.prepare("INSERT OR IGNORE INTO videos (id, path, fingerprint) VALUES (?, '(seat)', '')").run(videoId - 1);
}

function videoTables(ws: Workspace): Array<{ name: string; columns: string[]; rowid?: string }> {
  const names = (ws.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const out = [];
  for (const name of names) {
    const cols = ws.db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string; pk: number }[];
    if (!cols.some((c) => c.name === 'video_id')) continue;
    // An INTEGER PRIMARY KEY is a row number of the worker's workspace: the coordinator's gives new ones.
    const pks = cols.filter((c) => c.pk > 0);
    const rowid = pks.length === 1 && pks[0].type.toUpperCase() === 'INTEGER' ? pks[0].name : undefined;
    out.push({ name, columns: cols.map((c) => c.name), rowid });
  }
  return out;
}

function schemaVersions(ws: Workspace): Record<string, number> {
  return Object.fromEntries((ws.db.prepare('SELECT owner, version FROM schema_versions').all() as { owner: string; version: number }[]).map((r) => [r.owner, r.version]));
}

/** Every row of the video in the worker's workspace, compressed and base64-encoded (job return values are JSON). */
export function pack(ws: Workspace, videoId: number): string {
  const tables: Payload['tables'] = {};
  for (const t of videoTables(ws)) {
    const rows = ws.db.prepare(`SELECT ${t.columns.map((c) => `"${c}"`).join(', ')} FROM "${t.name}" WHERE video_id = ? ORDER BY rowid`).raw().all(videoId) as unknown[][];
    tables[t.name] = { columns: t.columns, rows };
  }
  const payload: Payload = { v: PROTOCOL, videoId, schema: schemaVersions(ws), tables };
  return gzipSync(serialize(payload), { level: 6 }).toString('base64');
}

export function unpack(packed: string): Payload {
  const p = deserialize(gunzipSync(Buffer.from(packed, 'base64'))) as Payload;
  if (p.v !== PROTOCOL) throw new ToonscopeError(undefined, `job result is of protocol ${p.v}, this coordinator speaks ${PROTOCOL}`);
  return p;
}

export function ensureImportSchema(ws: Workspace): void {
  ws.schema('queue', 1, `
    CREATE TABLE queue_imports (
      job TEXT PRIMARY KEY,
      episode TEXT NOT NULL,
      video_id INTEGER NOT NULL,
      digest TEXT NOT NULL,
      rows INTEGER NOT NULL,
      imported_at TEXT DEFAULT CURRENT_TIMESTAMP
    );
  `);
}

/** The episode keys (video fingerprint + command + parameters) already written into this workspace. */
export function imported(ws: Workspace): Set<string> {
  ensureImportSchema(ws);
  return new Set((ws.db.prepare('SELECT episode FROM queue_imports').all() as { episode: string }[]).map((r) => r.episode));
}

/** Whether this job execution's rows were written already. */
export function wasImported(ws: Workspace, job: string): boolean {
  ensureImportSchema(ws);
  return ws.db.prepare('SELECT 1 FROM queue_imports WHERE job = ?').get(job) !== undefined;
}

/**
 * Write a job's rows into the coordinator's workspace in one transaction, replacing what the
 * video had. Returns false (and writes nothing) when this job id was written before.
 */
export function importPayload(ws: Workspace, job: string, episode: string, packed: string): { written: boolean; rows: number } {
  ensureImportSchema(ws);
  const digest = createHash('sha1').update(packed).digest('hex');
  const seen = ws.db.prepare('SELECT digest, rows FROM queue_imports WHERE job = ?').get(job) as { digest: string; rows: number } | undefined;
  if (seen) return { written: false, rows: seen.rows };
  const p = unpack(packed);
  const mine = schemaVersions(ws);
  for (const [owner, v] of Object.entries(p.schema)) {
    if (owner !== 'queue' && mine[owner] !== undefined && mine[owner] !== v) throw new ToonscopeError(ws.dir, `the worker's "${owner}" tables are version ${v}, this workspace's ${mine[owner]} (run the same toonscope version everywhere)`);
  }
  const local = new Map(videoTables(ws).map((t) => [t.name, t]));
  if (!ws.video(p.videoId)) throw new ToonscopeError(ws.dir, `job ${job} returned rows for video ${p.videoId}, which this workspace does not have`);
  let rows = 0;
  ws.db.transaction(() => {
    for (const [name, t] of Object.entries(p.tables)) {
      const here = local.get(name);
      if (!here) throw new ToonscopeError(ws.dir, `job ${job} returned rows of table "${name}", which this workspace does not have`);
      const missing = t.columns.filter((c) => !here.columns.includes(c));
      if (missing.length) throw new ToonscopeError(ws.dir, `table "${name}" lacks column(s) ${missing.join(', ')} the worker wrote`);
      ws.db.prepare(`DELETE FROM "${name}" WHERE video_id = ?`).run(p.videoId);
      const keep = t.columns.map((c, i) => (c === here.rowid ? -1 : i)).filter((i) => i >= 0);
      const ins = ws.db.prepare(`INSERT INTO "${name}" (${keep.map((i) => `"${t.columns[i]}"`).join(', ')}) VALUES (${keep.map(() => '?').join(', ')})`);
      const vid = t.columns.indexOf('video_id');
      for (const r of t.rows) {
        r[vid] = p.videoId;
        ins.run(...keep.map((i) => r[i]));
        rows++;
      }
    }
    // An episode imported again (a later run with other parameters) keeps only its newest record.
    ws.db.prepare('DELETE FROM queue_imports WHERE video_id = ?').run(p.videoId);
    ws.db.prepare('INSERT INTO queue_imports (job, episode, video_id, digest, rows) VALUES (?, ?, ?, ?, ?)').run(job, episode, p.videoId, digest, rows);
  })();
  return { written: true, rows };
}
