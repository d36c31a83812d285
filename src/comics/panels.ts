// Panel extraction. Ink = pixels unlike the gutter colour. A framed panel is an
// ink component whose convex hull outline is itself ink (a drawn frame, or a
// panel filled edge to edge); its simplified hull is the panel polygon, so
// slanted panels come out as quads. Ink left outside framed panels is split by
// whitespace (recursive XY-cut) into frameless panels. Then reading order.
import type { Box, Image } from '../core/types.js';
import { scaled } from '../core/image.js';
import { boundsOf, boxPolygon, centre, convexHull, insidePolygon, intersection, perimeter, polygonArea, reduceConvex, simplifyClosed, type Point } from './geometry.js';
import { closeMask, gutterColour, inkMask, type RGB } from './mask.js';
import { label, type Component, type Labels } from './components.js';
import { fillMaskPolygon, newMask, type Mask } from './raster.js';
import { readingOrder } from './order.js';

/** A comic panel: reading-order index, bounding box and outline. */
export interface Panel {
  /** 0-based position in reading order. */
  index: number;
  box: Box;
  /** Outline, clockwise, in pixel coordinates; four corners for a plain or slanted panel. */
  polygon: Point[];
  /** True when a closed outline (frame or filled panel) was found; false for whitespace-separated panels. */
  framed: boolean;
}

/** Options of panel finding: reading direction, gutter colour, ink threshold. */
export interface PanelOptions {
  /** Read right to left (manga). */
  rtl?: boolean;
  /** Gutter colour; estimated from the page border when absent. */
  gutter?: RGB;
  /** Per-channel difference from the gutter colour that counts as ink (default 50). */
  threshold?: number;
  /** Smallest panel side as a fraction of the page's longer side (default 0.04). */
  minSide?: number;
  /** Fraction of a hull outline that must be ink for a framed panel (default 0.8). */
  frameCoverage?: number;
}

/** The panels of a page with the page size and its gutter colour. */
export interface PanelResult {
  width: number;
  height: number;
  gutter: RGB;
  panels: Panel[];
}

// Leftmost and rightmost pixel of a component on each row: enough for its convex hull.
function hullOf(L: Labels, c: Component): Point[] {
  const pts: Point[] = [];
  for (let y = c.y0; y <= c.y1; y++) {
    const row = y * L.width;
    let a = -1, b = -1;
    for (let x = c.x0; x <= c.x1; x++) if (L.labels[row + x] === c.label) { a = x; break; }
    if (a < 0) continue;
    for (let x = c.x1; x >= a; x--) if (L.labels[row + x] === c.label) { b = x; break; }
    pts.push([a, y]);
    if (b !== a) pts.push([b, y]);
  }
  return convexHull(pts);
}

// Fraction of points along the hull outline that have the component's own ink within `r` pixels.
function outlineCoverage(L: Labels, c: Component, hull: Point[], r: number): number {
  let hits = 0, n = 0;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i], b = hull[(i + 1) % hull.length];
    const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 2));
    for (let s = 0; s < steps; s++) {
      const x = Math.round(a[0] + ((b[0] - a[0]) * s) / steps);
      const y = Math.round(a[1] + ((b[1] - a[1]) * s) / steps);
      n++;
      search: for (let dy = -r; dy <= r; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= L.height) continue;
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < L.width && L.labels[yy * L.width + xx] === c.label) { hits++; break search; }
        }
      }
    }
  }
  return n ? hits / n : 0;
}

interface Leaf { box: Box; framed: boolean }

