// Body backend without learned weights: GrabCut (colour GMMs + graph cut in
// opencv-js) seeded by face boxes. Each face implies where its body can be
// (a column under it, hair around it); GrabCut decides the exact pixels, and
// a watershed on the colour image splits touching characters along their
// outlines. Faces come from an earlier backend in the chain.
import { resize } from '../core/image.js';
import type { Box, Detection, Image } from '../core/types.js';
import { opencv, toMat, using, type CV } from '../core/opencv.js';
import { cropMask, maskBox } from './masks.js';
import type { CharacterDetector } from './types.js';
import { cutAll, warmCutThread, GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD, type CutJob } from './cut.js';

export interface GrabCutOptions {
  /** GrabCut runs at this width at most (cost grows with pixels). */
  width?: number;
  /** ...and small enough that the largest face is at most this wide (close-ups need no more detail to cut well). */
  faceWidth?: number;
  iterations?: number;
  /** How far a body may reach sideways from the face centre, in face widths. */
  reach?: number;
  /** How far below the face top a body may reach, in face heights. */
  depth?: number;
  /** Half-width, in face widths, of the band under a face that starts as probable body. */
  band?: number;
  /** Seed hair above the face and the torso below the neck as sure body. */
  seeds?: 'face' | 'hair-torso';
  /** 'joint': one GrabCut for all characters; 'each': one per character (own colour model, slower with many). */
  mode?: 'joint' | 'each';
}

export { cut, GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD } from './cut.js';

export class GrabCutBodies implements CharacterDetector {
  readonly name = 'grabcut';
  readonly labels = ['body'] as const;
  constructor(private readonly opts: GrabCutOptions = {}) {}

  async detect(frame: Image, prior: Detection[], frameIndex = 0): Promise<Detection[]> {
    const faces = prior.filter((d) => d.label === 'face');
    if (!faces.length) return [];
    const cv = await opencv();
    warmCutThread();
    // How much bigger than its face box each character is taken to be (see `clipped`).
    const grown = faces.map(() => 1);
    const first = await this.cut(cv, frame, faces.map((f) => f.box));
    const masks = first.masks;
    // A cut pressed against its window on a long stretch goes on past it: the face box may be only part of a bigger
    // face (an eye or a cheek of a close-up the cascade found as a face), so the window it implied was too small. Cut
    // again with that character taken twice as big, up to MAX_GROW times, and take the first cut that fits its window.
    // One that never fits is a leak into the background (a lawn, a sky) running to the edge of every window: the
    // first cut stays, as it was.
    let open = first.clipped.flatMap((c, k) => (c ? [k] : []));
    for (let round = 1; open.length && round <= MAX_GROW; round++) {
      for (const k of open) grown[k] *= 2;
      const got = await this.cut(cv, frame, faces.map((f, k) => scaleBox(f.box, grown[k])));
      // An empty grown cut is no better fit: the first mask stays.
      for (const k of open) if (!got.clipped[k] && got.masks[k]) masks[k] = got.masks[k];
      open = open.filter((k) => got.clipped[k]);
    }
    // A grown character was cut apart from her neighbours' small boxes, not from their cuts: their pixels stay theirs,
    // so instances never share a pixel (faces kept at their own size first, then by how little they grew).
    if (grown.some((g) => g > 1)) {
      const owner = new Int32Array(frame.width * frame.height).fill(-1);
      const order = faces.map((_, k) => k).sort((a, b) => grown[a] - grown[b] || a - b);
      for (const k of order) {
        const m = masks[k];
        if (!m) continue;
        for (let i = 0; i < m.data.length; i++) {
          if (!m.data[i]) continue;
          if (owner[i] < 0) owner[i] = k;
          else m.data[i] = 0;
        }
      }
    }
    const out: Detection[] = [];
    masks.forEach((m, k) => {
      const box = m && maskBox(m);
      if (box) out.push({ frame: frameIndex, box, score: faces[k].score, label: 'body', mask: cropMask(m!, box) });
    });
    return out;
  }

