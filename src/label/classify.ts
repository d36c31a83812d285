// The per-series classifier: every track gets the name a person gave it (its
// cluster was named) or the name of its nearest named tracks, with a
// confidence, or stays unknown. Pure: vectors in, labels out.
//
// Scores: a class's score for a track is the mean cosine to its k nearest
// decided tracks of that class (kNN, so a character with two looks, e.g. two
// outfits in two named clusters, is one class with two modes). "Not a
// character" is a class like the names, so rejected looks attract their kind.
// Open set: a track is labelled only when its best score reaches what decided
// tracks of that class score against each other (a low quantile of their
// leave-one-out scores); anything less like the class than its own members
// are is unknown. Two tracks in the same frame never get the same name.
import { dot } from '../embed/vector.js';

/** The rejected ("not a character") class. */
export const REJECTED = '\u0000rejected';

export interface ClassifyInput {
  /** Track ids, with unit vectors (mean of the track's embeddings). */
  ids: readonly number[];
  vectors: readonly Float32Array[];
  /** Person decisions: track id -> class (a name or REJECTED). */
  decided: ReadonlyMap<number, string>;
  /** Track id -> tracks it shares a frame with. */
  together?: ReadonlyMap<number, ReadonlySet<number>>;
}

export interface ClassifyOptions {
  /** Neighbours per class. Default 3. */
  k?: number;
  /** Quantile of the members' leave-one-out scores a track must reach. Default 0.05. */
  quantile?: number;
}

export interface TrackLabel {
  track: number;
  /** A name, REJECTED, or null (unknown). */
  label: string | null;
  confidence: number;
  /** person: decided; auto: kNN; cluster: the track's dictionary cluster (see fillFromClusters). */
  source: 'person' | 'auto' | 'cluster';
  /** Best class score (mean cosine to its nearest members). */
  score: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))];
}

/** Mean of the k largest values. */
function topMean(xs: number[], k: number): number {
  if (!xs.length) return -Infinity;
  const s = [...xs].sort((a, b) => b - a).slice(0, k);
  return s.reduce((a, b) => a + b, 0) / s.length;
}

export function classify(input: ClassifyInput, opts: ClassifyOptions = {}): TrackLabel[] {
  const k = opts.k ?? 3, q = opts.quantile ?? 0.05;
  const n = input.ids.length;
  const index = new Map(input.ids.map((id, i) => [id, i]));
  const members = new Map<string, number[]>();
  for (const [track, cls] of input.decided) {
    const i = index.get(track);
    if (i === undefined) continue;
    if (!members.has(cls)) members.set(cls, []);
    members.get(cls)!.push(i);
  }
  const classes = [...members.keys()];
  const scoreOf = (i: number, cls: string, skip = -1) =>
    topMean(members.get(cls)!.filter((j) => j !== skip).map((j) => dot(input.vectors[i], input.vectors[j])), k);

  // Acceptance threshold and softness per class, from its members' leave-one-out scores.
  const threshold = new Map<string, number>(), spread = new Map<string, number>();
  const pooled: number[] = [];
  for (const cls of classes) {
    const loo = members.get(cls)!.length > 1 ? members.get(cls)!.map((i) => scoreOf(i, cls, i)) : [];
    pooled.push(...loo);
    if (loo.length) threshold.set(cls, quantile(loo, q));
    if (loo.length > 1) {
      const m = loo.reduce((a, b) => a + b, 0) / loo.length;
      spread.set(cls, Math.sqrt(loo.reduce((a, b) => a + (b - m) ** 2, 0) / loo.length));
    }
  }
  // A class with a single decided track borrows the pooled threshold of the others; with none at all, nothing is accepted.
  const fallback = pooled.length ? quantile(pooled, q) : Infinity;
  const soft = (cls: string) => Math.max(0.02, spread.get(cls) ?? 0.05);

  const out: TrackLabel[] = new Array(n);
  const ranked: Array<{ i: number; options: Array<{ cls: string; score: number; conf: number }> }> = [];
  for (let i = 0; i < n; i++) {
    const id = input.ids[i];
    const own = input.decided.get(id);
    if (own !== undefined) {
      out[i] = { track: id, label: own, confidence: 1, source: 'person', score: 1 };
      continue;
    }
    const scores = classes.map((cls) => ({ cls, score: scoreOf(i, cls) })).sort((a, b) => b.score - a.score);
    // Confidence: how far the score clears both the class's threshold and the runner-up, in units of the class's spread.
    const options = scores
      .map((s, r) => {
        const bar = Math.max(threshold.get(s.cls) ?? fallback, r === 0 ? scores[1]?.score ?? -Infinity : scores[0].score);
        return { ...s, conf: 1 / (1 + Math.exp(-(s.score - bar) / soft(s.cls))) };
      })
      .filter((s) => s.score >= (threshold.get(s.cls) ?? fallback));
    ranked.push({ i, options });
    out[i] = { track: id, label: null, confidence: 0, source: 'auto', score: scores[0]?.score ?? 0 };
  }

  // Cannot-link: most confident first; a name already on screen in the same frame falls to the next acceptable class.
  const taken = new Map<number, Set<string>>();
  const take = (i: number, cls: string) => {
    if (cls === REJECTED) return;
    for (const other of input.together?.get(input.ids[i]) ?? []) {
      if (!taken.has(other)) taken.set(other, new Set());
      taken.get(other)!.add(cls);
    }
  };
  for (let i = 0; i < n; i++) if (out[i].source === 'person' && out[i].label) take(i, out[i].label!);
  ranked.sort((a, b) => (b.options[0]?.conf ?? 0) - (a.options[0]?.conf ?? 0));
  for (const { i, options } of ranked) {
    const blocked = taken.get(input.ids[i]);
    const pick = options.find((o) => o.cls === REJECTED || !blocked?.has(o.cls));
    if (!pick) continue;
    out[i] = { ...out[i], label: pick.cls, confidence: pick.conf, score: pick.score };
    take(i, pick.cls);
  }
  return out;
}

/**
 * Second chance for unknown tracks: the dictionary put each track in a
 * cluster with the whole series in view. When more than half of a cluster's
 * tracks carry one label, its unknown tracks take it too (a new episode's
 * tracks that kNN found a little too far from the named ones, but that
 * clustering grouped with them). Confidence is half the cluster's agreement,
 * so these always rank below accepted kNN labels; same-frame exclusion holds.
 * A cluster without such a majority (e.g. a character nobody named yet)
 * leaves its tracks unknown.
 */
export function fillFromClusters(labels: TrackLabel[], clusters: ReadonlyMap<number, readonly number[]>, together?: ReadonlyMap<number, ReadonlySet<number>>): TrackLabel[] {
  const by = new Map(labels.map((l) => [l.track, l]));
  const out = new Map(by);
  for (const tracks of clusters.values()) {
    const votes = new Map<string, number>();
    for (const t of tracks) {
      const l = by.get(t)?.label;
      if (l) votes.set(l, (votes.get(l) ?? 0) + 1);
    }
    const [best, n] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (!best || n * 2 <= tracks.length) continue;
    for (const t of tracks) {
      const l = out.get(t);
      if (!l || l.label !== null) continue;
      const clash = best !== REJECTED && [...(together?.get(t) ?? [])].some((o) => out.get(o)?.label === best);
      if (!clash) out.set(t, { ...l, label: best, confidence: (0.5 * n) / tracks.length, source: 'cluster' });
    }
  }
  return labels.map((l) => out.get(l.track)!);
}
