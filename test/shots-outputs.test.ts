// The shot outputs PySceneDetect users rely on: split files (frame-exact, or
// keyframe-aligned stream copy), stills per shot, per-frame stats, folder
// inputs, the list-scenes CSV and an OpenTimelineIO export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/core/ffmpeg.js';
import { decode, probe } from '../src/core/video.js';
import { readImage } from '../src/core/image.js';
import { detectShots } from '../src/shots/detect.js';
import { loadTruth } from '../src/shots/eval.js';
import { shotsCsv, readShotsCsv } from '../src/shots/export.js';
import { shotsOtio } from '../src/shots/otio.js';
import { splitShots, shotFileName } from '../src/shots/split.js';
import { shotImages, stillFrames } from '../src/shots/images.js';
import { main } from '../src/cli/main.js';
import type { Image, Shot } from '../src/core/types.js';
import { sampleClip, panClip, tmp } from './fixtures.js';

process.env.TOONSCOPE_QUIET = '1';

/** 72 frames that all differ (testsrc2 moves every frame), keyframe every 24 frames, with sound. */
function movingClip(): string {
  const path = join(tmp, 'moving.mp4');
  if (!existsSync(path)) {
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=24:d=3', '-f', 'lavfi', '-i', 'sine=f=440:d=3',
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '24', '-keyint_min', '24', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path]);
  }
  return path;
}

async function frames(path: string): Promise<Image[]> {
  const out: Image[] = [];
  for await (const f of decode(path, { width: 64, height: 36, channels: 1 })) out.push(f);
  return out;
}

const mad = (a: Image, b: Image) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]), 0) / a.data.length;
/** Index of the original frame that `f` looks most like. */
const closest = (f: Image, originals: Image[]) => originals.reduce((best, o, i) => (mad(f, o) < mad(f, originals[best]) ? i : best), 0);

const shotsOf = (bounds: [number, number][], fps: number): Shot[] => bounds.map(([start, end], index) => ({
  index, start, end, startTime: start / fps, endTime: (end + 1) / fps, in: index ? 'cut' : 'start', out: index === bounds.length - 1 ? 'end' : 'cut',
}));

test('split: one file per shot holding exactly its frames; --copy starts at the keyframe before', async () => {
  const video = movingClip();
  const original = await frames(video);
  assert.equal(original.length, 72);
  const shots = shotsOf([[0, 19], [20, 44], [45, 71]], 24);
  const files = await splitShots(video, shots, join(tmp, 'split-exact'));
  assert.deepEqual(files.map((f) => f.split('/').pop()), ['moving-shot-001.mp4', 'moving-shot-002.mp4', 'moving-shot-003.mp4']);
  for (const [k, s] of shots.entries()) {
    const got = await frames(files[k]);
    assert.equal(got.length, s.end - s.start + 1, `shot ${k + 1} frame count`);
    assert.equal(closest(got[0], original), s.start, `shot ${k + 1} first frame`);
    assert.equal(closest(got.at(-1)!, original), s.end, `shot ${k + 1} last frame`);
    assert.ok(probe(files[k]).audio, 'the sound comes along');
  }
  // Stream copy: the second shot (frames 20-44) can only start on the keyframe at frame 0; the third (45-71) on frame 24.
  const copies = await splitShots(video, shots, join(tmp, 'split-copy'), { copy: true, name: 'c-$SHOT-$START-$END.mp4' });
  assert.deepEqual(copies.map((f) => f.split('/').pop()), ['c-001-0-19.mp4', 'c-002-20-44.mp4', 'c-003-45-71.mp4']);
  const third = await frames(copies[2]);
  assert.equal(probe(copies[2]).codec, 'h264');
  assert.ok(third.length >= 27, `copy holds the whole shot (${third.length} frames)`);
  assert.ok(closest(third[0], original) <= 45 && closest(third[0], original) >= 24, `copy starts at a keyframe before the shot (${closest(third[0], original)})`);
  assert.throws(() => shotFileName('$SHOT/x.mp4', video, shots[0]), /a file name, not a path/);
  await assert.rejects(splitShots(video, shots, join(tmp, 'split-bad'), { name: 'same.mp4' }), /same file name/);
});