  /** One segmentation of the frame: a full-frame mask per face box (undefined where its cut is empty), and whether its window clipped it. */
  private async cut(cv: CV, frame: Image, faces: Box[]): Promise<{ masks: Array<Image | undefined>; clipped: boolean[] }> {
    const maxW = this.opts.width ?? 640;
    const largest = Math.max(...faces.map((f) => f[2]));
    const s = Math.max(Math.min(1, maxW / frame.width, (this.opts.faceWidth ?? 80) / largest), Math.min(1, 240 / frame.width));
    const w = Math.round(frame.width * s), h = Math.round(frame.height * s);
    const small = s < 1 ? await resize(frame, w, h) : frame;
    const boxes = faces.map((f) => f.map((v) => v * s) as Box);
    const labels = await segment(cv, small, boxes, this.opts);
    const out: { masks: Array<Image | undefined>; clipped: boolean[] } = { masks: [], clipped: [] };
    for (let k = 0; k < faces.length; k++) {
      let m: Image = { width: w, height: h, channels: 1, data: new Uint8Array(w * h) };
      let any = false;
      for (let i = 0; i < labels.length; i++) if (labels[i] === k + 1) { m.data[i] = 255; any = true; }
      // Measured where the cut was made: the window's edge is exact there, not blurred by the upscale.
      out.clipped.push(any && clipped(m, boxes[k], window(boxes[k], this.opts), w, h));
      if (s < 1) m = binarise(await resize(m, frame.width, frame.height));
      out.masks.push(any ? m : undefined);
    }
    return out;
  }
}

/** Rounds of growing a character whose cut does not fit its window (x2 each: up to 8x its face box). */
const MAX_GROW = 3;

/** A box scaled by `f` about its centre. */
const scaleBox = ([x, y, w, h]: Box, f: number): Box => (f === 1 ? [x, y, w, h] : [x + (w * (1 - f)) / 2, y + (h * (1 - f)) / 2, w * f, h * f]);

/** Where a face's body may be (x0, y0, x1, y1): the probable-body window `prior` fills (and `clipped` measures against). */
export function window([x, y, fw, fh]: Box, opts: GrabCutOptions = {}): [number, number, number, number] {
  const reach = opts.reach ?? 2.4, depth = opts.depth ?? 9;
  const cx = x + fw / 2;
  return [cx - reach * fw, y - 0.8 * fh, cx + reach * fw, y + depth * fh];
}

/**
 * Whether a mask runs past its window beside the face itself: it lies along
 * the window's left or right side, on the rows from the window's top to one
 * face height under the face, for at least a face height in all, or along
 * its top for at least two face widths (counted, not run: outlines crossing
 * the side break it up). Sides at or beyond the frame's edge do not count:
 * there the frame cuts the character, not the window. A head meets its
 * window only briefly (hair or a hat at the top, narrower than two face
 * widths so high above the brows); a head that overflows it beside the face
 * is bigger than the face box says. Lower down a cut may run to the window
 * for other reasons (a leak into a lawn of the background): not counted.
 */
export function clipped(m: Image, face: Box, [x0, y0, x1, y1]: [number, number, number, number], width: number, height: number): boolean {
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && m.data[y * width + x] > 0;
  const [, fy, fw, fh] = face;
  // The window's edge pixels as `prior` fills it (from floor(x0) to ceil(x1) - 1, from floor(y0)): the last a cut can
  // reach on each side; the rows of the head.
  const L = Math.floor(x0), R = Math.ceil(x1) - 1, T = Math.floor(y0);
  const xa = Math.max(0, L), xb = Math.min(width - 1, R), ya = Math.max(0, T), yb = Math.min(height - 1, Math.floor(y1) - 1, Math.floor(fy + 2 * fh));
  if (xa > xb || ya > yb) return false;
  // How many of a side's pixels have the mask within 2 px inside the side.
  const count = (n: number, hit: (i: number) => boolean) => { let c = 0; for (let i = 0; i < n; i++) if (hit(i)) c++; return c; };
  const near = (x: number, y: number, dx: number, dy: number) => on(x, y) || on(x + dx, y + dy) || on(x + 2 * dx, y + 2 * dy);
  // A side within the 2 px nearness of the frame's edge is where the frame cuts her, not the window.
  return (L > 2 && count(yb - ya + 1, (i) => near(L, ya + i, 1, 0)) >= fh)
    || (R < width - 3 && count(yb - ya + 1, (i) => near(R, ya + i, -1, 0)) >= fh)
    || (T > 2 && count(xb - xa + 1, (i) => near(xa + i, T, 0, 1)) >= 2 * fw);
}

function binarise(m: Image): Image {
  for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i] >= 128 ? 255 : 0;
  return m;
}

