// Per-frame measurements shared by every shot detector, computed once while
// decoding (like PySceneDetect's StatsManager). Detectors decide from these
// numbers alone, so a resumed run replays stored metrics instead of
// re-decoding, and several detectors cost one decode.
import type { Frame } from '../core/types.js';

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

interface Past {
  rgb: Uint8Array;
  hist: Float32Array;
  edges: Uint8Array;
}

/** Per-pixel cell index for a grid of side `g` over a w x h frame (computed once per size). */
function cellMap(w: number, h: number, g: number): Uint16Array {
  const map = new Uint16Array(w * h);
  for (let r = 0; r < h; r++) {
    const row = Math.min(g - 1, Math.floor((r * g) / h)) * g;
    for (let c = 0; c < w; c++) map[r * w + c] = row + Math.min(g - 1, Math.floor((c * g) / w));
  }
  return map;
}

/** Streaming metric computer: feed frames in order (all the same size). */
export class MetricsComputer {
  private ring: (Past | undefined)[] = new Array(RING);
  private n = 0;
  private blocks?: Uint16Array;
  private cells?: Uint16Array;
  private size = '';

  push(frame: Frame): FrameMetrics {
    const { data, width, height } = frame;
    if (frame.channels !== 3) throw new Error('metrics need RGB frames');
    if (this.size !== `${width}x${height}`) {
      this.size = `${width}x${height}`;
      this.blocks = cellMap(width, height, GRID);
      this.cells = cellMap(width, height, THUMB);
    }
    const px = width * height;
    const values = new Float32Array(WIDTH).fill(NaN);
    // Luma statistics and colour histogram.
    let sum = 0;
    let sum2 = 0;
    const hist = new Float32Array(HIST_BINS);
    const luma = new Uint8Array(px);
    let dark = 0;
    let light = 0;
    for (let i = 0, o = 0; i < px; i++, o += 3) {
      const r = data[o], g = data[o + 1], b = data[o + 2];
      if (r < DARK && g < DARK && b < DARK) dark++;
      else if (r > LIGHT && g > LIGHT && b > LIGHT) light++;
      const y = (r * 77 + g * 150 + b * 29) >> 8;
      luma[i] = y;
      sum += y;
      sum2 += y * y;
      hist[((r >> 6) << 4) | ((g >> 6) << 2) | (b >> 6)]++;
    }
    for (let k = 0; k < HIST_BINS; k++) hist[k] /= px;
    const mean = sum / px;
    values[0] = mean;
    values[1] = Math.sqrt(Math.max(0, sum2 / px - mean * mean));
    values[FIELD_INDEX.dark] = dark / px;
    values[FIELD_INDEX.light] = light / px;
    const edges = edgeMap(luma, width, height);
    const cur: Past = { rgb: data, hist, edges };

    LAGS.forEach((lag, j) => {
      const p = this.past(lag);
      if (!p) return;
      // Lags beyond 1 only serve flash checks: every other pixel is plenty.
      values[FIELD_INDEX[`diff${lag}`]] = meanAbsDiff(data, p.rgb, lag === 1 ? 1 : 2);
      values[FIELD_INDEX[`hist${lag}`]] = histDistance(hist, p.hist);
      if (j === 0) {
        values[FIELD_INDEX.edge1] = edgeChange(edges, p.edges);
        values[FIELD_INDEX.blocks1] = blockChange(data, p.rgb, this.blocks!);
      }
    });
    for (const h of BLEND_HALF) {
      const a = this.past(2 * h);
      const mid = this.past(h);
      if (!a || !mid) continue;
      values[FIELD_INDEX[`span${h}`]] = meanAbsDiff(data, a.rgb, 2);
      values[FIELD_INDEX[`blend${h}`]] = blendResidual(a.rgb, mid.rgb, data);
    }
    this.ring[this.n % RING] = cur;
    this.n++;
    return { index: frame.index, time: frame.time, values, thumb: thumbnail(data, this.cells!) };
  }

