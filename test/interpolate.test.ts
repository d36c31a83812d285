// Frame interpolation on programmatically drawn flat-colour cartoons, where
// the true in-between is known exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToonscopeError } from '../src/core/errors.js';
import { writeImage } from '../src/core/image.js';
import type { Image } from '../src/core/types.js';
import { blend, interpolate, interpolateMany } from '../src/interpolate/interp.js';
import { psnr, specks, ssim } from '../src/interpolate/metrics.js';
import { cartoonScene, drawScene, type Scene } from '../src/interpolate/synth.js';
import { segment } from '../src/interpolate/segment.js';
import { matchSegments } from '../src/interpolate/match.js';
import { inbetweenStream } from '../src/interpolate/video.js';
import { classifyPair, signature } from '../src/interpolate/pairs.js';
import { tripletsFromSignatures, readTruth } from '../src/interpolate/truth.js';
import { globalShift } from '../src/interpolate/global.js';
import { snapStill } from '../src/interpolate/still.js';
import { med3 } from '../src/interpolate/splat.js';
import { bilateralVectors, obmcBetween } from '../src/interpolate/obmc.js';
import { flowPair } from '../src/interpolate/flow.js';

const hasFfmpeg = !spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error;

async function* iterate(frames: Image[]): AsyncGenerator<Image> {
  for (const f of frames) yield f;
}

function same(a: Image, b: Image): boolean {
  return a.width === b.width && a.height === b.height && Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;
}

test('middle frame of a moving outlined disc beats the 50/50 blend clearly', async () => {
  const sc = cartoonScene(320, 180, 0.08);
  const a = drawScene(sc, 0), truth = drawScene(sc, 0.5), c = drawScene(sc, 1);
  const mid = await interpolate(a, c, 0.5);
  const pb = psnr(blend(a, c), truth), po = psnr(mid, truth);
  assert.ok(po > pb + 6, `toonscope ${po.toFixed(2)} dB vs blend ${pb.toFixed(2)} dB`);
  assert.ok(ssim(mid, truth) > ssim(blend(a, c), truth));
});

test('large motion (a disc moving over 60% of its own diameter) is still followed', async () => {
  const sc = cartoonScene(320, 180, 0.2);
  const a = drawScene(sc, 0), truth = drawScene(sc, 0.5), c = drawScene(sc, 1);
  const mid = await interpolate(a, c, 0.5);
  const pb = psnr(blend(a, c), truth), po = psnr(mid, truth);
  assert.ok(po > pb + 5, `toonscope ${po.toFixed(2)} dB vs blend ${pb.toFixed(2)} dB`);
});

test('a held textured background is copied exactly (splatting) while a disc moves over it', async () => {
  const sc = cartoonScene(240, 144, 0.1);
  const a = drawScene(sc, 0), c = drawScene(sc, 1);
  // Paint a fine static texture over everything away from the discs' paths (flow noise would blur it).
  const far = (x: number, y: number) => sc.shapes.every((s) => {
    const [x0, y0] = s.from, [x1, y1] = s.to;
    const u = Math.max(0, Math.min(1, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2)));
    return Math.hypot(x - x0 - u * (x1 - x0), y - y0 - u * (y1 - y0)) > s.radius + 12;
  });
  const keep: number[] = [];
  for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) {
    if (!far(x, y)) continue;
    const i = (y * a.width + x) * 3, v = ((x * 7 + y * 13) % 5) * 6;
    for (let k = 0; k < 3; k++) a.data[i + k] = c.data[i + k] = Math.min(255, a.data[i + k] + v);
    if (far(x - 8, y) && far(x + 8, y) && far(x, y - 8) && far(x, y + 8)) keep.push(i);
  }
  const changed = (mid: Image) => keep.filter((i) => mid.data[i] !== a.data[i] || mid.data[i + 1] !== a.data[i + 1] || mid.data[i + 2] !== a.data[i + 2]).length;
  assert.ok(keep.length > 1000);
  // Splatting alone, so the still snap is the only thing that can keep the background exact.
  assert.equal(changed(await interpolate(a, c, 0.5, { backward: 0 })), 0, 'held background pixels changed');
  assert.ok(changed(await interpolate(a, c, 0.5, { backward: 0, still: 0 })) > 0, 'without snapping, flow noise moves some');
});

