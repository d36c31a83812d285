// Taught boxes carried through their shot by flow (analyze/carry.ts): the
// frames walked, the flow's spread inside a box and where a walk stops, one
// box per character, and on a drawn clip whose characters walk, a carried box
// that stays on her and stops at the time bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { synthClip } from '../src/dictionary/synth.js';
import { chainFrames, carryShot, giveWay, nearestPerCharacter, walk, type CarriedBox, type FlowStep } from '../src/analyze/carry.js';
import type { Look } from '../src/characters/learned.js';
import { motion } from '../src/characters/video.js';
import { decodeSelected, probe } from '../src/core/video.js';
import { opencv } from '../src/core/opencv.js';
import { refineInside } from '../src/characters/learned.js';
import { iou } from '../src/core/box.js';
import type { Box, Detection, Frame } from '../src/core/types.js';
import { tmp, writeSynthClip } from './fixtures.js';

test('carry: the frames walked go out from the taught frame one step at a time and take in every target', () => {
  assert.deepEqual(chainFrames(10, [4, 11, 30], 3, 4, 20), [4, 7, 10, 11, 13, 16, 19]);
  assert.deepEqual(chainFrames(4, [4], 2, 4, 4), [4]);
});

test('carry: of the boxes carried from several taught boxes of one character, the one taught nearest in time stays', () => {
  const box = (seed: number, from: number): CarriedBox => ({ det: { frame: 20, box: [seed, 0, 10, 10], score: 1, label: 'body' }, seed, from });
  const whose = new Map<number, string>([[1, '=Mika'], [2, '=Mika'], [3, '#3'], [4, '#4'], [5, 'look 0'], [6, 'look 0']]);
  const times = Array.from({ length: 40 }, (_, f) => f / 24);
  const kept = nearestPerCharacter([box(1, 2), box(2, 30), box(3, 5), box(4, 6), box(5, 4), box(6, 18)], (s) => whose.get(s)!, times, 20);
  assert.deepEqual(kept.map((c) => c.seed).sort(), [2, 3, 4, 6], 'Mika from frame 30 (10 frames away, not 18), the look from 18; lone boxes each stay');
});

test('carry: the flow\'s spread inside a box is zero when it moves as one piece and large when its halves part', () => {
  const fw = 20, fh = 20;
  const field = (f: (x: number, y: number) => [number, number]) => {
    const fl = new Float32Array(fw * fh * 2);
    for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) fl.set(f(x, y), (y * fw + x) * 2);
    return fl;
  };
  const d: Detection = { frame: 0, box: [4, 4, 24, 24], score: 1, label: 'body' };
  const one = motion(d, field(() => [1.5, -0.5]), fw, fh, 2, true);
  assert.deepEqual([one.dx, one.dy, one.spread], [3, -1, 0], 'flow at half size, scaled to the frame');
  const apart = motion(d, field((x) => (x < 8 ? [-3, 0] : [3, 0])), fw, fh, 2, true);
  assert.ok(apart.spread >= 6, `halves moving apart spread the flow: ${apart.spread}`);
  assert.equal(motion({ ...d, box: [100, 100, 10, 10] }, field(() => [1, 1]), fw, fh, 2).samples, 0, 'off the flow\'s grid: no samples');
  // A walk follows a box moving whole, and stops where it can no longer be trusted.
  const steps = (f: (x: number, y: number) => [number, number], n: number): FlowStep[] => Array.from({ length: n }, (_, k) => ({ frame: k + 1, flow: field(f), width: fw, height: fh, scale: 2 }));
  const frame = { width: 40, height: 40 };
  const whole = walk(d, steps(() => [1, 0], 3), frame);
  assert.deepEqual(whole.map((w) => w.box[0]), [6, 8, 10], 'moved whole: followed every step');
  assert.equal(walk(d, steps((x) => (x < 8 ? [-3, 0] : [3, 0]), 3), frame).length, 0, 'its halves part: given up at once');
  assert.equal(walk(d, [...steps(() => [1, 0], 1), undefined, ...steps(() => [1, 0], 2)], frame).length, 1, 'a missing frame ends it');
  // Leaving at the right edge 5 px a step: 24 px wide from x = 4 in a 40 px frame; under half of it inside ends it.
  const out = walk(d, steps(() => [2.5, 0], 6), frame);
  assert.deepEqual(out.map((w) => Math.round(w.box[2])), [24, 24, 21, 16], 'followed while half of it or more is inside the frame');
});

