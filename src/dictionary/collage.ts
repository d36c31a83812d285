// A collage per character: a grid of square thumbnails (the exemplar first,
// framed), written as PNG through core/image.ts.
import { blank, paste, resize, writeImage } from '../core/image.js';
import type { Image } from '../core/types.js';
import { padSquare } from '../embed/crop.js';

export interface CollageOptions {
  /** Thumbnail side in pixels. Default 96. */
  cell?: number;
  cols?: number;
  gap?: number;
  background?: [number, number, number];
  /** Frame colour around the first (exemplar) thumbnail. */
  highlight?: [number, number, number];
}

/** Lay crops out in a grid; the first is drawn with a coloured frame. */
export async function collage(crops: readonly Image[], opts: CollageOptions = {}): Promise<Image> {
  const cell = opts.cell ?? 96, gap = opts.gap ?? 4;
  const cols = Math.max(1, Math.min(opts.cols ?? 6, crops.length || 1));
  const rows = Math.max(1, Math.ceil(crops.length / cols));
  const out = blank(cols * (cell + gap) + gap, rows * (cell + gap) + gap, opts.background ?? [32, 32, 32]);
  for (let i = 0; i < crops.length; i++) {
    const x = gap + (i % cols) * (cell + gap), y = gap + Math.floor(i / cols) * (cell + gap);
    if (i === 0) {
      const hl = blank(cell + 4, cell + 4, opts.highlight ?? [255, 200, 0]);
      paste(out, hl, x - 2, y - 2);
    }
    const sq = padSquare(crops[i].channels === 3 ? crops[i] : { ...crops[i], channels: 3, data: rgb(crops[i]) });
    paste(out, await resize(sq, cell, cell), x, y);
  }
  return out;
}

function rgb(img: Image): Uint8Array {
  const n = img.width * img.height, out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) out[i * 3 + k] = img.data[i * img.channels + Math.min(k, img.channels - 1)];
  return out;
}

/** Build and write a collage PNG. */
export async function writeCollage(path: string, crops: readonly Image[], opts: CollageOptions = {}): Promise<void> {
  await writeImage(path, await collage(crops, opts));
}
