// Overlay images people can look at: each character's mask tinted in its own
// colour, body boxes, face boxes and scores drawn on the frame.
import type { Box, Image } from '../core/types.js';
import { toChannels } from '../core/image.js';
import type { Character } from './types.js';

const PALETTE: Array<[number, number, number]> = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60],
];

export function colour(i: number): [number, number, number] {
  return PALETTE[i % PALETTE.length];
}

function rect(img: Image, box: Box, rgb: [number, number, number], thick = 2): void {
  const [x, y, w, h] = box.map(Math.round);
  const put = (px: number, py: number) => {
    if (px < 0 || py < 0 || px >= img.width || py >= img.height) return;
    img.data.set(rgb, (py * img.width + px) * 3);
  };
  for (let t = 0; t < thick; t++) {
    for (let i = x; i < x + w; i++) {
      put(i, y + t);
      put(i, y + h - 1 - t);
    }
    for (let j = y; j < y + h; j++) {
      put(x + t, j);
      put(x + w - 1 - t, j);
    }
  }
}

/** Draw a score bar (length = score) above a box: a font-free way to show confidence. */
function bar(img: Image, box: Box, score: number, rgb: [number, number, number]): void {
  const [x, y, w] = box.map(Math.round);
  const len = Math.round(Math.max(0, Math.min(1, score)) * Math.max(20, w));
  for (let j = Math.max(0, y - 6); j < Math.max(0, y - 2); j++) {
    for (let i = Math.max(0, x); i < Math.min(img.width, x + len); i++) img.data.set(rgb, (j * img.width + i) * 3);
  }
}

/** A copy of `frame` with masks tinted (50%), body boxes, face boxes (white) and score bars. */
export function overlay(frame: Image, characters: Character[]): Image {
  const img = toChannels(frame, 3);
  const out: Image = { ...img, data: new Uint8Array(img.data) };
  characters.forEach((c, i) => {
    const rgb = colour(i);
    const m = c.body?.mask;
    if (c.body && m) {
      const [bx, by] = c.body.box.map(Math.round);
      for (let y = 0; y < m.height; y++) {
        const fy = by + y;
        if (fy < 0 || fy >= out.height) continue;
        for (let x = 0; x < m.width; x++) {
          const fx = bx + x;
          if (fx < 0 || fx >= out.width || !m.data[y * m.width + x]) continue;
          const o = (fy * out.width + fx) * 3;
          for (let k = 0; k < 3; k++) out.data[o + k] = (out.data[o + k] + rgb[k]) >> 1;
        }
      }
    }
    if (c.body) {
      rect(out, c.body.box, rgb, 3);
      bar(out, c.body.box, c.body.score, rgb);
    }
    if (c.face) {
      rect(out, c.face.box, [255, 255, 255], 2);
      bar(out, c.face.box, c.face.score, [255, 255, 255]);
    }
  });
  return out;
}

/** Draw boxes only (e.g. truth faces) onto an RGB image in place. */
export function drawBoxes(img: Image, boxes: Box[], rgb: [number, number, number], thick = 2): void {
  for (const b of boxes) rect(img, b, rgb, thick);
}
