import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { detectShots, computeMetrics, detectFromMetrics } from '../src/shots/detect.js';
import { score, loadTruth } from '../src/shots/eval.js';
import { readAppearanceTruth } from '../src/analyze/eval-appearances.js';
import { loadTransitions } from '../src/shots/store.js';
import { shotsCsv, shotsEdl, smpte } from '../src/shots/export.js';
import { boundaries } from '../src/shots/shots.js';
import { MetricsComputer, FIELD_INDEX, LAGS, BLEND_HALF, type FrameMetrics } from '../src/shots/metrics.js';
import { parallelMetrics, planSegments } from '../src/shots/segments.js';
import { probe, fitSize, jpegSplitter } from '../src/core/video.js';
import { contactSheet } from '../src/shots/sheet.js';
import sharp from 'sharp';
import { Workspace } from '../src/core/workspace.js';
import { main } from '../src/cli/main.js';
import type { Transition } from '../src/core/types.js';
import { sampleClip, panClip, whipPanClip, relitClip, darkCutsClip, slowFadeClip, quickFadeClip, dimCardClip, file, tmp, printed } from './fixtures.js';
import { lightChange, movedDiff, thumbDiff } from '../src/shots/picture.js';
import { THUMB } from '../src/shots/metrics.js';

const cut = (frame: number): Transition => ({ kind: 'cut', frame, start: frame, end: frame, score: 1, detector: 't' });

test('anime detector finds the sample\'s cut, fade, dissolve and cut, and not the flash', async () => {
  const { path, truth } = sampleClip();
  const r = await detectShots(path);
  const kinds = boundaries(r.transitions).map((t) => t.kind);
  assert.deepEqual(kinds, ['cut', 'fade', 'dissolve', 'cut']);
  const s = score(r.transitions, truth.cuts, 2);
  assert.equal(s.f1, 1, JSON.stringify(s));
  assert.ok(!r.transitions.some((t) => t.frame >= 66 && t.frame <= 72), 'the white flash at 68-69 is not a cut');
  assert.equal(r.shots.length, 5);
  assert.equal(r.shots[0].start, 0);
  assert.equal(r.shots.at(-1)!.end, 239);
  assert.deepEqual([r.shots[1].out, r.shots[2].in], ['fade-out', 'fade-in']);
  assert.equal(r.shots[3].in, 'dissolve');
});

test('anime detector: hard cuts around dark frames are cuts (bars that never change, a black title card, a shot that fades out)', async () => {
  const r = await detectShots(darkCutsClip());
  const found = boundaries(r.transitions);
  // Each boundary once, where it is: the black title card is a shot of its own, not a fade through black.
  assert.deepEqual(found.map((t) => [t.kind, t.frame]), [['cut', 48], ['cut', 96], ['cut', 144], ['cut', 192]]);
  assert.deepEqual(r.shots.map((s) => s.start), [0, 48, 96, 144, 192]);
});

test('fades through black, slow in a dark scene or quick in a bright one, are one fade each, not a black shot between two cuts', async () => {
  // Near black the slow fade's steps are no cut's; the quick fade's are, but none makes most of the change.
  for (const [path, black] of [[slowFadeClip(), [108, 131]], [quickFadeClip(), [60, 83]]] as const) {
    const found = boundaries((await detectShots(path)).transitions);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0].kind, 'fade');
    assert.ok(found[0].start < black[0] && found[0].end > black[1], `the span covers the black run ${black}: ${found[0].start}-${found[0].end}`);
  }
});

test('a black card between two cuts is a shot where the cut detector misses a cut: the fade detector\'s edge stands in', async () => {
  const r = await detectShots(dimCardClip());
  // The cut out of the card is the cut detector's; the cut into it, which it misses, the card's own edge.
  assert.deepEqual(boundaries(r.transitions).map((t) => [t.kind, t.frame, t.detector]), [['cut', 48, 'fade'], ['cut', 96, 'anime-cut']]);
  // Alone, the fade detector reports it as a fade through black, marked as a card, and the mark is stored.
  const ws = Workspace.open(join(tmp, 'ws-card'));
  try {
    const alone = await detectShots(dimCardClip(), { detector: 'fade', workspace: ws });
    assert.deepEqual(alone.transitions.map((t) => [t.kind, t.card]), [['fade', [48, 96]]]);
    assert.deepEqual(loadTransitions(ws, ws.addVideo(alone.video).id, 'fade').map((t) => t.card), [[48, 96]]);
  } finally {
    ws.close();
  }
});