// Recursive XY-cut over an occupancy mask. Regions holding framed panels are cut
// at any gutter; regions of loose ink only at wide gaps, so the text lines and
// figures of one frameless panel stay together.
function xyCut(occ: Mask, framed: Mask, box: Box, minSide: number, minGap: number, looseGap: number, out: Leaf[], floor = Infinity): void {
  const [bx, by, bw, bh] = box;
  const rows = new Int32Array(bh), cols = new Int32Array(bw);
  let hasFramed = false;
  for (let y = 0; y < bh; y++) {
    const o = (by + y) * occ.width + bx;
    for (let x = 0; x < bw; x++) {
      if (occ.data[o + x]) { rows[y]++; cols[x]++; }
      if (framed.data[o + x]) hasFramed = true;
    }
  }
  let y0 = 0, y1 = bh - 1, x0 = 0, x1 = bw - 1;
  while (y0 <= y1 && !rows[y0]) y0++;
  if (y0 > y1) return;
  while (!rows[y1]) y1--;
  while (!cols[x0]) x0++;
  while (!cols[x1]) x1--;
  const shrunk: Box = [bx + x0, by + y0, x1 - x0 + 1, y1 - y0 + 1];
  const runs = (prof: Int32Array, lo: number, hi: number) => {
    const r: [number, number][] = [];
    let run = 0;
    for (let k = lo; k <= hi; k++) {
      if (!prof[k]) { run++; continue; }
      if (run) r.push([k - run, k - 1]);
      run = 0;
    }
    return r;
  };
  const axes = [[rows, y0, y1, 1], [cols, x0, x1, 0]] as const;
  const gapsOf = axes.map(([prof, lo, hi]) => runs(prof, lo, hi));
  let gap = minGap;
  let order = [0, 1];
  if (!hasFramed) {
    // Loose ink: the widest whitespace decides; only gaps nearly as wide as it (and as
    // the gutters cut above) are gutters, narrower ones are spacing inside a panel.
    const widest = Math.max(0, ...gapsOf.flat().map(([a, b]) => b - a + 1));
    gap = Math.max(looseGap, 0.6 * widest, 0.6 * (Number.isFinite(floor) ? floor : 0));
    const wid = gapsOf.map((g) => Math.max(0, ...g.map(([a, b]) => b - a + 1)));
    if (wid[1] > wid[0]) order = [1, 0];
  }
  for (const ai of order) {
    const [, lo, hi, axis] = axes[ai];
    // Pieces between zero runs at least `gap` long.
    const cuts = gapsOf[ai].filter(([a, b]) => b - a + 1 >= gap);
    const pieces: [number, number][] = [];
    let start = lo;
    for (const [a, b] of cuts) { pieces.push([start, a - 1]); start = b + 1; }
    pieces.push([start, hi]);
    const used = Math.min(floor, ...cuts.map(([a, b]) => b - a + 1));
    // Merge pieces too small to be panels into the neighbour across the narrower gap.
    for (;;) {
      const i = pieces.findIndex(([a, b]) => b - a + 1 < minSide);
      if (i < 0 || pieces.length < 2) break;
      const gl = i > 0 ? pieces[i][0] - pieces[i - 1][1] : Infinity;
      const gr = i < pieces.length - 1 ? pieces[i + 1][0] - pieces[i][1] : Infinity;
      const j = gl <= gr ? i - 1 : i + 1;
      const a = Math.min(i, j);
      pieces.splice(a, 2, [pieces[a][0], pieces[a + 1][1]]);
    }
    if (pieces.length < 2) continue;
    for (const [a, b] of pieces) {
      const sub: Box = axis === 1 ? [shrunk[0], by + a, shrunk[2], b - a + 1] : [bx + a, shrunk[1], b - a + 1, shrunk[3]];
      xyCut(occ, framed, sub, minSide, minGap, looseGap, out, hasFramed ? floor : used);
    }
    return;
  }
  out.push({ box: shrunk, framed: hasFramed });
}

// A frameless panel standing in a row (or column) of framed panels takes the row's extent.
function align(box: Box, framed: Box[]): Box {
  let [x0, y0, x1, y1] = [box[0], box[1], box[0] + box[2], box[1] + box[3]];
  const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.min(a1, b1) - Math.max(a0, b0);
  const rowMates = framed.filter((f) => overlap(f[1], f[1] + f[3], box[1], box[1] + box[3]) > 0.5 * Math.min(f[3], box[3]));
  if (rowMates.length) {
    y0 = Math.min(y0, Math.min(...rowMates.map((f) => f[1])));
    y1 = Math.max(y1, Math.max(...rowMates.map((f) => f[1] + f[3])));
  }
  const colMates = framed.filter((f) => overlap(f[0], f[0] + f[2], box[0], box[0] + box[2]) > 0.5 * Math.min(f[2], box[2]));
  if (colMates.length) {
    x0 = Math.min(x0, Math.min(...colMates.map((f) => f[0])));
    x1 = Math.max(x1, Math.max(...colMates.map((f) => f[0] + f[2])));
  }
  const grown: Box = [x0, y0, x1 - x0, y1 - y0];
  // Never grow into another panel.
  return framed.some((f) => intersection(f, grown) > 0) ? box : grown;
}

