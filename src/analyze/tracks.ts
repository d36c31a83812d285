// Series tracks from the appearances table, with vanilla or refined
// embeddings. Shared by the series stages (refine, cluster) and labelling.
import type { Workspace } from '../core/workspace.js';
import type { Detection, Track } from '../core/types.js';
import { Head, projectTracks, SAME_CHARACTER } from '../dictionary/index.js';
import { spaceOf, DEFAULT_SPACE } from '../models/identity.js';
import { appearances, type AppearanceRow } from './store.js';

export type Appearance = Detection & { id: number; video: number };

/** Shots are numbered per video; the series needs them unique (co-occurrence is "same shot, same frame"). */
export const SHOT_STRIDE = 1_000_000;

export const HEAD_MODEL = 'series-head';

export function tracksFromRows(rows: AppearanceRow[]): Track[] {
  const byTrack = new Map<number, Track>();
  for (const r of rows) {
    if (r.track === null || !r.embedding) continue;
    let t = byTrack.get(r.track);
    if (!t) byTrack.set(r.track, (t = { id: r.track, shot: r.video_id * SHOT_STRIDE + r.shot, detections: [] }));
    const d: Appearance = { frame: r.frame, box: r.box, score: r.score, label: 'character', embedding: r.embedding, track: r.track, id: r.id, video: r.video_id };
    t.detections.push(d);
  }
  return [...byTrack.values()];
}

/** The stored projection head, if refinement ran. */
export function storedHead(ws: Workspace): { params: string; head: Head } | undefined {
  const r = ws.db.prepare('SELECT params, weights FROM models WHERE name = ?').get(HEAD_MODEL) as { params: string; weights: Buffer } | undefined;
  return r && { params: r.params, head: Head.fromJSON(JSON.parse(r.weights.toString('utf8'))) };
}

/** Every track of the series with the embeddings the dictionary was built on (refined when a head exists). */
export async function seriesTracks(ws: Workspace): Promise<Track[]> {
  const tracks = tracksFromRows(appearances(ws));
  const head = storedHead(ws);
  return head && tracks.length ? projectTracks(tracks, head.head) : tracks;
}

/** The dictionary's fixed cut for this workspace: calibrated in the default identity space; elsewhere none (the silhouette chooses). */
export function dictionaryCut(ws: Workspace): number | undefined {
  return spaceOf(ws) === DEFAULT_SPACE ? SAME_CHARACTER : undefined;
}
