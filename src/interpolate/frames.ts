// Reading chosen frames of a clip (optionally cropped) and writing the
// temporary PNGs the ffmpeg baseline needs.
import { decode, probe } from '../core/video.js';
import { ToonscopeError } from '../core/errors.js';
import type { Frame, Image } from '../core/types.js';

/**
 * Decode the frames with these 0-based decode-order indices, optionally through an ffmpeg crop filter.
 * With `partial`, indices past the end are left out instead of being an error.
 */
export async function readFrames(path: string, indices: number[], crop?: string, width?: number, partial = false): Promise<Map<number, Image>> {
  const want = [...new Set(indices)].sort((a, b) => a - b);
  const out = new Map<number, Image>();
  if (!want.length) return out;
  const sel = `select='${want.map((i) => `eq(n\\,${i})`).join('+')}'`;
  const info = probe(path);
  const filter = [crop, sel].filter(Boolean).join(',');
  const size = outSize(info.width, info.height, crop, width);
  let k = 0;
  for await (const f of decode(path, { filter, ...size, maxFrames: want.length })) {
    out.set(want[k++], strip(f));
    if (k >= want.length) break;
  }
  const missing = want.filter((i) => !out.has(i));
  if (missing.length && !partial) throw new ToonscopeError(path, `frames ${missing.slice(0, 5).join(', ')} are beyond the end of the clip`);
  return out;
}

/** Every frame of a clip at a small width (for held/cut analysis). */
export async function* readAll(path: string, width: number, crop?: string): AsyncGenerator<Frame> {
  const info = probe(path);
  yield* decode(path, { ...outSize(info.width, info.height, crop, width), filter: crop, fast: true });
}

/** Output size after an optional `crop=iw/N:ih:0:0` and an optional target width (aspect kept, even sizes). */
function outSize(iw: number, ih: number, crop?: string, width?: number): { width: number; height: number } {
  const m = crop ? /^crop=iw\/(\d+)/.exec(crop) : null;
  const cw = m ? Math.floor(iw / Number(m[1])) : iw;
  if (!width || width >= cw) return { width: cw & ~1, height: ih & ~1 };
  return { width: width & ~1, height: Math.max(2, Math.round((ih * width) / cw / 2) * 2) };
}

function strip(f: Frame): Image {
  return { width: f.width, height: f.height, channels: f.channels, data: f.data };
}
