import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace } from '../src/core/workspace.js';
import { synthClip, type SynthClip } from '../src/dictionary/synth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { analyzeSeries } from '../src/analyze/series.js';
import { writeReport } from '../src/analyze/report.js';
import { probeFrames, probesOf } from '../src/analyze/sample.js';
import { retryFrames } from '../src/analyze/learn.js';
import { DEEP_DIM } from '../src/embed/index.js';
import { tmp, writeSynthClip, TruthBodies, storedEmbedding } from './fixtures.js';
import { iou } from '../src/core/box.js';
import type { Detection, Image } from '../src/core/types.js';

// A clip of drawn characters with known identities, written to a real video file.
const clip: SynthClip = synthClip({ shots: 4, shotFrames: [30, 40], identities: 3, perShot: [2, 2], seed: 11 });
const video = join(tmp, 'cast.mp4');

const writeClip = () => writeSynthClip(video, clip);


test('analyze: shots, tracks per shot, dictionary, report; a killed run resumes without redoing frames', async () => {
  await writeClip();
  const ws = Workspace.open(join(tmp, 'ws-analyze'));
  // Shots are shorter than the keyframe interval: the chain runs once per shot, at its first analysed frame.
  const killed = new TruthBodies(clip, { failAfter: 2 });
  await assert.rejects(analyzeVideo(ws, video, { chain: [killed], rate: 6, width: clip.width }), /killed/);
  const doneShots = ws.db.prepare('SELECT DISTINCT shot FROM samples WHERE done = 1 ORDER BY shot').all() as { shot: number }[];
  assert.deepEqual(doneShots.map((r) => r.shot), [0, 1], 'the two shots finished before the kill are kept');

  const det = new TruthBodies(clip);
  const s = await analyzeVideo(ws, video, { chain: [det], rate: 6, width: clip.width });
  assert.equal(s.shots, clip.shots.length, 'the synthetic cuts are found');
  assert.equal(det.calls.length, 2, 'only the two unfinished shots are analysed again');
  assert.ok(det.calls.every((f) => f >= clip.shots[2].start), `keyframes ${det.calls}`);
  const perShot = ws.db.prepare('SELECT shot, COUNT(*) n FROM appearances GROUP BY shot').all() as { n: number }[];
  assert.equal(perShot.length, 4, 'every shot has appearances, carried between keyframes');
  assert.ok(s.tracks >= clip.shots.length * 2 - 1 && s.tracks <= clip.shots.length * 3, `tracks ${s.tracks}`);

  // Tracks never cross a cut.
  const spans = ws.db.prepare('SELECT track, COUNT(DISTINCT shot) shots FROM appearances GROUP BY track').all() as { shots: number }[];
  assert.ok(spans.every((r) => r.shots === 1));

  const again = await analyzeVideo(ws, video, { chain: [new TruthBodies(clip, { failAfter: 0 })], rate: 6, width: clip.width });
  assert.deepEqual(again.skipped, ['samples', 'characters', 'tracks'], 'a finished video is skipped');

  // The oracle detector leaves out half-hidden figures on purpose; the learned pass would find them (test/learned.test.ts).
  const series = await analyzeSeries(ws, { epochs: 5, learn: false });
  assert.ok(series.refined, series.note);
  assert.ok(series.characters.length >= 2 && series.characters.length <= 5, `characters ${series.characters.length}`);
  for (const c of series.characters) assert.ok(existsSync(c.collage));
  const report = await writeReport(ws);
  assert.ok(existsSync(report));
  ws.close();
});

