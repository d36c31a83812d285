// Build an evaluation folder from Ren'Py sprite art (Debian renpy-demo and
// renpy-thequestion): sprites with alpha are composited over the games'
// backgrounds at seeded random places and scales, so every instance mask is
// exact (alpha >= 128 minus whatever a later sprite covers). Face boxes were
// annotated by hand once per sprite (same pose for every expression).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { readImage, resize, scaled, writeImage } from '../core/image.js';
import { rng } from '../core/random.js';
import type { Box, Image } from '../core/types.js';
import { maskArea, maskBox } from './masks.js';

export const RENPY_ROOT = '/usr/share/games/renpy';

/** Hand-annotated face boxes in sprite pixels (brow/bangs to chin, cheek to cheek), by sprite-name prefix. */
const FACES: Array<[RegExp, Box]> = [
  [/^eileen /, [80, 110, 155, 145]],
  [/^lucy mad/, [160, 205, 145, 140]], // leans forward: a different pose from her other sprite
  [/^lucy /, [165, 120, 120, 150]],
  [/^sylvie blue /, [95, 60, 110, 105]],
  [/^sylvie green /, [140, 65, 100, 105]],
];

export interface TruthOptions {
  out: string;
  count?: number;
  seed?: number;
  root?: string;
  width?: number;
  height?: number;
  onImage?: (i: number) => void;
}

export interface TruthSummary {
  images: number;
  instances: number;
  faces: number;
  sprites: number;
  backgrounds: number;
}

export { rng } from '../core/random.js';

function listImages(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).map((f) => join(dir, f)) : [];
}

/** Find the sprite and background files under the Ren'Py games folder. */
export function findArt(root = RENPY_ROOT): { sprites: Array<{ path: string; name: string; face: Box }>; backgrounds: string[] } {
  const files = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => listImages(join(root, d.name, 'game', 'images')));
  const sprites = [];
  for (const path of files) {
    const name = path.split('/').pop()!.replace(/\.\w+$/, '');
    const hit = FACES.find(([re]) => re.test(name));
    if (hit) sprites.push({ path, name, face: hit[1] });
  }
  // Photo-like backgrounds only: skip the pong field and the 8:1 panorama.
  const backgrounds = files.filter((f) => /\/bg [^/]+\.(jpe?g)$/i.test(f));
  return { sprites, backgrounds };
}


/** Cover width x height with a background: scale to fill, crop at a random offset. */
export async function cover(bg: Image, width: number, height: number, r: () => number): Promise<Image> {
  const s = Math.max(width / bg.width, height / bg.height) * (1 + r() * 0.3);
  const big = await resize(bg, Math.ceil(bg.width * s), Math.ceil(bg.height * s));
  const ox = Math.floor(r() * (big.width - width + 1));
  const oy = Math.floor(r() * (big.height - height + 1));
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) out.set(big.data.subarray(((y + oy) * big.width + ox) * 3, ((y + oy) * big.width + ox + width) * 3), y * width * 3);
  return { width, height, channels: 3, data: out };
}

export function flip(img: Image): Image {
  const out = new Uint8Array(img.data.length);
  const c = img.channels;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * c, d = (y * img.width + img.width - 1 - x) * c;
      for (let k = 0; k < c; k++) out[d + k] = img.data[s + k];
    }
  }
  return { ...img, data: out };
}

/** Alpha-blend an RGBA sprite onto an RGB frame at (x, y); returns its full-frame 0/255 mask (alpha >= 128). */
export function stamp(frame: Image, img: Image, x: number, y: number): Uint8Array {
  const W = frame.width, H = frame.height;
  const alpha = new Uint8Array(W * H);
  for (let j = 0; j < img.height; j++) {
    const fy = y + j;
    if (fy < 0 || fy >= H) continue;
    for (let q = 0; q < img.width; q++) {
      const fx = x + q;
      if (fx < 0 || fx >= W) continue;
      const so = (j * img.width + q) * 4, a = img.data[so + 3];
      if (!a) continue;
      const d = (fy * W + fx) * 3;
      for (let c = 0; c < 3; c++) frame.data[d + c] = Math.round((img.data[so + c] * a + frame.data[d + c] * (255 - a)) / 255);
      if (a >= 128) alpha[fy * W + fx] = 255;
    }
  }
  return alpha;
}

