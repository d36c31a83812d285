// Cut a detection out of a frame the way the embedding expects it: the box,
// background outside the mask replaced by neutral grey (so the backbone sees
// the character, not the set), padded to a square (aspect kept), then resized.
import { resize } from '../core/image.js';
import type { Box, Image } from '../core/types.js';

/** Neutral grey used outside masks and for padding. */
export const PAD = 128;

/** Clip a box to the frame and round it to whole pixels (at least 1x1). */
export function clipBox(box: Box, width: number, height: number): Box {
  const x0 = Math.max(0, Math.min(width - 1, Math.floor(box[0])));
  const y0 = Math.max(0, Math.min(height - 1, Math.floor(box[1])));
  const x1 = Math.max(x0 + 1, Math.min(width, Math.ceil(box[0] + box[2])));
  const y1 = Math.max(y0 + 1, Math.min(height, Math.ceil(box[1] + box[3])));
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * The RGB pixels of `box` in `frame`. `mask` (1 channel, the box's size, 0/255
 * as in Detection.mask) blanks out the background with PAD grey when given.
 * Returns the crop and its mask aligned to the clipped box (all 255 when none).
 */
export function cropBox(frame: Image, box: Box, mask?: Image): { image: Image; mask: Uint8Array } {
  const [x0, y0, w, h] = clipBox(box, frame.width, frame.height);
  const c = frame.channels;
  const out = new Uint8Array(w * h * 3);
  const m = new Uint8Array(w * h);
  const bx = Math.floor(box[0]), by = Math.floor(box[1]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((y0 + y) * frame.width + x0 + x) * c;
      let inside = 255;
      if (mask) {
        // Mask coordinates are relative to the unclipped box.
        const mx = x0 + x - bx, my = y0 + y - by;
        inside = mx >= 0 && my >= 0 && mx < mask.width && my < mask.height ? (mask.data[(my * mask.width + mx) * mask.channels] >= 128 ? 255 : 0) : 0;
      }
      const d = (y * w + x) * 3;
      m[y * w + x] = inside;
      if (inside) {
        out[d] = frame.data[s];
        out[d + 1] = frame.data[s + Math.min(1, c - 1)];
        out[d + 2] = frame.data[s + Math.min(2, c - 1)];
      } else out[d] = out[d + 1] = out[d + 2] = PAD;
    }
  }
  return { image: { width: w, height: h, channels: 3, data: out }, mask: m };
}

/** Pad an RGB image to a centred square with PAD grey. */
export function padSquare(img: Image): Image {
  const s = Math.max(img.width, img.height);
  if (img.width === s && img.height === s) return img;
  const out = new Uint8Array(s * s * 3).fill(PAD);
  const ox = (s - img.width) >> 1, oy = (s - img.height) >> 1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const si = (y * img.width + x) * img.channels, di = ((y + oy) * s + x + ox) * 3;
      out[di] = img.data[si];
      out[di + 1] = img.data[si + Math.min(1, img.channels - 1)];
      out[di + 2] = img.data[si + Math.min(2, img.channels - 1)];
    }
  }
  return { width: s, height: s, channels: 3, data: out };
}

/** Square-pad then resize to size x size RGB (the backbone's input). */
export async function toInput(img: Image, size: number): Promise<Image> {
  const sq = padSquare(img);
  return sq.width === size ? sq : resize(sq, size, size);
}
