// The series stages of analyze: every analysed episode in the workspace
// shares one refined head and one character dictionary. Tracks come from
// the appearances table; the head is kept in the models table and reused
// while the set of tracks is unchanged.
import type { Workspace } from '../core/workspace.js';
import type { Detection, Track } from '../core/types.js';
import { decodeImage } from '../core/image.js';
import { refineTracks, projectTracks, Head, buildDictionary, collageMembers, writeCollage, type Dictionary } from '../dictionary/index.js';
import { coOccurring } from '../dictionary/triplets.js';
import { appearances, crop, ensureSchema, type AppearanceRow } from './store.js';

type Appearance = Detection & { id: number; video: number };

/** Shots are numbered per video; the series needs them unique (co-occurrence is "same shot, same frame"). */
const SHOT_STRIDE = 1_000_000;

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

export interface SeriesSummary {
  tracks: number;
  appearances: number;
  refined: boolean;
  /** Why refinement was skipped, if it was. */
  note?: string;
  training?: { triplets: number; epochs: number; secondsPerEpoch: number; finalLoss: number };
  characters: Array<{ id: number; tracks: number; appearances: number; cohesion: number; collage: string; exemplar: number }>;
  silhouette: number;
}

export interface SeriesOptions {
  refine?: boolean;
  epochs?: number;
  log?: (msg: string) => void;
}

const HEAD_VERSION = 1;

export async function analyzeSeries(ws: Workspace, opts: SeriesOptions = {}): Promise<SeriesSummary> {
  ensureSchema(ws);
  const log = opts.log ?? (() => undefined);
  const rows = appearances(ws);
  let tracks = tracksFromRows(rows);
  const summary: SeriesSummary = { tracks: tracks.length, appearances: rows.length, refined: false, characters: [], silhouette: 0 };
  if (!tracks.length) {
    summary.note = 'no character was detected: nothing to cluster';
    ws.db.prepare('DELETE FROM clusters').run();
    return summary;
  }

  const hasPairs = [...coOccurring(tracks).values()].some((s) => s.size > 0);
  if (opts.refine === false) summary.note = 'refinement switched off';
  else if (!hasPairs) summary.note = 'no two tracks share a frame: no triplets to learn from, vanilla embeddings kept';
  else {
    const params = JSON.stringify({ v: HEAD_VERSION, tracks: tracks.map((t) => `${t.id}:${t.detections.length}`).join(','), epochs: opts.epochs ?? null });
    const stored = ws.db.prepare("SELECT params, weights FROM models WHERE name = 'series-head'").get() as { params: string; weights: Buffer } | undefined;
    if (stored && stored.params === params) {
      log('refine: reusing the trained head (tracks unchanged)');
      tracks = await projectTracks(tracks, Head.fromJSON(JSON.parse(stored.weights.toString('utf8'))));
    } else {
      log(`refine: training a projection head on triplets from ${tracks.length} tracks`);
      const r = await refineTracks(tracks, { head: { epochs: opts.epochs } });
      ws.db.prepare("INSERT OR REPLACE INTO models (name, params, weights) VALUES ('series-head', ?, ?)").run(params, Buffer.from(JSON.stringify(r.head.toJSON())));
      tracks = r.tracks;
      summary.training = { triplets: r.report.triplets, epochs: r.report.epochs, secondsPerEpoch: r.report.secondsPerEpoch, finalLoss: r.report.losses.at(-1) ?? NaN };
    }
    summary.refined = true;
  }

  const dict = buildDictionary(tracks);
  summary.silhouette = dict.silhouette;
  await saveDictionary(ws, dict, tracks, summary);
  return summary;
}

async function saveDictionary(ws: Workspace, dict: Dictionary, tracks: Track[], summary: SeriesSummary): Promise<void> {
  ws.db.transaction(() => {
    ws.db.prepare('DELETE FROM clusters').run();
    ws.db.prepare('UPDATE appearances SET cluster = NULL').run();
    const ins = ws.db.prepare('INSERT INTO clusters (id, medoid, size, tracks) VALUES (?, ?, ?, ?)');
    for (const c of dict.characters) ins.run(c.id, (c.exemplar as Appearance).id, c.detections, c.tracks.length);
    const upd = ws.db.prepare('UPDATE appearances SET cluster = ? WHERE track = ?');
    for (const [track, ch] of dict.trackCharacter) upd.run(ch, track);
  })();
  for (const c of dict.characters) {
    const members = collageMembers(c, tracks, 12) as Appearance[];
    const crops = [];
    for (const m of members) {
      const bytes = crop(ws, m.id);
      if (bytes) crops.push(await decodeImage(bytes));
    }
    const path = ws.file('dictionary', `character-${String(c.id).padStart(3, '0')}.png`);
    await writeCollage(path, crops);
    summary.characters.push({ id: c.id, tracks: c.tracks.length, appearances: c.detections, cohesion: c.cohesion, collage: path, exemplar: (c.exemplar as Appearance).id });
  }
}
