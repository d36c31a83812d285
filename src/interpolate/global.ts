// The dominant translation between two frames (camera pans), found by
// exhaustive search on a tiny thumbnail and refined coarse to fine. Dense flow
// alone loses fast pans over textured backgrounds; this gives it a start.

interface Gray {
  w: number;
  h: number;
  d: Float32Array;
}

function halve(g: Gray): Gray {
  const w = g.w >> 1, h = g.h >> 1;
  const d = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * g.w + 2 * x;
      d[y * w + x] = (g.d[i] + g.d[i + 1] + g.d[i + g.w] + g.d[i + g.w + 1]) / 4;
    }
  }
  return { w, h, d };
}

/** Mean absolute difference of a(p) and b(p + (dx, dy)) over the overlap (Infinity if it is under half the frame). */
function sad(a: Gray, b: Gray, dx: number, dy: number): number {
  const x0 = Math.max(0, -dx), x1 = Math.min(a.w, a.w - dx);
  const y0 = Math.max(0, -dy), y1 = Math.min(a.h, a.h - dy);
  if ((x1 - x0) * (y1 - y0) < (a.w * a.h) / 2) return Infinity;
  let s = 0;
  for (let y = y0; y < y1; y++) {
    const ra = y * a.w, rb = (y + dy) * b.w + dx;
    for (let x = x0; x < x1; x++) s += Math.abs(a.d[ra + x] - b.d[rb + x]);
  }
  return s / ((x1 - x0) * (y1 - y0));
}

/** Translation (dx, dy) in pixels of the given planes that best maps `a` onto `b`, searched up to `range` of the width. */
export function globalShift(a: Uint8Array, b: Uint8Array, w: number, h: number, range = 0.3): [number, number] {
  let ga: Gray = { w, h, d: Float32Array.from(a) };
  let gb: Gray = { w, h, d: Float32Array.from(b) };
  const pyr: [Gray, Gray][] = [[ga, gb]];
  while (ga.w > 80 && ga.h > 24) {
    ga = halve(ga);
    gb = halve(gb);
    pyr.push([ga, gb]);
  }
  const [ta, tb] = pyr[pyr.length - 1];
  const r = Math.max(2, Math.ceil(range * ta.w));
  let best = [0, 0], bestS = sad(ta, tb, 0, 0) - 1e-6; // ties keep zero motion
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const s = sad(ta, tb, dx, dy);
      if (s < bestS) { bestS = s; best = [dx, dy]; }
    }
  }
  for (let l = pyr.length - 2; l >= 0; l--) {
    const [la, lb] = pyr[l];
    const cx = best[0] * 2, cy = best[1] * 2;
    best = [cx, cy];
    bestS = sad(la, lb, cx, cy);
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const s = sad(la, lb, cx + dx, cy + dy);
        if (s < bestS) { bestS = s; best = [cx + dx, cy + dy]; }
      }
    }
  }
  return [best[0], best[1]];
}