test('analyze: a portrait clip is looked at the given width on its longer side, its boxes stored in its own pixels', async () => {
  const tall = synthClip({ width: 180, height: 320, shots: 2, shotFrames: [24, 24], identities: 2, perShot: [1, 2], seed: 3 });
  const path = join(tmp, 'portrait.mp4');
  await writeSynthClip(path, tall);
  const ws = Workspace.open(join(tmp, 'ws-portrait'));
  const seen: Array<[number, number]> = [];
  class Sized extends TruthBodies {
    override async detect(frame: Image, prior: Detection[], frameIndex = 0): Promise<Detection[]> {
      seen.push([frame.width, frame.height]);
      return super.detect(frame, prior, frameIndex);
    }
  }
  await analyzeVideo(ws, path, { chain: [new Sized(tall)], rate: 6, width: 160 });
  assert.ok(seen.length && seen.every(([w, h]) => w === 90 && h === 160), `160 tall, not 160 wide: ${JSON.stringify(seen[0])}`);
  const rows = ws.db.prepare('SELECT frame, x, y, w, h FROM appearances').all() as { frame: number; x: number; y: number; w: number; h: number }[];
  assert.ok(rows.length > 0);
  // Each stored box lies on a drawn figure of that frame, in the clip's own pixels.
  for (const r of rows) {
    const best = Math.max(...tall.render(r.frame).truth.map((t) => iou([r.x, r.y, r.w, r.h], t.box)));
    assert.ok(best > 0.6, `frame ${r.frame}: box ${[r.x, r.y, r.w, r.h].map(Math.round)} IoU ${best.toFixed(2)}`);
  }
  const key = JSON.parse((ws.db.prepare("SELECT params FROM stages WHERE stage = 'analyze:detect'").get() as { params: string }).params);
  assert.equal(key.side, 'longer', 'the stored first pass says how its frames were sized');
  ws.close();
});

/** A workspace holding two tracks, one of each of two characters who never share a frame (analysed once). */
let twoTracks: Promise<string> | undefined;
const withTwoTracks = () => (twoTracks ??= (async () => {
  // The first seed whose two one-character shots hold different characters (the plan is random per seed).
  const plan = (seed: number) => synthClip({ shots: 2, shotFrames: [24, 24], identities: 2, perShot: [1, 1], seed });
  const who = (c: SynthClip, shot: number) => c.render(c.shots[shot].start).truth.map((t) => t.identity);
  const two = [1, 2, 3, 4, 5, 6, 7, 8].map(plan).find((c) => who(c, 0).length === 1 && who(c, 1).length === 1 && who(c, 0)[0] !== who(c, 1)[0])!;
  assert.ok(two, 'a seed with two different lone characters');
  const path = join(tmp, 'two-characters.mp4');
  await writeSynthClip(path, two);
  const dir = join(tmp, 'ws-two');
  const ws = Workspace.open(dir);
  await analyzeVideo(ws, path, { chain: [new TruthBodies(two)], rate: 6, width: two.width });
  ws.close();
  return dir;
})());

test('analyze: a series of two tracks, one of each of two characters who never share a frame, is two characters', async () => {
  const ws = Workspace.open(await withTwoTracks());
  const series = await analyzeSeries(ws, { learn: false });
  assert.equal(series.tracks, 2);
  assert.equal(series.characters.length, 2, 'before the fixed cut, two tracks were always one character');
  ws.close();
});

test('analyze: two one-frame tracks on one frame give no triplet: the series keeps its vanilla vectors, it does not stop', async () => {
  // The two-character workspace copied, cut down to one row per track, both on one frame of one shot: the tracks
  // share a frame, but no track has an anchor and a positive (a figure at the frame's edge beside someone seen once).
  const dir = join(tmp, 'ws-two-one-frame');
  cpSync(await withTwoTracks(), dir, { recursive: true });
  const ws = Workspace.open(dir);
  try {
    const keep = ws.db.prepare('SELECT MIN(id) id FROM appearances GROUP BY track').all() as { id: number }[];
    assert.equal(keep.length, 2);
    ws.db.prepare(`DELETE FROM appearances WHERE id NOT IN (${keep.map((k) => k.id).join(',')})`).run();
    ws.db.prepare('UPDATE appearances SET frame = 3, shot = 0, time = 0.125').run();
    const series = await analyzeSeries(ws, { learn: false });
    assert.equal(series.tracks, 2);
    assert.equal(series.refined, false);
    assert.match(series.note ?? '', /no triplets/);
  } finally {
    ws.close();
  }
});