test('a camera pan over held drawings has no cut', async () => {
  const r = await detectShots(panClip());
  assert.deepEqual(boundaries(r.transitions), []);
  assert.equal(r.shots.length, 1);
});

test('a whip-pan over a held drawing has no cut, and the cut on its last step is one', async () => {
  // Each step changes much of the picture and stands far above the noise of the held frames; it is the picture
  // before, moved. The cut is no more than 3 times the steps, but no moving of the picture before makes the bar chart.
  const r = await detectShots(whipPanClip());
  assert.deepEqual(boundaries(r.transitions).map((t) => [t.kind, t.frame]), [['cut', 72]]);
  assert.deepEqual(r.shots.map((s) => s.start), [0, 72]);
});

test('a shot darkening is no dissolve; a bright picture dissolving into a dark one of other shapes is', async () => {
  const r = await detectShots(relitClip());
  const found = boundaries(r.transitions);
  assert.deepEqual(found.map((t) => t.kind), ['cut', 'dissolve'], JSON.stringify(found));
  assert.equal(found[0].frame, 144);
  assert.ok(found[1].start <= 200 && found[1].end >= 208, `the dissolve covers frames 192-215's middle: ${found[1].start}-${found[1].end}`);
  // The dissolve detector alone, too.
  const alone = await detectShots(relitClip(), { detector: 'dissolve' });
  assert.deepEqual(alone.transitions.map((t) => t.kind), ['dissolve']);
  assert.ok(alone.transitions[0].start >= 144, JSON.stringify(alone.transitions));
});

test('thumbnail comparisons: light against pattern, and the picture before moved', () => {
  const n = THUMB * THUMB * 3;
  let seed = 5;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  const a = Uint8Array.from({ length: n }, () => 40 + (rnd() % 160));
  const other = Uint8Array.from({ length: n }, () => 40 + (rnd() % 160));
  // Dimmed by a gain and tinted by an offset per channel: all one way, nothing of the pattern left.
  const dim = a.map((v, i) => Math.round(v * 0.6) + (i % 3));
  const d = lightChange(a, dim);
  assert.ok(d.oneWay > 0.99 && d.left < 0.02, JSON.stringify(d));
  // Another picture of like brightness: both ways, all of the pattern left; darker, all one way but all left.
  const o = lightChange(a, other);
  assert.ok(o.oneWay < 0.2 && o.left > 0.8, JSON.stringify(o));
  const dark = lightChange(a, other.map((v) => v >> 2));
  assert.ok(dark.oneWay > 0.99 && dark.left > 0.8, JSON.stringify(dark));
  // Into a flat card of one colour (its thumbnails are exactly flat): all one way, but nothing of the pattern is
  // there to explain, so it is not a light change (a gain of 0 would explain a flat card from any picture).
  const card = a.map((_, i) => 20 + (i % 3) * 10);
  const flat = lightChange(a, card);
  assert.ok(flat.oneWay > 0.99 && flat.left === 1, JSON.stringify(flat));
  // Moved 3 cells right and 2 down: the overlap matches exactly; another picture does not.
  const moved = new Uint8Array(n);
  for (let y = 0; y < THUMB; y++) {
    for (let x = 0; x < THUMB; x++) {
      const sy = y - 2, sx = x - 3;
      for (let c = 0; c < 3; c++) moved[(y * THUMB + x) * 3 + c] = sy >= 0 && sx >= 0 ? a[(sy * THUMB + sx) * 3 + c] : 128;
    }
  }
  assert.ok(thumbDiff(a, moved) > 30, 'the step is a big change');
  assert.equal(movedDiff(a, moved), 0);
  assert.ok(movedDiff(a, other) > 0.5 * thumbDiff(a, other), 'no move makes another picture');
});

test('the fixed-threshold content detector does fire on the flash (why it is not the default)', async () => {
  const { path } = sampleClip();
  const r = await detectShots(path, { detector: 'content' });
  assert.ok(r.transitions.some((t) => t.frame === 68), JSON.stringify(r.transitions.map((t) => t.frame)));
});