test('unchanged spots snap to zero flow; moving or changed ones keep theirs', () => {
  const flow = { width: 3, height: 1, data: new Float32Array([0.4, -0.3, 0.4, -0.3, 5, 0]) };
  const err = new Float32Array([9, 9, 9]);
  const n = snapStill(flow, err, new Float32Array([1, 20, 1]), { still: 8 });
  assert.equal(n, 1);
  assert.deepEqual([...flow.data], [0, 0, Math.fround(0.4), Math.fround(-0.3), 5, 0]);
  assert.deepEqual([...err], [1, 9, 9]);
});

test('backward sampling alone (flow pushed to time t, gaps filled) also follows the motion', async () => {
  const sc = cartoonScene(320, 180, 0.08);
  const a = drawScene(sc, 0), truth = drawScene(sc, 0.5), c = drawScene(sc, 1);
  const mid = await interpolate(a, c, 0.5, { backward: 1 });
  const pb = psnr(blend(a, c), truth), po = psnr(mid, truth);
  assert.ok(po > pb + 5, `backward ${po.toFixed(2)} dB vs blend ${pb.toFixed(2)} dB`);
});

test('robust mix: the per-channel median with the blend picks the middle value and still follows the motion', async () => {
  assert.equal(med3(10, 200, 120), 120);
  assert.equal(med3(200, 10, 250), 200);
  assert.equal(med3(50, 60, 0), 50);
  const sc = cartoonScene(320, 180, 0.08);
  const a = drawScene(sc, 0), truth = drawScene(sc, 0.5), c = drawScene(sc, 1);
  const mid = await interpolate(a, c, 0.5, { robust: 1 });
  const pb = psnr(blend(a, c), truth), po = psnr(mid, truth);
  assert.ok(po > pb + 5, `robust ${po.toFixed(2)} dB vs blend ${pb.toFixed(2)} dB`);
});

test('other times than the middle land nearer the right end', async () => {
  const sc = cartoonScene(256, 144, 0.1);
  const a = drawScene(sc, 0), c = drawScene(sc, 1);
  const [q1, q3] = await interpolateMany(a, c, [0.25, 0.75]);
  const t1 = drawScene(sc, 0.25), t3 = drawScene(sc, 0.75);
  assert.ok(psnr(q1, t1) > psnr(q1, t3) + 3, 't=0.25 should look like the quarter frame');
  assert.ok(psnr(q3, t3) > psnr(q3, t1) + 3, 't=0.75 should look like the three-quarter frame');
});

test('colour pieces: the disc is one piece and is matched with its true displacement', () => {
  const sc: Scene = { ...cartoonScene(240, 160, 0.1) };
  const a = drawScene(sc, 0), c = drawScene(sc, 1);
  const sa = segment(a), sc2 = segment(c);
  const red = (s: { r: number; g: number; b: number }) => s.r > 200 && s.g < 120 && s.b < 100;
  const ra = sa.segments.filter(red), rc = sc2.segments.filter(red);
  assert.equal(ra.length, 1, 'one red piece in A');
  assert.equal(rc.length, 1, 'one red piece in C');
  const m = matchSegments(sa, sc2).find((x) => x.a === ra[0].label);
  assert.ok(m, 'the red disc is matched');
  const [dx, dy] = [sc.shapes[0].to[0] - sc.shapes[0].from[0], sc.shapes[0].to[1] - sc.shapes[0].from[1]];
  assert.ok(Math.abs(m.dx - dx) < 1.5 && Math.abs(m.dy - dy) < 1.5, `matched shift ${m.dx},${m.dy} vs true ${dx},${dy}`);
});

