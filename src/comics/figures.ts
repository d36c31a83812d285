// A comics-specific character detector: figures are the drawn ink of a panel
// that is not text, balloon or frame. Works on line art (stick figures) and on
// flat-coloured art alike, with no model. Faces are a head estimate at the top
// of each figure (low score: a guess, not a detection).
import type { Box, Detection, Image } from '../core/types.js';
import { label, type Component } from './components.js';
import { newMask, type Mask } from './raster.js';
import { findHeads, hangBodies, headExtent } from './heads.js';

const cw = (c: Component) => c.x1 - c.x0 + 1;
const ch = (c: Component) => c.y1 - c.y0 + 1;

/** Max filter with a (2r+1)-square window, separable: each run of ink widened by r along its row, then each
 * pixel set where a widened row within r above or below is set (a running count per column, row by row). */
export function dilate(m: Mask, r: number): Mask {
  const { width: w, height: h, data } = m;
  const tmp = newMask(w, h), out = newMask(w, h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let x = 0;
    while (x < w) {
      while (x < w && !data[o + x]) x++;
      if (x >= w) break;
      const a = x;
      while (x < w && data[o + x]) x++;
      tmp.data.fill(1, o + Math.max(0, a - r), o + Math.min(w, x + r));
    }
  }
  const count = new Int32Array(w);
  for (let y = 0; y < Math.min(r, h); y++) for (let x = 0, o = y * w; x < w; x++) count[x] += tmp.data[o + x];
  for (let y = 0; y < h; y++) {
    if (y + r < h) for (let x = 0, o = (y + r) * w; x < w; x++) count[x] += tmp.data[o + x];
    if (y - r - 1 >= 0) for (let x = 0, o = (y - r - 1) * w; x < w; x++) count[x] -= tmp.data[o + x];
    for (let x = 0, o = y * w; x < w; x++) out.data[o + x] = count[x] > 0 ? 1 : 0;
  }
  return out;
}

/** Text glyphs: small components, several of similar height side by side on one line. */
function glyphs(comps: Component[], size: number): Set<number> {
  const small = comps.filter((c) => ch(c) <= size && cw(c) <= 2 * size && c.area >= 2);
  const out = new Set<number>();
  for (const a of small) {
    const mates = small.filter((b) => b !== a && Math.abs((b.y0 + b.y1) - (a.y0 + a.y1)) / 2 <= size / 2
      && Math.min(Math.abs(b.x0 - a.x1), Math.abs(a.x0 - b.x1)) <= size * 1.5).length;
    if (mates >= 1) out.add(a.label);
  }
  // Touching letters make one flat component per word.
  for (const c of comps) if (ch(c) <= size && cw(c) >= 2 * ch(c)) out.add(c.label);
  return out;
}

export interface FigureOptions {
  /** Ink threshold against the panel background colour (default 50). */
  threshold?: number;
}