test('the learned latent detector finds the hard cuts', async () => {
  const { path } = sampleClip();
  const r = await detectShots(path, { detector: 'latent' });
  const frames = r.transitions.map((t) => t.frame);
  for (const c of [48, 192]) assert.ok(frames.some((f) => Math.abs(f - c) <= 1), `cut ${c} in ${frames}`);
});

test('an interrupted analysis resumes from the stored chunks and gives the same result', async () => {
  const { path } = sampleClip();
  const ws = Workspace.open(join(tmp, 'ws-resume'));
  await assert.rejects(
    // One sequential decode, so chunks are committed as frames come (parallel segments commit whole segments).
    computeMetrics(path, { workspace: ws, chunk: 50, workers: 1, onProgress: (d) => { if (d === 130) throw new Error('killed'); } }),
    /killed/,
  );
  const resumed = await computeMetrics(path, { workspace: ws, chunk: 50 });
  assert.equal(resumed.reused, 100, 'two finished chunks reused');
  assert.equal(resumed.metrics.length, 240);
  const fresh = await computeMetrics(path, {});
  for (let i = 0; i < 240; i++) {
    assert.deepEqual(Array.from(resumed.metrics[i].values), Array.from(fresh.metrics[i].values), `frame ${i}`);
  }
  const again = await computeMetrics(path, { workspace: ws });
  assert.equal(again.reused, 240, 'a finished video is not decoded again');
  const a = detectFromMetrics(resumed.metrics, resumed.info).transitions.map((t) => t.frame);
  const b = detectFromMetrics(fresh.metrics, fresh.info).transitions.map((t) => t.frame);
  assert.deepEqual(a, b);
  ws.close();
});

test('segments decoded in parallel give exactly the metrics of one sequential decode', async () => {
  const { path } = sampleClip();
  const seq = await computeMetrics(path, { workers: 1 });
  // Short segments, so the 10 s clip splits into five (keyframes at 0, 1.6, 4.3, 6.2, 8 s).
  const par = await computeMetrics(path, { workers: 2, minSegmentSeconds: 1, maxSegmentSeconds: 1.5 });
  assert.equal(par.metrics.length, seq.metrics.length);
  for (let i = 0; i < seq.metrics.length; i++) {
    assert.equal(par.metrics[i].index, i);
    assert.equal(par.metrics[i].time, seq.metrics[i].time, `time of frame ${i}`);
    assert.deepEqual(Array.from(par.metrics[i].values), Array.from(seq.metrics[i].values), `frame ${i}`);
  }
});

test('an interrupted parallel run keeps the segments it proved and resumes to the same metrics', async () => {
  const { path } = sampleClip();
  const ws = Workspace.open(join(tmp, 'ws-resume-par'));
  const opts = { workspace: ws, chunk: 10, workers: 2, minSegmentSeconds: 1, maxSegmentSeconds: 1.5 };
  // Killed as soon as a segment's metrics are saved (five segments: 0, 1.6, 4.3, 6.2, 8 s), so the rest is still undone.
  const saved = () => (ws.db.prepare('SELECT COALESCE(SUM(count), 0) n FROM shot_metrics').get() as { n: number }).n;
  await assert.rejects(computeMetrics(path, { ...opts, onProgress: () => { if (saved() > 0) throw new Error('killed'); } }), /killed/);
  const resumed = await computeMetrics(path, opts);
  assert.ok(resumed.reused >= 10 && resumed.reused < 240, `reused ${resumed.reused}`);
  const fresh = await computeMetrics(path, { workers: 1 });
  assert.equal(resumed.metrics.length, 240);
  for (let i = 0; i < 240; i++) assert.deepEqual(Array.from(resumed.metrics[i].values), Array.from(fresh.metrics[i].values), `frame ${i}`);
  ws.close();
});

