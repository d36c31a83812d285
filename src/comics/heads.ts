// Line-art heads: in stick-figure and other line-drawn comics a head is a thin,
// roughly round ink outline around empty paper. Its enclosed hole is easy to
// find (background not reachable from the panel's edge), far more reliable than
// guessing a head at the top of an ink blob, and it anchors a body: the ink
// hanging below it. Filled heads (coloured art) have no hole and are left to
// the figure grouping.
import type { Box } from '../core/types.js';
import type { Mask } from './raster.js';
import { components } from './components.js';

export interface Head {
  /** The enclosed empty area (the face), pixel box. */
  hole: Box;
  /** Hole plus its outline: what a person boxes as the head. */
  box: Box;
  cx: number;
  cy: number;
  /** Mean radius of the hole. */
  r: number;
  /** Index (y * width + x) of one ink pixel of the outline, to find the ink component it belongs to. */
  rim: number;
}

interface Region { x0: number; y0: number; x1: number; y1: number; area: number; edge: boolean }

/** 4-connected components of the empty (0) pixels, so an 8-connected ink outline closes them. */
function holes(ink: Mask): { labels: Int32Array; regions: Region[] } {
  const { width: W, height: H } = ink;
  const { labels, components: comps } = components(ink, false, false);
  // A region touches the crop's edge exactly when its box does.
  const regions = comps.map((c) => ({ x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1, area: c.area, edge: c.x0 === 0 || c.y0 === 0 || c.x1 === W - 1 || c.y1 === H - 1 }));
  return { labels, regions };
}

/** Round, empty holes ringed by a thin outline, sized like a head for a panel `W` x `H`. */
export function findHeads(ink: Mask): Head[] {
  const { width: W, height: H } = ink;
  const side = Math.min(W, H);
  const { labels, regions } = holes(ink);
  const out: Head[] = [];
  regions.forEach((g, k) => {
    if (g.edge) return;
    const w = g.x1 - g.x0 + 1, h = g.y1 - g.y0 + 1;
    // Lettering holes (o, d, 0) are a few pixels; a head is a visible part of the panel but not most of it.
    if (Math.min(w, h) < Math.max(8, 0.03 * side) || h > 0.45 * H || w > 0.45 * W) return;
    if (w > 1.6 * h || h > 1.6 * w) return;
    // Filled outline extent per row: how round the shape is, and how much ink sits inside it (eyes, text).
    let filled = 0;
    for (let y = g.y0; y <= g.y1; y++) {
      let a = -1, b = -1;
      for (let x = g.x0; x <= g.x1; x++) if (labels[y * W + x] === k + 1) { if (a < 0) a = x; b = x; }
      if (a >= 0) filled += b - a + 1;
    }
    const fill = filled / (w * h);
    // A disc fills 0.79 of its box, a face whose top is hidden under hair (the hole is what is left) about 0.6;
    // a rectangle (window, screen, box) fills all of it, a crescent far less.
    if (fill < 0.5 || fill > 0.9 || g.area < 0.85 * filled) return;
    const cx = (g.x0 + g.x1 + 1) / 2, cy = (g.y0 + g.y1 + 1) / 2, r = (w + h) / 4;
    // A thin outline: just outside it is mostly paper again (a hole in a mass of ink, like a gap in
    // hatching or in black hair, is not a head). Hair or a hat may cover part of the circle.
    let paper = 0, n = 0;
    // Sampled on an ellipse beyond the outline's likely width (a small head's outline is relatively thick).
    const ax = w / 2 + Math.max(4, 0.45 * w), ay = h / 2 + Math.max(4, 0.45 * h);
    for (let a = 0; a < 48; a++) {
      const t = (a / 48) * 2 * Math.PI;
      const x = Math.round(cx + ax * Math.cos(t)), y = Math.round(cy + ay * Math.sin(t));
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      n++;
      if (!ink.data[y * W + x]) paper++;
    }
    if (!n || paper < 0.4 * n) return;
    const t = Math.max(2, Math.round(0.12 * r));
    // The outline pixel left of the hole on its middle row.
    const my = Math.round(cy);
    let rx = g.x0;
    while (rx < g.x1 && labels[my * W + rx] !== k + 1) rx++;
    while (rx > 0 && !ink.data[my * W + rx]) rx--;
    out.push({ hole: [g.x0, g.y0, w, h], box: [g.x0 - t, g.y0 - t, w + 2 * t, h + 2 * t], cx, cy, r, rim: my * W + rx });
  });
  // Heads do not nest or overlap: of two holes sharing most of the smaller one's box (an eye or a gap in the
  // hair inside a face outline), the larger is the head.
  const kept: Head[] = [];
  for (const hd of out.sort((a, b) => b.r - a.r)) {
    const [x, y, w, h] = hd.box;
    const inside = kept.some((o) => {
      const ow = Math.min(x + w, o.box[0] + o.box[2]) - Math.max(x, o.box[0]), oh = Math.min(y + h, o.box[1] + o.box[3]) - Math.max(y, o.box[1]);
      return ow > 0 && oh > 0 && ow * oh > 0.5 * w * h;
    });
    if (!inside) kept.push(hd);
  }
  return kept;
}

/**
 * The figure under each head: ink reached from the head's outline, walking only through ink (gaps up to `gap` px)
 * that lies below the head's centre, within a few head sizes sideways and down. Balloon tails and lettering
 * come from above and stay out; two figures touching split where their walks meet.
 * Returns, per head, the claimed ink pixels' box and a per-pixel owner map (0 = nobody, k + 1 = heads[k]).
 */
