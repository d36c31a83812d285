// The shots capability's tables in the workspace: per-frame metrics in
// chunks (so an interrupted decode resumes where it stopped), transitions
// and shots per detector.
import type { Workspace } from '../core/workspace.js';
import type { Shot, Transition } from '../core/types.js';
import { WIDTH, THUMB, type FrameMetrics } from './metrics.js';

const THUMB_BYTES = THUMB * THUMB * 3;

export function ensureSchema(ws: Workspace): void {
  ws.schema('shots', 1, `
    CREATE TABLE shot_metrics (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      first INTEGER NOT NULL,
      count INTEGER NOT NULL,
      times BLOB NOT NULL,
      vals BLOB NOT NULL,
      thumbs BLOB NOT NULL,
      PRIMARY KEY (video_id, key, first)
    );
    CREATE TABLE transitions (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      detector TEXT NOT NULL,
      kind TEXT NOT NULL, frame INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, score REAL,
      source TEXT
    );
    CREATE INDEX transitions_video ON transitions(video_id, detector);
    CREATE TABLE shots (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      detector TEXT NOT NULL,
      idx INTEGER NOT NULL,
      start_frame INTEGER NOT NULL, end_frame INTEGER NOT NULL,
      start_time REAL NOT NULL, end_time REAL NOT NULL,
      edge_in TEXT NOT NULL, edge_out TEXT NOT NULL,
      PRIMARY KEY (video_id, detector, idx)
    );
  `);
  // Contact-sheet samples from the metrics decode (thumbs.ts), saved with their chunk.
  ws.schema('shots', 2, `
    CREATE TABLE shot_thumbs (
      video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      frame INTEGER NOT NULL,
      jpeg BLOB NOT NULL,
      PRIMARY KEY (video_id, key, frame)
    );
  `);
  // A held title card's cut frames (Transition.card), for the fade detector alone.
  ws.schema('shots', 3, 'ALTER TABLE transitions ADD COLUMN card TEXT;');
}