/** Find figures in one panel crop: a body per figure (box + mask) and a head estimate as its face. */
export function findFigures(img: Image, opts: FigureOptions = {}): Detection[] {
  const { width: W, height: H } = img;
  if (W < 16 || H < 16) return [];
  const ink = inkAgainstBackground(img, opts.threshold ?? 28);
  // The panel frame hugs the crop's edges: blank a margin so it does not join the figures.
  const margin = Math.max(2, Math.round(Math.min(W, H) * 0.03));
  blankMargin(ink, margin);
  // Balloons are erased by their own shape (plus the outline), not their box: art behind a balloon's
  // corners (hair, a raised hand) stays.
  erase(ink, balloons(img));
  let heads = findHeads(ink);
  const lab = label(ink);
  const size = Math.max(6, Math.round(Math.min(W, H) * 0.07));
  const drop = glyphs(lab.components, size);
  // The holes of lettering (O, D, 0) are round and empty too. Their outline is a glyph, or a handwritten word
  // whose letters touch: ink much wider than the hole but not much taller. A head's ink is the figure under it.
  heads = heads.filter((hd) => {
    const l = lab.labels[hd.rim], c = lab.components[l - 1];
    return l > 0 && !drop.has(l) && !(ch(c) < 1.6 * hd.box[3] && cw(c) > 1.8 * hd.box[2]);
  });
  // Balloons: sparse outlines around text (mostly background inside, glyphs within).
  for (const c of lab.components) {
    if (drop.has(c.label) || c.area > 0.3 * cw(c) * ch(c)) continue;
    const inside = lab.components.filter((g) => drop.has(g.label) && g.x0 > c.x0 && g.x1 < c.x1 && g.y0 > c.y0 && g.y1 < c.y1).length;
    if (inside >= 3) drop.add(c.label);
  }
  // Lone specks too small to be part of a figure.
  for (const c of lab.components) if (Math.max(cw(c), ch(c)) < size / 3) drop.add(c.label);
  const keep = kept(lab.labels, drop, lab.components.length, W, H);
  // Strokes of one figure (a stick figure's head and limbs) are close: join them.
  const r = Math.max(4, Math.round(Math.min(W, H) * 0.012));
  // Line-art heads first: each claims the ink hanging below it; the rest is grouped as before.
  const out: Detection[] = [];
  const hung = hangBodies(keep, heads, Math.max(2, Math.round(r / 2)));
  let found = 0;
  heads.forEach((hd, k) => {
    // A round outline with nothing hanging under it is a letter O, a ball or a wheel, not a character's head.
    // Its pixels all lie inside its box (hangBodies' extent): clear only there, not the whole crop per head.
    if (hung.boxes[k][3] < 1.4 * hd.box[3]) { clearOwner(hung, k, W); return; }
    found++;
    // Hair or a hat on top belongs to the head (and the figure).
    const ext = headExtent(keep, hd);
    for (const i of ext.added) if (!hung.owner[i]) hung.owner[i] = k + 1;
    const hb = hung.boxes[k], ux0 = Math.min(hb[0], ext.box[0]), uy0 = Math.min(hb[1], ext.box[1]);
    const box: Box = [ux0, uy0, Math.max(hb[0] + hb[2], ext.box[0] + ext.box[2]) - ux0, Math.max(hb[1] + hb[3], ext.box[1] + ext.box[3]) - uy0];
    const [x0, y0, bw, bh] = box;
    const mask = ownedMask(hung.owner, k + 1, box, W);
    out.push({ frame: 0, box, score: 0.6, label: 'body', mask: { width: bw, height: bh, channels: 1, data: mask.data } });
    out.push({ frame: 0, box: ext.box, score: 0.6, label: 'face' });
  });
  erase(keep, hung.owner);
  const groups = label(dilate(keep, r));
  // Filled (coloured) art is drawn in areas, not strokes. Two figures that touch (hair brushing a tree's leaves)
  // join there by a thin neck: cut such groups where eroding them apart leaves two or more solid cores.
  if (medianRun(keep) > 2 * r) for (const g of [...groups.components]) if (ch(g) >= 0.15 * H) splitAtNecks(groups, keep, g, r);
  // Ink extent of each group; thin lone strokes (balloon tails) go.
  type Part = { labels: number[]; box: Box; small?: boolean };
  const parts: Part[] = [];
  const ext = inkExtents(groups, keep);
  for (const g of groups.components) {
    const o = 4 * g.label, x0 = ext[o], y0 = ext[o + 1], x1 = ext[o + 2], y1 = ext[o + 3];
    if (x1 < 0) continue;
    const box: Box = [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
    const tail = tailOrHead(groups.labels, keep, g.label, box, W);
    if (tail === null) parts.push({ labels: [g.label], box });
    else if (tail !== 'tail') parts.push({ labels: [g.label], box: tail, small: true });
  }
  const big = (p: Part) => !p.small && p.box[3] >= 0.15 * H && p.box[2] >= 0.03 * W && p.box[2] <= 0.95 * W;
  const figures = parts.filter(big);
  // A head drawn apart from its body (a gap at the neck) joins the figure right below it.
  for (const p of parts) {
    if (big(p)) continue;
    const [px, py, pw, ph] = p.box;
    const below = figures.find((f) => {
      const overlap = Math.min(px + pw, f.box[0] + f.box[2]) - Math.max(px, f.box[0]);
      const gap = f.box[1] - (py + ph);
      return overlap > 0.5 * pw && gap >= -ph / 2 && gap < 0.05 * H && ph < 0.6 * f.box[3];
    });
    if (!below) continue;
    const [fx, fy, fw, fh] = below.box;
    const x0 = Math.min(px, fx), y0 = Math.min(py, fy);
    below.box = [x0, y0, Math.max(px + pw, fx + fw) - x0, Math.max(py + ph, fy + fh) - y0];
    below.labels.push(...p.labels);
  }
  // In line art with heads found, ink with no head of its own is lettering or scenery.
  for (const f of found ? [] : figures) {
    const [x0, y0, bw, bh] = f.box;
    const mask = groupMask(keep, groups.labels, f.labels, f.box);
    out.push({ frame: 0, box: f.box, score: 0.5, label: 'body', mask: { width: bw, height: bh, channels: 1, data: mask.data } });
    out.push({ frame: 0, box: head(mask, f.box), score: 0.3, label: 'face' });
  }
  return out;
}

// Per-pixel passes of findFigures live in small functions of their own: V8 optimizes a hot loop by compiling
// its whole function (on-stack replacement), and in one large function each later, not yet run section then
// deoptimized it again (13 times per page on xkcd 208). A page is analysed once, so that warm-up was most of
// its time.

function blankMargin(m: Mask, margin: number): void {
  const { width: W, height: H, data } = m;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (x < margin || y < margin || x >= W - margin || y >= H - margin) data[y * W + x] = 0;
  }
}

