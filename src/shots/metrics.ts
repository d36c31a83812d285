// Per-frame measurements shared by every shot detector, computed once while
// decoding (like PySceneDetect's StatsManager). Detectors decide from these
// numbers alone, so a resumed run replays stored metrics instead of
// re-decoding, and several detectors cost one decode.
import type { Frame } from '../core/types.js';
import { Kernel } from './kernel.js';

/** Lags (in frames) for which frame-to-frame differences are kept. Lags >1 let detectors see flashes (a frame returning). */
export const LAGS = [1, 2, 3, 4, 5] as const;
/** Half-windows for the dissolve test: is frame i-h a blend of frames i-2h and i? */
export const BLEND_HALF = [3, 6, 12] as const;
/** Side of the tiny thumbnail kept per frame for the learned (latent) detector. */
export const THUMB = 16;

export const FIELDS = [
  'luma', // mean luma 0..255
  'lumaStd', // luma standard deviation: ~0 for a flat black/white frame
  'dark', // share of pixels with every channel < DARK: ~1 for a black frame (subtitles/credits aside)
  'light', // share of pixels with every channel > LIGHT: ~1 for a white frame
  'blocks1', // share of grid blocks whose mean |RGB diff| vs the previous frame exceeds BLOCK_CHANGE: a cut changes most of the frame, an expression change a few blocks
  ...LAGS.map((l) => `diff${l}`), // mean |RGB(i) - RGB(i-l)| 0..255
  ...LAGS.map((l) => `hist${l}`), // colour-histogram distance to frame i-l, 0..1
  'edge1', // share of edge pixels that changed vs the previous frame 0..1
  ...BLEND_HALF.map((h) => `span${h}`), // mean |RGB(i) - RGB(i-2h)|
  ...BLEND_HALF.map((h) => `blend${h}`), // mean |RGB(i-h) - (RGB(i-2h)+RGB(i))/2|
] as const;

export type Field = (typeof FIELDS)[number];
export const FIELD_INDEX: Record<string, number> = Object.fromEntries(FIELDS.map((f, i) => [f, i]));
export const WIDTH = FIELDS.length;

/** Metrics of one frame: a row of FIELDS plus the latent thumbnail (THUMB*THUMB*3 bytes). */
export interface FrameMetrics {
  index: number;
  time: number;
  values: Float32Array;
  thumb: Uint8Array;
  /** Contact-sheet thumbnail (JPEG) when this frame was sampled during the decode (see thumbs.ts). */
  jpeg?: Buffer;
}

export function get(m: FrameMetrics, f: Field): number {
  return m.values[FIELD_INDEX[f]];
}

/** A pixel is black when all channels are below this (as in PySceneDetect's threshold detector). */
export const DARK = 16;
export const LIGHT = 239;
const GRID = 8;
const BLOCK_CHANGE = 16;
const HIST_BINS = 4 * 4 * 4;
const RING = 2 * Math.max(...BLEND_HALF) + 1;
const EDGE2 = 40 * 40;

interface Past {
  rgb: Uint8Array;
  hist: Float32Array;
}

/** Grid cell of each column (or row) for a grid of side `g` over `n` pixels. */
function cellsOf(n: number, g: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(g - 1, Math.floor((i * g) / n));
  return out;
}

/** Everything that depends only on the frame size: computed once, reused for every frame. */
class Layout {
  readonly px: number;
  readonly blockCol: Uint8Array;
  readonly blockRow: Uint8Array;
  readonly thumbCol: Uint8Array;
  readonly thumbRow: Uint8Array;
  /** RGB values per grid block (the denominator of a block's mean difference). */
  readonly blockCount: Float64Array;
  readonly thumbCount: Float64Array;
  /** Scratch: luma of the current frame, histogram counts, block and thumbnail sums. */
  readonly luma: Uint8Array;
  readonly counts = new Int32Array(HIST_BINS);
  readonly blockSum = new Float64Array(GRID * GRID);
  readonly thumbSum = new Float64Array(THUMB * THUMB * 3);
  constructor(readonly w: number, readonly h: number) {
    this.px = w * h;
    this.blockCol = cellsOf(w, GRID);
    this.blockRow = cellsOf(h, GRID);
    this.thumbCol = cellsOf(w, THUMB);
    this.thumbRow = cellsOf(h, THUMB);
    this.blockCount = new Float64Array(GRID * GRID);
    this.thumbCount = new Float64Array(THUMB * THUMB);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        this.blockCount[this.blockRow[r] * GRID + this.blockCol[c]] += 3;
        this.thumbCount[this.thumbRow[r] * THUMB + this.thumbCol[c]]++;
      }
    }
    this.luma = new Uint8Array(this.px);
  }
}

