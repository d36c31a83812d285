// Binary masks: full-frame 0/255 gray Images. Detection.mask is the crop of a
// full mask to its box; these helpers convert, measure and encode them.
import type { Box, Detection, Image } from '../core/types.js';

/** An all-zero full-frame mask. */
export function emptyMask(width: number, height: number): Image {
  return { width, height, channels: 1, data: new Uint8Array(width * height) };
}

/** Tight bounding box of the non-zero pixels, or undefined when empty. */
export function maskBox(m: Image): Box | undefined {
  let x0 = m.width, y0 = m.height, x1 = -1, y1 = -1;
  for (let y = 0; y < m.height; y++) {
    const row = y * m.width;
    for (let x = 0; x < m.width; x++) {
      if (m.data[row + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? undefined : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

export function maskArea(m: Image): number {
  let n = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i]) n++;
  return n;
}

/** Crop a full-frame mask to `box` (the Detection.mask layout). */
export function cropMask(m: Image, box: Box): Image {
  const [bx, by, bw, bh] = box.map(Math.round);
  const out = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    const sy = by + y;
    if (sy < 0 || sy >= m.height) continue;
    for (let x = 0; x < bw; x++) {
      const sx = bx + x;
      if (sx >= 0 && sx < m.width) out[y * bw + x] = m.data[sy * m.width + sx] ? 255 : 0;
    }
  }
  return { width: bw, height: bh, channels: 1, data: out };
}

/** A detection cut down to the part of it inside `to` (box and mask); undefined when less than 2 px is left. */
export function clip(d: Detection, to: Box, frame: number): Detection | undefined {
  const [x, y, w, h] = d.box;
  const x0 = Math.max(to[0], x), y0 = Math.max(to[1], y), x1 = Math.min(to[0] + to[2], x + w), y1 = Math.min(to[1] + to[3], y + h);
  if (x1 - x0 < 2 || y1 - y0 < 2) return undefined;
  const box: Box = [x0, y0, x1 - x0, y1 - y0];
  if (!d.mask) return { ...d, frame, box };
  const m = d.mask;
  const ox = Math.round(x0 - x), oy = Math.round(y0 - y);
  const bw = Math.max(1, Math.min(m.width - ox, Math.round(box[2]))), bh = Math.max(1, Math.min(m.height - oy, Math.round(box[3])));
  const data = new Uint8Array(bw * bh);
  for (let j = 0; j < bh; j++) data.set(m.data.subarray((j + oy) * m.width + ox, (j + oy) * m.width + ox + bw), j * bw);
  return { ...d, frame, box: [box[0], box[1], bw, bh], mask: { width: bw, height: bh, channels: 1, data } };
}

/** Paste a detection's box-sized mask back into a full-frame mask (a filled box when it has none). */
export function fullMask(d: Pick<Detection, 'box' | 'mask'>, width: number, height: number): Image {
  const out = emptyMask(width, height);
  const [bx, by, bw, bh] = d.box.map(Math.round);
  for (let y = 0; y < bh; y++) {
    const dy = by + y;
    if (dy < 0 || dy >= height) continue;
    for (let x = 0; x < bw; x++) {
      const dx = bx + x;
      if (dx < 0 || dx >= width) continue;
      const on = d.mask ? d.mask.data[y * d.mask.width + x] : 1;
      if (on) out.data[dy * width + dx] = 255;
    }
  }
  return out;
}

/** Intersection over union of two same-size masks (1 when both are empty). */
export function maskIoU(a: Image, b: Image): number {
  let inter = 0, uni = 0;
  for (let i = 0; i < a.data.length; i++) {
    const p = a.data[i] !== 0, q = b.data[i] !== 0;
    if (p && q) inter++;
    if (p || q) uni++;
  }
  return uni ? inter / uni : 1;
}

/** Box IoU (the shared one in core/box.ts). */
export { iou as boxIoU } from '../core/box.js';

/** COCO uncompressed RLE: run lengths over the column-major pixel order, starting with a run of zeros. */
export function toRLE(m: Image): { size: [number, number]; counts: number[] } {
  const counts: number[] = [];
  let cur = 0, run = 0;
  for (let x = 0; x < m.width; x++) {
    for (let y = 0; y < m.height; y++) {
      const v = m.data[y * m.width + x] ? 1 : 0;
      if (v !== cur) {
        counts.push(run);
        run = 0;
        cur = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [m.height, m.width], counts };
}

/** Decode COCO uncompressed RLE back into a mask. */
export function fromRLE(rle: { size: [number, number]; counts: number[] }): Image {
  const [h, w] = rle.size;
  const out = emptyMask(w, h);
  let p = 0, v = 0;
  for (const c of rle.counts) {
    if (v) for (let k = p; k < p + c; k++) out.data[(k % h) * w + Math.floor(k / h)] = 255;
    p += c;
    v ^= 1;
  }
  return out;
}