/** Clear `m` wherever `gone` is set (a mask's data or an owner map). */
function erase(m: Mask, gone: Mask | Int32Array): void {
  const g = gone instanceof Int32Array ? gone : gone.data;
  for (let i = 0; i < m.data.length; i++) if (g[i]) m.data[i] = 0;
}

/** 255 where `owner` is `id`, inside `box` (clipped to the crop). */
function ownedMask(owner: Int32Array, id: number, box: Box, W: number): Mask {
  const [x0, y0, bw, bh] = box, H = owner.length / W;
  const mask = newMask(bw, bh);
  for (let y = Math.max(0, y0); y < Math.min(H, y0 + bh); y++) for (let x = Math.max(0, x0); x < Math.min(W, x0 + bw); x++) {
    if (owner[y * W + x] === id) mask.data[(y - y0) * bw + (x - x0)] = 255;
  }
  return mask;
}

/** 255 where `keep` has ink of one of `ids`, inside `box`. */
function groupMask(keep: Mask, labels: Int32Array, ids: number[], box: Box): Mask {
  const [x0, y0, bw, bh] = box, W = keep.width;
  const mask = newMask(bw, bh);
  for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) {
    const i = y * W + x;
    if (keep.data[i] && ids.includes(labels[i])) mask.data[(y - y0) * bw + (x - x0)] = 255;
  }
  return mask;
}

function kept(labels: Int32Array, drop: Set<number>, count: number, W: number, H: number): Mask {
  // A flag per label (labels are 1..count), read per pixel instead of a Set lookup.
  const gone = new Uint8Array(count + 1);
  for (const l of drop) if (l >= 0 && l <= count) gone[l] = 1;
  const keep = newMask(W, H);
  for (let i = 0; i < W * H; i++) if (labels[i] && !gone[labels[i]]) keep.data[i] = 1;
  return keep;
}

