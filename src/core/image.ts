// Image I/O through sharp (prebuilt libvips). Everything inside toonscope is
// an interleaved 8-bit `Image`; these helpers convert at the edges only.
import type Sharp from 'sharp';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { ToonscopeError } from './errors.js';
import { writeWhole } from './files.js';
import type { Box, Image } from './types.js';

/**
 * sharp, loaded on first use: loading libvips costs ~0.4 s that commands without images should not pay at start-up.
 * Loaded by require, not import: sharp's ESM build imports CommonJS packages (semver, detect-libc, @img/colour), and
 * importing those from ESM runs Node's CommonJS export scanner, hot enough that V8 optimises it (about 0.2 s of
 * compiling per thread, and interpolation loads sharp in every worker thread).
 */
const requireHere = createRequire(import.meta.url);
export function sharpNow(): typeof Sharp {
  return requireHere('sharp') as typeof Sharp;
}

let loaded: Promise<typeof Sharp> | undefined;
export function sharpLib(): Promise<typeof Sharp> {
  return (loaded ??= Promise.resolve().then(sharpNow));
}

/** Largest input accepted (pixels); bigger files get a clear error instead of exhausting memory. */
export const MAX_PIXELS = 100_000_000;

export interface ReadOptions {
  /** 1 = gray, 3 = RGB (default; alpha is flattened onto `background`), 4 = RGBA. */
  channels?: 1 | 3 | 4;
  background?: string;
}

/** Read an image file (PNG, JPEG, WebP, ...) into an Image. Clear one-line errors for missing, empty, huge or non-image files. */
export async function readImage(path: string, opts: ReadOptions = {}): Promise<Image> {
  let size = 0;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ToonscopeError(path, 'is a folder, expected an image file');
    size = st.size;
  } catch (e) {
    if (e instanceof ToonscopeError) throw e;
    throw new ToonscopeError(path, 'no such file');
  }
  if (size === 0) throw new ToonscopeError(path, 'file is empty (0 bytes)');
  const channels = opts.channels ?? 3;
  try {
    const sharp = await sharpLib();
    let s = sharp(path, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
    if (channels === 1) s = s.flatten({ background: opts.background ?? '#ffffff' }).grayscale();
    else if (channels === 3) s = s.flatten({ background: opts.background ?? '#ffffff' }).toColourspace('srgb');
    else s = s.ensureAlpha().toColourspace('srgb');
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
    return toChannels({ width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, channels);
  } catch (e) {
    const msg = String((e as Error).message ?? e).split('\n')[0];
    if (/pixel limit/i.test(msg)) throw new ToonscopeError(path, `image is too large (over ${MAX_PIXELS / 1e6} megapixels)`);
    if (/unsupported image format|Input file is missing|bad seek|corrupt|premature|VipsJpeg|pngload|Invalid|unexpected end/i.test(msg)) {
      throw new ToonscopeError(path, `not a readable image (${msg})`);
    }
    throw new ToonscopeError(path, `cannot read image (${msg})`);
  }
}

/** Decode an encoded image (PNG/JPEG/WebP bytes) into an RGB Image. */
export async function decodeImage(bytes: Uint8Array): Promise<Image> {
  const sharp = await sharpLib();
  const { data, info } = await sharp(bytes).flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return toChannels({ width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, 3);
}

/** Convert between 1, 3 and 4 channels (gray = luma; alpha dropped or set opaque). */
export function toChannels(img: Image, channels: 1 | 3 | 4): Image {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  const src = img.data;
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number, a = 255;
    if (c === 1) r = g = b = src[i];
    else {
      r = src[i * c]; g = src[i * c + 1]; b = src[i * c + 2];
      if (c === 4) a = src[i * c + 3];
    }
    if (channels === 1) out[i] = (r * 77 + g * 150 + b * 29) >> 8;
    else {
      out[i * channels] = r; out[i * channels + 1] = g; out[i * channels + 2] = b;
      if (channels === 4) out[i * 4 + 3] = a;
    }
  }
  return { width: img.width, height: img.height, channels, data: out };
}

async function toSharp(img: Image) {
  const sharp = await sharpLib();
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  });
}

