import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trackShot, trackShots, BoxFilter, iou, match } from '../src/tracking/index.js';
import { motMetrics, type IdBox } from '../src/tracking/metrics.js';
import type { Box, Detection, Shot } from '../src/core/types.js';

const unit = (k: number, d = 8) => { const v = new Float32Array(d); v[k] = 1; return v; };
const det = (frame: number, box: Box, score = 0.9, embedding?: Float32Array): Detection => ({ frame, box, score, label: 'character', embedding });

/** Ids of the tracks holding each object's detections, by object. */
function idsOf(tracks: ReturnType<typeof trackShot>, pick: (d: Detection) => string): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const t of tracks) for (const d of t.detections) {
    const k = pick(d);
    if (!m.has(k)) m.set(k, new Set());
    m.get(k)!.add(t.id);
  }
  return m;
}

test('iou and Hungarian match with a cost ceiling', () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [20, 0, 10, 10]), 0);
  assert.ok(Math.abs(iou([0, 0, 10, 10], [5, 0, 10, 10]) - 50 / 150) < 1e-12);
  // Greedy would take (0,0) at 0.1 and leave row 1 with 0.9; the optimum is the anti-diagonal.
  assert.deepEqual(match([[0.1, 0.2], [0.3, 0.9]], 1), [1, 0]);
  assert.deepEqual(match([[0.1, Infinity], [Infinity, 0.95]], 0.8), [0, -1]);
});

test('Kalman box filter learns a constant velocity and extrapolates through a gap', () => {
  const f = new BoxFilter([0, 0, 20, 40]);
  for (let t = 1; t <= 10; t++) { f.predict(1); f.update([5 * t, 2 * t, 20, 40]); }
  const [vx, vy] = f.velocity();
  assert.ok(Math.abs(vx - 5) < 0.5 && Math.abs(vy - 2) < 0.3, `velocity ${vx}, ${vy}`);
  f.predict(5);
  const b = f.box();
  assert.ok(Math.abs(b[0] - 75) < 4 && Math.abs(b[1] - 30) < 2, `box ${b}`);
});

test('two characters crossing keep their identities (appearance + motion)', () => {
  const frames: Detection[][] = [];
  for (let t = 0; t < 40; t++) {
    frames.push([
      det(t, [10 + 6 * t, 50, 30, 60], 0.9, unit(0)),
      det(t, [250 - 6 * t, 54, 30, 60], 0.9, unit(1)),
    ]);
  }
  const tracks = trackShot(frames);
  assert.equal(tracks.length, 2);
  const ids = idsOf(tracks, (d) => String(d.embedding!.indexOf(1)));
  assert.equal(ids.get('0')!.size, 1);
  assert.equal(ids.get('1')!.size, 1);
  assert.ok(tracks.every((t) => t.detections.length === 40 && t.detections.every((d) => d.track === t.id)));
});

test('without embeddings, the motion model carries identities through a crossing', () => {
  const frames: Detection[][] = [];
  for (let t = 0; t < 40; t++) frames.push([det(t, [10 + 6 * t, 50, 30, 60]), det(t, [250 - 6 * t, 62, 30, 60])]);
  const tracks = trackShot(frames);
  assert.equal(tracks.length, 2);
  // The track that starts on the left ends on the right.
  const left = tracks.find((t) => t.detections[0].box[0] < 100)!;
  assert.ok(left.detections.at(-1)!.box[0] > 200);
  assert.equal(left.detections.length, 40);
});

test('an occlusion gap is bridged within maxAge and not after it', () => {
  const make = (gap: number) => {
    const frames: Detection[][] = [];
    for (let t = 0; t < 20 + gap + 10; t++) {
      if (t >= 20 && t < 20 + gap) continue;
      frames.push([det(t, [20 + 3 * t, 40, 30, 60], 0.9, unit(2))]);
    }
    return frames;
  };
  assert.equal(trackShot(make(8)).length, 1);
  const split = trackShot(make(12), { maxAge: 5 });
  assert.equal(split.length, 2);
  assert.ok(split[0].id !== split[1].id);
});

test('low-score detections extend a track but never start one', () => {
  const frames: Detection[][] = [];
  for (let t = 0; t < 30; t++) {
    const occluded = t >= 10 && t < 18;
    frames.push([
      det(t, [10 + 2 * t, 40, 30, 60], occluded ? 0.3 : 0.9),
      det(t, [200, 40, 30, 60], 0.3), // a weak, static false positive
    ]);
  }
  const tracks = trackShot(frames);
  assert.equal(tracks.length, 1);
  assert.equal(tracks[0].detections.length, 30);
  assert.ok(tracks[0].detections.every((d) => d.box[0] < 150));
});

test('a single stray detection does not become a track (confirmation) but the first frame does', () => {
  const frames: Detection[][] = [[det(0, [0, 0, 20, 20])]];
  for (let t = 1; t < 10; t++) frames.push([det(t, [0, 0, 20, 20]), ...(t === 5 ? [det(5, [150, 150, 20, 20])] : [])]);
  const tracks = trackShot(frames);
  assert.equal(tracks.length, 1);
  assert.equal(tracks[0].detections.length, 10);
});

test('trackShots never links across a cut and ids stay unique', () => {
  const shots: Shot[] = [
    { index: 0, start: 0, end: 9, startTime: 0, endTime: 0.4, in: 'start', out: 'cut' },
    { index: 1, start: 10, end: 19, startTime: 0.4, endTime: 0.8, in: 'cut', out: 'end' },
  ];
  const dets: Detection[] = [];
  for (let t = 0; t < 20; t++) dets.push(det(t, [10 + t, 10, 30, 60], 0.9, unit(3)));
  const tracks = trackShots(dets, shots);
  assert.equal(tracks.length, 2);
  assert.deepEqual(tracks.map((t) => t.shot), [0, 1]);
  assert.notEqual(tracks[0].id, tracks[1].id);
  assert.ok(tracks[0].detections.every((d) => d.frame <= 9) && tracks[1].detections.every((d) => d.frame >= 10));
});

test('MOTA and IDF1 on a hand-counted example', () => {
  const A: Box = [0, 0, 10, 10], B: Box = [50, 0, 10, 10], far: Box = [100, 100, 10, 10];
  const truth: IdBox[] = [1, 2, 3].flatMap((f) => [{ frame: f, id: 'A', box: A }, { frame: f, id: 'B', box: B }]);
  const hyp: IdBox[] = [
    { frame: 1, id: 1, box: A }, { frame: 1, id: 2, box: B },
    { frame: 2, id: 1, box: A }, { frame: 2, id: 3, box: far }, // B missed, one false positive
    { frame: 3, id: 4, box: A }, { frame: 3, id: 2, box: B }, // A switches from 1 to 4
  ];
  const m = motMetrics(truth, hyp);
  assert.equal(m.misses, 1);
  assert.equal(m.falsePositives, 1);
  assert.equal(m.switches, 1);
  assert.ok(Math.abs(m.mota - 0.5) < 1e-12); // 1 - 3/6
  assert.equal(m.idtp, 4); // A<->1 (2 frames), B<->2 (2 frames)
  assert.ok(Math.abs(m.idf1 - 8 / 12) < 1e-12);
  const perfect = motMetrics(truth, truth);
  assert.equal(perfect.mota, 1);
  assert.equal(perfect.idf1, 1);
});
