// Frame rates that are not a multiple of the input's (24 -> 60): exact output
// times, in-betweens at those times, input frames only where they fall on the grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToonscopeError } from '../src/core/errors.js';
import type { Image } from '../src/core/types.js';
import { blend } from '../src/interpolate/interp.js';
import { psnr } from '../src/interpolate/metrics.js';
import { outputsBefore, rateRatio, timesOf, toRatio } from '../src/interpolate/rate.js';
import { parseFps } from '../src/core/rate.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { inbetweenStream } from '../src/interpolate/video.js';
import { evaluate } from '../src/interpolate/eval.js';
import { minterpolate } from '../src/interpolate/minterp.js';
import { spawnSync } from 'node:child_process';

const hasFfmpeg = !spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error;

test('output times of 24 -> 60 fps repeat every two input frames, with no drift', () => {
  const r = rateRatio(parseFps('24000/1001')!, parseFps('59.94')!);
  assert.deepEqual(r, { num: 5, den: 2 });
  assert.deepEqual(timesOf(r, 0), [0, 0.4, 0.8]);
  assert.deepEqual(timesOf(r, 1), [0.2, 0.6]);
  assert.deepEqual(timesOf(r, 100_000), [0, 0.4, 0.8]);
  assert.equal(outputsBefore(r, 100_001), 250_003);
  // 23.976 -> 60 exactly: 1001/400 per input frame; 400 input frames give 1001 output frames.
  const odd = rateRatio(parseFps('23.976')!, parseFps('60')!);
  assert.deepEqual(odd, { num: 1001, den: 400 });
  let n = 0;
  for (let i = 0; i < 400; i++) {
    const ts = timesOf(odd, i);
    assert.ok(ts.every((t, k) => t >= 0 && t < 1 && (k === 0 || t > ts[k - 1])), `frame ${i}: ${ts}`);
    n += ts.length;
  }
  assert.equal(n, 1001);
});

test('frame rates parse as video tools write them; bad ones are one-line errors', () => {
  assert.deepEqual(parseFps('24000/1001'), { num: 24000, den: 1001 });
  assert.deepEqual(parseFps('29.97'), { num: 30000, den: 1001 });
  assert.deepEqual(parseFps('60'), { num: 60, den: 1 });
  assert.deepEqual(parseFps('12.5'), { num: 25, den: 2 });
  for (const bad of ['', 'abc', '0', '-24', '24/0', '1e3']) assert.equal(parseFps(bad), undefined, bad);
  assert.deepEqual(toRatio(3), { num: 3, den: 1 });
  assert.deepEqual(toRatio({ num: 10, den: 4 }), { num: 5, den: 2 });
  for (const bad of [1, 2.5, 17, { num: 1, den: 1 }, { num: 2, den: 3 }, { num: 100, den: 3 }, { num: 5, den: 0 }]) {
    assert.throws(() => toRatio(bad), ToonscopeError, JSON.stringify(bad));
  }
});

test('at 5/2 frames per input frame, in-betweens land at their own times and input frames only on the grid', async () => {
  const sc = cartoonScene(240, 136, 0.3);
  const step = 0.25;
  const frames = [0, 1, 2, 3].map((i) => drawScene(sc, i * step));
  const got: { img: Image; kind: string; index: number }[] = [];
  const r = await inbetweenStream((async function* () { yield* frames; })(), { factor: { num: 5, den: 2 }, ease: false }, async (img, kind, info) => {
    got.push({ img, kind, index: info.index });
  });
  assert.equal(r.output, 10);
  assert.equal(got.length, 10);
  assert.deepEqual(got.map((g) => g.index), [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]);
  // Output k shows time k * 2/5 input frames: frames 0 and 2 are on the grid, 1 and 3 are not.
  assert.deepEqual(got.map((g) => g.kind), ['source', 'motion', 'motion', 'motion', 'motion', 'source', 'motion', 'motion', 'source', 'source']);
  assert.deepEqual(got[5].img.data, frames[2].data);
  for (const k of [1, 2, 3, 4, 6, 7]) {
    const at = (k * 2) / 5, i = Math.floor(at), t = at - i;
    const truth = drawScene(sc, at * step);
    const ours = psnr(got[k].img, truth);
    // Against the in-between at the wrong time (halfway) and the blend at its own time.
    const half = psnr(drawScene(sc, (i + 0.5) * step), truth);
    const bl = psnr(blend(frames[i], frames[i + 1], t), truth);
    assert.ok(ours > bl + 4 && ours > half + 3, `output ${k} (t=${t.toFixed(1)}): ${ours.toFixed(2)} dB, blend ${bl.toFixed(2)} dB, halfway drawing ${half.toFixed(2)} dB`);
  }
});

test('the eval scores in-betweens at thirds against the frame at that time, minterpolate included', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const sc = cartoonScene(192, 108, 0.15);
  // Drawn on ones at three times the input rate: frames 0, 3, 6 are the input; 1, 2, 4, 5 the truth.
  const frames = Array.from({ length: 7 }, (_, i) => drawScene(sc, i / 6));
  const triplets: [number, number, number][] = [[0, 1, 3], [0, 2, 3], [3, 4, 6], [3, 5, 6]];
  const r = await evaluate([{
    name: 'discs', source: 'drawn', triplets,
    frames: async (ix) => new Map(ix.map((i) => [i, frames[i]])),
    signatures: async () => [],
  }], { context: false });
  const rows = r.clips[0].triplets;
  assert.deepEqual(rows.map((x) => x.t), [1 / 3, 2 / 3, 1 / 3, 2 / 3]);
  for (const x of rows) {
    assert.equal(x.position, x.t);
    assert.ok(x.scores.toonscope!.psnr > x.scores.blend!.psnr + 4, JSON.stringify(x.scores));
  }
  // minterpolate's frame at 1/3 (2/3) is nearest the drawing at 1/3 (2/3), not an input frame or the other third.
  for (const truth of [1, 2]) {
    const mi = await minterpolate(frames[0], frames[3], undefined, undefined, { num: truth, den: 3 });
    const d = [0, 1, 2, 3].map((i) => psnr(mi, frames[i]));
    assert.equal(d.indexOf(Math.max(...d)), truth, d.map((x) => x.toFixed(2)).join(' '));
    assert.equal(rows[truth - 1].scores.minterpolate!.psnr, d[truth]);
  }
});

test('integer options take digits only, in range, and say which option was wrong', async () => {
  const { intOption } = await import('../src/cli/command.js');
  assert.equal(intOption({ crf: '0' }, 'crf', 0, 51), 0);
  assert.equal(intOption({ x: '16' }, 'x', 2, 16), 16);
  assert.equal(intOption({}, 'max', 1, Infinity, 12), 12);
  for (const raw of ['1e1', '0x10', ' 5', '+5', '5.0', '', 'abc', '52', '99999999999999999999']) {
    assert.throws(() => intOption({ crf: raw }, 'crf', 0, 51), (e: unknown) => e instanceof ToonscopeError && e.message === `--crf must be an integer from 0 to 51, got ${JSON.stringify(raw)}`, raw);
  }
  assert.throws(() => intOption({ x: '1' }, 'x', 2, 16), /^ToonscopeError: -x must be an integer from 2 to 16, got "1"$|-x must be an integer from 2 to 16, got "1"/);
});