// A rectangular framed component may hold several panels: frames sharing one
// border line (a divider crossing the whole box), or neighbours joined by a
// balloon across their gutter (a band where the frame's top and bottom lines
// are missing). Split such boxes, recursively, along both axes.
function splitFramed(L: Labels, c: Component, box: Box, minSide: number, near: number, depth = 0): Box[] {
  if (depth > 8) return [box];
  for (const axis of [0, 1] as const) {
    // Along `axis` (0: columns across x, 1: rows across y), look at each line's ink.
    const [x0, y0, w, h] = box;
    const len = axis === 0 ? w : h, across = axis === 0 ? h : w;
    const band = Math.max(3, 2 * near);
    // Pixel (i along, j across) is at base + i * si + j * sj (no closure call per pixel).
    const base = y0 * L.width + x0, si = axis === 0 ? 1 : L.width, sj = axis === 0 ? L.width : 1, lab = L.labels, id = c.label;
    const framedLine = new Uint8Array(len), divider = new Uint8Array(len), count = new Int32Array(len);
    for (let i = 0; i < len; i++) {
      let n = 0, lo = false, hi = false, run = 0, longest = 0, miss = 0;
      for (let j = 0, o = base + i * si; j < across; j++, o += sj) {
        if (lab[o] !== id) {
          // A shared border is one unbroken line (1-pixel breaks allowed).
          if (++miss > 1) run = 0;
          continue;
        }
        miss = 0;
        run++;
        longest = Math.max(longest, run);
        n++;
        if (j < band) lo = true;
        if (j >= across - band) hi = true;
      }
      framedLine[i] = lo || hi ? 1 : 0;
      divider[i] = longest >= 0.97 * across ? 1 : 0;
      count[i] = n;
    }
    // Either side of a real divider or gutter the panels are mostly open (not a filled area).
    const open = (i: number) => i >= 0 && i < len && count[i] <= 0.6 * across;
    const cuts: [number, number][] = []; // [end of left piece, start of right piece]
    for (let i = minSide; i < len - minSide; i++) {
      if (!framedLine[i]) {
        let j = i;
        while (j < len && !framedLine[j]) j++;
        if (j < len - minSide) cuts.push([i - 1, j]);
        i = j - 1;
      } else if (divider[i]) {
        let j = i;
        while (j < len && divider[j]) j++;
        // A thick run is a filled area, not a line.
        // Panels (framed lines) on both sides: a frame edge beside a gutter is not a divider.
        const l = i - band, r = j - 1 + band;
        if (j - i <= 3 * band && j < len - minSide && open(l) && open(r) && framedLine[l] && framedLine[r]) cuts.push([j - 1, i]);
        i = j - 1;
      }
    }
    if (!cuts.length) continue;
    const pieces: Box[] = [];
    let start = 0;
    for (const [end, next] of [...cuts, [len - 1, len] as [number, number]]) {
      let a = start, b = end;
      while (a < b && !framedLine[a]) a++;
      while (b > a && !framedLine[b]) b--;
      if (b - a + 1 >= minSide) pieces.push(axis === 0 ? [x0 + a, y0, b - a + 1, h] : [x0, y0 + a, w, b - a + 1]);
      start = next;
    }
    if (pieces.length < 2) continue;
    return pieces.flatMap((p) => splitFramed(L, c, p, minSide, near, depth + 1));
  }
  return [box];
}

// Edges all within a couple of degrees of horizontal or vertical.
function axisAligned(poly: Point[]): boolean {
  return poly.length === 4 && poly.every((a, i) => {
    const b = poly[(i + 1) % 4];
    const dx = Math.abs(b[0] - a[0]), dy = Math.abs(b[1] - a[1]);
    return Math.min(dx, dy) <= 0.035 * Math.max(dx, dy);
  });
}