/** Ink extent [x0, y0, x1, y1] of every group at 4 * label, in one pass (scanning each group's box re-read overlapping boxes). */
function inkExtents(groups: ReturnType<typeof label>, keep: Mask): Int32Array {
  const { width: W, height: H } = keep;
  // splitAtNecks appends components: size by the largest label.
  const ext = new Int32Array(4 * (groups.components.reduce((a, g) => Math.max(a, g.label), 0) + 1));
  for (let l = 0; l < ext.length; l += 4) { ext[l] = W; ext[l + 1] = H; ext[l + 2] = -1; ext[l + 3] = -1; }
  for (let y = 0, i = 0; y < H; y++) for (let x = 0; x < W; x++, i++) {
    const l = groups.labels[i];
    if (!l || !keep.data[i] || 4 * l >= ext.length) continue;
    const o = 4 * l;
    if (x < ext[o]) ext[o] = x;
    if (x > ext[o + 2]) ext[o + 2] = x;
    if (y < ext[o + 1]) ext[o + 1] = y;
    if (y > ext[o + 3]) ext[o + 3] = y;
  }
  return ext;
}

/** Give back the pixels head k claimed (they all lie inside hung.boxes[k]). */
function clearOwner(hung: { boxes: Box[]; owner: Int32Array }, k: number, W: number): void {
  const [x0, y0, bw, bh] = hung.boxes[k], H = hung.owner.length / W;
  for (let y = Math.max(0, y0); y < Math.min(H, y0 + bh); y++) {
    for (let x = Math.max(0, x0); x < Math.min(W, x0 + bw); x++) if (hung.owner[y * W + x] === k + 1) hung.owner[y * W + x] = 0;
  }
}

/** Ink = pixels far from every common colour of the ring just inside the crop's margin
 * (a panel's background may be a gradient or several flat areas: sky and ground). */
function inkAgainstBackground(img: Image, threshold: number): Mask {
  const { width: W, height: H, channels: c } = img;
  const m0 = Math.max(2, Math.round(Math.min(W, H) * 0.03)), m1 = 2 * m0 + 2;
  type Bin = { n: number; r: number; g: number; b: number };
  // Colour bins of the ring's area pixels, and of all its pixels (used only if the ring is all strokes or texture).
  const areas = new Map<number, Bin>(), every = new Map<number, Bin>();
  const add = (m: Map<number, Bin>, k: number, i: number) => {
    let e = m.get(k);
    if (!e) m.set(k, (e = { n: 0, r: 0, g: 0, b: 0 }));
    e.n++; e.r += d[i * c]; e.g += d[i * c + og]; e.b += d[i * c + ob];
  };
  let total = 0;
  // Channel offsets of green and blue (0 for gray): reads without a tuple per pixel, which kept the GC busy.
  const d = img.data, og = c < 3 ? 0 : 1, ob = c < 3 ? 0 : 2;
  const bin = (i: number) => ((d[i * c] >> 4) << 8) | ((d[i * c + og] >> 4) << 4) | (d[i * c + ob] >> 4);
  for (let y = m0; y < H - m0; y++) for (let x = m0; x < W - m0; x++) {
    // The ring only: jump over the inside of the row.
    if (x >= m1 && x < W - m1 && y >= m1 && y < H - m1) { x = W - m1 - 1; continue; }
    const i = y * W + x, k = bin(i);
    total++;
    add(every, k, i);
    // Only area colours count: a pixel whose colour continues 2 px away on all four sides. Lettering and frame
    // lines crossing the ring (black on xkcd pages) are strokes, and taking them for background erases the art.
    if (x < 2 || y < 2 || x >= W - 2 || y >= H - 2) continue;
    if (bin(i - 2) === k && bin(i + 2) === k && bin(i - 2 * W) === k && bin(i + 2 * W) === k) add(areas, k, i);
  }
  // Colours covering at least 3% of the ring; the most common one always counts.
  const all = [...(areas.size ? areas : every).values()].sort((a, b) => b.n - a.n);
  const palette = all.filter((e, i) => i === 0 || e.n >= 0.03 * total).map((e) => [e.r / e.n, e.g / e.n, e.b / e.n]);
  const m = newMask(W, H);
  if (palette.length <= 32) {
    // Per channel value, a bit per palette colour it is near: a pixel is ink when no colour is near on all three.
    const near = (ch: number) => Uint32Array.from({ length: 256 }, (_, v) => palette.reduce((bits, p, q) => (Math.abs(v - p[ch]) <= threshold ? bits | (1 << q) : bits), 0));
    const nr = near(0), ng = near(1), nb = near(2);
    for (let i = 0, o = 0; i < W * H; i++, o += c) m.data[i] = (nr[d[o]] & ng[d[o + og]] & nb[d[o + ob]]) === 0 ? 1 : 0;
    return m;
  }
  const pal = Float64Array.from(palette.flat());
  for (let i = 0; i < W * H; i++) {
    const o = i * c, r = d[o], g = d[o + og], b = d[o + ob];
    let far = 1;
    for (let q = 0; q < pal.length; q += 3) {
      if (Math.abs(r - pal[q]) <= threshold && Math.abs(g - pal[q + 1]) <= threshold && Math.abs(b - pal[q + 2]) <= threshold) { far = 0; break; }
    }
    m.data[i] = far;
  }
  return m;
}

