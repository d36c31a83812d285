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
import { neighbours } from '../src/interpolate/truth.js';
import { evaluate, type EvalSource } from '../src/interpolate/eval.js';
import { signature } from '../src/interpolate/pairs.js';
import { writeEvalPage } from '../src/interpolate/page.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  assert.equal(easeRate({ prev: 16, cur: 4, next: 1, gaps: [1, 0, 1] }), undefined, 'a zero gap is no step');
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

/** Drawings of discs that slow down: each step half the length of the one before (drawing k of 0..6). */
function drawing(k: number): Image {
  const sc = cartoonScene(320, 180, 0.3);
  const steps = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32];
  const total = steps.reduce((a, b) => a + b, 0);
  return drawScene(sc, steps.slice(0, k).reduce((a, b) => a + b, 0) / total);
}

/** Drawings 0 (before), 2 (a), 4 (c), 6 (after) of the slowing move; the truth in-between is drawing 3. */
function slowing(): { frames: Image[]; truthMiddle: Image } {
  return { frames: [0, 2, 4, 6].map(drawing), truthMiddle: drawing(3) };
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

test('video mode does not ease across a cut or a hold longer than the lookahead', async () => {
  const { frames: [p, a, c, n] } = slowing();
  const other = drawScene({ ...cartoonScene(320, 180, 0.3), background: [230, 60, 200], floor: [20, 20, 120] }, 0.5);
  const run = async (seq: Image[], cuts?: Set<number>) => {
    async function* iterate(): AsyncGenerator<Image> {
      for (const f of seq) yield f;
    }
    const out: Image[] = [];
    const r = await inbetweenStream(iterate(), { factor: 2, lookahead: seq.length > 10 ? 12 : 4, cuts }, async (img) => void out.push(img));
    assert.equal(out.length, seq.length * 2);
    return r;
  };
  assert.equal((await run([p, a, c, n])).eased, 1, 'the plain sequence eases');
  // A cut the shots detector reports between p and a: the move a→c has no drawing before it in its shot.
  const reported = await run([p, a, c, n], new Set([1]));
  assert.equal(reported.pairs.cut, 1);
  assert.equal(reported.eased, 0);
  const found = await run([other, a, c, n]);
  assert.equal(found.pairs.cut, 1, 'the pair test finds the cut');
  assert.equal(found.eased, 0);
  // A move after a hold longer than the lookahead starts afresh: the step before the hold says nothing about it
  // (here it would read as a strong slow-down: fast before, slow over the hold, still after).
  const sc = cartoonScene(160, 90, 0.3), at = (t: number) => drawScene(sc, t);
  const afterHold = [at(0), at(0.3), ...Array.from({ length: 21 }, () => at(0.6)), at(0.95), at(0.95), at(0.951), at(0.951)];
  assert.equal((await run(afterHold)).eased, 0);
  // c held past the lookahead: the move ends there.
  assert.equal((await run([p, a, c, c, c, c, c, c, n])).eased, 0);
});

test('eval neighbours are the drawings around a triplet in the half-rate input, in frames of display', () => {
  // Drawings start at 0, 2, 4, 6, 8, 10 (held three frames), 13, 15; a cut before 15. b is one drawing, so the
  // neighbours are two drawings away from a and c, as in the input without b.
  const d = { starts: [0, 2, 4, 6, 8, 10, 13, 15], shots: [0, 0, 0, 0, 0, 0, 0, 1] };
  assert.deepEqual(neighbours(d, [4, 6, 8]), { prev: 0, next: 13, gaps: [4, 4, 5] });
  // A triplet frame inside a hold belongs to the drawing on screen.
  assert.deepEqual(neighbours(d, [5, 7, 9]), { prev: 0, next: 13, gaps: [4, 4, 5] });
  // No drawing before the first one, none across the cut.
  assert.equal(neighbours(d, [0, 2, 4]).prev, undefined);
  assert.equal(neighbours(d, [6, 8, 10]).next, undefined);
  assert.equal(neighbours(d, [6, 8, 10]).prev, 2);
});

test('eval with neighbours follows the ease; without them the in-between sits halfway', async () => {
  // The slowing drawings on twos: frame 2k and 2k+1 show drawing k.
  const clip = Array.from({ length: 14 }, (_, f) => drawing(Math.floor(f / 2)));
  const src: EvalSource = {
    name: 'slowing', source: 'drawn', triplets: [[4, 6, 8]],
    frames: async (ix) => new Map(ix.filter((i) => clip[i]).map((i) => [i, clip[i]])),
    signatures: async () => clip.map(signature),
  };
  const on = await evaluate([src], { minterpolate: false, sideBySide: 0 });
  const off = await evaluate([src], { minterpolate: false, sideBySide: 0, context: false });
  const [t] = on.clips[0].triplets, [u] = off.clips[0].triplets;
  assert.ok(Math.abs(t.position! - 2 / 3) < 0.05, `position ${t.position}`);
  assert.equal(u.position, 0.5);
  assert.ok(t.scores.toonscope!.psnr > u.scores.toonscope!.psnr + 3, `${t.scores.toonscope!.psnr.toFixed(2)} vs ${u.scores.toonscope!.psnr.toFixed(2)} dB`);
});

test('the eval page lists every triplet with its scores, links side-by-side images that exist and marks the eased one', async () => {
  const clip = Array.from({ length: 14 }, (_, f) => drawing(Math.floor(f / 2)));
  const src: EvalSource = {
    name: 'slowing <drawn>', source: 'drawn', triplets: [[0, 2, 4], [4, 6, 8]],
    frames: async (ix) => new Map(ix.filter((i) => clip[i]).map((i) => [i, clip[i]])),
    signatures: async () => clip.map(signature),
  };
  const dir = mkdtempSync(join(tmpdir(), 'ts-eval-page-'));
  try {
    const report = await evaluate([src], { minterpolate: false, sideBySide: 1, outDir: dir });
    const page = writeEvalPage(report, dir, 'toonscope eval interpolate --truth x');
    const html = readFileSync(page, 'utf8');
    assert.ok(html.includes('slowing &#60;drawn&#62;'), 'names are escaped');
    assert.equal((html.match(/<tr><td>\d+ · \d+ · \d+<\/td>/g) ?? []).length, 2, 'one row per triplet');
    assert.match(html, /<b>0\.6\d<\/b> \(eased\)/);
    const imgs = [...html.matchAll(/<img loading="lazy" src="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(imgs.length >= 1);
    for (const f of imgs) assert.ok(existsSync(join(dir, f)), `${f} exists`);
    assert.equal(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).triplets, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
