// Label every track of the series from the person's decisions, and carry
// decisions onto clusters after re-clustering (new episodes renumber them).
import type { Workspace } from '../core/workspace.js';
import { trackVector } from '../dictionary/index.js';
import { coOccurring } from '../dictionary/triplets.js';
import { seriesTracks } from '../analyze/tracks.js';
import { classify, fillFromClusters, REJECTED } from './classify.js';
import { ensureSchema, decisions, saveLabels, labels, clusterTracks, type Label } from './store.js';

/** Counts over the track labels: named, unknown, rejected, decided by a person, and the names. */
export interface LabelSummary {
  tracks: number;
  /** Tracks with a name (by a person or the classifier). */
  labelled: number;
  unknown: number;
  rejected: number;
  /** Tracks whose label a person decided. */
  decided: number;
  names: string[];
}

/** Label every track of every video from the names given so far (kNN over track embeddings, unknown when unsure). */
export async function relabel(ws: Workspace): Promise<LabelSummary> {
  ensureSchema(ws);
  const tracks = (await seriesTracks(ws)).filter((t) => t.detections.some((d) => d.embedding));
  const decided = new Map<number, string>();
  for (const d of decisions(ws)) if (d.rejected || d.name) decided.set(d.track, d.rejected ? REJECTED : d.name!);
  const together = coOccurring(tracks);
  const knn = classify({
    ids: tracks.map((t) => t.id),
    vectors: tracks.map(trackVector),
    decided,
    together,
  });
  const out = fillFromClusters(knn, clusterTracks(ws), together);
  const rows: Label[] = out.map((l) => ({ track: l.track, name: l.label === REJECTED ? null : l.label, rejected: l.label === REJECTED, confidence: l.confidence, source: l.source }));
  saveLabels(ws, rows);
  return labelSummary(ws);
}

/** Counts over the stored labels (no relabelling). */
export function labelSummary(ws: Workspace): LabelSummary {
  ensureSchema(ws);
  const c = ws.db.prepare(`SELECT COUNT(*) tracks, COUNT(name) labelled, SUM(name IS NULL AND rejected = 0) unknown, SUM(rejected) rejected,
    SUM(source = 'person') decided FROM labels`).get() as Record<string, number | null>;
  const names = (ws.db.prepare('SELECT DISTINCT name FROM labels WHERE name IS NOT NULL ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  return { tracks: c.tracks ?? 0, labelled: c.labelled ?? 0, unknown: c.unknown ?? 0, rejected: c.rejected ?? 0, decided: c.decided ?? 0, names };
}

/**
 * After the dictionary is rebuilt (and `relabel` ran): a cluster takes the
 * label more than half of its tracks carry, so a name a person gave keeps
 * showing on "their" cluster even when a new episode adds more undecided
 * tracks to it than the person ever saw. Returns how many clusters got one.
 */
export function restoreNames(ws: Workspace): number {
  ensureSchema(ws);
  const lab = labels(ws);
  const upd = ws.db.prepare('UPDATE clusters SET name = ?, status = ? WHERE id = ?');
  let restored = 0;
  ws.db.transaction(() => {
    for (const [cluster, tracks] of clusterTracks(ws)) {
      const votes = new Map<string, number>();
      for (const t of tracks) {
        const l = lab.get(t);
        const key = l?.rejected ? REJECTED : l?.name;
        if (key) votes.set(key, (votes.get(key) ?? 0) + 1);
      }
      const [best, n] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
      if (!best || n * 2 <= tracks.length) continue;
      upd.run(best === REJECTED ? null : best, best === REJECTED ? 'rejected' : 'named', cluster);
      restored++;
    }
  })();
  return restored;
}
