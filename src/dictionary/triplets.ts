// Self-supervision from tracks: two crops of one track are the same character
// (anchor, positive); a crop of another track visible in the same frame is a
// different character (negative): two characters on screen at once are never
// the same one. Hard negatives are the co-occurring crops the current
// embedding finds most similar to the anchor.
import type { Track } from '../core/types.js';
import { dot, meanVector } from '../embed/vector.js';
import { rng } from '../core/random.js';

export interface TripletSet {
  /** Flat list of the embeddings used (one per tracked detection with an embedding). */
  items: Float32Array[];
  /** Track id of each item. */
  track: number[];
  /** [anchor, positive, negative] item indices, 3 per triplet. */
  triplets: Int32Array;
}

export interface TripletOptions {
  /** Triplets drawn per track that has co-occurring tracks. Default 40. */
  perTrack?: number;
  /** Fraction of triplets whose negative is the hardest of a few candidates. Default 0.5. */
  hard?: number;
  /** Candidates examined for a hard negative. Default 8. */
  candidates?: number;
  seed?: number;
  /** See Scope. */
  scope?: Scope;
  /**
   * Share of triplets whose positive comes from another track: the track's
   * mutual nearest neighbour among tracks of other shots (cosine of track means
   * at least `crossMin`, never a co-occurring track). This shows the head
   * same-character pairs across shots (lighting, set, pose), which within-track
   * pairs never do (tracklet association, as in unsupervised re-id). Default 0.
   */
  crossPositives?: number;
  /** Minimum cosine between track means for a cross-shot pair. Default 0.85. */
  crossMin?: number;
}

/**
 * Which video a track belongs to, for co-occurrence: frame numbers are per
 * video, so two tracks co-occur only when they share a scope and a frame.
 * Default: the track's shot (shots of one video never overlap in frames). In
 * series mode, give each video's shots distinct numbers, or pass a scope that
 * names the video.
 */
export type Scope = (t: Track) => string | number;

/** Pairs of track ids that share at least one frame (must be different characters). */
export function coOccurring(tracks: readonly Track[], scope: Scope = (t) => t.shot): Map<number, Set<number>> {
  const byFrame = new Map<string, number[]>();
  for (const t of tracks) for (const d of t.detections) {
    const key = `${scope(t)}:${d.frame}`;
    if (!byFrame.has(key)) byFrame.set(key, []);
    byFrame.get(key)!.push(t.id);
  }
  const out = new Map<number, Set<number>>(tracks.map((t) => [t.id, new Set<number>()]));
  for (const ids of byFrame.values()) for (const a of ids) for (const b of ids) if (a !== b) out.get(a)!.add(b);
  return out;
}

/**
 * The tracks a track's triplets draw negatives from, or none when it cannot anchor any: it needs two embedded
 * appearances (anchor and positive) and a track sharing its frame that holds one (`embedded`: a track's count).
 */
function negativesOf(t: Track, embedded: (id: number) => number, co: Map<number, Set<number>>): number[] {
  return embedded(t.id) < 2 ? [] : [...co.get(t.id)!].filter((id) => embedded(id) > 0);
}

/**
 * Whether `sampleTriplets` finds any (the same test, `negativesOf`). Two tracks sharing a frame is not enough: two
 * one-frame tracks do (a figure at the frame's edge beside someone seen once).
 */
export function hasTriplets(tracks: readonly Track[], scope?: Scope): boolean {
  const embedded = new Map(tracks.map((t) => [t.id, t.detections.filter((d) => d.embedding).length]));
  const co = coOccurring(tracks, scope);
  return tracks.some((t) => negativesOf(t, (id) => embedded.get(id)!, co).length > 0);
}

/** Draw triplets from tracks whose detections carry `embedding`. */
export function sampleTriplets(tracks: readonly Track[], opts: TripletOptions = {}): TripletSet {
  const perTrack = opts.perTrack ?? 40, hard = opts.hard ?? 0.5, cand = opts.candidates ?? 8;
  const r = rng(opts.seed ?? 1);
  const items: Float32Array[] = [], track: number[] = [];
  const itemsOf = new Map<number, number[]>();
  for (const t of tracks) {
    const idx: number[] = [];
    for (const d of t.detections) if (d.embedding) { idx.push(items.length); items.push(d.embedding); track.push(t.id); }
    itemsOf.set(t.id, idx);
  }
  const co = coOccurring(tracks, opts.scope);
  const out: number[] = [];
  const pick = (xs: number[]) => xs[Math.floor(r() * xs.length)];
  const cross = opts.crossPositives ? mutualNeighbours(tracks, itemsOf, items, co, opts.scope, opts.crossMin ?? 0.85) : new Map<number, number>();
  for (const t of tracks) {
    const own = itemsOf.get(t.id)!;
    const negTracks = negativesOf(t, (id) => itemsOf.get(id)!.length, co);
    if (!negTracks.length) continue;
    for (let k = 0; k < perTrack; k++) {
      const a = pick(own);
      let p = pick(own);
      while (p === a) p = pick(own);
      const mate = cross.get(t.id);
      if (mate !== undefined && r() < (opts.crossPositives ?? 0)) p = pick(itemsOf.get(mate)!);
      let n = pick(itemsOf.get(pick(negTracks))!);
      if (r() < hard) {
        let best = dot(items[a], items[n]);
        for (let c = 1; c < cand; c++) {
          const m = pick(itemsOf.get(pick(negTracks))!);
          const s = dot(items[a], items[m]);
          if (s > best) { best = s; n = m; }
        }
      }
      out.push(a, p, n);
    }
  }
  return { items, track, triplets: Int32Array.from(out) };
}

/** Track -> its mutual nearest neighbour (by mean embedding) among tracks of other shots, when similar enough. */
function mutualNeighbours(tracks: readonly Track[], itemsOf: Map<number, number[]>, items: Float32Array[], co: Map<number, Set<number>>, scope: Scope | undefined, min: number): Map<number, number> {
  const ts = tracks.filter((t) => itemsOf.get(t.id)!.length);
  const means = ts.map((t) => meanVector(itemsOf.get(t.id)!.map((i) => items[i])));
  const where = (t: Track) => `${scope ? scope(t) : ''}/${t.shot}`;
  const nn = ts.map((t, i) => {
    let best = -1, bs = min;
    for (let j = 0; j < ts.length; j++) {
      if (j === i || where(ts[j]) === where(t) || co.get(t.id)!.has(ts[j].id)) continue;
      const s = dot(means[i], means[j]);
      if (s >= bs) { bs = s; best = j; }
    }
    return best;
  });
  const out = new Map<number, number>();
  nn.forEach((j, i) => { if (j >= 0 && nn[j] === i) out.set(ts[i].id, ts[j].id); });
  return out;
}