/** Speech balloons: closed near-white regions (not touching the crop edge), roughly
 * elliptic or boxy, holding dark marks. Returned as one mask: each balloon's region with the
 * text inside it (row spans) and its outline (a pad around it). */
function balloons(img: Image): Mask {
  const { width: W, height: H, channels: c } = img;
  const white = newMask(W, H), dark = new Uint8Array(W * H);
  const d = img.data, og = c < 3 ? 0 : 1, ob = c < 3 ? 0 : 2;
  for (let i = 0, o = 0; i < W * H; i++, o += c) {
    const r = d[o], g = d[o + og], b = d[o + ob];
    if (r > 225 && g > 225 && b > 225) white.data[i] = 1;
    else if (r < 140 && g < 140 && b < 140) dark[i] = 1;
  }
  const lab = label(white);
  const out = newMask(W, H);
  for (const k of lab.components) {
    const w = cw(k), h = ch(k);
    if (k.x0 === 0 || k.y0 === 0 || k.x1 === W - 1 || k.y1 === H - 1) continue;
    // Balloons hold lines of text, so they are wider than tall; a head's round inside is not.
    if (w * h < 0.01 * W * H || w * h > 0.5 * W * H || w < 1.4 * h) continue;
    // Dark marks enclosed by the region (between its first and last pixel on a row), not its outline.
    let darkIn = 0;
    for (let y = k.y0; y <= k.y1; y++) {
      let a = -1, b = -1;
      for (let x = k.x0; x <= k.x1; x++) if (lab.labels[y * W + x] === k.label) { if (a < 0) a = x; b = x; }
      for (let x = a + 1; x < b; x++) if (lab.labels[y * W + x] !== k.label && dark[y * W + x]) darkIn++;
    }
    if (k.area < 0.6 * w * h || darkIn < 0.01 * w * h) continue;
    const pad = Math.max(3, Math.round(Math.min(w, h) * 0.08));
    const span = newMask(W, H);
    for (let y = k.y0; y <= k.y1; y++) {
      let a = -1, b = -1;
      for (let x = k.x0; x <= k.x1; x++) if (lab.labels[y * W + x] === k.label) { if (a < 0) a = x; b = x; }
      if (a >= 0) span.data.fill(1, y * W + a, y * W + b + 1);
    }
    const grown = dilate(span, pad);
    for (let i = 0; i < W * H; i++) if (grown.data[i]) out.data[i] = 1;
  }
  return out;
}

/** Median length of the horizontal runs of a mask: the stroke width of line art, the area width of filled art. */
function medianRun(m: Mask): number {
  const runs: number[] = [];
  for (let y = 0; y < m.height; y++) {
    let run = 0;
    for (let x = 0; x <= m.width; x++) {
      if (x < m.width && m.data[y * m.width + x]) run++;
      else if (run) { runs.push(run); run = 0; }
    }
  }
  runs.sort((a, b) => a - b);
  return runs.length ? runs[runs.length >> 1] : 0;
}