export function hangBodies(ink: Mask, heads: Head[], gap: number): { boxes: Box[]; owner: Int32Array } {
  const { width: W, height: H, data } = ink;
  const owner = new Int32Array(W * H);
  // Each pixel is queued once (owned as it is queued): two typed lists of W * H hold any level.
  let queue = new Int32Array(W * H), next = new Int32Array(W * H), qn = 0;
  heads.forEach((h, k) => {
    for (let y = Math.max(0, h.box[1]); y < Math.min(H, h.box[1] + h.box[3]); y++) {
      for (let x = Math.max(0, h.box[0]); x < Math.min(W, h.box[0] + h.box[2]); x++) {
        const i = y * W + x;
        if (data[i] && !owner[i]) { owner[i] = k + 1; queue[qn++] = i; }
      }
    }
  });
  // Breadth-first from every head at once, so each pixel goes to the nearest head along the ink. A pixel is
  // within head k's reach inside its box, or below its centre, within 4.5 radii sideways and 10 down.
  while (qn) {
    let nn = 0;
    for (let q = 0; q < qn; q++) {
      const i = queue[q], k = owner[i] - 1, x = i % W, y = (i - x) / W, h = heads[k];
      const bx0 = h.box[0], by0 = h.box[1], bx1 = h.box[0] + h.box[2], by1 = h.box[1] + h.box[3];
      const cx = h.cx, cy = h.cy, side = 4.5 * h.r, down = cy + 10 * h.r;
      for (let dy = -gap; dy <= gap; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= H) continue;
        for (let dx = -gap; dx <= gap; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= W) continue;
          const j = ny * W + nx;
          if (!data[j] || owner[j]) continue;
          const inHead = nx >= bx0 && nx < bx1 && ny >= by0 && ny < by1;
          if (!(inHead || (ny >= cy && Math.abs(nx - cx) <= side && ny <= down))) continue;
          owner[j] = k + 1;
          next[nn++] = j;
        }
      }
    }
    [queue, next] = [next, queue];
    qn = nn;
  }
  return { boxes: ownedBoxes(owner, heads, W), owner };
}

/**
 * Each head's box grown to the pixels it owns. Its own function: V8 optimizes the hot loop above by compiling
 * hangBodies whole, and code after that loop, not yet run, deoptimized it again.
 */
function ownedBoxes(owner: Int32Array, heads: Head[], W: number): Box[] {
  const ext = heads.map((h) => [h.box[0], h.box[1], h.box[0] + h.box[2], h.box[1] + h.box[3]]);
  for (let i = 0; i < owner.length; i++) {
    if (!owner[i]) continue;
    const e = ext[owner[i] - 1], x = i % W, y = (i - x) / W;
    if (x < e[0]) e[0] = x;
    if (y < e[1]) e[1] = y;
    if (x + 1 > e[2]) e[2] = x + 1;
    if (y + 1 > e[3]) e[3] = y + 1;
  }
  return ext.map((e) => [e[0], e[1], e[2] - e[0], e[3] - e[1]] as Box);
}

/**
 * The whole head above the hole: hair hatched or filled inside the top of the outline, or a hat, leave only the
 * lower face as the hole. Walks the ink joined to the outline upward, row by row, while the row's reached ink is
 * wide (at least half the hole's radius): hair and hats are; a balloon tail or a raised arm touching the head is a
 * thin stroke and stops the walk. Returns the extended head box and the ink pixels it added (indices).
 */
export function headExtent(ink: Mask, h: Head): { box: Box; added: number[] } {
  const { width: W, height: H, data } = ink;
  const [bx, by, bw, bh] = h.box;
  const reach = 1.6 * (h.r + (bw - h.hole[2]) / 2), top = Math.max(0, Math.round(by - 1.5 * h.r));
  const inZone = (x: number, y: number) => y >= top && y < h.cy && Math.abs(x + 0.5 - h.cx) <= reach;
  const seen = new Uint8Array(W * H);
  const stack: number[] = [];
  for (let y = Math.max(0, by); y < Math.min(H, by + bh); y++) for (let x = Math.max(0, bx); x < Math.min(W, bx + bw); x++) {
    const i = y * W + x;
    if (data[i] && inZone(x, y)) { seen[i] = 1; stack.push(i); }
  }
  while (stack.length) {
    const i = stack.pop()!, x = i % W, y = (i - x) / W;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx, ny = y + dy, j = ny * W + nx;
      if (nx < 0 || ny < 0 || nx >= W || ny >= H || seen[j] || !data[j] || !inZone(nx, ny)) continue;
      seen[j] = 1;
      stack.push(j);
    }
  }
  // Rows above the box, upward, while wide.
  let x0 = bx, x1 = bx + bw, y0 = by;
  const added: number[] = [];
  for (let y = by - 1; y >= top; y--) {
    let a = W, b = -1;
    for (let x = 0; x < W; x++) if (seen[y * W + x]) { if (x < a) a = x; b = x; }
    if (b < 0 || b - a + 1 < 0.5 * h.r) break;
    y0 = y;
    x0 = Math.min(x0, a);
    x1 = Math.max(x1, b + 1);
    for (let x = a; x <= b; x++) if (seen[y * W + x]) added.push(y * W + x);
  }
  return { box: [x0, y0, x1 - x0, by + bh - y0], added };
}