/**
 * Streaming metric computer: feed frames in order (all the same size). The
 * loops are fused and integer-only because this runs for every decoded frame
 * next to ffmpeg on the same two cores: it must cost a fraction of the decode.
 */
export class MetricsComputer {
  private ring: (Past | undefined)[] = new Array(RING);
  private n = 0;
  private lay?: Layout;
  /** Edge maps of the previous and current frame (swapped each frame). */
  private edges?: [Uint8Array, Uint8Array];
  private kernel: Kernel | null = null;

  /** `simd: false` forces the JS loops (for tests; the values are the same). */
  constructor(private opts: { simd?: boolean } = {}) {}

  push(frame: Frame): FrameMetrics {
    const { data, width, height } = frame;
    if (frame.channels !== 3) throw new Error('metrics need RGB frames');
    let lay = this.lay;
    if (!lay || lay.w !== width || lay.h !== height) {
      lay = this.lay = new Layout(width, height);
      this.kernel = FUSED && this.opts.simd !== false ? Kernel.create(width, height, RING, lay) : null;
      this.edges = this.kernel ? undefined : [new Uint8Array(lay.px), new Uint8Array(lay.px)];
      this.n = 0;
      this.ring.fill(undefined);
    }
    const px = lay.px;
    const values = new Float32Array(WIDTH).fill(NaN);
    const prev = this.past(1);
    const k = this.kernel;
    // The same integer sums either way: [sum of luma, of luma^2, dark, light, edge pixels changed, edge pixels].
    let s: number[];
    let counts: ArrayLike<number>, thumbSum: ArrayLike<number>, blockSum: ArrayLike<number>;
    if (k) {
      k.put(this.n, data);
      s = k.measure(this.n, !!prev);
      ({ counts, thumbSum, blockSum } = k);
    } else {
      s = stats(data, lay);
      const [prevEdges, curEdges] = this.edges!;
      s.push(...edgeStep(lay.luma, width, height, curEdges, prevEdges));
      this.edges = [curEdges, prevEdges];
      if (prev) blockSums(data, prev.rgb, lay);
      ({ counts, thumbSum, blockSum } = lay);
    }
    const mean = s[0] / px;
    values[0] = mean;
    values[1] = Math.sqrt(Math.max(0, s[1] / px - mean * mean));
    values[I.dark] = s[2] / px;
    values[I.light] = s[3] / px;
    const hist = new Float32Array(HIST_BINS);
    for (let b = 0; b < HIST_BINS; b++) hist[b] = counts[b] / px;
    const thumb = new Uint8Array(THUMB * THUMB * 3);
    for (let t = 0; t < THUMB * THUMB; t++) {
      const c = Math.max(1, lay.thumbCount[t]);
      for (let ch = 0; ch < 3; ch++) thumb[t * 3 + ch] = Math.round(thumbSum[t * 3 + ch] / c);
    }
    if (prev) {
      values[I.edge1] = s[5] ? s[4] / s[5] : 0;
      values[I.blocks1] = blockShare(blockSum, lay.blockCount);
      let sum = 0;
      for (let b = 0; b < GRID * GRID; b++) sum += blockSum[b];
      values[I.diff1] = sum / (3 * px);
      values[I.hist1] = histDistance(hist, prev.hist);
    }
    for (let j = 1; j < LAGS.length; j++) {
      const p = this.past(LAGS[j]);
      if (p) values[I.hist[j]] = histDistance(hist, p.hist);
    }
    if (k && this.n >= RING - 1) fromSums(k.halfPass(this.n), px, values);
    else if (FUSED && this.n >= RING - 1) halfPass(data, this.past.bind(this), values);
    else slowHalfPass(data, this.past.bind(this), values);
    this.ring[this.n % RING] = { rgb: data, hist };
    this.n++;
    return { index: frame.index, time: frame.time, values, thumb };
  }

  private past(lag: number): Past | undefined {
    return lag <= this.n && lag < RING ? this.ring[(this.n - lag) % RING] : undefined;
  }
}

/** Field positions, resolved once. */
const I = {
  dark: FIELD_INDEX.dark,
  light: FIELD_INDEX.light,
  edge1: FIELD_INDEX.edge1,
  blocks1: FIELD_INDEX.blocks1,
  diff1: FIELD_INDEX.diff1,
  hist1: FIELD_INDEX.hist1,
  diff: LAGS.map((l) => FIELD_INDEX[`diff${l}`]),
  hist: LAGS.map((l) => FIELD_INDEX[`hist${l}`]),
  span: BLEND_HALF.map((h) => FIELD_INDEX[`span${h}`]),
  blend: BLEND_HALF.map((h) => FIELD_INDEX[`blend${h}`]),
};

