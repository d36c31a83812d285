// Where the flow tears. Hair strands, a swinging arm or a mouth changing shape
// get vectors that jump between neighbouring pixels, so the warped pixels
// scatter into specks and torn strips. A clean motion boundary is one line of
// jumps; a torn area is dense with them. There the block in-between
// (obmc.ts), which cannot tear, is mixed in (interp.ts).
import type { Flow } from './raster.js';

export interface TearOptions {
  /** Weight of the block in-between where the flow is fully torn (default 0.5; 0 disables). */
  tear?: number;
  /** Vector jump between neighbouring pixels that counts, in working-resolution pixels (default 0.7). */
  tearJump?: number;
  /** Radius of the neighbourhood whose share of jumps is measured, in working-resolution pixels (default 3). */
  tearRadius?: number;
}

/**
 * Shares of jumping pixels at which a spot starts to count as torn and is fully torn. An ideal step boundary
 * through the 7x7 window makes 1/7 (straight) to 2/7 (a diagonal staircase), so it never counts. Real flow ramps
 * from one motion to the other over a few pixels, so the outline of a shape that moves fast (steps over the jump)
 * does count: measured on the drawn disc scene, 6 to 9 % of the pixels, around the discs.
 */
const LO = 0.3, HI = 0.6;

/** Per pixel of a working-resolution flow, 0..1: how torn the flow is around it. */
export function tearMap(flow: Flow, opts: TearOptions = {}): Float32Array {
  const w = flow.width, h = flow.height, d = flow.data, n = w * h;
  const jump = opts.tearJump ?? 0.7;
  const jumps = new Float32Array(n);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      let m = 0;
      if (x + 1 < w) m = Math.max(Math.abs(d[i * 2] - d[i * 2 + 2]), Math.abs(d[i * 2 + 1] - d[i * 2 + 3]));
      if (y + 1 < h) m = Math.max(m, Math.abs(d[i * 2] - d[(i + w) * 2]), Math.abs(d[i * 2 + 1] - d[(i + w) * 2 + 1]));
      if (m > jump) jumps[i] = 1;
    }
  }
  const share = windowMean(jumps, w, h, Math.max(1, Math.round(opts.tearRadius ?? 3)));
  for (let i = 0; i < n; i++) share[i] = Math.min(1, Math.max(0, (share[i] - LO) / (HI - LO)));
  return share;
}

/** Mean over the in-bounds part of the (2r+1)² window around each pixel (a border is not counted twice). */
function windowMean(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const W1 = w + 1, sum = new Float64Array(W1 * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += src[y * w + x];
      sum[(y + 1) * W1 + x + 1] = sum[y * W1 + x + 1] + row;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      out[y * w + x] = (sum[y1 * W1 + x1] - sum[y0 * W1 + x1] - sum[y1 * W1 + x0] + sum[y0 * W1 + x0]) / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}
