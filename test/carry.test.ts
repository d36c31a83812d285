// Taught boxes carried through their shot by flow (analyze/carry.ts): the
// frames walked, the flow's spread inside a box, and on a drawn clip whose
// characters walk, a carried box that stays on her, stops at the time bound
// and never crosses into another shot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { synthClip } from '../src/dictionary/synth.js';
import { chainFrames, carryShot, nearestPerName, type CarriedBox } from '../src/analyze/carry.js';
import { motion } from '../src/characters/video.js';
import { probe } from '../src/core/video.js';
import { opencv } from '../src/core/opencv.js';
import { refine, seedFromBox } from '../src/characters/learned.js';
import { decodeSelected } from '../src/core/video.js';
import { iou } from '../src/core/box.js';
import type { Box, Detection, Frame } from '../src/core/types.js';
import { tmp, writeSynthClip } from './fixtures.js';

test('carry: the frames walked go out from the taught frame one step at a time and take in every target', () => {
  assert.deepEqual(chainFrames(10, [4, 11, 30], 3, 4, 20), [4, 7, 10, 11, 13, 16, 19]);
  assert.deepEqual(chainFrames(4, [4], 2, 4, 4), [4]);
});

test('carry: of the boxes carried from several taught boxes of one name, the one taught nearest in time stays', () => {
  const box = (seed: number, from: number): CarriedBox => ({ det: { frame: 20, box: [seed, 0, 10, 10], score: 1, label: 'body' }, seed, from });
  const names = new Map<number, string | null>([[1, 'Mika'], [2, 'Mika'], [3, null], [4, null]]);
  const times = Array.from({ length: 40 }, (_, f) => f / 24);
  const kept = nearestPerName([box(1, 2), box(2, 30), box(3, 5), box(4, 6)], (s) => names.get(s) ?? null, times, 20);
  assert.deepEqual(kept.map((c) => c.seed).sort(), [2, 3, 4], 'Mika from frame 30 (10 frames away, not 18); unnamed boxes each stay');
});

test('carry: the flow\'s spread inside a box is zero when it moves as one piece and large when its halves part', () => {
  const fw = 20, fh = 20;
  const field = (f: (x: number, y: number) => [number, number]) => {
    const fl = new Float32Array(fw * fh * 2);
    for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) fl.set(f(x, y), (y * fw + x) * 2);
    return fl;
  };
  const d: Detection = { frame: 0, box: [4, 4, 24, 24], score: 1, label: 'body' };
  const one = motion(d, field(() => [1.5, -0.5]), fw, fh, 2);
  assert.deepEqual([one.dx, one.dy, one.spread], [3, -1, 0], 'flow at half size, scaled to the frame');
  const apart = motion(d, field((x) => (x < 8 ? [-3, 0] : [3, 0])), fw, fh, 2);
  assert.ok(apart.spread >= 6, `halves moving apart spread the flow: ${apart.spread}`);
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
  for await (const f of decodeSelected(video, [at], size, times)) frame = f;
  assert.ok(frame);
  const seed = refine(cv, frame, seedFromBox(her.box, at));
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