test('images: N stills per shot at exact frames, named by shot and frame', async () => {
  assert.deepEqual(stillFrames({ index: 0, start: 10, end: 20, startTime: 0, endTime: 0, in: 'cut', out: 'cut' }, 3), [10, 15, 20]);
  assert.deepEqual(stillFrames({ index: 0, start: 10, end: 20, startTime: 0, endTime: 0, in: 'cut', out: 'cut' }, 1), [15]);
  const video = movingClip();
  const original = await frames(video);
  const shots = shotsOf([[0, 19], [20, 71]], 24);
  const files = await shotImages(video, shots, join(tmp, 'stills'), { count: 3, format: 'png' });
  assert.deepEqual(files.map((f) => f.map((p) => p.split('/').pop())), [
    ['moving-shot-001-frame-000000.png', 'moving-shot-001-frame-000010.png', 'moving-shot-001-frame-000019.png'],
    ['moving-shot-002-frame-000020.png', 'moving-shot-002-frame-000046.png', 'moving-shot-002-frame-000071.png'],
  ]);
  for (const f of files.flat()) {
    const want = Number(/frame-(\d+)/.exec(f)![1]);
    const img = await readImage(f);
    assert.equal(img.width, 320, 'full size by default');
    const small = { width: 64, height: 36, channels: 1 as const, data: new Uint8Array(64 * 36) };
    // Compare at the analysis size: shrink by sampling the gray image.
    for (let y = 0; y < 36; y++) for (let x = 0; x < 64; x++) {
      const i = (Math.floor((y + 0.5) * 5) * 320 + Math.floor((x + 0.5) * 5)) * img.channels;
      small.data[y * 64 + x] = Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
    }
    assert.equal(closest(small, original), want, `${f} shows its frame`);
  }
});

test('CLI: --split, --images, --stats, .otio and the list-scenes CSV on the sample clip; the CSV reads back', async () => {
  const { path } = sampleClip();
  const out = join(tmp, 'outputs');
  const stats = join(tmp, 'sample-stats.csv');
  assert.equal(await main(['shots', path, '--workspace', join(tmp, 'ws-out'), '--out', out, '--no-sheet', '--quiet', '--split', '--images', '2', '--stats', stats]), 0);
  const r = await detectShots(path);
  const lengths = r.shots.map((s) => s.end - s.start + 1);
  const split = readdirSync(join(out, 'split')).sort();
  assert.deepEqual(split, r.shots.map((_, k) => `sample-shot-00${k + 1}.mp4`));
  for (const [k, f] of split.entries()) assert.equal((await frames(join(out, 'split', f))).length, lengths[k], `${f} frames`);
  assert.equal(readdirSync(join(out, 'images')).length, r.shots.length * 2);
  assert.ok(existsSync(join(out, 'images', 'sample-shot-002-frame-000048.jpg')), 'the first frame of shot 2 is frame 48');

  // Stats: one row per frame, the metrics by name, the boundaries marked.
  const rows = readFileSync(stats, 'utf8').trim().split('\n').map((l) => l.split(','));
  assert.equal(rows.length, r.frames + 1);
  const head = rows[0];
  assert.deepEqual(head.slice(0, 3), ['Frame Number', 'Timecode', 'Time (seconds)']);
  const diff1 = head.indexOf('diff1'), boundary = head.indexOf('Boundary');
  assert.ok(diff1 > 0 && boundary === head.length - 1);
  assert.deepEqual(rows[49].slice(0, 2), ['49', '00:00:02.000'], 'frame 48 is Frame Number 49 at 2 s');
  assert.equal(rows[49][boundary], 'cut');
  const heldDiff = Number(rows[30][diff1]);
  assert.ok(Number(rows[49][diff1]) > 10 * Math.max(1, heldDiff), 'the cut frame differs far more than a held one');
  assert.deepEqual(rows.slice(1).filter((c) => c[boundary]).map((c) => c[boundary]), ['cut', 'fade', 'dissolve', 'cut']);

  // The list-scenes CSV: PySceneDetect's columns, 1-based; toonscope's truth reader and readShotsCsv both read it back.
  const csvText = readFileSync(join(out, 'shots.csv'), 'utf8');
  const lines = csvText.trim().split('\n');
  assert.equal(lines[0], 'Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,End Time (seconds),Length (frames),Length (timecode),Length (seconds),Shot In,Shot Out');
  assert.equal(lines[2], '2,49,00:00:02.000,2.000,99,00:00:04.125,4.125,51,00:00:02.125,2.125,cut,fade-out');
  assert.deepEqual(loadTruth(join(out, 'shots.csv')).cuts, r.shots.slice(1).map((s) => s.start));
  const back = readShotsCsv(csvText);
  assert.deepEqual(back.map((s) => [s.index, s.start, s.end, s.in, s.out]), r.shots.map((s) => [s.index, s.start, s.end, s.in, s.out]));
  assert.equal(shotsCsv(back), csvText, 'read back and written again: the same file');

  // OTIO: one clip per shot over the source file, the dissolve as a transition.
  const otio = JSON.parse(readFileSync(join(out, 'shots.otio'), 'utf8'));
  assert.equal(otio.OTIO_SCHEMA, 'Timeline.1');
  const track = otio.tracks.children[0];
  assert.equal(track.kind, 'Video');
  const clips = track.children.filter((c: any) => c.OTIO_SCHEMA === 'Clip.2');
  assert.deepEqual(clips.map((c: any) => [c.source_range.start_time.value, c.source_range.duration.value]), r.shots.map((s) => [s.start, s.end - s.start + 1]));
  assert.equal(clips[0].source_range.duration.rate, 24);
  assert.match(clips[0].media_references.DEFAULT_MEDIA.target_url, /^file:\/\/\/.*sample\.mp4$/);
  const transitions = track.children.filter((c: any) => c.OTIO_SCHEMA === 'Transition.1');
  assert.equal(transitions.length, 1);
  assert.equal(transitions[0].transition_type, 'SMPTE_Dissolve');
  assert.equal(track.children.indexOf(transitions[0]), track.children.indexOf(clips[3]) - 1, 'the dissolve sits before shot 4');
  assert.equal(shotsOtio(path, 24, []).includes('"children": []'), true, 'an empty list is an empty track');
  const withSound = JSON.parse(shotsOtio(path, 24, r.shots, r.transitions, r.frames, true)).tracks.children;
  assert.deepEqual(withSound.map((t: any) => [t.kind, t.children.length]), [['Video', r.shots.length + 1], ['Audio', r.shots.length]]);
});

