// Read side of labelling: the dictionary with its names, episodes, and
// spans (one per track: who is on screen from when to when).
import { basename, dirname, relative } from 'node:path';
import { existsSync } from 'node:fs';
import type { Workspace } from '../core/workspace.js';
import type { Box } from '../core/types.js';
import { crop } from '../analyze/store.js';
import { collagePath } from '../analyze/collage.js';
import { loadShots } from '../shots/store.js';
import { ensureSchema } from './store.js';
import type { CharacterStatus } from './edit.js';

/** One character of the dictionary as a person sees it: name, status, size, exemplar and collage. */
export interface CharacterCard {
  id: number;
  name: string | null;
  status: CharacterStatus;
  tracks: number;
  appearances: number;
  /** Appearance id of the medoid. */
  exemplar: number | null;
  /** Collage PNG, relative to the workspace folder. */
  collage: string | null;
  /** Tracks the classifier labelled with this cluster's name (named clusters). */
  labelled: number;
}

/** The character dictionary: one card per cluster with its name (if given), status, size and collage. */
export function listCharacters(ws: Workspace): CharacterCard[] {
  ensureSchema(ws);
  const rows = ws.db.prepare('SELECT id, name, status, tracks, size, medoid FROM clusters ORDER BY id').all() as { id: number; name: string | null; status: CharacterStatus; tracks: number; size: number; medoid: number | null }[];
  const byName = new Map((ws.db.prepare('SELECT name, COUNT(*) n FROM labels WHERE name IS NOT NULL GROUP BY name').all() as { name: string; n: number }[]).map((r) => [r.name, r.n]));
  return rows.map((r) => {
    const path = collagePath(ws, r.id);
    return {
      id: r.id, name: r.name, status: r.status, tracks: r.tracks, appearances: r.size, exemplar: r.medoid,
      collage: existsSync(path) ? relative(ws.dir, path) : null,
      labelled: r.name ? byName.get(r.name) ?? 0 : 0,
    };
  });
}

/** A video of the workspace with a display name, length, frame rate and size. */
export interface Episode {
  id: number;
  path: string;
  name: string;
  duration: number;
  fps: number;
  width: number;
  height: number;
}

/** The videos in the workspace with a display name (its folder added where two share a file name), length, rate and size. */
export function episodes(ws: Workspace): Episode[] {
  const vs = ws.videos();
  const count = new Map<string, number>();
  for (const v of vs) count.set(basename(v.path), (count.get(basename(v.path)) ?? 0) + 1);
  // Files of one name in different folders (ep01/video.mp4, ep02/video.mp4) are told apart by their folder.
  const name = (p: string) => (count.get(basename(p))! > 1 ? `${basename(dirname(p))}/${basename(p)}` : basename(p));
  return vs.map((v) => ({ id: v.id, path: v.path, name: name(v.path), duration: v.duration, fps: v.fps, width: v.width, height: v.height }));
}

/** One track: one continuous appearance of one character in one shot. */
export interface Span {
  video: number;
  track: number;
  shot: number;
  cluster: number | null;
  /** The label's name; null when unknown or not a character. */
  label: string | null;
  rejected: boolean;
  confidence: number;
  source: 'person' | 'auto' | 'cluster' | null;
  /** Seconds: first sampled appearance, and the last one plus one sampling step (never past its shot's end). */
  start: number;
  end: number;
  firstFrame: number;
  lastFrame: number;
  appearances: number;
  /** The middle appearance's id (a thumbnail). */
  exemplar: number;
  /** Box of every sampled appearance. */
  boxes: Array<{ frame: number; time: number; box: Box; id: number }>;
}

/** Which spans `spans` returns: of one video, one dictionary cluster, or one name. */
export interface SpanFilter {
  video?: number;
  cluster?: number;
  label?: string;
}

/** Sampling step per video (median gap between sampled frames of one shot), to give a span its length. */
function steps(ws: Workspace): Map<number, number> {
  const out = new Map<number, number>();
  const rows = ws.db.prepare('SELECT video_id v, shot, time FROM samples ORDER BY video_id, shot, time').all() as { v: number; shot: number; time: number }[];
  const gaps = new Map<number, number[]>();
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].v !== rows[i - 1].v || rows[i].shot !== rows[i - 1].shot) continue;
    if (!gaps.has(rows[i].v)) gaps.set(rows[i].v, []);
    gaps.get(rows[i].v)!.push(rows[i].time - rows[i - 1].time);
  }
  for (const [v, g] of gaps) out.set(v, g.sort((a, b) => a - b)[g.length >> 1]);
  return out;
}

/** Every track as a span (who is on screen when, with its boxes), filtered by video, dictionary cluster or name. */
export function spans(ws: Workspace, filter: SpanFilter = {}): Span[] {
  ensureSchema(ws);
  const where: string[] = ['a.track IS NOT NULL'];
  const args: (number | string)[] = [];
  if (filter.video !== undefined) { where.push('a.video_id = ?'); args.push(filter.video); }
  if (filter.cluster !== undefined) { where.push('a.cluster = ?'); args.push(filter.cluster); }
  if (filter.label !== undefined) { where.push('l.name = ?'); args.push(filter.label); }
  const rows = ws.db.prepare(`SELECT a.id, a.video_id, a.frame, a.shot, a.time, a.x, a.y, a.w, a.h, a.track, a.cluster, l.name, l.rejected, l.confidence, l.source
    FROM appearances a LEFT JOIN labels l ON l.track = a.track WHERE ${where.join(' AND ')} ORDER BY a.video_id, a.track, a.frame`).all(...args) as any[];
  const step = steps(ws);
  // A span never runs into the next shot: it ends where its shot ends at the latest.
  const shotEnd = new Map<string, number>();
  for (const v of ws.videos()) {
    for (const sh of loadShots(ws, v.id)) shotEnd.set(`${v.id}:${sh.index}`, sh.endTime);
    shotEnd.set(`${v.id}:`, v.duration);
  }
  const out: Span[] = [];
  for (const r of rows) {
    let s = out.at(-1);
    if (!s || s.track !== r.track) {
      s = { video: r.video_id, track: r.track, shot: r.shot, cluster: r.cluster, label: r.name ?? null, rejected: !!r.rejected, confidence: r.confidence ?? 0, source: r.source ?? null, start: r.time, end: r.time, firstFrame: r.frame, lastFrame: r.frame, appearances: 0, exemplar: r.id, boxes: [] };
      out.push(s);
    }
    s.boxes.push({ frame: r.frame, time: r.time, box: [r.x, r.y, r.w, r.h], id: r.id });
    s.appearances++;
    s.end = r.time;
    s.lastFrame = r.frame;
  }
  for (const s of out) {
    s.exemplar = s.boxes[s.boxes.length >> 1].id;
    s.end = Math.max(s.end, Math.min(shotEnd.get(`${s.video}:${s.shot}`) ?? shotEnd.get(`${s.video}:`) ?? Infinity, s.end + (step.get(s.video) ?? 0)));
  }
  return out.sort((a, b) => a.video - b.video || a.start - b.start || a.track - b.track);
}

/** The stored crop (JPEG/PNG bytes) of one appearance. */
export function thumbnail(ws: Workspace, appearanceId: number): Buffer | undefined {
  ensureSchema(ws);
  return Number.isInteger(appearanceId) ? crop(ws, appearanceId) : undefined;
}
