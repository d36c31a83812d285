// The common data currency shared by every capability (shots, characters,
// tracking, dictionary, comics, interpolation). Plain data, no classes, so it
// crosses workers, JSON and SQLite without adapters.
import type { Ratio } from './rate.js';

/** An 8-bit interleaved image. `channels` is 1 (gray), 3 (RGB) or 4 (RGBA). */
export interface Image {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** A decoded video frame: `index` is the 0-based decode-order frame number, `time` its presentation time in seconds. */
export interface Frame extends Image {
  index: number;
  time: number;
}

/** What ffprobe tells about a video's first video stream. */
export interface VideoInfo {
  path: string;
  /** Displayed size: the coded size turned by `rotation` (decoded frames come upright). */
  width: number;
  height: number;
  /** Display rotation of the stream in degrees (0 when none); frames are decoded already turned. */
  rotation?: number;
  /** Nominal frame rate (r_frame_rate) as a number; VFR clips still get exact per-frame times from decoding. */
  fps: number;
  /** Frame rate as the container states it, e.g. "24000/1001". */
  fpsText: string;
  /** The same as an exact fraction; null when the file states none (fps is then a guess of 25). */
  rate: Ratio | null;
  /** Frame count when the container knows it (may be an estimate for some formats). */
  frames: number | null;
  duration: number;
  codec: string;
  startTime: number;
  /** Codec of the first audio stream, or null when there is none. */
  audio: string | null;
  /** Codecs of the subtitle streams (e.g. ass, subrip, hdmv_pgs_subtitle). */
  subtitles: string[];
}

/** Axis-aligned box in pixels: [x, y, width, height] (COCO order). */
export type Box = [number, number, number, number];

/** How a shot begins or ends. */
export type ShotEdge = 'start' | 'end' | 'cut' | 'fade-in' | 'fade-out' | 'dissolve';

/**
 * A transition between shots (or a fade at the very start/end of the video).
 * For gradual ones `start..end` spans the transition frames; for cuts start = end = `frame`.
 * A fade through black/white between two shots is one 'fade' (fade-out of one shot, fade-in of the next).
 */
export interface Transition {
  kind: 'cut' | 'fade' | 'dissolve' | 'fade-in' | 'fade-out';
  /** First frame of the new shot (the boundary used for shot lists and evaluation). */
  frame: number;
  start: number;
  end: number;
  score: number;
  detector: string;
  /**
   * A black (or white) run held between two hard steps, a title card: the frames of its cuts (its first, and the one
   * after its last). Only from the `fade` detector alone: combined with a cut detector (`anime`, `latent+fades`:
   * combine.ts) it is those two cuts. Absent otherwise.
   */
  card?: [number, number];
}

/** A shot: frames [start, end] inclusive. */
export interface Shot {
  index: number;
  start: number;
  end: number;
  startTime: number;
  endTime: number;
  in: ShotEdge;
  out: ShotEdge;
}

/** One detected thing in one frame (the `Detections` currency between detectors, trackers and annotators). */
export interface Detection {
  frame: number;
  box: Box;
  score: number;
  label: string;
  /** Optional instance mask, same size as `box`, 1 byte per pixel (0/255). */
  mask?: Image;
  /** Track id once a tracker assigned one. */
  track?: number;
  embedding?: Float32Array;
}

/** A track: one character instance followed through one shot. */
export interface Track {
  id: number;
  shot: number;
  detections: Detection[];
}

/** A named vector, e.g. a crop's appearance embedding. */
export interface Embedding {
  key: string;
  vector: Float32Array;
}

/** A feature map: `rows` x `cols` cells of `dim` values each (row-major, cell-major), one cell per `stride` input pixels. */
export interface FeatureMap {
  cols: number;
  rows: number;
  dim: number;
  stride: number;
  data: Float32Array;
  /** The backbone layer it was cut at, when known (two layers may share dim and stride: block_12 and block_13 expand). */
  layer?: string;
}