/** GrabCut's starting labels: sure background far from every face, probable body under each, sure seeds on face, hair, neck and torso. `only` restricts to one face (the others' seeds become background). */
function prior(w: number, h: number, faces: Box[], opts: GrabCutOptions, only?: number): Uint8Array {
  const depth = opts.depth ?? 9, band = opts.band ?? 0.7;
  const init = new Uint8Array(w * h).fill(GC_BGD);
  const set = (x0: number, y0: number, x1: number, y1: number, v: number, ifIs?: number) => {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(h, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(w, Math.ceil(x1)); x++) {
        const i = y * w + x;
        if (ifIs === undefined || init[i] === ifIs) init[i] = v;
      }
    }
  };
  const mine = faces.filter((_, k) => only === undefined || k === only);
  for (const face of mine) {
    const [x, y, fw, fh] = face;
    const cx = x + fw / 2;
    set(...window(face, opts), GC_PR_BGD, GC_BGD);
    set(cx - band * fw, y - 0.4 * fh, cx + band * fw, y + depth * fh, GC_PR_FGD);
  }
  faces.forEach(([x, y, fw, fh], k) => {
    const v = only === undefined || k === only ? GC_FGD : GC_BGD;
    const cx = x + fw / 2;
    set(cx - 0.3 * fw, y + 0.2 * fh, cx + 0.3 * fw, y + 0.85 * fh, v);
    set(cx - 0.2 * fw, y + fh, cx + 0.2 * fw, y + 2.2 * fh, v);
    if ((opts.seeds ?? 'hair-torso') === 'hair-torso') {
      set(cx - 0.3 * fw, y - 0.15 * fh, cx + 0.3 * fw, y + 0.1 * fh, v);
      set(cx - 0.45 * fw, y + 1.5 * fh, cx + 0.45 * fw, y + 2.8 * fh, v);
    }
  });
  return init;
}

/** Label each pixel 0 (background) or k+1 (the body of face k). */
export async function segment(cv: CV, img: Image, faces: Box[], opts: GrabCutOptions = {}): Promise<Uint8Array> {
  const { width: w, height: h } = img;
  const iterations = opts.iterations ?? 4;
  let fg: Uint8Array;
  let claims: Uint8Array | undefined;
  if ((opts.mode ?? 'each') === 'joint' || faces.length === 1) {
    [fg] = await cutAll(cv, img, [{ init: prior(w, h, faces, opts), rect: [0, 0, w, h] }], iterations);
  } else {
    // One GrabCut per character around its own reach, so each gets its own colour model; the cuts are independent
    // (cut.ts runs some on a helper thread) and are merged in face order.
    const reach = (opts.reach ?? 2.4) + 0.4, depth = opts.depth ?? 9;
    fg = new Uint8Array(w * h);
    claims = new Uint8Array(w * h);
    const jobs: Array<CutJob & { k: number }> = [];
    faces.forEach(([x, y, fw, fh], k) => {
      const cx = x + fw / 2;
      const rect: [number, number, number, number] = [
        Math.max(0, Math.floor(cx - reach * fw)), Math.max(0, Math.floor(y - 1.2 * fh)),
        Math.min(w, Math.ceil(cx + reach * fw)), Math.min(h, Math.ceil(y + (depth + 0.5) * fh)),
      ];
      if (rect[2] - rect[0] < 4 || rect[3] - rect[1] < 4) return;
      jobs.push({ init: prior(w, h, faces, opts, k), rect, k });
    });
    const cuts = await cutAll(cv, img, jobs, iterations);
    jobs.forEach(({ k }, j) => {
      const one = cuts[j];
      for (let i = 0; i < one.length; i++) {
        if (!one[i]) continue;
        claims![i] = fg[i] ? 255 : k + 1;
        fg[i] = 1;
      }
    });
  }
  const src = toMat(cv, img);
  return using([src], () => {
    const labels = split(cv, src, fg, faces, w, h);
    if (claims) for (let i = 0; i < labels.length; i++) if (claims[i] && claims[i] !== 255) labels[i] = claims[i];
    return faces.map((_, k) => attached(cv, labels, k + 1, faces[k], w, h)).reduce((acc, m, k) => {
      for (let i = 0; i < m.length; i++) if (m[i]) acc[i] = k + 1;
      return acc;
    }, new Uint8Array(w * h));
  });
}