  private past(lag: number): Past | undefined {
    return lag <= this.n && lag < RING ? this.ring[(this.n - lag) % RING] : undefined;
  }
}

/** Mean |a - b| over RGB pixels, visiting every `step`-th pixel. */
function meanAbsDiff(a: Uint8Array, b: Uint8Array, step = 1): number {
  let s = 0;
  let n = 0;
  const stride = 3 * step;
  for (let i = 0; i < a.length; i += stride) {
    const d0 = a[i] - b[i];
    const d1 = a[i + 1] - b[i + 1];
    const d2 = a[i + 2] - b[i + 2];
    s += (d0 < 0 ? -d0 : d0) + (d1 < 0 ? -d1 : d1) + (d2 < 0 ? -d2 : d2);
    n += 3;
  }
  return s / n;
}

/** Share of GRID x GRID blocks whose mean |RGB diff| exceeds BLOCK_CHANGE. */
function blockChange(a: Uint8Array, b: Uint8Array, blocks: Uint16Array): number {
  const sums = new Float64Array(GRID * GRID);
  const counts = new Float64Array(GRID * GRID);
  for (let p = 0, o = 0; p < blocks.length; p++, o += 3) {
    const d0 = a[o] - b[o];
    const d1 = a[o + 1] - b[o + 1];
    const d2 = a[o + 2] - b[o + 2];
    sums[blocks[p]] += (d0 < 0 ? -d0 : d0) + (d1 < 0 ? -d1 : d1) + (d2 < 0 ? -d2 : d2);
    counts[blocks[p]] += 3;
  }
  let changed = 0;
  for (let k = 0; k < sums.length; k++) if (counts[k] && sums[k] / counts[k] > BLOCK_CHANGE) changed++;
  return changed / sums.length;
}

/** Half the L1 distance of two normalised histograms (0 same, 1 disjoint). */
function histDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** How far the middle frame is from the average of its neighbours: ~0 inside a dissolve or fade. */
function blendResidual(a: Uint8Array, mid: Uint8Array, b: Uint8Array): number {
  let s = 0;
  let n = 0;
  // Every other pixel: the residual is an average over the frame.
  for (let i = 0; i < a.length; i += 6) {
    for (let k = i; k < i + 3; k++) {
      const d = 2 * mid[k] - a[k] - b[k];
      s += d < 0 ? -d : d;
    }
    n += 3;
  }
  return s / (2 * n);
}

/** Binary edge map from the luma gradient; line art makes anime edges strong and stable. */
function edgeMap(y: Uint8Array, w: number, h: number): Uint8Array {
  const e = new Uint8Array(w * h);
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      const gx = y[i + 1] - y[i - 1];
      const gy = y[i + w] - y[i - w];
      if (gx * gx + gy * gy > 40 * 40) e[i] = 1;
    }
  }
  return e;
}

/** Share of edge pixels (in either frame) that have no edge within one pixel in the other frame. */
function edgeChange(a: Uint8Array, b: Uint8Array): number {
  let changed = 0;
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) changed++;
    if (a[i] || b[i]) total++;
  }
  return total ? changed / total : 0;
}

/** THUMB x THUMB RGB box-filtered thumbnail. */
function thumbnail(data: Uint8Array, cells: Uint16Array): Uint8Array {
  const acc = new Float64Array(THUMB * THUMB * 3);
  const cnt = new Float64Array(THUMB * THUMB);
  for (let p = 0, o = 0; p < cells.length; p++, o += 3) {
    const t = cells[p];
    acc[t * 3] += data[o];
    acc[t * 3 + 1] += data[o + 1];
    acc[t * 3 + 2] += data[o + 2];
    cnt[t]++;
  }
  const out = new Uint8Array(THUMB * THUMB * 3);
  for (let t = 0; t < THUMB * THUMB; t++) for (let k = 0; k < 3; k++) out[t * 3 + k] = Math.round(acc[t * 3 + k] / Math.max(1, cnt[t]));
  return out;
}
