// Refinement: triplets from tracks -> projection head -> refined embeddings.
import type { Track } from '../core/types.js';
import { Head, trainHead, type HeadOptions, type TrainReport } from './head.js';
import { sampleTriplets, type TripletOptions } from './triplets.js';

/** Replace every detection's embedding by its projection through `head` (copies; inputs untouched). */
export async function projectTracks(tracks: readonly Track[], head: Head): Promise<Track[]> {
  const flat = tracks.flatMap((t) => t.detections.filter((d) => d.embedding).map((d) => d.embedding!));
  const proj = await head.project(flat);
  let k = 0;
  return tracks.map((t) => ({ ...t, detections: t.detections.map((d) => (d.embedding ? { ...d, embedding: proj[k++] } : { ...d })) }));
}

export interface RefineResult {
  head: Head;
  report: TrainReport & { tripletsPerTrack: number; usableTracks: number };
  tracks: Track[];
}

/**
 * Sample triplets from the tracks (their current embeddings), train a head,
 * and return the tracks with refined embeddings. Throws when there are no
 * triplets (`hasTriplets` false: nothing to learn from): callers ask first and
 * keep vanilla vectors.
 */
export async function refineTracks(tracks: readonly Track[], opts: { triplets?: TripletOptions; head?: HeadOptions } = {}): Promise<RefineResult> {
  const set = sampleTriplets(tracks, opts.triplets);
  const { head, report } = await trainHead(set, opts.head);
  const usable = new Set<number>();
  for (let i = 0; i < set.triplets.length; i += 3) usable.add(set.track[set.triplets[i]]);
  return {
    head,
    report: { ...report, tripletsPerTrack: opts.triplets?.perTrack ?? 40, usableTracks: usable.size },
    tracks: await projectTracks(tracks, head),
  };
}
