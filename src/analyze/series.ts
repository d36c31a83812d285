// The series stages of analyze: every analysed episode in the workspace
// shares one refined head and one character dictionary. Tracks come from
// the appearances table; the head is kept in the models table and reused
// while the set of tracks is unchanged.
import type { Workspace } from '../core/workspace.js';
import type { Track } from '../core/types.js';
import { refineTracks, projectTracks, buildDictionary, trackVector, colourView, type Dictionary } from '../dictionary/index.js';
import { writeCharacterCollage } from './collage.js';
import { relabel, restoreNames, type LabelSummary } from '../label/relabel.js';
import { links } from '../label/store.js';
import { hasTriplets } from '../dictionary/triplets.js';
import { appearances, ensureSchema } from './store.js';
import { tracksFromRows, storedHead, dictionaryCut, HEAD_MODEL, type Appearance } from './tracks.js';
import { learnPass, nameTaught, type Judged, type LearnPassSummary } from './learn.js';
import type { Progress } from '../core/progress.js';
import { dropFrames } from './kept.js';

export { tracksFromRows } from './tracks.js';

/** What `analyzeSeries` built: the dictionary's characters, training figures, names carried over, labels. */
export interface SeriesSummary {
  tracks: number;
  appearances: number;
  refined: boolean;
  /** Why refinement was skipped, if it was. */
  note?: string;
  training?: { triplets: number; epochs: number; secondsPerEpoch: number; finalLoss: number };
  characters: Array<{ id: number; tracks: number; appearances: number; cohesion: number; collage: string; exemplar: number }>;
  silhouette: number;
  /** Names a person gave carried onto the new clusters, and every track labelled from them. */
  restored: number;
  labels?: LabelSummary;
  /** The learned pass: what it learned from and what each pass found per episode. */
  learned?: LearnPassSummary;
}

/** Options of `analyzeSeries`: whether to train the projection head, and for how many epochs. */
export interface SeriesOptions {
  refine?: boolean;
  /** Detect, learn, detect again: the series detector's second pass before clustering (default on). */
  learn?: boolean;
  progress?: (label: string, total?: number) => Progress;
  epochs?: number;
  log?: (msg: string) => void;
  /** Told every candidate the learned pass judges (`LearnOptions.judged`). */
  judged?: Judged;
}

const HEAD_VERSION = 1;

/**
 * The series stages over every video analysed in the workspace: a projection head trained on triplets from the
 * tracks (when there are enough), clustering into the character dictionary, collages, and labels carried over.
 */
export async function analyzeSeries(ws: Workspace, opts: SeriesOptions = {}): Promise<SeriesSummary> {
  const log = opts.log ?? (() => undefined);
  let learned: LearnPassSummary | undefined;
  try {
    ws.claim('analyze');
    ensureSchema(ws);
    learned = opts.learn === false ? undefined : await learnPass(ws, { progress: opts.progress, log, judged: opts.judged });
  } finally {
    // The learned pass is the last to look at sampled frames: those the first pass kept are let go.
    dropFrames(ws);
  }
  const rows = appearances(ws);
  let tracks = tracksFromRows(rows);
  const summary: SeriesSummary = { tracks: tracks.length, appearances: rows.length, refined: false, characters: [], silhouette: 0, restored: 0, learned };
  if (!tracks.length) {
    summary.note = 'no character was detected: nothing to cluster';
    ws.db.prepare('DELETE FROM clusters').run();
    summary.labels = await relabel(ws);
    return summary;
  }

  const vanilla = new Map(tracks.map((t) => [t.id, trackVector(t)]));
  // From the stored vectors: refined ones (below) have no colour part.
  const colour = colourView(tracks);
  if (opts.refine === false) summary.note = 'refinement switched off';
  else if (!hasTriplets(tracks)) summary.note = 'no track of two or more appearances shares a frame with another: no triplets to learn from, vanilla embeddings kept';
  else {
    const params = JSON.stringify({ v: HEAD_VERSION, tracks: tracks.map((t) => `${t.id}:${t.detections.length}`).join(','), epochs: opts.epochs ?? null });
    const stored = storedHead(ws);
    if (stored && stored.params === params) {
      log('refine: reusing the trained head (tracks unchanged)');
      tracks = await projectTracks(tracks, stored.head);
    } else {
      log(`refine: training a projection head on triplets from ${tracks.length} tracks`);
      const r = await refineTracks(tracks, { head: { epochs: opts.epochs } });
      ws.db.prepare('INSERT OR REPLACE INTO models (name, params, weights) VALUES (?, ?, ?)').run(HEAD_MODEL, params, Buffer.from(JSON.stringify(r.head.toJSON())));
      tracks = r.tracks;
      summary.training = { triplets: r.report.triplets, epochs: r.report.epochs, secondsPerEpoch: r.report.secondsPerEpoch, finalLoss: r.report.losses.at(-1) ?? NaN };
    }
    summary.refined = true;
  }

  // Merges and splits a person made are constraints of the rebuilt dictionary.
  const person = links(ws);
  // Under a cut calibrated in the default space, one character where the refined and the vanilla vectors both say so:
  // the head, trained on a series' few tracks, pulls some characters together that colour and the backbone tell
  // apart, and the other way round. And where their colours alone say so (`SAME_COLOURS`): the backbone puts two
  // close-ups of different characters 0.05-0.1 apart, so the mix can merge a brown-haired boy in a beige coat with
  // a blonde girl in red; on the Ren'Py set the same character's tracks lie within 0.07 in colour, different ones
  // 0.3 or more apart. Another space keeps the silhouette's choice.
  const cut = dictionaryCut(ws);
  const also = cut === undefined ? undefined : summary.refined ? [vanilla, colour] : [colour];
  const dict = buildDictionary(tracks, { cut, also, together: person.together, apart: person.apart });
  summary.silhouette = dict.silhouette;
  await saveDictionary(ws, dict, tracks, summary);
  // Names typed with taught boxes land on the clusters those boxes fell in.
  nameTaught(ws);
  // New episodes are labelled as they arrive: decisions a person made survive the re-clustering.
  summary.labels = await relabel(ws);
  summary.restored = restoreNames(ws);
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
    const path = await writeCharacterCollage(ws, c, tracks);
    summary.characters.push({ id: c.id, tracks: c.tracks.length, appearances: c.detections, cohesion: c.cohesion, collage: path, exemplar: (c.exemplar as Appearance).id });
  }
}
