// Where the flow tears (src/interpolate/tear.ts): the share of vector jumps
// around each pixel, on flows built by hand, then hair-like strands that each
// move their own way, where per-pixel flow scatters specks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../src/core/random.js';
import type { Image } from '../src/core/types.js';
import { interpolate } from '../src/interpolate/interp.js';
import { psnr, specks } from '../src/interpolate/metrics.js';
import { flowPair } from '../src/interpolate/flow.js';
import type { Flow } from '../src/interpolate/raster.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { tearMap } from '../src/interpolate/tear.js';

function flowOf(w: number, h: number, f: (x: number, y: number) => [number, number]): Flow {
  const data = new Float32Array(w * h * 2);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) [data[(y * w + x) * 2], data[(y * w + x) * 2 + 1]] = f(x, y);
  return { width: w, height: h, data };
}
const at = (m: Float32Array, w: number, x: number, y: number) => m[y * w + x];

test('a clean motion boundary and a smoothly varying flow are not torn; scattered vectors are', () => {
  const w = 200, h = 150;
  // A disc moving 6 px over a still background: one line of jumps around it.
  const disc = tearMap(flowOf(w, h, (x, y) => (Math.hypot(x - 100, y - 75) < 40 ? [6, -2] : [0, 0])));
  assert.equal(Math.max(...disc), 0, 'one boundary line is not a tear');
  // A turning flow: vectors change by 0.03 px per pixel, everywhere, but never jump.
  const turn = tearMap(flowOf(w, h, (x, y) => [-(y - 75) * 0.03, (x - 100) * 0.03]));
  assert.equal(Math.max(...turn), 0, 'gradual change is not a tear');
  // A square of vectors scattered at random (torn hair): fully torn inside, untouched far from it.
  const r = rng(7);
  const torn = tearMap(flowOf(w, h, (x, y) => (x >= 60 && x < 110 && y >= 50 && y < 100 ? [r() * 6 - 3, r() * 6 - 3] : [1, 1])));
  assert.equal(at(torn, w, 85, 75), 1);
  assert.equal(at(torn, w, 160, 75), 0);
  assert.equal(at(torn, w, 85, 130), 0);
  // One line of jumps along the image border is one boundary too (the window is not padded with copies of it).
  const border = tearMap(flowOf(w, h, (x) => (x === 0 ? [5, 0] : [0, 0])));
  assert.equal(Math.max(...border), 0, 'a boundary along the border is not a tear');
});

/** Pink with dark hair strands at `xs` (1.5 px wide, anti-aliased), each bent by `bend(i, y)`. */
function strands(w: number, h: number, xs: number[], bend: (i: number, y: number) => number): Image {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let ink = 0;
      for (let i = 0; i < xs.length; i++) ink = Math.max(ink, Math.min(1, Math.max(0, 1.25 - Math.abs(x - xs[i] - bend(i, y)))));
      const o = (y * w + x) * 3;
      data[o] = 235 - ink * 150; data[o + 1] = 170 - ink * 120; data[o + 2] = 190 - ink * 110;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

test('hair strands that each swing their own way: fewer specks with the tear mix, and no loss', async () => {
  const w = 240, h = 160, r = rng(3);
  const xs = Array.from({ length: 40 }, () => 20 + r() * 200);
  const amp = xs.map(() => r() * 10 - 5), phase = xs.map(() => r() * 6);
  const frame = (t: number) => strands(w, h, xs, (i, y) => t * amp[i] * Math.sin(y / 25 + phase[i]));
  const a = frame(0), truth = frame(0.5), c = frame(1);
  const mixed = await interpolate(a, c, 0.5), plain = await interpolate(a, c, 0.5, { tear: 0 });
  const sm = specks(mixed, truth), sp = specks(plain, truth);
  assert.ok(sm < sp * 0.8, `specks per 10,000 px with the tear mix ${sm.toFixed(1)}, without ${sp.toFixed(1)}`);
  // Real flow on the strands is torn over much of the picture; on the drawn disc scene only around the discs'
  // fast-moving outlines, where the flow ramps from one motion to the other in steps over the threshold.
  const share = (m: Float32Array) => m.filter((v) => v > 0).length / m.length;
  const hair = share(tearMap((await flowPair(a, c)).ab));
  const sc = cartoonScene(w, h, 0.06);
  const discs = share(tearMap((await flowPair(drawScene(sc, 0), drawScene(sc, 1))).ab));
  assert.ok(hair > 0.5 && hair > 4 * discs, `torn share: strands ${hair.toFixed(3)}, discs ${discs.toFixed(3)}`);
  assert.ok(psnr(mixed, truth) > psnr(plain, truth) - 0.1, `${psnr(mixed, truth).toFixed(2)} dB vs ${psnr(plain, truth).toFixed(2)} dB`);
});

test('clean motion: the tear mix gains at ordinary motion and costs little at fast motion', async () => {
  // Measured: the disc scene at 640x360 gains 0.49 dB; at 320x180, where the small disc moves 1.5 times its own
  // diameter and both variants smear it, the torn outlines cost 0.36 dB.
  for (const [w, h, motion, floor] of [[640, 360, 0.06, 0.2], [320, 180, 0.1, -0.5]]) {
    const sc = cartoonScene(w, h, motion);
    const a = drawScene(sc, 0), truth = drawScene(sc, 0.5), c = drawScene(sc, 1);
    const mixed = psnr(await interpolate(a, c, 0.5), truth), plain = psnr(await interpolate(a, c, 0.5, { tear: 0 }), truth);
    assert.ok(mixed - plain > floor, `${w}x${h}: ${mixed.toFixed(2)} dB with the tear mix, ${plain.toFixed(2)} dB without`);
  }
});
