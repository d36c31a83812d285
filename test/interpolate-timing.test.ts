// Easing from the neighbouring drawings (src/interpolate/timing.ts): the ease
// model on its own, then drawn discs that slow into a pose, where the true
// in-between sits nearer the later drawing than halfway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Image } from '../src/core/types.js';
import { easeRate, easeTimes, motionSpeed } from '../src/interpolate/timing.js';
import { interpolate } from '../src/interpolate/interp.js';
import { psnr } from '../src/interpolate/metrics.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { inbetweenStream } from '../src/interpolate/video.js';

test('a strong consistent ease moves the in-between; weak, mixed or one-sided evidence does not', () => {
  // Speeds 16, 4, 1: each step a quarter of the one before, so the later half of a→c is half the earlier.
  const [t] = easeTimes([0.5], { prev: 16, cur: 4, next: 1 });
  assert.ok(Math.abs(t - 2 / 3) < 1e-9, `slowing down: ${t}`);
  const [u] = easeTimes([0.5], { prev: 1, cur: 4, next: 16 });
  assert.ok(Math.abs(u - 1 / 3) < 1e-9, `speeding up: ${u}`);
  assert.deepEqual(easeTimes([0.5], { prev: 8, cur: 4, next: 2 }), [0.5], 'a mild ease (shift under 0.1) is left alone');
  assert.deepEqual(easeTimes([0.5], { prev: 2, cur: 8, next: 2 }), [0.5], 'speeds that rise then fall are not one ease');
  assert.deepEqual(easeTimes([0.5], { prev: 16, cur: 1, next: 1 }), [0.5], 'a middle step far off the fitted ease');
  assert.deepEqual(easeTimes([0.5], { cur: 4, next: 1 }), [0.5], 'no drawing before (a shot start)');
  assert.equal(easeRate({ prev: 16, cur: 4, next: 16 }), undefined);
});

test('the ease is measured per frame: drawings held twice as long give the same in-between', () => {
  const one = easeTimes([0.25, 0.5, 0.75], { prev: 16, cur: 4, next: 1 });
  const two = easeTimes([0.25, 0.5, 0.75], { prev: 16, cur: 4, next: 1, gaps: [2, 2, 2] });
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(one[k] - two[k]) < 1e-9);
  assert.ok(one[0] < one[1] && one[1] < one[2], 'in-betweens stay in order');
  one.forEach((v, k) => assert.ok(Math.abs(v - [0.25, 0.5, 0.75][k]) <= 0.2 + 1e-9, 'shift capped at 0.2'));
  // A drawing held still after the move (speed 0) counts as almost still, not as an error.
  const [h] = easeTimes([0.5], { prev: 6, cur: 1, next: 0 });
  assert.ok(h > 0.6 && h <= 0.7, `settling into a hold: ${h}`);
});

/** Drawings of discs that slow down: each step half the length of the one before. */
function slowing(): { frames: Image[]; truthMiddle: Image } {
  const sc = cartoonScene(320, 180, 0.3);
  const steps = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32];
  const total = steps.reduce((a, b) => a + b, 0);
  const at = (k: number) => steps.slice(0, k).reduce((a, b) => a + b, 0) / total;
  // Drawings at step counts 0 (before), 2 (a), 4 (c), 6 (after); the truth in-between at 3.
  return { frames: [0, 2, 4, 6].map((k) => drawScene(sc, at(k))), truthMiddle: drawScene(sc, at(3)) };
}

test('discs slowing into a pose: the neighbouring drawings put the in-between where it was drawn', async () => {
  const { frames: [p, a, c, n], truthMiddle } = slowing();
  const speeds = { prev: await motionSpeed(p, a), cur: await motionSpeed(a, c), next: await motionSpeed(c, n) };
  const [pos] = easeTimes([0.5], speeds);
  assert.ok(Math.abs(pos - 2 / 3) < 0.05, `position ${pos.toFixed(3)} (drawn at 2/3)`);
  const eased = psnr(await interpolate(a, c, 0.5, { speeds }), truthMiddle);
  const even = psnr(await interpolate(a, c, 0.5), truthMiddle);
  assert.ok(eased > even + 3, `eased ${eased.toFixed(2)} dB vs halfway ${even.toFixed(2)} dB`);
});

test('video mode follows the ease across held frames (drawings on twos)', async () => {
  const { frames, truthMiddle } = slowing();
  const held = frames.flatMap((f) => [f, f]);
  async function* iterate(): AsyncGenerator<Image> {
    for (const f of held) yield f;
  }
  const run = async (ease: boolean) => {
    const out: Image[] = [];
    const r = await inbetweenStream(iterate(), { factor: 2, ease }, async (img) => void out.push(img));
    return { out, r };
  };
  const on = await run(true), off = await run(false);
  assert.equal(on.out.length, held.length * 2);
  assert.deepEqual(on.r.pairs, { motion: 3, held: 4, cut: 0 });
  // Only the middle move (a→c) has a drawing on both sides.
  assert.equal(on.r.eased, 1);
  assert.equal(off.r.eased, 0);
  // Input frame 3 is the last frame of a; output 2*3+1 is its in-between towards c.
  const k = 2 * 3 + 1;
  const pe = psnr(on.out[k], truthMiddle), pn = psnr(off.out[k], truthMiddle);
  assert.ok(pe > pn + 3, `eased ${pe.toFixed(2)} dB vs halfway ${pn.toFixed(2)} dB`);
});
