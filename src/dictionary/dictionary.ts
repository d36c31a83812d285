// The character dictionary: tracks clustered by appearance (one vector per
// track: the normalised mean of its detections' embeddings), with cannot-link
// between tracks that share a frame, an exemplar (medoid detection) per
// character, and the track -> character map every later step uses.
import type { Detection, Track } from '../core/types.js';
import { dot, meanVector } from '../embed/vector.js';
import { colourPart } from '../embed/colour.js';
import { agglomerate, cosineDistances, type ClusterOptions } from './cluster.js';
import { coOccurring, type Scope } from './triplets.js';

export interface Character {
  /** 0..k-1, by decreasing number of tracks. */
  id: number;
  tracks: number[];
  detections: number;
  /** The medoid detection (highest mean cosine to the character's other detections). */
  exemplar: Detection;
  /** Normalised mean of the member tracks' vectors. */
  centroid: Float32Array;
  /** Mean cosine of member detections to the centroid (1 = tight). */
  cohesion: number;
}

export interface Dictionary {
  characters: Character[];
  /** Track id -> character id. */
  trackCharacter: Map<number, number>;
  k: number;
  silhouette: number;
  curve: Array<{ k: number; silhouette: number }>;
}

export interface DictionaryOptions extends Omit<ClusterOptions, 'cannotLink' | 'mustLink'> {
  /** Use co-occurrence cannot-links (default true). */
  cannotLink?: boolean;
  /** Track-id pairs a person said are one character (merges) and pairs they said are not (splits). */
  together?: ReadonlyArray<readonly [number, number]>;
  apart?: ReadonlyArray<readonly [number, number]>;
  /** Which video a track belongs to for co-occurrence (default: its shot). */
  scope?: Scope;
  /** Tracks with fewer embedded detections are left out (default 1). */
  minDetections?: number;
  /** Detections examined when looking for a medoid (evenly sampled). Default 300. */
  medoidSample?: number;
  /**
   * More vectors per track id (the unrefined one, when the tracks carry refined embeddings; the colour part alone,
   * `colourView`): two tracks are then as far apart as the farthest view says, so a pair is one character only when
   * all agree. A view with a `cut` of its own is measured against it (its distances scaled by `cut / view.cut`;
   * ignored without `cut`, where the silhouette chooses).
   */
  also?: View | readonly View[];
}

/** A vector per track id, and optionally the distance under which this view says "one character". */
export type View = ReadonlyMap<number, Float32Array> | { vectors: ReadonlyMap<number, Float32Array>; cut: number };

/**
 * Cosine distance (average linkage) under which two groups of tracks are one character, for `cut`, in the default
 * identity space (MobileNetV2 + colour): read off real track pairs, see docs/cast.md (Dictionary). Other spaces have
 * other scales and keep the silhouette.
 */
export const SAME_CHARACTER = 0.2;

/**
 * Cosine distance between two tracks' colours (`colourVector`) under which they may be one character: the same as
 * `SAME_CHARACTER`. On the real clips' track pairs (`eval appearances` workspaces), 8 of 34 same-character pairs lie
 * over it (split where the light changes her colours) and 26 of the 36 different-character pairs the mixed vector
 * puts under `SAME_CHARACTER` lie over it (told apart); at 0.25, 2 of 34 and 16 of 36, and the vertical clip's boy
 * and girl were one again. See docs/cast.md (Dictionary).
 */
export const SAME_COLOURS = 0.2;

/** A track's appearance: the normalised mean of its detections' embeddings. */
export function trackVector(t: Track): Float32Array {
  return meanVector(t.detections.filter((d) => d.embedding).map((d) => d.embedding!));
}

/**
 * A track's colours: the normalised mean of its detections' embeddings' colour parts (`colourPart`). The deep part
 * of the default identity space barely tells two close-ups of different characters apart (0.05-0.1 on real anime);
 * their hair and clothes do.
 */
export function colourVector(t: Track): Float32Array {
  // Stored embeddings only: a refined vector (the head's output) has no colour part.
  const es = t.detections.filter((d) => d.embedding).map((d) => d.embedding!);
  return meanVector(es.map(colourPart));
}

/** Every track's `colourVector`, by id, under `SAME_COLOURS`: a view for `also`. Tracks must carry the stored (unrefined) embeddings. */
export function colourView(tracks: readonly Track[]): View {
  return { vectors: new Map(tracks.map((t) => [t.id, colourVector(t)])), cut: SAME_COLOURS };
}