test('analyze: two tracks whose looks the backbone puts together are two characters when their colours differ', async () => {
  // The two-character workspace, its embeddings rewritten: one deep look, two palettes half shared.
  const ws = Workspace.open(await withTwoTracks());
  try {
    const deep = new Float32Array(DEEP_DIM).fill(1);
    const paint = (a: number[], b: number[]) => {
      const tracks = (ws.db.prepare('SELECT DISTINCT track FROM appearances ORDER BY track').all() as { track: number }[]).map((r) => r.track);
      assert.equal(tracks.length, 2);
      tracks.forEach((t, k) => {
        const e = storedEmbedding(deep, k ? b : a);
        ws.db.prepare('UPDATE appearances SET embedding = ? WHERE track = ?').run(Buffer.from(e.buffer), t);
      });
    };
    // 0.5 apart in colour, 0.15 in the mix (under the cut): the colours alone tell them apart.
    paint([0, 1, 2, 3], [2, 3, 4, 5]);
    assert.equal((await analyzeSeries(ws, { learn: false })).characters.length, 2);
    // The same palette: one character.
    paint([0, 1, 2, 3], [0, 1, 2, 3]);
    assert.equal((await analyzeSeries(ws, { learn: false })).characters.length, 1);
  } finally {
    ws.close();
  }
});

test('analyze: the learned pass probes a shot on a grid centred in it, a short shot in its middle', () => {
  // Sampled at 2 frames a second (24 fps: every 12th frame).
  const times = Array.from({ length: 400 }, (_, f) => f / 24);
  const every = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / 12) + 1 }, (_, k) => from + 12 * k);
  // 2 s shot, probes every 4 s: its middle frame, not its first.
  assert.deepEqual(probeFrames(every(0, 48), times, 4), [24]);
  // 9 s shot: three probes 4 s apart, half a second in from each end.
  assert.deepEqual(probeFrames(every(0, 216), times, 4), [12, 108, 204]);
  // 8 s: the grid fits exactly, first and last included; order of the input does not matter.
  assert.deepEqual(probeFrames(every(0, 192).reverse(), times, 4), [0, 96, 192]);
  assert.deepEqual(probeFrames([60], times, 4), [60]);
  assert.deepEqual(probeFrames([], times, 4), []);
  // An even count: the tie goes to the earlier frame; duplicates count once.
  assert.deepEqual(probeFrames([0, 12, 24, 36, 36], times, 4), [12]);
  // A step finer than the sampling (or none) probes every sampled frame.
  assert.deepEqual(probeFrames(every(0, 48), times, 0.1), [0, 12, 24, 36, 48]);
  assert.deepEqual(probeFrames(every(0, 48), times, 0), [0, 12, 24, 36, 48]);
  // Times out of order (a damaged file: a reset inside the shot) still give probes, over their real span (0-5.5 s).
  const reset = Array.from({ length: 400 }, (_, f) => (f < 24 ? 5 + f / 24 : (f - 24) / 24));
  assert.deepEqual(probeFrames(every(0, 48), reset, 4), [0, 36]);
  assert.equal(probeFrames(every(0, 48), Array.from({ length: 400 }, (_, f) => 100 - f / 24), 4).length, 1);
  // Accumulated rounding (7.99999 s for 8) does not lose the last grid point; a held frame (VFR) is taken once.
  const acc = Array.from({ length: 400 }, (_, f) => f / 24 - (f === 192 ? 1e-12 : 0));
  assert.deepEqual(probeFrames(every(0, 192), acc, 4), [0, 96, 192]);
  const held = Array.from({ length: 400 }, (_, f) => (f <= 24 ? f / 24 : 9));
  assert.deepEqual(probeFrames([0, 12, 24, 36], held, 4), [12, 24, 36]);
  // Per shot, in frame order.
  const samples = [...every(0, 48).map((f) => ({ frame: f, shot: 0, time: times[f] })), ...every(60, 276).map((f) => ({ frame: f, shot: 1, time: times[f] }))];
  assert.deepEqual(probesOf(samples, 4), [24, 72, 168, 264]);
  // Looked at again on its first frame: a short shot (one probe) it found nobody in; not a long one, not one with a find.
  const byShot = new Map([[0, samples.filter((x) => x.shot === 0)], [1, samples.filter((x) => x.shot === 1)], [2, [{ frame: 300, shot: 2, time: 12.5 }, { frame: 312, shot: 2, time: 13 }]]]);
  const shotOf = new Map([...samples.map((x) => [x.frame, x.shot] as [number, number]), [300, 2], [312, 2]]);
  assert.deepEqual(retryFrames(byShot, new Set(), [24, 72, 168, 264, 300], shotOf), [0, 300]);
  assert.deepEqual(retryFrames(byShot, new Set([0]), [24, 72, 168, 264, 300], shotOf), [300]);
});