/** Generate `count` composites with instance masks and face boxes into `out`. */
export async function makeTruth(opts: TruthOptions): Promise<TruthSummary> {
  const root = opts.root ?? RENPY_ROOT;
  if (!existsSync(root)) {
    throw new ToonscopeError(root, 'Ren\'Py art not found; install it with `sudo apt-get install renpy-demo renpy-thequestion` or pass --renpy DIR');
  }
  const art = findArt(root);
  if (!art.sprites.length || !art.backgrounds.length) throw new ToonscopeError(root, 'no Ren\'Py character sprites or backgrounds found under this folder');
  const W = opts.width ?? 1280, H = opts.height ?? 720, count = opts.count ?? 60;
  const r = rng(opts.seed ?? 1);
  mkdirSync(opts.out, { recursive: true });
  const sprites = await Promise.all(art.sprites.map(async (s) => ({ ...s, img: await readImage(s.path, { channels: 4 }) })));
  const bgs = await Promise.all(art.backgrounds.map((b) => readImage(b)));
  let instances = 0, faces = 0;
  for (let i = 0; i < count; i++) {
    const frame = await cover(bgs[Math.floor(r() * bgs.length)], W, H, r);
    const n = 1 + Math.floor(r() * 3);
    // Distinct characters left to right with some overlap, as in a shot.
    const placed: Array<{ name: string; alpha: Uint8Array; face: Box }> = [];
    const slots = [...Array(n).keys()];
    for (const k of slots) {
      const sp = sprites[Math.floor(r() * sprites.length)];
      const s = (H * (0.45 + r() * 0.6)) / sp.img.height;
      const mirrored = r() < 0.5;
      let img = await scaled(sp.img, s);
      if (mirrored) img = flip(img);
      const cx = ((k + 0.5) / n + (r() - 0.5) * 0.25 / n) * W;
      const x = Math.round(cx - img.width / 2);
      const y = Math.round(H - img.height * (0.75 + r() * 0.3));
      const alpha = stamp(frame, img, x, y);
      for (const p of placed) for (let i = 0; i < alpha.length; i++) if (alpha[i]) p.alpha[i] = 0; // occluded by this sprite
      const [fx0, fy0, fw, fh] = sp.face;
      const face: Box = [Math.round(x + (mirrored ? sp.img.width - fx0 - fw : fx0) * s), Math.round(y + fy0 * s), Math.round(fw * s), Math.round(fh * s)];
      placed.push({ name: sp.name, alpha, face });
    }
    const stem = String(i + 1).padStart(4, '0');
    const meta: { image: string; instances: Array<{ mask: string; sprite: string; face: Box | null }>; faces: Box[] } = { image: `${stem}.jpg`, instances: [], faces: [] };
    let m = 0;
    for (const p of placed) {
      const mask: Image = { width: W, height: H, channels: 1, data: p.alpha };
      const box = maskBox(mask);
      if (!box || maskArea(mask) < 0.005 * W * H) continue; // fully hidden or a sliver: not a findable character
      // A face counts only when it is inside the frame and not covered by a later sprite.
      let face: Box | null = p.face;
      const [fx, fy, fw, fh] = face;
      let inside = 0;
      for (let yy = fy; yy < fy + fh; yy++) for (let xx = fx; xx < fx + fw; xx++) if (xx >= 0 && yy >= 0 && xx < W && yy < H && p.alpha[yy * W + xx]) inside++;
      if (inside < 0.6 * fw * fh) face = null;
      const file = `${stem}.mask-${++m}.png`;
      await writeImage(join(opts.out, file), mask);
      meta.instances.push({ mask: file, sprite: p.name, face });
      if (face) meta.faces.push(face);
      instances++;
    }
    faces += meta.faces.length;
    await writeImage(join(opts.out, `${stem}.jpg`), frame, 92);
    writeFileSync(join(opts.out, `${stem}.json`), `${JSON.stringify(meta)}\n`);
    opts.onImage?.(i);
  }
  return { images: count, instances, faces, sprites: sprites.length, backgrounds: bgs.length };
}
