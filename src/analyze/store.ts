// The analyze pipeline's tables: sampled frames (with a done flag, so an
// interrupted detection pass resumes at the next unfinished frame), one row
// per character appearance (box, face, mask, crop, embedding, track,
// cluster), tracks, and the series dictionary.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Workspace } from '../core/workspace.js';
import type { Box, Image } from '../core/types.js';
import type { Sample } from './sample.js';

export function ensureSchema(ws: Workspace): void {
  ws.schema('analyze', 1, `
    CREATE TABLE samples (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      frame INTEGER NOT NULL, shot INTEGER NOT NULL, time REAL NOT NULL,
      done INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (video_id, frame)
    );
    CREATE TABLE appearances (
      id INTEGER PRIMARY KEY,
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      frame INTEGER NOT NULL, shot INTEGER NOT NULL, time REAL NOT NULL,
      x REAL, y REAL, w REAL, h REAL, score REAL,
      face TEXT,
      mask BLOB, mask_w INTEGER, mask_h INTEGER,
      crop BLOB,
      embedding BLOB,
      track INTEGER,
      cluster INTEGER
    );
    CREATE INDEX appearances_video ON appearances(video_id, shot, frame);
    CREATE TABLE clusters (
      id INTEGER PRIMARY KEY,
      medoid INTEGER,
      size INTEGER NOT NULL,
      tracks INTEGER NOT NULL,
      name TEXT,
      status TEXT NOT NULL DEFAULT 'auto'
    );
    CREATE TABLE models (
      name TEXT PRIMARY KEY,
      params TEXT NOT NULL,
      weights BLOB NOT NULL,
      created_at TEXT DEFAULT CURRENT_TIMESTAMP
    );
  `);
  // v2: the learned second pass (pass 2 rows, its per-shot bookkeeping) and boxes a person taught.
  ws.schema('analyze', 2, `
    ALTER TABLE appearances ADD COLUMN pass INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE IF NOT EXISTS redetected (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      shot INTEGER NOT NULL,
      model TEXT NOT NULL,
      PRIMARY KEY (video_id, shot)
    );
    CREATE TABLE IF NOT EXISTS taught (
      id INTEGER PRIMARY KEY,
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      frame INTEGER NOT NULL,
      x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
      name TEXT,
      UNIQUE (video_id, frame, x, y, w, h)
    );
  `);
  // v3: where every track was at the last tracking (frame and box), so a re-track keeps ids even when rows were redone.
  ws.schema('analyze', 3, `
    CREATE TABLE IF NOT EXISTS tracked (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      frame INTEGER NOT NULL,
      x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
      track INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS tracked_video ON tracked(video_id, frame);
  `);
  // v4: the looks of tracks a person decided (named: a character; rejected: background), kept apart from the
  // second pass's rows so that redoing that pass (or resuming it) still knows them.
  ws.schema('analyze', 4, `
    CREATE TABLE IF NOT EXISTS decided_looks (
      track INTEGER NOT NULL,
      kind TEXT NOT NULL,
      embedding BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS decided_looks_track ON decided_looks(track);
  `);
}

export function saveSamples(ws: Workspace, videoId: number, samples: Sample[]): void {
  const ins = ws.db.prepare('INSERT OR IGNORE INTO samples (video_id, frame, shot, time) VALUES (?, ?, ?, ?)');
  ws.db.transaction(() => samples.forEach((s) => ins.run(videoId, s.frame, s.shot, s.time)))();
}

/**
 * Whether a video's analysis is complete: its detection pass (`analyze:detect`) finished and its appearances were
 * tracked (`analyze:tracks`). Both are asked: while a re-analysis runs or after it was killed (another chain or width,
 * whose rows are deleted up front; a taught shot, reset before it is looked at again) `analyze:detect` is `running`
 * while `analyze:tracks` still says `done` of the rows that were there. A sampled frame added since (a taught frame,
 * `done = 0`) leaves its shot not looked at yet: callers that go by shot check `samples.done` themselves.
 */
export function analysisComplete(ws: Workspace, videoId: number): boolean {
  ensureSchema(ws);
  const r = ws.db.prepare("SELECT COUNT(*) n FROM stages WHERE video_id = ? AND stage IN ('analyze:detect', 'analyze:tracks') AND status = 'done'").get(videoId) as { n: number };
  return r.n === 2;
}

/** Shots with at least one finished sampled frame (to tell partly analysed shots). */
export function startedShots(ws: Workspace, videoId: number): Set<number> {
  return new Set((ws.db.prepare('SELECT DISTINCT shot FROM samples WHERE video_id = ? AND done = 1').all(videoId) as { shot: number }[]).map((r) => r.shot));
}

export function pendingSamples(ws: Workspace, videoId: number): Sample[] {
  return ws.db.prepare('SELECT frame, shot, time FROM samples WHERE video_id = ? AND done = 0 ORDER BY frame').all(videoId) as Sample[];
}