test('global shift finds a camera pan', () => {
  const w = 160, h = 90;
  // Smooth value noise: random values on a 10-px grid, bilinearly interpolated (no periodic structure).
  const rnd = (i: number, j: number) => (((i * 73856093) ^ (j * 19349663)) >>> 0) % 200;
  const tex = (x: number, y: number) => {
    const gx = (x + 100) / 10, gy = (y + 100) / 10, i = Math.floor(gx), j = Math.floor(gy), u = gx - i, v = gy - j;
    return Math.round(rnd(i, j) * (1 - u) * (1 - v) + rnd(i + 1, j) * u * (1 - v) + rnd(i, j + 1) * (1 - u) * v + rnd(i + 1, j + 1) * u * v);
  };
  const a = new Uint8Array(w * h), b = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    a[y * w + x] = tex(x, y);
    b[y * w + x] = tex(x - 23, y + 5);
  }
  assert.deepEqual(globalShift(a, b, w, h), [23, -5]);
});

test('held drawings are duplicated, not interpolated', async () => {
  const sc = cartoonScene(160, 96, 0.1);
  const a = drawScene(sc, 0), c = drawScene(sc, 1);
  const kinds: string[] = [];
  const out: Image[] = [];
  const r = await inbetweenStream(iterate([a, a, c]), { factor: 2 }, async (img, kind) => {
    out.push(img);
    kinds.push(kind);
  });
  assert.deepEqual(r.pairs, { motion: 1, held: 1, cut: 0 });
  assert.equal(out.length, 6);
  assert.deepEqual(kinds, ['source', 'held', 'source', 'motion', 'source', 'source']);
  assert.ok(same(out[1], a), 'the in-between of a held pair is the drawing itself');
  assert.ok(!same(out[3], a) && !same(out[3], c), 'a motion pair gets a new frame');
});

test('cuts are not interpolated across', async () => {
  const s1 = cartoonScene(160, 96, 0.1);
  const s2: Scene = { ...cartoonScene(160, 96, 0.1), background: [40, 20, 60], floor: [200, 200, 40], shapes: [] };
  const a = drawScene(s1, 1), b = drawScene(s2, 0);
  assert.equal(classifyPair(signature(a), signature(b)), 'cut');
  const out: Image[] = [];
  const r = await inbetweenStream(iterate([a, b]), { factor: 3 }, async (img) => {
    out.push(img);
  });
  assert.equal(r.pairs.cut, 1);
  assert.equal(out.length, 6);
  assert.ok(same(out[1], a) && same(out[2], a), 'frames between the shots repeat the last frame of the first shot');
  assert.ok(same(out[3], b));
});

test('a cut the shots detector reports is not interpolated across, even where the pair looks like motion', async () => {
  const sc = cartoonScene(160, 96, 0.1);
  const a = drawScene(sc, 0), c = drawScene(sc, 1);
  assert.equal(classifyPair(signature(a), signature(c)), 'motion');
  const kinds: string[] = [];
  const r = await inbetweenStream(iterate([a, c]), { factor: 2, cuts: new Set([1]) }, async (_img, kind) => {
    kinds.push(kind);
  });
  assert.deepEqual(r.pairs, { motion: 0, held: 0, cut: 1 });
  assert.deepEqual(kinds, ['source', 'cut', 'source', 'source']);
});

test('compression-like noise still counts as a held drawing; real motion does not', () => {
  const sc = cartoonScene(160, 96, 0.1);
  const a = drawScene(sc, 0);
  const noisy = { ...a, data: a.data.map((v, i) => Math.max(0, Math.min(255, v + ((i * 7919) % 5) - 2))) };
  assert.equal(classifyPair(signature(a), signature(noisy)), 'held');
  assert.equal(classifyPair(signature(a), signature(drawScene(sc, 0.5))), 'motion');
});

test('triplets derived from held drawings are consecutive, evenly spaced drawings', () => {
  const sc = cartoonScene(96, 64, 0.2);
  const seq: Image[] = [];
  for (let d = 0; d < 5; d++) for (let k = 0; k < 3; k++) seq.push(drawScene(sc, d / 4));
  assert.deepEqual(tripletsFromSignatures(seq.map(signature)), [[0, 3, 6], [3, 6, 9], [6, 9, 12]]);
  // Thirds: runs of four drawings, the input every third drawing, truth at 1/3 and 2/3.
  assert.deepEqual(tripletsFromSignatures(seq.map(signature), 12, 3), [[0, 3, 9], [0, 6, 9], [3, 6, 12], [3, 9, 12]]);
});