/** Split a foreground (1 = on) among face boxes, as labels 0 / k+1: used by other body backends too. */
export async function splitByFaces(img: Image, fg: Uint8Array, faces: Box[]): Promise<Uint8Array> {
  const cv = await opencv();
  const src = toMat(cv, img);
  return using([src], () => split(cv, src, fg, faces, img.width, img.height));
}

/** Split foreground among faces: watershed from each face's seed along colour edges. */
function split(cv: CV, src: any, fg: Uint8Array, faces: Box[], w: number, h: number): Uint8Array {
  const labels = new Uint8Array(w * h);
  if (faces.length === 1) {
    for (let i = 0; i < fg.length; i++) labels[i] = fg[i];
    return labels;
  }
  const markers = new cv.Mat(h, w, cv.CV_32SC1, new cv.Scalar(0));
  const m = markers.data32S as Int32Array;
  const bg = faces.length + 1;
  for (let i = 0; i < fg.length; i++) if (!fg[i]) m[i] = bg;
  faces.forEach(([x, y, fw, fh], k) => {
    const cx = x + fw / 2;
    for (let yy = Math.max(0, Math.floor(y + 0.2 * fh)); yy < Math.min(h, Math.ceil(y + 2 * fh)); yy++) {
      for (let xx = Math.max(0, Math.floor(cx - 0.25 * fw)); xx < Math.min(w, Math.ceil(cx + 0.25 * fw)); xx++) {
        if (fg[yy * w + xx]) m[yy * w + xx] = k + 1;
      }
    }
  });
  return using([markers], () => {
    cv.watershed(src, markers);
    const centres = faces.map(([x, y, fw, fh]) => [x + fw / 2, y + fh / 2, fw]);
    for (let i = 0; i < fg.length; i++) {
      if (!fg[i]) continue;
      const v = m[i];
      if (v >= 1 && v <= faces.length) labels[i] = v;
      else {
        // Watershed ridge or a region it gave to the background: nearest face decides.
        const x = i % w, y = (i / w) | 0;
        let best = 0, bd = Infinity;
        centres.forEach(([cx, cy, fw], k) => {
          const d = ((x - cx) / fw) ** 2 + ((y - cy) / fw) ** 2 * 0.2;
          if (d < bd) { bd = d; best = k + 1; }
        });
        labels[i] = best;
      }
    }
    return labels;
  });
}

/** Pixels of instance `k` that stay connected to its face after a small opening (drops stray background blobs and thin bridges). */
function attached(cv: CV, labels: Uint8Array, k: number, face: Box, w: number, h: number): Uint8Array {
  const bin = new cv.Mat(h, w, cv.CV_8UC1);
  // One view of the Mat's bytes per loop (its .data getter makes a new one on every read).
  let bd = bin.data as Uint8Array;
  for (let i = 0; i < labels.length; i++) bd[i] = labels[i] === k ? 255 : 0;
  const r = Math.max(1, Math.round(face[2] / 40));
  const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * r + 1, 2 * r + 1));
  const cc = new cv.Mat(), stats = new cv.Mat(), cent = new cv.Mat();
  return using([bin, kernel, cc, stats, cent], () => {
    cv.morphologyEx(bin, bin, cv.MORPH_OPEN, kernel);
    cv.connectedComponentsWithStats(bin, cc, stats, cent, 8, cv.CV_32S);
    const ids = cc.data32S as Int32Array;
    const keep = new Set<number>();
    const [x, y, fw, fh] = face;
    for (let yy = Math.max(0, Math.floor(y)); yy < Math.min(h, Math.ceil(y + 2 * fh)); yy++) {
      for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(w, Math.ceil(x + fw)); xx++) if (ids[yy * w + xx]) keep.add(ids[yy * w + xx]);
    }
    const out = new Uint8Array(w * h);
    bd = bin.data as Uint8Array;
    for (let i = 0; i < out.length; i++) if (keep.has(ids[i]) || (labels[i] === k && !bd[i] && near(ids, i, w, h, keep))) out[i] = 1;
    return out;
  });
}

/** Whether a pixel the opening removed touches a kept component (restores thin outlines and hair tips). */
function near(ids: Int32Array, i: number, w: number, h: number, keep: Set<number>): boolean {
  const x = i % w, y = (i / w) | 0;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < w && yy < h && keep.has(ids[yy * w + xx])) return true;
    }
  }
  return false;
}