/**
 * One pass over the frame: luma (into lay.luma), histogram counts, thumbnail
 * sums, and [sum of luma, sum of luma^2, dark pixels, light pixels].
 * Sums are kept per row in integers (exact, and fast in V8).
 */
function stats(data: Uint8Array, lay: Layout): number[] {
  const { w, h, luma, counts, thumbSum, thumbCol, thumbRow } = lay;
  counts.fill(0);
  thumbSum.fill(0);
  let sum = 0;
  let sum2 = 0;
  let dark = 0;
  let light = 0;
  for (let r = 0, i = 0; r < h; r++) {
    const trow = thumbRow[r] * THUMB;
    let rs = 0;
    let rs2 = 0;
    // Columns of one thumbnail cell are contiguous: sum them in integers, add once.
    for (let c = 0; c < w; ) {
      const tc = thumbCol[c];
      let sr = 0, sg = 0, sb = 0;
      for (; c < w && thumbCol[c] === tc; c++, i++) {
        const o = i * 3;
        const R = data[o], G = data[o + 1], B = data[o + 2];
        if (R < DARK && G < DARK && B < DARK) dark++;
        else if (R > LIGHT && G > LIGHT && B > LIGHT) light++;
        const y = (R * 77 + G * 150 + B * 29) >> 8;
        luma[i] = y;
        rs += y;
        rs2 += y * y;
        counts[((R >> 6) << 4) | ((G >> 6) << 2) | (B >> 6)]++;
        sr += R;
        sg += G;
        sb += B;
      }
      const t = (trow + tc) * 3;
      thumbSum[t] += sr;
      thumbSum[t + 1] += sg;
      thumbSum[t + 2] += sb;
    }
    sum += rs;
    sum2 += rs2;
  }
  return [sum, sum2, dark, light];
}

/**
 * Binary edge map of the luma gradient into `cur`, returning how many edge
 * pixels (in either frame) differ from `prev`, and how many there are: the
 * share that changed is the measure; line art makes anime edges strong and stable.
 */
function edgeStep(y: Uint8Array, w: number, h: number, cur: Uint8Array, prev: Uint8Array): [number, number] {
  let changed = 0;
  let total = 0;
  cur.fill(0);
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1, i = r * w + 1; c < w - 1; c++, i++) {
      const gx = y[i + 1] - y[i - 1];
      const gy = y[i + w] - y[i - w];
      const e = gx * gx + gy * gy > EDGE2 ? 1 : 0;
      cur[i] = e;
      const p = prev[i];
      if (e !== p) changed++;
      if (e | p) total++;
    }
  }
  return [changed, total];
}

/** Sum of |a - b| per GRID x GRID block, into lay.blockSum. */
function blockSums(a: Uint8Array, b: Uint8Array, lay: Layout): void {
  const { w, h, blockSum, blockCol, blockRow } = lay;
  blockSum.fill(0);
  for (let r = 0, o = 0; r < h; r++) {
    const brow = blockRow[r] * GRID;
    // Columns of one block are contiguous: sum them in an integer, then add once.
    for (let c = 0; c < w; ) {
      const bc = blockCol[c];
      let s = 0;
      for (; c < w && blockCol[c] === bc; c++, o += 3) {
        const d0 = a[o] - b[o];
        const d1 = a[o + 1] - b[o + 1];
        const d2 = a[o + 2] - b[o + 2];
        s += (d0 < 0 ? -d0 : d0) + (d1 < 0 ? -d1 : d1) + (d2 < 0 ? -d2 : d2);
      }
      blockSum[brow + bc] += s;
    }
  }
}

/** The share of blocks whose mean |difference| exceeds BLOCK_CHANGE. */
function blockShare(blockSum: ArrayLike<number>, blockCount: Float64Array): number {
  let changed = 0;
  for (let k = 0; k < GRID * GRID; k++) if (blockCount[k] && blockSum[k] / blockCount[k] > BLOCK_CHANGE) changed++;
  return changed / (GRID * GRID);
}

type PastOf = (lag: number) => Past | undefined;

/** halfPass is written for these lags and half-windows; other settings take the slow path. */
const FUSED = LAGS.join() === '1,2,3,4,5' && BLEND_HALF.join() === '3,6,12';

/**
 * The every-other-pixel measures in one loop (this is where most of the
 * per-frame time went): diff at lags 2-5 (flash checks), and per blend
 * half-window h the span |i - (i-2h)| and the blend residual of i-h.
 * Needs every past frame up to 2 * max(BLEND_HALF); sums are integers, so the
 * values equal slowHalfPass's exactly.
 */