/** A character made of member tracks: medoid exemplar, centroid of the track vectors, cohesion. */
export function character(id: number, members: readonly Track[], vector: (t: Track) => Float32Array = trackVector, medoidSample = 300): Character {
  const dets = members.flatMap((t) => t.detections.filter((d) => d.embedding));
  const centroid = meanVector(members.map(vector));
  return {
    id,
    tracks: members.map((t) => t.id),
    detections: dets.length,
    exemplar: medoid(dets, medoidSample),
    centroid,
    cohesion: dets.reduce((s, d) => s + dot(d.embedding!, centroid), 0) / dets.length,
  };
}

/** Cluster tracks (detections must carry `embedding`) into a character dictionary. */
export function buildDictionary(tracks: readonly Track[], opts: DictionaryOptions = {}): Dictionary {
  const min = opts.minDetections ?? 1;
  const used = tracks.filter((t) => t.detections.filter((d) => d.embedding).length >= Math.max(1, min));
  const vecs = used.map(trackVector);
  const index = new Map(used.map((t, i) => [t.id, i]));
  const links: Array<[number, number]> = [];
  if (opts.cannotLink ?? true) {
    for (const [a, others] of coOccurring(used, opts.scope)) for (const b of others) if (a < b) links.push([index.get(a)!, index.get(b)!]);
  }
  // A person's pairs name tracks; tracks left out (too few embeddings) drop their pairs.
  const pairs = (ps: ReadonlyArray<readonly [number, number]> | undefined) =>
    (ps ?? []).filter(([a, b]) => index.has(a) && index.has(b)).map(([a, b]) => [index.get(a)!, index.get(b)!] as [number, number]);
  links.push(...pairs(opts.apart));
  const D = cosineDistances(vecs);
  const views: readonly View[] = opts.also === undefined ? [] : Array.isArray(opts.also) ? opts.also : [opts.also as View];
  views.forEach((view, k) => {
    const { vectors, cut } = 'vectors' in view && 'cut' in view ? view : { vectors: view as ReadonlyMap<number, Float32Array>, cut: undefined };
    const d = cosineDistances(used.map((t) => vectors.get(t.id) ?? missing(t.id, k)));
    if (cut !== undefined && opts.cut !== undefined) for (let i = 0; i < d.length; i++) d[i] *= opts.cut / cut;
    farther(D, d);
  });
  const c = agglomerate({ distances: D, n: used.length }, { cut: opts.cut, maxClusters: opts.maxClusters, cannotLink: links, mustLink: pairs(opts.together) });
  const characters: Character[] = [];
  for (let k = 0; k < c.k; k++) {
    characters.push(character(k, used.filter((_, i) => c.labels[i] === k), (t) => vecs[index.get(t.id)!], opts.medoidSample));
  }
  const trackCharacter = new Map(used.map((t, i) => [t.id, c.labels[i]]));
  return { characters, trackCharacter, k: c.k, silhouette: c.silhouette, curve: c.curve };
}

/** Elementwise maximum of two distance matrices, into the first. */
function farther(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
}

function missing(track: number, view: number): never {
  throw new Error(`buildDictionary: track ${track} has no vector in view ${view + 1} of also`);
}

/** The detection with the highest summed cosine to the others (on an even sample when many). */
export function medoid(dets: readonly Detection[], sample = 300): Detection {
  const step = Math.max(1, dets.length / sample);
  const pool: Detection[] = [];
  for (let x = 0; x < dets.length && pool.length < sample; x += step) pool.push(dets[Math.floor(x)]);
  let best = pool[0], bestS = -Infinity;
  for (const a of pool) {
    let s = 0;
    for (const b of pool) s += dot(a.embedding!, b.embedding!);
    if (s > bestS) { bestS = s; best = a; }
  }
  return best;
}

/** Character id per detection of the given tracks (-1 for tracks left out), in track then detection order. */
export function detectionLabels(tracks: readonly Track[], dict: Dictionary): number[] {
  return tracks.flatMap((t) => t.detections.map(() => dict.trackCharacter.get(t.id) ?? -1));
}

/**
 * Members to show in a character's collage: the exemplar first, then one
 * detection per track (the middle one) in order of track size, then more
 * detections spread over time, up to `n`.
 */
export function collageMembers(ch: Character, tracks: readonly Track[], n = 12): Detection[] {
  const own = tracks.filter((t) => ch.tracks.includes(t.id)).sort((a, b) => b.detections.length - a.detections.length);
  const out: Detection[] = [ch.exemplar];
  const seen = new Set<Detection>([ch.exemplar]);
  for (let round = 0; out.length < n && round < 8; round++) {
    let added = false;
    for (const t of own) {
      if (out.length >= n) break;
      const frac = [0.5, 0.15, 0.85, 0.35, 0.65, 0.05, 0.95, 0.25][round];
      const d = t.detections[Math.min(t.detections.length - 1, Math.floor(frac * t.detections.length))];
      if (seen.has(d)) continue;
      seen.add(d); out.push(d); added = true;
    }
    if (!added && round > 0) break;
  }
  return out;
}