test('a segment whose warm-up is too short is caught where segments meet, and nothing unproven is committed', async () => {
  const { path } = sampleClip();
  const info = probe(path);
  const run = async (overlap: number) => {
    const got: FrameMetrics[] = [];
    const r = await parallelMetrics(path, info, { size: fitSize(info, 128), overlap, workers: 2, minSeconds: 1, report: { frames: 0, warnings: [] }, commit: (ms) => got.push(...ms) });
    return { r, got };
  };
  const good = await run(25);
  assert.deepEqual(good.r, { frames: 240, complete: true });
  assert.deepEqual(good.got.map((m) => m.index), Array.from({ length: 240 }, (_, i) => i));
  // Two frames of warm-up: the second segment's lagged metrics lack history, so they differ from the first segment's.
  const bad = await run(2);
  assert.equal(bad.r?.complete, false);
  assert.equal(bad.got.length, 0);
});

test('a clip with one keyframe is one segment: the first decoder runs to the end', async () => {
  const path = panClip();
  const info = probe(path);
  const got: FrameMetrics[] = [];
  // Short segments allowed, so the 7.5 s clip is not turned away for its length.
  const r = await parallelMetrics(path, info, { size: fitSize(info, 128), overlap: 25, workers: 2, minSeconds: 0.5, report: { frames: 0, warnings: [] }, commit: (ms) => got.push(...ms) });
  const seq = await computeMetrics(path, { workers: 1 });
  assert.deepEqual(r, { frames: seq.metrics.length, complete: true });
  for (let i = 0; i < got.length; i++) assert.deepEqual(Array.from(got[i].values), Array.from(seq.metrics[i].values), `frame ${i}`);
  const none = (o: { workers: number; minSeconds?: number }) => parallelMetrics(path, info, { size: fitSize(info, 128), overlap: 25, ...o, report: { frames: 0, warnings: [] }, commit: () => assert.fail('nothing to commit') });
  assert.equal(await none({ workers: 1, minSeconds: 0.5 }), null, 'one worker: the caller decodes');
  assert.equal(await none({ workers: 2 }), null, 'a 7.5 s clip is too short to split into 4 s segments');
});