/** Find the panels of a page at its own resolution. */
export function findPanels(img: Image, opts: PanelOptions = {}): PanelResult {
  const { width: w, height: h } = img;
  const longSide = Math.max(w, h);
  const gutter = opts.gutter ?? gutterColour(img);
  const minSide = Math.max(12, Math.round((opts.minSide ?? 0.04) * longSide));
  let ink = inkMask(img, gutter, opts.threshold ?? 50);
  // On dark gutters the art's own black lines look like gutter: close them so a panel stays one piece.
  const dark = gutter[0] * 0.3 + gutter[1] * 0.59 + gutter[2] * 0.11 < 100;
  if (dark) ink = closeMask(ink, Math.max(2, Math.round(longSide * 0.003)));
  const L = label(ink);

  // Framed panels, largest first; a frame inside an accepted panel is content (an inset).
  const near = Math.max(2, Math.round(longSide * 0.003));
  const accepted: { poly: Point[]; box: Box; comp: Component }[] = [];
  const cands = L.components
    .filter((c) => c.x1 - c.x0 + 1 >= minSide && c.y1 - c.y0 + 1 >= minSide)
    .sort((a, b) => (b.x1 - b.x0) * (b.y1 - b.y0) - (a.x1 - a.x0) * (a.y1 - a.y0));
  for (const c of cands) {
    const cBox: Box = [c.x0, c.y0, c.x1 - c.x0 + 1, c.y1 - c.y0 + 1];
    if (accepted.some((p) => insidePolygon(centre(cBox), p.poly))) continue;
    const hull = hullOf(L, c);
    if (hull.length < 3 || outlineCoverage(L, c, hull, near) < (opts.frameCoverage ?? 0.8)) continue;
    const poly = reduceConvex(simplifyClosed(hull, Math.max(2, 0.004 * perimeter(hull))));
    if (polygonArea(poly) < minSide * minSide) continue;
    const box = boundsOf(poly);
    const parts = axisAligned(poly) ? splitFramed(L, c, box, minSide, near) : [box];
    if (parts.length === 1) accepted.push({ poly, box, comp: c });
    else for (const b of parts) accepted.push({ poly: boxPolygon(b), box: b, comp: c });
  }

  // Ink outside every framed panel.
  const insideOf = (panels: typeof accepted) => {
    const flags = new Uint8Array(L.components.length + 1);
    for (const c of L.components) {
      const m: Point = [(c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2];
      if (panels.some((p) => p.comp === c || insidePolygon(m, p.poly))) flags[c.label] = 1;
    }
    return flags;
  };
  let inside = insideOf(accepted);
  // A small frame with loose ink right around it is an inset (a screen, a sign) inside
  // a frameless panel, not a panel: demote it to content.
  const areas = accepted.map((p) => p.box[2] * p.box[3]).sort((a, b) => a - b);
  const median = areas[areas.length >> 1] ?? 0;
  const kept = accepted.filter((p) => {
    if (p.box[2] * p.box[3] >= 0.3 * median) return true;
    const [x, y, bw, bh] = p.box;
    const ax = Math.max(0, x - minSide), ay = Math.max(0, y - minSide);
    const bx = Math.min(w, x + bw + minSide), by = Math.min(h, y + bh + minSide);
    let ring = 0, hits = 0;
    for (let yy = ay; yy < by; yy++) {
      for (let xx = ax; xx < bx; xx++) {
        if (xx >= x && xx < x + bw && yy >= y && yy < y + bh) continue;
        ring++;
        const l = L.labels[yy * w + xx];
        if (l && !inside[l]) hits++;
      }
    }
    return hits <= 0.01 * ring;
  });
  if (kept.length < accepted.length) {
    accepted.splice(0, accepted.length, ...kept);
    inside = insideOf(accepted);
  }
  const framedMask = newMask(w, h);
  for (const p of accepted) fillMaskPolygon(framedMask, p.poly);
  const occ = newMask(w, h);
  let loose = 0;
  for (let i = 0; i < w * h; i++) {
    const l = L.labels[i];
    if (framedMask.data[i]) occ.data[i] = 1;
    else if (l && !inside[l]) { occ.data[i] = 1; loose++; }
  }
  const found: Omit<Panel, 'index'>[] = accepted.map((p) => ({ box: p.box, polygon: p.poly, framed: true }));
  if (loose) {
    const minGap = Math.max(2, Math.round(longSide * 0.003));
    // With frames on the page, loose ink between them is one panel per slot; on a page
    // without frames, panels are split by gaps wider than text line spacing.
    const looseGap = accepted.length ? Infinity : Math.max(minGap, Math.round(longSide * 0.01));
    const leaves: Leaf[] = [];
    xyCut(occ, framedMask, [0, 0, w, h], minSide, minGap, looseGap, leaves);
    const framedBoxes = accepted.map((p) => p.box);
    for (const leaf of leaves) {
      if (leaf.framed || leaf.box[2] < minSide || leaf.box[3] < minSide) continue;
      const box = align(leaf.box, framedBoxes);
      found.push({ box, polygon: boxPolygon(box), framed: false });
    }
  }
  const order = readingOrder(found.map((p) => p.box), opts.rtl ?? false);
  return { width: w, height: h, gutter, panels: order.map((k, index) => ({ index, ...found[k] })) };
}

/** Longest page side `extractPanels` works on by default; larger pages are reduced first. */
export const PANEL_MAX_SIDE = 2400;

/** Find panels, working on a reduced copy of very large pages (coordinates are always the page's own). */
export async function extractPanels(img: Image, opts: PanelOptions & { maxSide?: number } = {}): Promise<PanelResult> {
  const maxSide = opts.maxSide ?? PANEL_MAX_SIDE;
  const long = Math.max(img.width, img.height);
  if (long <= maxSide) return findPanels(img, opts);
  const s = maxSide / long;
  const small = await scaled(img, s);
  const r = findPanels(small, opts);
  const up = (v: number) => Math.round(v / s);
  const panels = r.panels.map((p) => {
    const polygon = p.polygon.map(([x, y]) => [up(x), up(y)] as Point);
    return { ...p, polygon, box: [up(p.box[0]), up(p.box[1]), up(p.box[2]), up(p.box[3])] as Box };
  });
  return { ...r, width: img.width, height: img.height, panels };
}