test('CLI: a folder stands for every video inside it; several videos get their own folders and stats files', async () => {
  const dir = join(tmp, 'folder-in');
  mkdirSync(dir, { recursive: true });
  copyFileSync(sampleClip().path, join(dir, 'a.mp4'));
  copyFileSync(panClip(), join(dir, 'b.mp4'));
  copyFileSync(join(tmp, 'sample.truth.json'), join(dir, 'notes.json'));
  const out = join(tmp, 'folder-out');
  assert.equal(await main(['shots', dir, '--workspace', join(tmp, 'ws-folder'), '--out', out, '--no-sheet', '--quiet', '--stats', join(out, 'stats.csv')]), 0);
  assert.deepEqual(readdirSync(out).sort(), ['a', 'b', 'stats-a.csv', 'stats-b.csv']);
  assert.equal(readFileSync(join(out, 'a', 'shots.csv'), 'utf8').trim().split('\n').length, 6);
  assert.equal(readFileSync(join(out, 'b', 'shots.csv'), 'utf8').trim().split('\n').length, 2);
  const empty = join(tmp, 'empty-folder');
  mkdirSync(empty, { recursive: true });
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = (s: string) => (errs.push(String(s)), true);
  try {
    assert.equal(await main(['shots', empty, '--workspace', join(tmp, 'ws-folder'), '--quiet']), 1);
    assert.equal(await main(['shots', dir, '--copy', '--workspace', join(tmp, 'ws-folder'), '--quiet']), 1);
  } finally {
    (process.stderr as any).write = orig;
  }
  assert.match(errs[0], /empty-folder: folder holds no video files/);
  assert.match(errs[1], /--copy only goes with --split/);
});

test('help lists every shot output', async () => {
  let text = '';
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as any).write = (s: string) => ((text += String(s)), true);
  try {
    assert.equal(await main(['shots', '--help']), 0);
  } finally {
    (process.stdout as any).write = orig;
  }
  for (const o of ['--split', '--copy', '--split-name', '--images N', '--stats FILE', 'FOLDER', 'shots.otio', 'PySceneDetect', 'keyframe']) assert.ok(text.includes(o), o);
});
