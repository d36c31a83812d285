// Connected components of a mask, by runs: each row is cut into runs of equal
// pixels, runs that touch a run of the row above are joined (union-find), and
// the labels are written run by run. A page is analysed once per call, so its
// loops mostly run before V8 has optimized them (issue 18); a pixel-by-pixel
// labelling paid interpreter time for every pixel of paper and every neighbour
// it looked at, runs pay it per run. Components are numbered in the raster
// order of their first pixel, as the pixel-by-pixel labelling numbered them.
import type { Mask } from './raster.js';

export interface Component {
  label: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
}

export interface Labels {
  width: number;
  height: number;
  /** 0 = background, else component label (1-based, dense). */
  labels: Int32Array;
  components: Component[];
}

/** Growable typed run lists (start x, end x inclusive, row) and the union-find parents. */
class Runs {
  n = 0;
  x0 = new Int32Array(1024);
  x1 = new Int32Array(1024);
  y = new Int32Array(1024);
  parent = new Int32Array(1024);
  push(a: number, b: number, row: number): number {
    if (this.n === this.x0.length) {
      const grow = (v: Int32Array) => { const g = new Int32Array(v.length * 2); g.set(v); return g; };
      this.x0 = grow(this.x0); this.x1 = grow(this.x1); this.y = grow(this.y); this.parent = grow(this.parent);
    }
    const r = this.n++;
    this.x0[r] = a; this.x1[r] = b; this.y[r] = row; this.parent[r] = r;
    return r;
  }
  find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) { p[a] = p[p[a]]; a = p[a]; }
    return a;
  }
  /** Join two sets; the smaller run index (the earlier first pixel) stays the root. */
  union(a: number, b: number): void {
    a = this.find(a); b = this.find(b);
    if (a < b) this.parent[b] = a;
    else if (b < a) this.parent[a] = b;
  }
}

/** The runs of pixels that are set (`ink`) or clear (`!ink`) in each row, joined to the touching runs above. */
function runsOf(data: Uint8Array, w: number, h: number, ink: boolean, eight: boolean): Runs {
  const runs = new Runs();
  // Runs of the previous row: [prevStart, prevEnd) in run indices.
  let prevStart = 0, prevEnd = 0;
  const reach = eight ? 1 : 0;
  for (let y = 0; y < h; y++) {
    const o = y * w, rowStart = runs.n;
    let x = 0, p = prevStart;
    while (x < w) {
      // Skip the other kind of pixel, then take one run.
      if (ink) { while (x < w && !data[o + x]) x++; } else { while (x < w && data[o + x]) x++; }
      if (x >= w) break;
      const a = x;
      if (ink) { while (x < w && data[o + x]) x++; } else { while (x < w && !data[o + x]) x++; }
      const b = x - 1, r = runs.push(a, b, y);
      // Runs above that end before this one's reach cannot touch it or any later run of this row.
      while (p < prevEnd && runs.x1[p] < a - reach) p++;
      for (let q = p; q < prevEnd && runs.x0[q] <= b + reach; q++) runs.union(r, q);
    }
    prevStart = rowStart;
    prevEnd = runs.n;
  }
  return runs;
}

/**
 * Components of the set (`ink`) or clear pixels, 8- or 4-connected: labels per pixel (0 for the other kind) and
 * per component its box and area, numbered 1.. in the raster order of the component's first pixel.
 */
export function components(m: Mask, ink: boolean, eight: boolean): Labels {
  const { width: w, height: h, data } = m;
  const runs = runsOf(data, w, h, ink, eight);
  const labels = new Int32Array(w * h);
  const comps: Component[] = [];
  const id = new Int32Array(runs.n);
  for (let r = 0; r < runs.n; r++) {
    const root = runs.find(r);
    const x0 = runs.x0[r], x1 = runs.x1[r], y = runs.y[r];
    let c: Component;
    if (root === r) {
      c = { label: comps.length + 1, x0, y0: y, x1, y1: y, area: 0 };
      comps.push(c);
      id[r] = c.label;
    } else {
      id[r] = id[root];
      c = comps[id[r] - 1];
      if (x0 < c.x0) c.x0 = x0;
      if (x1 > c.x1) c.x1 = x1;
      if (y > c.y1) c.y1 = y;
    }
    c.area += x1 - x0 + 1;
    labels.fill(id[r], y * w + x0, y * w + x1 + 1);
  }
  return { width: w, height: h, labels, components: comps };
}

/** 8-connected components of the set pixels of a mask. */
export function label(m: Mask): Labels {
  return components(m, true, true);
}