/** Append a chunk of metrics and its sheet samples (one transaction: a chunk is either stored whole or not at all). */
export function saveChunk(ws: Workspace, videoId: number, key: string, ms: FrameMetrics[]): void {
  if (!ms.length) return;
  const times = new Float64Array(ms.map((m) => m.time));
  const vals = new Float32Array(ms.length * WIDTH);
  const thumbs = new Uint8Array(ms.length * THUMB_BYTES);
  ms.forEach((m, i) => {
    vals.set(m.values, i * WIDTH);
    thumbs.set(m.thumb, i * THUMB_BYTES);
  });
  const put = ws.db.prepare('INSERT OR REPLACE INTO shot_thumbs (video_id, key, frame, jpeg) VALUES (?, ?, ?, ?)');
  ws.db.transaction(() => {
    ws.db.prepare('INSERT OR REPLACE INTO shot_metrics (video_id, key, first, count, times, vals, thumbs) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(videoId, key, ms[0].index, ms.length, Buffer.from(times.buffer), Buffer.from(vals.buffer), Buffer.from(thumbs.buffer));
    for (const m of ms) if (m.jpeg) put.run(videoId, key, m.index, m.jpeg);
  })();
}

/**
 * Every frame's presentation time (seconds) from the finished metrics pass,
 * without probing or decoding the file; null when that pass has not finished.
 */
export function frameTimes(ws: Workspace, videoId: number): Float64Array | null {
  ensureSchema(ws);
  const stage = ws.db.prepare("SELECT params FROM stages WHERE video_id = ? AND stage = 'shots:metrics' AND status = 'done'").get(videoId) as { params: string } | undefined;
  if (!stage) return null;
  const rows = ws.db.prepare('SELECT first, count, times FROM shot_metrics WHERE video_id = ? AND key = ? ORDER BY first')
    .all(videoId, JSON.parse(stage.params) as string) as { first: number; count: number; times: Buffer }[];
  const out: number[] = [];
  for (const r of rows) {
    if (r.first !== out.length) return null;
    for (const t of new Float64Array(r.times.buffer.slice(r.times.byteOffset, r.times.byteOffset + r.times.length))) out.push(t);
  }
  return out.length ? Float64Array.from(out) : null;
}

/** All stored metrics for a video, in frame order, stopping at the first gap. */
export function loadMetrics(ws: Workspace, videoId: number, key: string): FrameMetrics[] {
  const rows = ws.db.prepare('SELECT first, count, times, vals, thumbs FROM shot_metrics WHERE video_id = ? AND key = ? ORDER BY first')
    .all(videoId, key) as { first: number; count: number; times: Buffer; vals: Buffer; thumbs: Buffer }[];
  const out: FrameMetrics[] = [];
  for (const r of rows) {
    if (r.first !== out.length) break;
    const times = new Float64Array(r.times.buffer.slice(r.times.byteOffset, r.times.byteOffset + r.times.length));
    const vals = new Float32Array(r.vals.buffer.slice(r.vals.byteOffset, r.vals.byteOffset + r.vals.length));
    for (let i = 0; i < r.count; i++) {
      out.push({
        index: r.first + i,
        time: times[i],
        values: vals.subarray(i * WIDTH, (i + 1) * WIDTH),
        thumb: new Uint8Array(r.thumbs.subarray(i * THUMB_BYTES, (i + 1) * THUMB_BYTES)),
      });
    }
  }
  return out;
}

export function clearMetrics(ws: Workspace, videoId: number, key: string): void {
  ws.db.prepare('DELETE FROM shot_metrics WHERE video_id = ? AND key = ?').run(videoId, key);
  ws.db.prepare('DELETE FROM shot_thumbs WHERE video_id = ? AND key = ?').run(videoId, key);
}

export function saveResult(ws: Workspace, videoId: number, detector: string, ts: Transition[], shots: Shot[]): void {
  ws.db.transaction(() => {
    ws.db.prepare('DELETE FROM transitions WHERE video_id = ? AND detector = ?').run(videoId, detector);
    ws.db.prepare('DELETE FROM shots WHERE video_id = ? AND detector = ?').run(videoId, detector);
    const ti = ws.db.prepare('INSERT INTO transitions (video_id, detector, kind, frame, start, end, score, source, card) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const t of ts) ti.run(videoId, detector, t.kind, t.frame, t.start, t.end, t.score, t.detector, t.card ? JSON.stringify(t.card) : null);
    const si = ws.db.prepare('INSERT INTO shots (video_id, detector, idx, start_frame, end_frame, start_time, end_time, edge_in, edge_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const s of shots) si.run(videoId, detector, s.index, s.start, s.end, s.startTime, s.endTime, s.in, s.out);
  })();
}

/** Shots stored for a video by a detector (for later capabilities: tracking never crosses these). */
export function loadShots(ws: Workspace, videoId: number, detector = 'anime'): Shot[] {
  ensureSchema(ws);
  const rows = ws.db.prepare('SELECT * FROM shots WHERE video_id = ? AND detector = ? ORDER BY idx').all(videoId, detector) as any[];
  return rows.map((r) => ({ index: r.idx, start: r.start_frame, end: r.end_frame, startTime: r.start_time, endTime: r.end_time, in: r.edge_in, out: r.edge_out }));
}

/** Transitions stored for a video by a detector, in frame order. */
export function loadTransitions(ws: Workspace, videoId: number, detector = 'anime'): Transition[] {
  ensureSchema(ws);
  const rows = ws.db.prepare('SELECT kind, frame, start, end, score, source, card FROM transitions WHERE video_id = ? AND detector = ? ORDER BY frame').all(videoId, detector) as any[];
  return rows.map((r) => ({ kind: r.kind, frame: r.frame, start: r.start, end: r.end, score: r.score, detector: r.source, ...(r.card ? { card: JSON.parse(r.card) } : {}) }));
}
