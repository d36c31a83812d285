// Measure the video path on a clip with exact truth: Ren'Py sprites (Debian
// renpy-demo / renpy-thequestion) sliding over a panning background, two
// shots, 1280x720 at 24 fps. Reports mask IoU on keyframes vs flow-carried
// frames and the cost per minute of video, for the default settings and for
// running the full chain on every analysed frame.
//
//   node dist/scripts/characters-video-eval.js [--seconds 12] [--seed 3]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VideoWriter } from '../src/core/video.js';
import { readImage, scaled } from '../src/core/image.js';
import type { Image } from '../src/core/types.js';
import { findArt, rng, cover, stamp } from '../src/characters/truth.js';
import { parseChain } from '../src/characters/backends.js';
import { charactersInVideo } from '../src/characters/video.js';
import { fullMask, maskIoU } from '../src/characters/masks.js';
import { match } from '../src/characters/evaluate.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, seed: { type: 'string' }, every: { type: 'string' } } });
const seconds = Number(values.seconds ?? 12), seed = Number(values.seed ?? 3);
const W = 1280, H = 720, FPS = 24, N = Math.round(seconds * FPS);
const r = rng(seed);
const art = findArt();
const file = join(mkdtempSync(join(tmpdir(), 'toonscope-charvid-')), 'clip.mp4');

/** Downscale a full-res mask by 2 (any-of-4 majority >= 2) to the 640-wide analysis size. */
function half(m: Uint8Array): Image {
  const w = W / 2, h = H / 2, out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = 2 * y * W + 2 * x;
    out[y * w + x] = (m[i] ? 1 : 0) + (m[i + 1] ? 1 : 0) + (m[i + W] ? 1 : 0) + (m[i + W + 1] ? 1 : 0) >= 2 ? 255 : 0;
  }
  return { width: w, height: h, channels: 1, data: out };
}

const truth: Image[][] = [];
const vw = new VideoWriter(file, W, H, FPS, { crf: 18 });
const shots = 2;
for (let s = 0; s < shots; s++) {
  const bg = await cover(await readImage(art.backgrounds[Math.floor(r() * art.backgrounds.length)]), W + 200, H, r);
  const n = s === 0 ? 2 : 1;
  const actors = [];
  for (let k = 0; k < n; k++) {
    const sp = art.sprites[Math.floor(r() * art.sprites.length)];
    const img = await scaled(await readImage(sp.path, { channels: 4 }), (H * (0.6 + r() * 0.3)) / 700);
    actors.push({ img, x0: ((k + 0.5) / n) * W - img.width / 2 - 100 + r() * 200, y0: H - img.height * 0.9, vx: (r() - 0.5) * 8, vy: (r() - 0.5) * 2 });
  }
  const frames = Math.floor(N / shots);
  for (let f = 0; f < frames; f++) {
    const pan = Math.round((f / frames) * 200);
    const frame: Image = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3) };
    for (let y = 0; y < H; y++) frame.data.set(bg.data.subarray((y * bg.width + pan) * 3, (y * bg.width + pan + W) * 3), y * W * 3);
    const masks: Uint8Array[] = [];
    for (const a of actors) {
      const m = stamp(frame, a.img, Math.round(a.x0 + a.vx * f), Math.round(a.y0 + a.vy * f + 6 * Math.sin(f / 6)));
      for (const p of masks) for (let i = 0; i < m.length; i++) if (m[i]) p[i] = 0;
      masks.push(m);
    }
    truth.push(masks.map(half));
    await vw.write(frame);
  }
}
await vw.close();
process.stderr.write(`clip: ${file} (${truth.length} frames)\n`);

async function run(every: number) {
  const chain = parseChain();
  const key: number[] = [], carried: number[] = [];
  let frames = 0, keys = 0;
  const t0 = performance.now();
  for await (const res of charactersInVideo(file, chain, { every, fps: 8, width: 640 })) {
    frames++;
    if (res.keyframe) keys++;
    const gts = truth[Math.min(truth.length - 1, res.source)];
    const pm = res.characters.filter((c) => c.body).map((c) => fullMask(c.body!, 640, 360));
    const m = match(pm.map((p) => gts.map((g) => maskIoU(p, g))), 1e-9);
    const ious = gts.map((_, j) => m.find((x) => x[1] === j)?.[2] ?? 0);
    (res.keyframe ? key : carried).push(...ious);
  }
  const secs = (performance.now() - t0) / 1000;
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  for (const d of chain) await d.dispose?.();
  return { every, frames, keyframes: keys, keyIoU: +mean(key).toFixed(3), carriedIoU: +mean(carried).toFixed(3), allIoU: +mean([...key, ...carried]).toFixed(3), seconds: +secs.toFixed(1), secondsPerMinute: +((secs / seconds) * 60).toFixed(1) };
}

const out = [await run(Number(values.every ?? 2)), await run(0)];
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