test('metrics: identical images, a known offset', () => {
  const a = drawScene(cartoonScene(64, 48), 0);
  assert.equal(psnr(a, a), 100);
  assert.ok(Math.abs(ssim(a, a) - 1) < 1e-9);
  const b = { ...a, data: a.data.map((v) => Math.min(255, v + 10)) };
  const clipped = a.data.filter((v) => v > 245).length;
  if (clipped === 0) assert.ok(Math.abs(psnr(a, b) - 10 * Math.log10((255 * 255) / 100)) < 1e-6);
  // Specks: a dark dot on flat sky is one; the same dot in the truth is none.
  assert.equal(specks(a, a), 0);
  const dot = { ...a, data: a.data.slice() };
  dot.data.set([0, 0, 0], (5 * 64 + 5) * 3);
  assert.equal(specks(dot, a), 1e4 / (64 * 48));
  assert.equal(specks(dot, dot), 0);
});

test('bad input gives ToonscopeError', async () => {
  const a = drawScene(cartoonScene(64, 48), 0);
  const small = drawScene(cartoonScene(32, 24), 0);
  await assert.rejects(interpolate(a, small), (e) => e instanceof ToonscopeError && /differ in size/.test(e.message));
  await assert.rejects(interpolate(a, a, 1.5), (e) => e instanceof ToonscopeError && /outside/.test(e.message));
  await assert.rejects(inbetweenStream(iterate([a]), { factor: 1 }, async () => undefined), (e) => e instanceof ToonscopeError);
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-'));
  try {
    const bad = join(dir, 'x.truth.json');
    writeFileSync(bad, '{"video": "missing.mp4"}');
    assert.throws(() => readTruth(bad), (e) => e instanceof ToonscopeError && /missing/.test(e.message));
    writeFileSync(bad, 'not json');
    assert.throws(() => readTruth(bad), (e) => e instanceof ToonscopeError && /JSON/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: --between writes the in-between; bad files and options fail with one line', async () => {
  const { main } = await import('../src/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-cli-'));
  const sc = cartoonScene(160, 96, 0.1);
  try {
    await writeImage(join(dir, 'a.png'), drawScene(sc, 0));
    await writeImage(join(dir, 'c.png'), drawScene(sc, 1));
    process.env.TOONSCOPE_QUIET = '1';
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'c.png'), '--t', '0.5', join(dir, 'm.png'), '--quiet']), 0);
    assert.ok(existsSync(join(dir, 'm.png')));
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'nope.png'), join(dir, 'm2.png'), '--quiet']), 1);
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'c.png'), '--t', '2', join(dir, 'm3.png'), '--quiet']), 1);
    // The neighbouring drawings: both or neither, and the same size.
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'c.png'), '--before', join(dir, 'a.png'), '--after', join(dir, 'c.png'), join(dir, 'm4.png'), '--quiet']), 0);
    assert.ok(existsSync(join(dir, 'm4.png')));
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'c.png'), '--before', join(dir, 'a.png'), join(dir, 'm5.png'), '--quiet']), 1);
    await writeImage(join(dir, 'small.png'), drawScene(cartoonScene(80, 48, 0.1), 0));
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'c.png'), '--before', join(dir, 'small.png'), '--after', join(dir, 'c.png'), join(dir, 'm6.png'), '--quiet']), 1);
    assert.ok(!existsSync(join(dir, 'm5.png')) && !existsSync(join(dir, 'm6.png')));
    // An output that cannot be written is one line naming the file, not libvips' multi-line report.
    const { writeImage: write } = await import('../src/core/image.js');
    await assert.rejects(write(join(dir, 'no', 'such', 'm7.png'), drawScene(sc, 0)), (e: unknown) => e instanceof ToonscopeError && /folder .* does not exist/.test(e.message) && !e.message.includes('\n'));
    await assert.rejects(write(dir, drawScene(sc, 0)), (e: unknown) => e instanceof ToonscopeError && /cannot write/.test(e.message) && !e.message.includes('\n'));
    assert.equal(await main(['interpolate', '--between', join(dir, 'a.png'), join(dir, 'c.png'), join(dir, 'no', 'm8.png'), '--quiet']), 1);
    assert.equal(await main(['eval', 'interpolate', '--quiet']), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: video x2 doubles the frames and the rate (needs ffmpeg)', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const { main } = await import('../src/cli/main.js');
  const { VideoWriter, probe } = await import('../src/core/video.js');
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-vid-'));
  const sc = cartoonScene(128, 72, 0.1);
  try {
    const w = new VideoWriter(join(dir, 'in.mp4'), 128, 72, 12);
    for (const t of [0, 0, 0.5, 1]) await w.write(drawScene(sc, t));
    await w.close();
    assert.equal(await main(['interpolate', join(dir, 'in.mp4'), '-x', '2', join(dir, 'out.mp4'), '--quiet']), 0);
    const info = probe(join(dir, 'out.mp4'));
    assert.equal(info.fps, 24);
    assert.equal(info.frames, 8);
    assert.equal(await main(['interpolate', join(dir, 'in.mp4'), '-x', '0', join(dir, 'o2.mp4'), '--quiet']), 1);
    assert.equal(await main(['interpolate', join(dir, 'missing.mp4'), '-x', '2', join(dir, 'o3.mp4'), '--quiet']), 1);
    // The eval reads neighbours that may lie past the end: partial reads leave them out, full reads name the frame.
    const { readFrames } = await import('../src/interpolate/frames.js');
    assert.deepEqual([...(await readFrames(join(dir, 'in.mp4'), [3, 1, 9], undefined, undefined, true)).keys()].sort(), [1, 3]);
    await assert.rejects(readFrames(join(dir, 'in.mp4'), [3, 9]), (e: unknown) => e instanceof ToonscopeError && /frames 9 are beyond the end/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bilateral blocks: the middle frame\'s own motion is found per block, and the block in-between beats the blend', async () => {
  const sc = cartoonScene(320, 180, 0.1);
  const a = drawScene(sc, 0), truth = drawScene(sc, 0.5), c = drawScene(sc, 1);
  const fp = await flowPair(a, c);
  const grid = bilateralVectors(a, c, fp.ab, fp.ba, 0.5);
  // The big disc moves by (to - from); the block at its centre at t = 0.5 carries that motion.
  const s = sc.shapes[0], mx = (s.from[0] + s.to[0]) / 2, my = (s.from[1] + s.to[1]) / 2;
  const q = Math.round(my / grid.step) * grid.gw + Math.round(mx / grid.step);
  assert.ok(Math.hypot(grid.v[q * 2] - (s.to[0] - s.from[0]), grid.v[q * 2 + 1] - (s.to[1] - s.from[1])) <= 1.5, `block vector ${grid.v[q * 2]}, ${grid.v[q * 2 + 1]}`);
  const blocks = obmcBetween(a, c, grid, 1, 0.5);
  const pb = psnr(blend(a, c), truth), po = psnr(blocks, truth);
  assert.ok(po > pb + 4, `blocks ${po.toFixed(2)} dB vs blend ${pb.toFixed(2)} dB`);
  // Mixed in only where the splatting is unsure (the default), it leaves clean motion as sharp as it was;
  // mixed in everywhere, its block edges cost dB on this clean scene.
  // (The tear mix, which adds more of it where the flow tears, has its own tests.)
  const mixed = psnr(await interpolate(a, c, 0.5, { tear: 0 }), truth), alone = psnr(await interpolate(a, c, 0.5, { obmc: 0 }), truth);
  assert.ok(Math.abs(mixed - alone) < 0.3, `mixed where unsure ${mixed.toFixed(2)} dB vs splat only ${alone.toFixed(2)} dB`);
});
