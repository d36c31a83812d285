// Colour features of a (masked) crop: flat-coloured characters differ mostly
// by hair/clothes/skin colours, which a generic backbone under-weights.
// A joint HSV histogram over the mask's pixels, Hellinger-mapped (sqrt of the
// normalised counts) and L2-normalised, so a dot product is the Bhattacharyya
// coefficient between two colour distributions.
import type { Image } from '../core/types.js';
import { normalize } from './vector.js';

export const HUE_BINS = 12;
export const SAT_BINS = 2;
export const VAL_BINS = 2;
/** Achromatic pixels (low saturation or dark) go to these value bins instead. */
export const GREY_BINS = 4;
export const COLOUR_DIM = HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS;

/**
 * The colours in a stored identity vector: its last `COLOUR_DIM` values (`embedMasked` appends them to the deep part
 * in every identity space), L2-normalised, so its crop's `colourFeatures` again.
 */
export function colourPart(v: Float32Array): Float32Array {
  return normalize(v.slice(v.length - COLOUR_DIM));
}

/** RGB (0..255) to HSV with h in [0, 1), s and v in [0, 1]. */
export function hsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d + 6) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6;
  }
  return [h, max ? d / max : 0, max / 255];
}

/**
 * HSV histogram of the pixels of `img` where `mask` (one byte per pixel, same
 * size) is >= 128; all pixels when no mask. Returns COLOUR_DIM values, L2 norm 1
 * (all zeros if the mask is empty).
 */
export function colourFeatures(img: Image, mask?: Uint8Array): Float32Array {
  const hist = new Float32Array(COLOUR_DIM);
  const n = img.width * img.height, c = img.channels;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] < 128) continue;
    const r = img.data[i * c], g = img.data[i * c + Math.min(1, c - 1)], b = img.data[i * c + Math.min(2, c - 1)];
    const [h, s, v] = hsv(r, g, b);
    let bin: number;
    if (s < 0.2 || v < 0.15) bin = HUE_BINS * SAT_BINS * VAL_BINS + Math.min(GREY_BINS - 1, Math.floor(v * GREY_BINS));
    else {
      const hb = Math.floor(h * HUE_BINS) % HUE_BINS;
      const sb = Math.min(SAT_BINS - 1, Math.floor(((s - 0.2) / 0.8) * SAT_BINS));
      const vb = Math.min(VAL_BINS - 1, Math.floor(((v - 0.15) / 0.85) * VAL_BINS));
      bin = (hb * SAT_BINS + sb) * VAL_BINS + vb;
    }
    hist[bin]++;
    total++;
  }
  if (!total) return hist;
  // sqrt(p) has L2 norm 1 when p sums to 1.
  for (let k = 0; k < COLOUR_DIM; k++) hist[k] = Math.sqrt(hist[k] / total);
  return hist;
}