test('carry: a taught box follows her walk through her shot, to its sampled frames and no further than the time bound', async () => {
  const clip = synthClip({ shots: 2, shotFrames: [48, 48], identities: 2, perShot: [1, 1], seed: 13 });
  const video = join(tmp, 'carry.mp4');
  await writeSynthClip(video, clip);
  const info = await probe(video);
  const size = { width: clip.width, height: clip.height };
  const times = Array.from({ length: clip.frames }, (_, f) => f / clip.fps);
  const shot = clip.shots[0];
  const at = shot.start + 20;
  const her = clip.render(at).truth[0];
  const cv = await opencv();
  let frame: Frame | undefined;
  for await (const f of decodeSelected(video, [at], size, { times })) frame = f;
  assert.ok(frame);
  const seed = refineInside(cv, frame!, her.box, at);
  const targets: number[] = [];
  for (let f = shot.start + 2; f <= shot.end - 1; f += 4) targets.push(f);
  const every = 0.5;
  const got = await carryShot(cv, info, size, times, [{ id: 7, frame: at, det: seed }], targets, { step: 2, every });
  const frames = [...got.keys()].sort((a, b) => a - b);
  assert.ok(frames.length >= 4, `carried to frames ${frames.join(',')}`);
  for (const f of frames) {
    assert.ok(Math.abs(times[f] - times[at]) <= every + 1e-6, `frame ${f} lies within ${every} s of the taught frame ${at}`);
    assert.ok(targets.includes(f), `frame ${f} is a target`);
    const [c] = got.get(f)!;
    assert.equal(c.seed, 7);
    const truth = clip.render(f).truth.find((t) => t.identity === her.identity)!.box;
    assert.ok(iou(c.det.box, truth as Box) >= 0.5, `frame ${f}: carried ${c.det.box.map(Math.round)} vs truth ${truth.map(Math.round)}`);
  }
  assert.ok(frames.some((f) => f < at) && frames.some((f) => f > at), 'carried both ways');
  // She walks: a box left where she was taught would miss her at the far frames.
  const far = frames.filter((f) => iou(her.box, clip.render(f).truth.find((t) => t.identity === her.identity)!.box) < 0.5);
  assert.ok(far.length >= 1, `she moved far enough for the test to mean something (frames ${far.join(',')})`);
});

test('carry: a candidate of her own map on about the same box takes a carried box\'s place; one that holds her and more does not', () => {
  const look = (name: string): Look => ({ name, taught: [], w: [], b: 0 });
  const mika = look('Mika'), rin = look('Rin');
  const det = (box: Box): Detection => ({ frame: 0, box, score: 0.7, label: 'body' });
  const carried = det([100, 100, 50, 100]);
  const own = det([105, 105, 45, 90]), wide = det([60, 80, 200, 140]), other = det([102, 100, 48, 100]), series = det([100, 100, 50, 100]);
  const lookOf = new Map<Detection, Look>([[own, mika], [wide, mika], [other, rin]]);
  const isCarried = (d: Detection) => d === carried;
  const byLook = (_: Detection, o: Detection) => lookOf.get(o) === mika;
  const mine = giveWay([carried, own, other, series], isCarried, byLook);
  assert.deepEqual(mine.kept, [own, other, series], 'her look\'s candidate replaces the carried box; another look\'s or the series map\'s does not');
  assert.deepEqual([...mine.sure], [own], 'and must stay in its place');
  const merged = giveWay([carried, wide, other], isCarried, byLook);
  assert.deepEqual(merged.kept, [carried, wide, other], 'her map lit her with her neighbours: the carried box stays');
  assert.deepEqual([...merged.sure], [carried]);
  // With no look of her own, the series map is hers.
  const lone = giveWay([carried, other, series], isCarried, (_, o) => !lookOf.has(o));
  assert.deepEqual(lone.kept, [other, series]);
  assert.deepEqual([...lone.sure], [series]);
  assert.equal(lone.replaced.get(series), carried, 'it stands for the carried box (and settles as her look\'s)');
  // One candidate takes the place of one carried box only: two drawn characters stay two.
  const twin = det([101, 100, 50, 100]);
  const two = giveWay([carried, twin, series], (d) => d === carried || d === twin, (_, o) => o === series);
  assert.equal(two.kept.length, 2, `kept ${two.kept.map((d) => d.box.join(',')).join(' ')}`);
  assert.ok(two.kept.includes(series) && two.sure.has(series));
});