export interface AppearanceRow {
  id: number;
  video_id: number;
  frame: number;
  shot: number;
  time: number;
  box: Box;
  score: number;
  face: Box | null;
  embedding: Float32Array | null;
  track: number | null;
  cluster: number | null;
}

export interface NewAppearance {
  frame: number;
  shot: number;
  time: number;
  box: Box;
  score: number;
  face?: Box;
  mask?: Image;
  crop: Buffer;
  embedding: Float32Array;
}

/** Forget a shot's first-pass appearances and mark its samples pending (a partly analysed shot is redone whole). */
export function resetShot(ws: Workspace, videoId: number, shot: number): void {
  ws.db.transaction(() => {
    // Pass 2 of the shot looked past these first-pass characters: it is redone with them.
    ws.db.prepare('DELETE FROM appearances WHERE video_id = ? AND shot = ?').run(videoId, shot);
    ws.db.prepare('DELETE FROM redetected WHERE video_id = ? AND shot = ?').run(videoId, shot);
    ws.db.prepare('UPDATE samples SET done = 0 WHERE video_id = ? AND shot = ?').run(videoId, shot);
  })();
}

/** Insert appearances of one video (pass 1: the detector chain; pass 2: the learned series detector). */
export function saveAppearances(ws: Workspace, videoId: number, apps: NewAppearance[], pass = 1): void {
  const ins = ws.db.prepare(`INSERT INTO appearances (video_id, frame, shot, time, x, y, w, h, score, face, mask, mask_w, mask_h, crop, embedding, pass)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const a of apps) {
    ins.run(videoId, a.frame, a.shot, a.time, ...a.box, a.score, a.face ? JSON.stringify(a.face.map((v) => Math.round(v))) : null,
      a.mask ? deflateRawSync(a.mask.data) : null, a.mask?.width ?? null, a.mask?.height ?? null, a.crop, Buffer.from(a.embedding.buffer, a.embedding.byteOffset, a.embedding.byteLength), pass);
  }
}

/** Store a shot's appearances and mark its sampled frames done, atomically. */
export function saveShot(ws: Workspace, videoId: number, shot: number, apps: NewAppearance[]): void {
  ws.db.transaction(() => {
    saveAppearances(ws, videoId, apps, 1);
    ws.db.prepare('UPDATE samples SET done = 1 WHERE video_id = ? AND shot = ?').run(videoId, shot);
  })();
}

function toRow(r: any): AppearanceRow {
  return {
    id: r.id,
    video_id: r.video_id,
    frame: r.frame,
    shot: r.shot,
    time: r.time,
    box: [r.x, r.y, r.w, r.h],
    score: r.score,
    face: r.face ? JSON.parse(r.face) : null,
    embedding: r.embedding ? new Float32Array(r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.length)) : null,
    track: r.track,
    cluster: r.cluster,
  };
}

export function appearances(ws: Workspace, videoId?: number): AppearanceRow[] {
  const rows = videoId === undefined
    ? ws.db.prepare('SELECT id, video_id, frame, shot, time, x, y, w, h, score, face, embedding, track, cluster FROM appearances ORDER BY video_id, frame, id').all()
    : ws.db.prepare('SELECT id, video_id, frame, shot, time, x, y, w, h, score, face, embedding, track, cluster FROM appearances WHERE video_id = ? ORDER BY frame, id').all(videoId);
  return rows.map(toRow);
}

export function crop(ws: Workspace, id: number): Buffer | undefined {
  return (ws.db.prepare('SELECT crop FROM appearances WHERE id = ?').get(id) as { crop: Buffer } | undefined)?.crop;
}

export function mask(ws: Workspace, id: number): Image | undefined {
  const r = ws.db.prepare('SELECT mask, mask_w, mask_h FROM appearances WHERE id = ?').get(id) as { mask: Buffer | null; mask_w: number; mask_h: number } | undefined;
  if (!r?.mask) return undefined;
  return { width: r.mask_w, height: r.mask_h, channels: 1, data: new Uint8Array(inflateRawSync(r.mask)) };
}

/** Boxes a person drew (source pixels). */
export interface TaughtBox {
  id: number;
  video: number;
  frame: number;
  box: Box;
  name: string | null;
}

export function taughtBoxes(ws: Workspace, videoId?: number): TaughtBox[] {
  ensureSchema(ws);
  const rows = (videoId === undefined
    ? ws.db.prepare('SELECT id, video_id, frame, x, y, w, h, name FROM taught ORDER BY id').all()
    : ws.db.prepare('SELECT id, video_id, frame, x, y, w, h, name FROM taught WHERE video_id = ? ORDER BY id').all(videoId)) as { id: number; video_id: number; frame: number; x: number; y: number; w: number; h: number; name: string | null }[];
  return rows.map((r) => ({ id: r.id, video: r.video_id, frame: r.frame, box: [r.x, r.y, r.w, r.h], name: r.name }));
}

