// 8-connected component labelling of a mask (two passes with union-find).
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

export function label(m: Mask): Labels {
  const { width: w, height: h, data } = m;
  const labels = new Int32Array(w * h);
  const parent: number[] = [0];
  const find = (a: number) => {
    while (parent[a] !== a) { parent[a] = parent[parent[a]]; a = parent[a]; }
    return a;
  };
  const union = (a: number, b: number) => {
    a = find(a); b = find(b);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  };
  // The label so far (l) and a neighbour j: returns the label to keep, joining the two when they differ.
  // (Defined once, not as a closure per ink pixel: that allocation kept the GC busy on large pages.)
  const look = (l: number, j: number): number => {
    const lj = labels[j];
    if (!lj) return l;
    if (!l) return lj;
    if (lj !== l) union(l, lj);
    return l;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      let l = 0;
      if (x > 0) l = look(l, i - 1);
      if (y > 0) {
        if (x > 0) l = look(l, i - w - 1);
        l = look(l, i - w);
        if (x < w - 1) l = look(l, i - w + 1);
      }
      if (!l) { l = parent.length; parent.push(l); }
      labels[i] = l;
    }
  }
  // Flatten to dense labels and gather stats.
  const dense = new Int32Array(parent.length);
  const comps: Component[] = [];
  for (let l = 1; l < parent.length; l++) {
    const r = find(l);
    if (!dense[r]) { comps.push({ label: comps.length + 1, x0: Infinity, y0: Infinity, x1: -1, y1: -1, area: 0 }); dense[r] = comps.length; }
    dense[l] = dense[r];
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!labels[i]) continue;
      const l = (labels[i] = dense[labels[i]]);
      const c = comps[l - 1];
      c.area++;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
    }
  }
  return { width: w, height: h, labels, components: comps };
}
