// A truth video from Ren'Py sprite art (Debian renpy-demo, renpy-thequestion;
// found by characters/truth.ts findArt): in each shot two or three different
// characters (Eileen, Lucy, Sylvie; Sylvie in two outfits, so identity is not
// just clothes colour) stand over one of the games' backgrounds, drift
// sideways, may flip, and change expression mid-shot. Masks are exact (alpha
// minus nearer sprites). For evaluation only; tests never depend on it.
import { ToonscopeError } from '../core/errors.js';
import { readImage, resize } from '../core/image.js';
import type { Image, Shot } from '../core/types.js';
import { findArt, RENPY_ROOT } from '../characters/truth.js';
import { existsSync } from 'node:fs';
import type { TruthVideo } from './evaluate.js';
import { rng } from '../core/random.js';
import { shuffle, type TruthBox } from './synth.js';

export interface RenpyOptions {
  root?: string;
  width?: number;
  height?: number;
  fps?: number;
  shots?: number;
  shotFrames?: [number, number];
  seed?: number;
}

interface Sprite { identity: number; outfit: string; img: Image }
interface Actor { sprites: Image[]; switchAt: number; identity: number; instance: number; x0: number; vx: number; y: number; flip: boolean }

/** Identity of a sprite file name: its first word (eileen, lucy, sylvie). */
function who(name: string): string { return name.split(' ')[0]; }

export async function renpyClip(opts: RenpyOptions = {}): Promise<TruthVideo & { identities: string[]; width: number; height: number }> {
  const root = opts.root ?? RENPY_ROOT;
  if (!existsSync(root)) throw new ToonscopeError(root, 'Ren\'Py art not found; install it with `sudo apt-get install renpy-demo renpy-thequestion`');
  const art = findArt(root);
  const W = opts.width ?? 640, H = opts.height ?? 360;
  const r = rng(opts.seed ?? 3);
  const identities = [...new Set(art.sprites.map((s) => who(s.name)))].sort();
  const sprites: Sprite[] = await Promise.all(art.sprites.map(async (s) => ({
    identity: identities.indexOf(who(s.name)),
    outfit: s.name.split(' ').slice(0, s.name.startsWith('sylvie') ? 2 : 1).join(' '),
    img: await readImage(s.path, { channels: 4 }),
  })));
  const bgs = await Promise.all(art.backgrounds.map(async (b) => readImage(b)));
  const [fmin, fmax] = opts.shotFrames ?? [30, 60];
  const shots: Shot[] = [];
  const plans: Array<{ bg: Image; actors: Actor[] }> = [];
  let start = 0, inst = 1;
  for (let s = 0; s < (opts.shots ?? 12); s++) {
    const len = fmin + Math.floor(r() * (fmax - fmin + 1));
    shots.push({ index: s, start, end: start + len - 1, startTime: start / (opts.fps ?? 24), endTime: (start + len) / (opts.fps ?? 24), in: s ? 'cut' : 'start', out: 'cut' });
    const bgSrc = bgs[Math.floor(r() * bgs.length)];
    const bs = Math.max(W / bgSrc.width, H / bgSrc.height);
    const bg = await resize(bgSrc, Math.ceil(bgSrc.width * bs), Math.ceil(bgSrc.height * bs));
    const count = 2 + Math.floor(r() * Math.min(2, identities.length - 1));
    const chosen = shuffle(identities.map((_, i) => i), r).slice(0, count);
    const actors: Actor[] = [];
    for (let k = 0; k < chosen.length; k++) {
      const id = chosen[k];
      const outfits = [...new Set(sprites.filter((x) => x.identity === id).map((x) => x.outfit))];
      const outfit = outfits[Math.floor(r() * outfits.length)];
      const pool = sprites.filter((x) => x.outfit === outfit);
      const a = pool[Math.floor(r() * pool.length)], b = pool[Math.floor(r() * pool.length)];
      const scale = ((0.8 + r() * 0.35) * H) / a.img.height;
      const sz = async (im: Image) => resize(im, Math.max(1, Math.round(im.width * scale)), Math.max(1, Math.round(im.height * scale)));
      const sa = await sz(a.img), sb = a === b ? sa : await sz(b.img);
      const x0 = ((k + 0.5) / chosen.length) * W - sa.width / 2 + (r() - 0.5) * 0.15 * W;
      actors.push({ sprites: [sa, sb], switchAt: Math.floor(r() * len), identity: id, instance: inst++, x0, vx: (r() - 0.5) * 3 * (W / 640), y: H - sa.height + Math.round(r() * 0.1 * H), flip: r() < 0.3 });
    }
    plans.push({ bg, actors });
    start += len;
  }
  const render = (i: number) => {
    const s = shots.findIndex((x) => i >= x.start && i <= x.end);
    if (s < 0) throw new Error(`frame ${i} is outside the clip`);
    const t = i - shots[s].start;
    const { bg, actors } = plans[s];
    const data = new Uint8Array(W * H * 3);
    const ox = Math.floor((bg.width - W) / 2), oy = Math.floor((bg.height - H) / 2);
    for (let y = 0; y < H; y++) data.set(bg.data.subarray(((y + oy) * bg.width + ox) * 3, ((y + oy) * bg.width + ox + W) * 3), y * W * 3);
    const owner = new Int16Array(W * H).fill(-1);
    const painted: number[] = [];
    actors.forEach((a, k) => {
      const sp = t < a.switchAt ? a.sprites[0] : a.sprites[1];
      const x0 = Math.round(a.x0 + a.vx * t), y0 = a.y;
      let n = 0;
      for (let y = 0; y < sp.height; y++) {
        const fy = y0 + y;
        if (fy < 0 || fy >= H) continue;
        for (let x = 0; x < sp.width; x++) {
          const fx = x0 + x;
          if (fx < 0 || fx >= W) continue;
          const sx = a.flip ? sp.width - 1 - x : x;
          const o = (y * sp.width + sx) * 4, al = sp.data[o + 3];
          if (!al) continue;
          const d = (fy * W + fx) * 3;
          for (let c = 0; c < 3; c++) data[d + c] = Math.round((sp.data[o + c] * al + data[d + c] * (255 - al)) / 255);
          if (al >= 128) { owner[fy * W + fx] = k; n++; }
        }
      }
      painted[k] = n;
    });
    const truth: TruthBox[] = [];
    actors.forEach((a, k) => {
      let x0 = W, y0 = H, x1 = -1, y1 = -1, n = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (owner[y * W + x] === k) {
        n++; if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      if (!n) return;
      const w = x1 - x0 + 1, h = y1 - y0 + 1, m = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (owner[(y0 + y) * W + x0 + x] === k) m[y * w + x] = 255;
      truth.push({ frame: i, identity: a.identity, instance: a.instance, box: [x0, y0, w, h], mask: { width: w, height: h, channels: 1, data: m }, visible: n / Math.max(1, painted[k]) });
    });
    return { image: { width: W, height: H, channels: 3 as const, data }, truth };
  };
  return { frames: start, shots, render, identities, width: W, height: H };
}