/** Split group `g` of `groups` (in place: new components appended) at thin necks: its ink eroded by `e` falls
 * into cores; cores holding at least 10% of the eroded ink each seed a piece, and every ink pixel of the group
 * goes to the core nearest along the ink. */
function splitAtNecks(groups: ReturnType<typeof label>, keep: Mask, g: Component, e: number) {
  const W = keep.width, w = cw(g), h = ch(g);
  const local = newMask(w, h), outside = newMask(w, h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (g.y0 + y) * W + g.x0 + x;
    if (groups.labels[i] === g.label && keep.data[i]) local.data[y * w + x] = 1;
    else outside.data[y * w + x] = 1;
  }
  const grown = dilate(outside, e), core = newMask(w, h);
  for (let i = 0; i < w * h; i++) if (local.data[i] && !grown.data[i]) core.data[i] = 1;
  const cores = label(core);
  const total = cores.components.reduce((a, c) => a + c.area, 0);
  const seeds = cores.components.filter((c) => c.area >= 0.1 * total);
  if (seeds.length < 2) return;
  // Every ink pixel of the group goes to the core nearest along the ink.
  const owner = new Int32Array(w * h);
  let queue: number[] = [];
  seeds.forEach((c, k) => { for (let i = 0; i < w * h; i++) if (cores.labels[i] === c.label) { owner[i] = k + 1; queue.push(i); } });
  while (queue.length) {
    const next: number[] = [];
    for (const i of queue) {
      const x = i % w, y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx, ny = y + dy, j = ny * w + nx;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h || !local.data[j] || owner[j]) continue;
        owner[j] = owner[i];
        next.push(j);
      }
    }
    queue = next;
  }
  // A neck is also where a head meets its body: pieces stacked one over the other, each centred within the
  // other's width, are one figure again. Side by side (a character beside a tree) they stay apart.
  const ext = seeds.map(() => [w, h, -1, -1]);
  for (let i = 0; i < w * h; i++) {
    const o = owner[i];
    if (!o) continue;
    const x = i % w, y = (i - x) / w, b = ext[o - 1];
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  }
  const root = seeds.map((_, k) => k);
  const find = (k: number): number => (root[k] === k ? k : (root[k] = find(root[k])));
  for (let a = 0; a < seeds.length; a++) for (let b = 0; b < seeds.length; b++) {
    const A = ext[a], B = ext[b], acx = (A[0] + A[2]) / 2, bcx = (B[0] + B[2]) / 2;
    if (a !== b && A[1] < B[1] && A[3] < B[3] && acx >= B[0] && acx <= B[2] && bcx >= A[0] && bcx <= A[2]) root[find(a)] = find(b);
  }
  for (let i = 0; i < w * h; i++) if (owner[i]) owner[i] = find(owner[i] - 1) + 1;
  const pieces = [...new Set(seeds.map((_, k) => find(k)))];
  if (pieces.length < 2) return;
  // Pieces past the first get new labels (ink not reached stays with the first).
  const ids = seeds.map((_, k) => (k === pieces[0] ? g.label : groups.components.length + pieces.indexOf(k)));
  const boxes = seeds.map(() => ({ x0: Infinity, y0: Infinity, x1: -1, y1: -1, area: 0 }));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = owner[y * w + x];
    if (!o) continue;
    groups.labels[(g.y0 + y) * W + g.x0 + x] = ids[o - 1];
    const b = boxes[o - 1];
    b.x0 = Math.min(b.x0, g.x0 + x); b.x1 = Math.max(b.x1, g.x0 + x); b.y0 = Math.min(b.y0, g.y0 + y); b.y1 = Math.max(b.y1, g.y0 + y); b.area++;
  }
  for (const k of pieces.slice(1)) groups.components.push({ label: ids[k], ...boxes[k] });
}