test('segments start at keyframes, about one per worker, none shorter than the minimum', () => {
  assert.deepEqual(planSegments([0, 1.001, 6.006, 16.016], 0, 24, 2), [0, 16.016]);
  assert.deepEqual(planSegments([0, 2, 2.8, 4.3, 6.2, 8], 0, 10, 2), [0, 6.2]);
  assert.deepEqual(planSegments([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0, 10, 2, 1), [0, 5]);
  assert.deepEqual(planSegments([0], 0, 600, 2), [0], 'one keyframe: one segment');
  const long = planSegments(Array.from({ length: 700 }, (_, i) => i * 2), 0, 1400, 2);
  assert.ok(long.every((t, i) => i === 0 || t - long[i - 1] >= 60), 'capped at 60 s per segment');
  assert.ok(long.length >= 20 && long.length <= 24, `${long.length} segments for 1400 s`);
});

test('per-frame metrics (SIMD kernel and JS loops) equal a plain per-field computation', () => {
  // Frames that drift and jump (random blocks), so every difference is non-trivial.
  const w = 30, h = 14, n = 40;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  const frames: Uint8Array[] = [];
  let cur = Uint8Array.from({ length: w * h * 3 }, rnd);
  for (let i = 0; i < n; i++) {
    cur = cur.map((v, k) => (i % 9 === 0 && k % 7 < 3 ? rnd() : Math.max(0, Math.min(255, v + (rnd() % 9) - 4))));
    frames.push(cur);
  }
  // Mean |a - b| (or the blend residual) over every `step`-th pixel, written the obvious way.
  const mad = (a: Uint8Array, b: Uint8Array, step: number) => {
    let s = 0, c = 0;
    for (let p = 0; p < w * h; p += step) for (let k = 0; k < 3; k++, c++) s += Math.abs(a[p * 3 + k] - b[p * 3 + k]);
    return s / c;
  };
  const blend = (a: Uint8Array, m: Uint8Array, b: Uint8Array) => {
    let s = 0, c = 0;
    for (let p = 0; p < w * h; p += 2) for (let k = 0; k < 3; k++, c++) s += Math.abs(2 * m[p * 3 + k] - a[p * 3 + k] - b[p * 3 + k]);
    return s / (2 * c);
  };
  for (const simd of [true, false]) {
  const mc = new MetricsComputer({ simd });
  frames.forEach((data, i) => {
    const v = mc.push({ index: i, time: i / 24, width: w, height: h, channels: 3, data }).values;
    const near = (f: string, want: number) => assert.ok(Math.abs(v[FIELD_INDEX[f]] - Math.fround(want)) < 1e-6, `frame ${i} ${f}: ${v[FIELD_INDEX[f]]} vs ${want}`);
    for (const lag of LAGS) if (i >= lag) near(`diff${lag}`, mad(data, frames[i - lag], lag === 1 ? 1 : 2));
    for (const hh of BLEND_HALF) {
      if (i < 2 * hh) continue;
      near(`span${hh}`, mad(data, frames[i - 2 * hh], 2));
      near(`blend${hh}`, blend(frames[i - 2 * hh], frames[i - hh], data));
    }
    if (i < 2 * Math.max(...BLEND_HALF)) assert.ok(Number.isNaN(v[FIELD_INDEX[`blend${Math.max(...BLEND_HALF)}`]]), 'no blend before its window');
  });
  }
});

test('every metric and the latent thumbnail from the SIMD kernel equal the JS loops bit for bit, at odd sizes too', () => {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  // Sizes whose rows are no whole vector, grids with empty or one-pixel cells, frames too small for an edge interior.
  for (const [w, h] of [[128, 72], [30, 14], [37, 21], [17, 33], [16, 9], [3, 3], [2, 5], [5, 2]]) {
    const simd = new MetricsComputer({ simd: true }), js = new MetricsComputer({ simd: false });
    let cur = Uint8Array.from({ length: w * h * 3 }, rnd);
    let edges = 0;
    for (let i = 0; i < 30; i++) {
      // Jumps, drift, and flat dark or light patches, so every branch is taken.
      cur = cur.map((v, k) => (i % 7 === 0 && k % 5 < 3 ? rnd() : i % 11 === 3 && k % 13 < 6 ? (i % 2 ? 5 : 250) : Math.max(0, Math.min(255, v + (rnd() % 41) - 20))));
      const f = { index: i, time: i, width: w, height: h, channels: 3 as const, data: cur };
      const a = simd.push(f), b = js.push({ ...f, data: Uint8Array.from(cur) });
      assert.deepEqual(Array.from(a.values), Array.from(b.values), `${w}x${h} frame ${i}`);
      assert.deepEqual(Array.from(a.thumb), Array.from(b.thumb), `${w}x${h} frame ${i} thumbnail`);
      if (a.values[FIELD_INDEX.edge1] > 0) edges++;
    }
    if (w >= 16 && h >= 9) assert.ok(edges > 0, `${w}x${h}: the edge measure is exercised`);
    // Without the kernel (no SIMD, or a size it refuses) this would compare the JS loops with themselves.
    assert.ok((simd as unknown as { kernel: unknown }).kernel, `${w}x${h}: the SIMD kernel was used`);
  }
});

test('scoring: tolerance, one-to-one matching and gradual spans', () => {
  assert.equal(score([cut(10), cut(11)], [10], 2).tp, 1, 'one detection per truth');
  assert.equal(score([cut(12)], [10], 1).tp, 0);
  assert.equal(score([cut(12)], [10], 2).tp, 1);
  const fade: Transition = { kind: 'fade', frame: 20, start: 10, end: 30, score: 1, detector: 't' };
  assert.equal(score([fade], [27], 0).tp, 1, 'a truth boundary inside a fade matches it');
  const none = score([], [], 0);
  assert.equal(none.f1, 1);
  const s = score([cut(5), cut(50)], [5, 90], 0);
  assert.deepEqual([s.precision, s.recall, s.falsePositives, s.misses], [0.5, 0.5, [50], [90]]);
});

test('truth files: JSON cuts and PySceneDetect CSV', () => {
  const j = loadTruth(file('clip.truth.json', JSON.stringify({ video: 'clip.mp4', cuts: [3, 9] })));
  assert.deepEqual(j.cuts, [3, 9]);
  const csv = loadTruth(file('clip_scenes.csv', 'scene,timecode,frame,time (ms)\n0,00:00:00.0,0.000000,0\n1,00:00:06.706,201.000000,6706\n2,00:00:12.746,382.000000,12746\n\nComma-separated timecode list:\n00:00:06.706\n'));
  assert.deepEqual(csv.cuts, [201, 382]);
  const list = loadTruth(file('list.csv', 'Timecode List:,00:00:02.000\nScene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame\n1,1,00:00:00.000,0.000,48\n2,49,00:00:02.000,2.000,240\n'));
  assert.deepEqual(list.cuts, [48]);
  assert.throws(() => loadTruth(file('bad.json', '{"nope": 1}')), /bad\.json: cuts: expected a list, got nothing/);
  // An absolute "video" is taken as it is, not joined under the truth file's folder.
  const abs = loadTruth(file('abs.truth.json', JSON.stringify({ video: '/elsewhere/clip.mp4', cuts: [3] })));
  assert.equal(abs.video, '/elsewhere/clip.mp4');
  assert.equal(j.video, join(j.file, '..', 'clip.mp4'), 'a relative "video" is next to the truth file');
});

test('eval shots reads the appearance truth: each clip\'s shots, its video found with --data, a missing clip skipped', async () => {
  const { path, truth } = sampleClip();
  const dir = join(tmp, 'shots-appearance-truth');
  const frames = truth.frames;
  // The sample's shots as an appearance truth would draw them, and a clip nobody has.
  const starts = [0, ...truth.cuts];
  const shots = starts.map((s, k) => [s, (starts[k + 1] ?? frames) - 1]);
  const doc = { clips: [
    { video: path.split('/').pop(), series: 'sample', shots, frames: [] },
    { video: 'elsewhere.mp4', series: 'other', shots: [[0, 9], [10, 19]], frames: [] },
  ] };
  const f = file('appearances.truth.json', JSON.stringify(doc));
  const r = await printed(['eval', 'shots', '--truth', f, '--data', dirname(path), '--tolerance', '2', '--workspace', dir, '--json']);
  assert.equal(r.code, 0);
  const out = JSON.parse(r.out) as { rows: Array<{ truth: string; scores: Array<{ truth: number; tp: number }> }> };
  assert.deepEqual(out.rows.map((x) => [x.truth, x.scores[0].truth, x.scores[0].tp]), [[path.split('/').pop(), 4, 4]], 'the sample\'s four boundaries, all found; the missing clip left out');
  // Shots that do not tile the clip are a one-line error naming the field.
  const bad = file('bad-shots.truth.json', JSON.stringify({ clips: [{ ...doc.clips[0], shots: [[0, 47], [50, 239]] }] }));
  const e = await printed(['eval', 'shots', '--truth', bad, '--data', dirname(path), '--workspace', dir]);
  assert.equal(e.code, 1);
  assert.throws(() => readAppearanceTruth(bad), /bad-shots\.truth\.json: clips\[0\]\.shots\[1\]: expected \[first, last\] frames, starting on the frame after the previous shot's last/);
});

test('exports: CSV row per shot, EDL event per shot, SMPTE timecodes', async () => {
  const { path } = sampleClip();
  const r = await detectShots(path);
  const csv = shotsCsv(r.shots).trim().split('\n');
  assert.equal(csv.length, r.shots.length + 1);
  assert.match(csv[1], /^1,1,00:00:00\.000,0\.000,48,00:00:02\.000,2\.000,48,/);
  const edl = shotsEdl(path, 24, r.shots, r.transitions);
  assert.equal((edl.match(/^\d{3} {2}/gm) ?? []).length, r.shots.length);
  assert.match(edl, /^004 .* D {4}\d{3} /m, 'the dissolve is a D event');
  assert.equal(smpte(24 * 61 + 5, 24), '00:01:01:05');
});

test('CLI: shots writes lists and a contact sheet, and bad input is one line', async () => {
  const { path } = sampleClip();
  const ws = join(tmp, 'ws-cli');
  const out = join(tmp, 'cli-out');
  process.env.TOONSCOPE_QUIET = '1';
  assert.equal(await main(['shots', path, '--workspace', ws, '--out', out, '--quiet']), 0);
  for (const f of ['shots.csv', 'shots.json', 'shots.edl', 'sheet.png', 'sheet.html']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(JSON.parse(readFileSync(join(out, 'shots.json'), 'utf8')).shots.length, 5);
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = (s: string) => (errs.push(String(s)), true);
  try {
    assert.equal(await main(['shots', file('broken.mp4', 'garbage'), '--workspace', ws, '--quiet']), 1);
    assert.equal(await main(['shots', path, '--detector', 'nope', '--workspace', ws]), 1);
  } finally {
    (process.stderr as any).write = orig;
  }
  assert.match(errs[0], /^toonscope: .*broken\.mp4: not a readable video/);
  assert.equal(errs[0].trim().split('\n').length, 1);
  assert.match(errs[1], /unknown detector "nope"/);
});

test('thumbnails come from the metrics decode: metrics unchanged, every shot has one inside it, sequential and parallel', async () => {
  const { path } = sampleClip();
  const plain = await computeMetrics(path, { workers: 1 });
  for (const opts of [{ workers: 1 }, { workers: 2, minSegmentSeconds: 1 }, { workers: 2, minSegmentSeconds: 1, maxSegmentSeconds: 1.5 }]) {
    const r = await detectShots(path, { ...opts, thumbs: true });
    assert.equal(r.frames, plain.metrics.length);
    const withThumbs = await computeMetrics(path, { ...opts, thumbs: true });
    for (let i = 0; i < plain.metrics.length; i++) assert.deepEqual(Array.from(withThumbs.metrics[i].values), Array.from(plain.metrics[i].values), `frame ${i}`);
    const kept = withThumbs.metrics.filter((m) => m.jpeg).length;
    assert.ok(kept > 0 && kept < plain.metrics.length / 3, `${kept} samples kept: at most one in three frames, repeats dropped`);
    for (const s of r.shots) {
      const t = r.thumb(s.start, s.end);
      assert.ok(t, `shot ${s.index} has a thumbnail`);
      assert.ok(t.frame >= s.start && t.frame <= s.end, `shot ${s.index}: frame ${t.frame} inside ${s.start}-${s.end}`);
      const meta = await sharp(t.jpeg).metadata();
      assert.deepEqual([meta.format, meta.width], ['jpeg', 240]);
    }
  }
  const none = await detectShots(path, { workers: 1 });
  assert.equal(none.thumb(0, 10), undefined, 'no thumbnails unless asked');
});

test('the contact sheet of a re-run (metrics from the workspace) uses the stored thumbnails, not a second decode', async () => {
  const { path } = sampleClip();
  const ws = Workspace.open(join(tmp, 'ws-thumbs'));
  await detectShots(path, { workspace: ws, thumbs: true });
  const again = await detectShots(path, { workspace: ws, thumbs: true });
  assert.equal(again.reused, again.frames, 'metrics from the workspace');
  const dir = join(tmp, 'sheet-rerun');
  await contactSheet(path, again.shots, dir, { thumb: again.thumb });
  const files = readdirSync(join(dir, 'thumbs')).sort();
  assert.equal(files.length, again.shots.length);
  for (const [k, s] of again.shots.entries()) {
    // Byte-identical to the stored sample: a re-decode would have encoded a new JPEG.
    assert.deepEqual(readFileSync(join(dir, 'thumbs', files[k])), again.thumb(s.start, s.end)!.jpeg, files[k]);
  }
  // Without kept thumbnails (older workspaces) the sheet still decodes the middle frames.
  const old = join(tmp, 'sheet-fallback');
  await contactSheet(path, again.shots, old);
  assert.equal(readdirSync(join(old, 'thumbs')).length, again.shots.length);
  ws.close();
});

test('a stream of concatenated JPEGs is cut back into the same images, however it is chunked', async () => {
  const a = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } }).jpeg().toBuffer();
  // Noise, so the entropy-coded data holds stuffed 0xFF00 bytes.
  const noise = Buffer.from(Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 7919) % 251 + (i % 5 === 0 ? 4 : 0)));
  const b = await sharp(noise, { raw: { width: 64, height: 48, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
  const stream = Buffer.concat([a, b, a]);
  for (const size of [1, 7, 1000, stream.length]) {
    const got: Buffer[] = [];
    const feed = jpegSplitter((j) => got.push(j));
    for (let i = 0; i < stream.length; i += size) feed(stream.subarray(i, i + size));
    assert.deepEqual(got, [a, b, a], `chunks of ${size}`);
  }
});
