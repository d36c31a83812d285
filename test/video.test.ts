import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probe, decode, decodeSelected, grabFrames, fitSize, analysisSize, VideoWriter, type DecodeReport } from '../src/core/video.js';
import { ToonscopeError } from '../src/core/errors.js';
import { FrameCache, frameBudget } from '../src/core/frame-cache.js';
import { sampleClip, vfrClip, truncatedClip, duplicatedTimesClip, lateTimesClip, withEnv, file, tmp } from './fixtures.js';
import { join, relative } from 'node:path';
import { copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

async function collect(path: string, opts = {}, report?: DecodeReport) {
  const out = [];
  for await (const f of decode(path, opts, report)) out.push(f);
  return out;
}

/** Frames selected by their recorded `times` are exactly `want`, none reported missing, each the decoded frame of `all`. */
async function selectsExactly(path: string, want: number[], times: ArrayLike<number>, all: Array<{ index: number; data: Uint8Array }>) {
  const report = { missing: [] as number[] };
  const got = [];
  for await (const f of decodeSelected(path, want, { width: 32, height: 18 }, { times, report })) got.push(f);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(got.map((f) => f.index), want);
  for (const f of got) assert.deepEqual(f.data, all[f.index].data, `frame ${f.index}`);
}

function oneLineError(fn: () => unknown, pattern: RegExp) {
  return async () => {
    try {
      await fn();
    } catch (e) {
      assert.ok(e instanceof ToonscopeError, `expected a ToonscopeError, got ${e}`);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'), 'error is one line');
      return;
    }
    assert.fail('no error thrown');
  };
}

test('analysis size: the given width on the longer side, even sides, never upscaled', () => {
  // Landscape (and square) frames as fitSize: that width.
  assert.deepEqual(analysisSize({ width: 1280, height: 720 }, 480), { width: 480, height: 270 });
  assert.deepEqual(analysisSize({ width: 1440, height: 1080 }, 480), fitSize({ width: 1440, height: 1080 }, 480));
  assert.deepEqual(analysisSize({ width: 500, height: 500 }, 480), { width: 480, height: 480 });
  // A phone-shaped clip: that height, so as many pixels as the landscape frame of its shape (not 2.3 times as many).
  assert.deepEqual(analysisSize({ width: 406, height: 720 }, 480), { width: 270, height: 478 }, 'the aspect kept, even sides');
  assert.deepEqual(analysisSize({ width: 1080, height: 1920 }, 480), { width: 270, height: 480 });
  // Smaller than that already: kept.
  assert.deepEqual(analysisSize({ width: 180, height: 320 }, 480), { width: 180, height: 320 });
});

test('probe reads size, rate and frame count', () => {
  const { path } = sampleClip();
  const info = probe(path);
  assert.equal(info.width, 320);
  assert.equal(info.height, 180);
  assert.equal(info.fps, 24);
  assert.equal(info.frames, 240);
});

test('decode streams every frame at the requested size with exact times', async () => {
  const { path } = sampleClip();
  const frames = await collect(path, { width: 64, height: 36 });
  assert.equal(frames.length, 240);
  assert.deepEqual(frames.slice(0, 3).map((f) => f.index), [0, 1, 2]);
  assert.equal(frames[0].data.length, 64 * 36 * 3);
  assert.ok(Math.abs(frames[120].time - 5) < 1e-6, `frame 120 at ${frames[120].time}`);
});

test('variable frame rate clips get each frame\'s own timestamp', async () => {
  const frames = await collect(vfrClip(), { width: 32, height: 18 });
  assert.equal(frames.length, 20);
  const dt = frames.slice(1).map((f, i) => f.time - frames[i].time);
  assert.ok(Math.abs(dt[0] - 0.1) < 1e-3, `first gap ${dt[0]}`);
  assert.ok(Math.abs(dt[15] - 1 / 30) < 1e-3, `late gap ${dt[15]}`);
});

test('resuming by timestamp continues at the right frame', async () => {
  const { path } = sampleClip();
  const all = await collect(path, { width: 32, height: 18 });
  const tail = await collect(path, { width: 32, height: 18, fromFrame: 150, seekBetween: [all[149].time, all[150].time] });
  assert.equal(tail.length, 90);
  assert.equal(tail[0].index, 150);
  assert.ok(Math.abs(tail[0].time - all[150].time) < 1e-6);
  assert.deepEqual(tail[0].data, all[150].data);
});

test('grabFrames returns the asked frames', async () => {
  const { path } = sampleClip();
  const all = await collect(path, { width: 32, height: 18 });
  const got = await grabFrames(path, [10, 200], 32);
  assert.deepEqual([...got.keys()], [10, 200]);
  assert.deepEqual(got.get(200)!.data, all[200].data);
});

test('decodeSelected with frame times seeks per chunk and returns exact frames', async () => {
  const { path } = sampleClip();
  const all = await collect(path, { width: 32, height: 18 });
  const want = [3, 4, 5, 77, 150, 151, 239];
  const got = [];
  for await (const f of decodeSelected(path, want, { width: 32, height: 18 }, { times: all.map((f) => f.time) })) got.push(f);
  assert.deepEqual(got.map((f) => f.index), want);
  for (const f of got) assert.deepEqual(f.data, all[f.index].data, `frame ${f.index}`);
});

test('decodeSelected lists the frames it could not deliver instead of dropping them silently', async () => {
  const { path } = sampleClip();
  const times = Array.from({ length: 240 }, (_, i) => i / 24);
  // Frame 100's recorded time points between two frames (as after a bad probe): nothing matches it.
  times[100] += 0.5 / 24;
  const report = { missing: [] as number[] };
  const got: number[] = [];
  for await (const f of decodeSelected(path, [20, 100, 230], { width: 16, height: 10 }, { times, report })) got.push(f.index);
  assert.deepEqual(got, [20, 230]);
  assert.deepEqual(report.missing, [100]);
  // Without times: an index past the end.
  const r2 = { missing: [] as number[] };
  for await (const f of decodeSelected(path, [5, 900], { width: 16, height: 10 }, { report: r2 })) assert.equal(f.index, 5);
  assert.deepEqual(r2.missing, [900]);
});

test('decodeSelected with frame times delivers every asked frame when frames share timestamps', async () => {
  const path = duplicatedTimesClip();
  const all = await collect(path, { width: 32, height: 18 });
  assert.equal(all.length, 40);
  assert.ok(Math.abs(all[7].time - all[6].time) < 1e-3, 'the fixture pairs frames under one timestamp');
  // Both frames of a pair, one of a pair, and targets after many duplicates (a cap of one decoded frame per target
  // ended the decode before them).
  const want = [2, 3, 6, 11, 20, 29, 30, 37, 39];
  await selectsExactly(path, want, all.map((f) => f.time), all);
});

test('frame times stay exact past 1000 s, so frames selected by time are the asked ones at 59.94 fps', async () => {
  const path = lateTimesClip();
  const all = await collect(path, { width: 32, height: 18 });
  assert.ok(all.length >= 119);
  // Frame k of a 60000/1001 clip starting at 1500 s; showinfo's printed pts_time (six digits) is 10 ms coarse there.
  all.forEach((f, k) => assert.ok(Math.abs(f.time - (1500 + (k * 1001) / 60000)) < 1e-6, `frame ${k} at ${f.time}`));
  const want = Array.from({ length: 100 }, (_, i) => i + 10);
  await selectsExactly(path, want, all.map((f) => f.time), all);
});

test('times recorded by earlier versions (six significant digits) still select their frames past 1000 s', async () => {
  // Workspaces made before exact times hold showinfo's printout: 5 ms off here, more than the 1 ms a match allows.
  const path = lateTimesClip('30000/1001');
  const all = await collect(path, { width: 32, height: 18 });
  const old = all.map((f) => Number(f.time.toPrecision(6)));
  assert.ok(old.some((t, k) => Math.abs(t - all[k].time) > 1e-3), 'the fixture has rounded times off by over 1 ms');
  const want = Array.from({ length: 50 }, (_, i) => i + 5);
  await selectsExactly(path, want, old, all);
});

test('decodeSelected takes more frames than ffmpeg\'s 100-term expression limit', async () => {
  const { path } = sampleClip();
  const want = Array.from({ length: 150 }, (_, i) => i + 40);
  let n = 0;
  for await (const f of decodeSelected(path, want, { width: 16, height: 10 })) assert.equal(f.index, want[n++]);
  assert.equal(n, 150);
});

test('VideoWriter writes a playable clip', async () => {
  const out = join(tmp, 'written.mp4');
  const w = new VideoWriter(out, 64, 32, 12);
  for (let i = 0; i < 6; i++) await w.write({ width: 64, height: 32, channels: 3, data: new Uint8Array(64 * 32 * 3).fill(i * 40) });
  await w.close();
  assert.equal(probe(out).frames, 6);
});

test('missing file: one-line error naming it', oneLineError(() => probe('/nonexistent/clip.mp4'), /clip\.mp4: no such file/));
test('zero-length file', oneLineError(() => probe(file('empty.mp4', '')), /empty\.mp4: file is empty/));
test('text file is not a video', oneLineError(() => probe(file('notes.mp4', 'hello, this is not a video\n'.repeat(50))), /notes\.mp4: not a readable video/));
test('random bytes are not a video', oneLineError(() => probe(file('noise.mkv', Uint8Array.from({ length: 40000 }, (_, i) => (i * 7919) % 251))), /noise\.mkv: not a readable video/));
test('a still image is not a video', oneLineError(() => probe(file('still.png', Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082', 'hex'))), /still\.png: is a still image|no video stream|not a readable video/));
test('missing ffmpeg: one line saying how to install it', () => {
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const r = spawnSync(process.execPath, [cli, 'shots', sampleClip().path], { env: { ...process.env, TOONSCOPE_FFPROBE: '/nonexistent/ffprobe' }, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^toonscope: ffprobe not found at \/nonexistent\/ffprobe; install it: `sudo apt-get install ffmpeg`/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a directory is not a video', oneLineError(() => probe(tmp), /is a directory/));

test('a truncated clip whose index was at the end', oneLineError(() => probe(truncatedClip(false)), /truncated-moov-at-end\.mp4: not a readable video \((moov atom not found|Invalid data found when processing input)\)$/));

test('a truncated clip decodes the frames it has and reports the damage', async () => {
  const path = truncatedClip();
  const report: DecodeReport = { frames: 0, warnings: [] };
  const frames = await collect(path, { width: 32, height: 18 }, report);
  assert.ok(frames.length > 5 && frames.length < 96, `decoded ${frames.length} of 96`);
  assert.ok(report.warnings.length > 0, 'warnings recorded');
});

test('decodeSelected keeps the frames it is told to and gives them again from memory, exactly and in order', async () => {
  const { path } = sampleClip();
  const size = { width: 32, height: 18 };
  const all = await collect(path, size);
  const times = all.map((f) => f.time);
  const cache = new FrameCache(64 * 2 ** 20);
  // Frame 900's time is past the end: it is never delivered.
  const longTimes = [...times, ...Array(700).fill(99)];
  // Kept: only those `keep` passes (the first pass keeps its sampled frames, not the ones between them).
  for await (const f of decodeSelected(path, [10, 11, 12, 130, 200], size, { times: longTimes, cache, keep: (i) => i !== 11 })) f.data.fill(0);
  const want = [5, 10, 11, 12, 100, 130, 200, 239];
  const got = [];
  const report = { missing: [] as number[] };
  // Other times are another selection: nothing from memory there.
  for await (const f of decodeSelected(path, want, size, { times, cache })) got.push(f);
  assert.equal(cache.hits, 0);
  for await (const f of decodeSelected(path, [...want, 900], size, { times: longTimes, cache, report })) {
    got.push(f);
    f.data.fill(7);
  }
  assert.equal(cache.hits, 4, 'frames 10, 12, 130 and 200 come from memory');
  assert.deepEqual(report.missing, [900], 'kept frames count as delivered, a frame past the end does not');
  assert.deepEqual(got.map((f) => f.index), [...want, ...want]);
  const again = [];
  for await (const f of decodeSelected(path, [4, 10, 12], size, { times: longTimes, cache })) again.push(f);
  // Exact, though the first callers wrote over what they were given.
  for (const f of again) assert.deepEqual(f.data, all[f.index].data, `frame ${f.index}`);
  // Another size or selection by number is another set of frames.
  const h = cache.hits;
  for await (const f of decodeSelected(path, [10], { width: 16, height: 10 }, { times: longTimes, cache })) assert.equal(f.index, 10);
  for await (const f of decodeSelected(path, [10], size, { cache })) assert.deepEqual(f.data, all[10].data);
  assert.equal(cache.hits, h);
  // A budget of 0 keeps nothing; room for two frames keeps the first two.
  const none = new FrameCache(0);
  for await (const _ of decodeSelected(path, [1, 2, 3], size, { times, cache: none }));
  for await (const _ of decodeSelected(path, [1, 2, 3], size, { times, cache: none }));
  assert.equal(none.hits, 0);
  const two = new FrameCache(2.5 * 32 * 18 * 3);
  for await (const _ of decodeSelected(path, [1, 2, 3], size, { times, cache: two }));
  const some = [];
  for await (const f of decodeSelected(path, [1, 2, 3], size, { times, cache: two })) some.push(f);
  assert.equal(two.hits, 2);
  for (const f of some) assert.deepEqual(f.data, all[f.index].data, `frame ${f.index}`);
});

test('the frame cache knows a file by its absolute path; a kept set that fills the budget leaves no room', async () => {
  const { path } = sampleClip();
  const size = { width: 32, height: 18 };
  const cache = new FrameCache(2 ** 20);
  assert.equal(cache.room, 2 ** 20);
  for await (const _ of decodeSelected(path, [3, 4], size, { cache }));
  assert.equal(cache.room, 2 ** 20 - 2 * 32 * 18 * 3);
  // The first pass decodes the path as typed, the learned pass the absolute one the workspace stores.
  for await (const _ of decodeSelected(relative(process.cwd(), path), [3, 4], size, { cache }));
  assert.equal(cache.hits, 2);
});

test('a file replaced under the same name is another video to the frame cache', async () => {
  const copyPath = join(tmp, 'replaced.mp4');
  copyFileSync(sampleClip().path, copyPath);
  const size = { width: 32, height: 18 };
  const cache = new FrameCache(2 ** 20);
  for await (const _ of decodeSelected(copyPath, [3], size, { cache }));
  copyFileSync(truncatedClip(), copyPath);
  const fresh = (await collect(copyPath, size))[3];
  let got;
  for await (const f of decodeSelected(copyPath, [3], size, { cache })) got = f;
  assert.equal(cache.hits, 0);
  assert.deepEqual(got!.data, fresh.data);
});

test('TOONSCOPE_FRAME_CACHE_MB: MiB, 0 for none, anything else a one-line error', () => {
  const budget = 'TOONSCOPE_FRAME_CACHE_MB';
  withEnv(budget, '0', () => assert.equal(new FrameCache().budget, 0));
  withEnv(budget, '1.5', () => assert.equal(frameBudget(), 1.5 * 2 ** 20));
  withEnv(budget, '0x10', () => assert.throws(() => frameBudget(), ToonscopeError));
  withEnv(budget, '256MB', () => assert.throws(() => frameBudget(), (e: Error) => e instanceof ToonscopeError && /TOONSCOPE_FRAME_CACHE_MB must be a number of MiB.*"256MB"/.test(e.message)));
});