/** Per row of a group's box: ink pixels and runs of ink. */
function rowRuns(labels: Int32Array, keep: Mask, l: number, [x0, y0, w, h]: Box, W: number) {
  const ink = new Int32Array(h), runs = new Int32Array(h);
  for (let y = 0; y < h; y++) {
    let prev = false;
    for (let x = x0; x < x0 + w; x++) {
      const i = (y0 + y) * W + x, on = labels[i] === l && keep.data[i] === 1;
      if (on) ink[y]++;
      if (on && !prev) runs[y]++;
      prev = on;
    }
  }
  return { ink, runs };
}

/** A balloon's tail (or any lone stroke): one thin run of ink in nearly every row.
 * Stick figures have two runs in many rows (head outline, arms, legs); filled figures have wide runs.
 * Returns null to keep the group, 'tail' to drop it, or the box of a head hanging at the tail's lower
 * end (xkcd tails often touch the speaker's head). */
function tailOrHead(labels: Int32Array, keep: Mask, l: number, box: Box, W: number): null | 'tail' | Box {
  const [x0, y0, w, h] = box;
  const { ink, runs } = rowRuns(labels, keep, l, box, W);
  const multi = runs.reduce((a, r) => a + (r >= 2 ? 1 : 0), 0);
  const total = ink.reduce((a, b) => a + b, 0);
  if (multi >= 0.25 * h || total / h >= Math.max(6, 0.15 * w)) return null;
  // The lowest block of rows with two runs (a round outline), if it reaches the bottom.
  let b = h - 1;
  while (b >= 0 && runs[b] < 2 && h - 1 - b < 0.15 * h) b--;
  if (b < 0 || runs[b] < 2) return 'tail';
  let t = b;
  while (t > 0 && (runs[t - 1] >= 2 || (t > 1 && runs[t - 2] >= 2))) t--;
  const bh = h - t;
  if (bh < 8) return 'tail';
  t = Math.max(0, t - Math.round(bh * 0.15)); // the outline's top rows are single runs
  let lx = w, rx = -1;
  for (let y = y0 + t; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) {
    const i = y * W + x;
    if (labels[i] === l && keep.data[i]) { if (x - x0 < lx) lx = x - x0; if (x - x0 > rx) rx = x - x0; }
  }
  return [x0 + lx, y0 + t, rx - lx + 1, h - t];
}

/** Head estimate: the ink above the neck, or else a square at the figure's top, centred on the ink in that band. */
function head(m: Mask, [x, y, w, h]: Box): Box {
  // A head sits on a neck: the row with the least ink between 15% and 50% of the figure's height, if it is a
  // clear narrowing. The head is the ink above it, without side columns under half as tall as the tallest
  // (arms spread at shoulder height, a raised hand, ponytail tips).
  const rows = new Int32Array(h);
  for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) if (m.data[yy * w + xx]) rows[yy]++;
  let neck = -1;
  for (let yy = Math.round(0.15 * h); yy <= Math.round(0.5 * h); yy++) if (neck < 0 || rows[yy] < rows[neck]) neck = yy;
  const above = neck > 0 ? Math.max(...rows.subarray(0, neck)) : 0;
  if (neck > 0 && rows[neck] < 0.6 * above) {
    const cols = new Int32Array(w);
    for (let yy = 0; yy < neck; yy++) for (let xx = 0; xx < w; xx++) if (m.data[yy * w + xx]) cols[xx]++;
    const top = Math.max(...cols);
    let a = 0, b = w - 1;
    while (a < b && cols[a] < 0.5 * top) a++;
    while (b > a && cols[b] < 0.5 * top) b--;
    return [x + a, y, b - a + 1, neck];
  }
  const s = Math.max(4, Math.round(Math.min(w, h * 0.3)));
  let sx = 0, n = 0;
  for (let yy = 0; yy < Math.min(h, s); yy++) for (let xx = 0; xx < w; xx++) if (m.data[yy * w + xx]) { sx += xx; n++; }
  const cx = n ? sx / n : w / 2;
  const left = Math.max(0, Math.min(w - s, Math.round(cx - s / 2)));
  return [x + left, y, Math.min(s, w), s];
}

/** findFigures as an async DetectFn. */
export const detectFigures = async (img: Image): Promise<Detection[]> => findFigures(img);