function halfPass(c: Uint8Array, past: PastOf, out: Float32Array): void {
  const p2 = past(2)!.rgb, p3 = past(3)!.rgb, p4 = past(4)!.rgb, p5 = past(5)!.rgb;
  const p6 = past(6)!.rgb, p12 = past(12)!.rgb, p24 = past(24)!.rgb;
  const len = c.length;
  const sums = new Float64Array(10);
  for (let start = 0; start < len; start += 6 * 1024) {
    const end = Math.min(len, start + 6 * 1024);
    // Integer partial sums (at most 1024 * 3 * 510 each): exact and fast.
    let d2 = 0, d3 = 0, d4 = 0, d5 = 0, s3 = 0, s6 = 0, s12 = 0, b3 = 0, b6 = 0, b12 = 0;
    for (let i = start; i < end; i += 6) {
      for (let k = i; k < i + 3; k++) {
        const v = c[k], v3 = p3[k], v6 = p6[k], v12 = p12[k], v24 = p24[k];
        let d = v - p2[k]; d2 += d < 0 ? -d : d;
        d = v - v3; d3 += d < 0 ? -d : d;
        d = v - p4[k]; d4 += d < 0 ? -d : d;
        d = v - p5[k]; d5 += d < 0 ? -d : d;
        d = v - v6; s3 += d < 0 ? -d : d;
        d = v - v12; s6 += d < 0 ? -d : d;
        d = v - v24; s12 += d < 0 ? -d : d;
        d = 2 * v3 - v6 - v; b3 += d < 0 ? -d : d;
        d = 2 * v6 - v12 - v; b6 += d < 0 ? -d : d;
        d = 2 * v12 - v24 - v; b12 += d < 0 ? -d : d;
      }
    }
    sums[0] += d2; sums[1] += d3; sums[2] += d4; sums[3] += d5;
    sums[4] += s3; sums[5] += s6; sums[6] += s12;
    sums[7] += b3; sums[8] += b6; sums[9] += b12;
  }
  fromSums(sums, len / 3, out);
}

/** Metric values from halfPass's 10 sums (diff lags 2-5, spans, blends) over the even pixels of `px`. */
function fromSums(sums: ArrayLike<number>, px: number, out: Float32Array): void {
  const n = 3 * Math.ceil(px / 2);
  for (let j = 1; j < LAGS.length; j++) out[I.diff[j]] = sums[j - 1] / n;
  for (let j = 0; j < BLEND_HALF.length; j++) {
    out[I.span[j]] = sums[4 + j] / n;
    out[I.blend[j]] = sums[7 + j] / (2 * n);
  }
}

/** The same measures one by one, for the first frames where some past frames are missing. */
function slowHalfPass(c: Uint8Array, past: PastOf, out: Float32Array): void {
  for (let j = 1; j < LAGS.length; j++) {
    const p = past(LAGS[j]);
    if (p) out[I.diff[j]] = halfDiff(c, p.rgb);
  }
  BLEND_HALF.forEach((h, j) => {
    const a = past(2 * h);
    const mid = past(h);
    if (!a || !mid) return;
    out[I.span[j]] = halfDiff(c, a.rgb);
    out[I.blend[j]] = blendResidual(a.rgb, mid.rgb, c);
  });
}

/** Mean |a - b| over every other RGB pixel. */
function halfDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  let n = 0;
  const len = a.length;
  // Integer partial sums over 4096 pixels stay far from overflow.
  for (let start = 0; start < len; start += 6 * 4096) {
    const end = Math.min(len, start + 6 * 4096);
    let part = 0;
    for (let i = start; i < end; i += 6) {
      const d0 = a[i] - b[i];
      const d1 = a[i + 1] - b[i + 1];
      const d2 = a[i + 2] - b[i + 2];
      part += (d0 < 0 ? -d0 : d0) + (d1 < 0 ? -d1 : d1) + (d2 < 0 ? -d2 : d2);
      n += 3;
    }
    s += part;
  }
  return s / n;
}

/** Half the L1 distance of two normalised histograms (0 same, 1 disjoint). */
function histDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** How far the middle frame is from the average of its neighbours (every other pixel): ~0 inside a dissolve or fade. */
function blendResidual(a: Uint8Array, mid: Uint8Array, b: Uint8Array): number {
  let s = 0;
  let n = 0;
  const len = a.length;
  for (let start = 0; start < len; start += 6 * 4096) {
    const end = Math.min(len, start + 6 * 4096);
    let part = 0;
    for (let i = start; i < end; i += 6) {
      const d0 = 2 * mid[i] - a[i] - b[i];
      const d1 = 2 * mid[i + 1] - a[i + 1] - b[i + 1];
      const d2 = 2 * mid[i + 2] - a[i + 2] - b[i + 2];
      part += (d0 < 0 ? -d0 : d0) + (d1 < 0 ? -d1 : d1) + (d2 < 0 ? -d2 : d2);
      n += 3;
    }
    s += part;
  }
  return s / (2 * n);
}