/** Write an Image; the format follows the extension (.png, .jpg, .webp). */
export async function writeImage(path: string, img: Image, quality = 85): Promise<void> {
  let s = await toSharp(img);
  if (/\.jpe?g$/i.test(path)) s = s.jpeg({ quality });
  else if (/\.webp$/i.test(path)) s = s.webp({ quality });
  else s = s.png({ compressionLevel: 6 });
  // sharp's own message is several lines of libvips detail; say in one line which file and why.
  if (!existsSync(dirname(resolve(path)))) throw new ToonscopeError(path, `cannot write: folder ${dirname(path)} does not exist`);
  try {
    // Whole or not at all: a full disk must not leave half a picture behind.
    await writeWhole(path, (tmp) => s.toFile(tmp));
  } catch (e) {
    if (e instanceof ToonscopeError) throw e;
    throw new ToonscopeError(path, `cannot write (${String((e as Error).message).split('\n')[0].replace(/^.*?: /, '')})`);
  }
}

/** Encode an Image to a PNG/JPEG buffer (for HTML embedding or HTTP). */
export async function encodeImage(img: Image, format: 'png' | 'jpeg' = 'png', quality = 85): Promise<Buffer> {
  const s = await toSharp(img);
  return format === 'png' ? s.png().toBuffer() : s.jpeg({ quality }).toBuffer();
}

/**
 * Resize with area averaging for shrinking (Lanczos otherwise). `kernel` lets a
 * learned model get the resampling its reference implementation used (PIL's
 * BICUBIC / BILINEAR are sharp's 'cubic' / 'linear').
 */
export async function resize(img: Image, width: number, height: number, kernel: 'lanczos3' | 'cubic' | 'linear' = 'lanczos3'): Promise<Image> {
  const { data, info } = await (await toSharp(img)).resize(width, height, { fit: 'fill', kernel }).raw().toBuffer({ resolveWithObject: true });
  let out: Image = { width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  // sharp returns 3 channels for a 1-channel raw input: keep the caller's layout.
  if (out.channels !== img.channels) out = toChannels(out, img.channels);
  return out;
}

/** `img` scaled by `s` (sharp's default kernel), at least a pixel each way: a 20000 x 1 strip keeps its row. */
export async function scaled(img: Image, s: number): Promise<Image> {
  return resize(img, Math.max(1, Math.round(img.width * s)), Math.max(1, Math.round(img.height * s)));
}

/** A blank RGB image filled with one colour. */
export function blank(width: number, height: number, rgb: [number, number, number] = [0, 0, 0]): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, channels: 3, data };
}

/** Copy `src` into `dst` (both RGB) with its top-left corner at (x, y), clipped. */
export function paste(dst: Image, src: Image, x: number, y: number): void {
  const c = dst.channels;
  for (let j = 0; j < src.height; j++) {
    const dy = y + j;
    if (dy < 0 || dy >= dst.height) continue;
    for (let i = 0; i < src.width; i++) {
      const dx = x + i;
      if (dx < 0 || dx >= dst.width) continue;
      const so = (j * src.width + i) * src.channels;
      const d = (dy * dst.width + dx) * c;
      for (let k = 0; k < c; k++) dst.data[d + k] = src.data[so + Math.min(k, src.channels - 1)];
    }
  }
}

/** Copy of a box region (clipped to the image). */
export function crop(img: Image, box: Box): Image {
  const x0 = Math.max(0, Math.floor(box[0])), y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2])), y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  const w = Math.max(0, x1 - x0), h = Math.max(0, y1 - y0), c = img.channels;
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * c, ((y0 + y) * img.width + x0 + w) * c), y * w * c);
  return { width: w, height: h, channels: c, data };
}
