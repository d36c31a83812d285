// Video mode end to end: an interrupted run resumes from its finished parts
// and gives the same video as an uninterrupted one, with the audio kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ToonscopeError } from '../src/core/errors.js';
import { run, tool } from '../src/core/ffmpeg.js';
import { decode, probe, VideoWriter } from '../src/core/video.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { factorFor, inbetweenStream, interpolateVideo, type VideoOptions } from '../src/interpolate/video.js';
import { defaultThreads, InterpolatorPool } from '../src/interpolate/pool.js';
import { interpolateMany } from '../src/interpolate/interp.js';
import { motionSpeed } from '../src/interpolate/timing.js';
import type { Image } from '../src/core/types.js';
import type { Worker } from 'node:worker_threads';

const hasFfmpeg = !spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error;

/** Decoded frames of a video, hashed. */
async function digest(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const f of decode(path)) h.update(f.data);
  return h.digest('hex');
}

/** Decoded frames (mkv states no frame count). */
async function count(path: string): Promise<number> {
  let n = 0;
  for await (const _ of decode(path)) n++;
  return n;
}

function audioCodec(path: string): string {
  return run('ffprobe', ['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', path]).trim();
}

/** Discs slowing into a pose on twos (each step a quarter of the one before, so the middle move eases), then held; a tone as sound. */
async function clip(dir: string): Promise<string> {
  const sc = cartoonScene(320, 180, 0.3);
  const steps = [1, 1 / 4, 1 / 16];
  const total = steps.reduce((a, b) => a + b, 0);
  const silent = join(dir, 'silent.mp4');
  const w = new VideoWriter(silent, 320, 180, 12);
  for (const k of [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]) await w.write(drawScene(sc, steps.slice(0, k).reduce((a, b) => a + b, 0) / total));
  await w.close();
  const path = join(dir, 'in.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', silent, '-f', 'lavfi', '-i', 'sine=f=440:d=2', '-map', '0:v', '-map', '1:a',
    '-c:v', 'copy', '-c:a', 'aac', '-shortest', path]);
  return path;
}

/** A progress reporter that stops the run after `n` decoded frames, as Ctrl-C would. */
function stopAfter(n: number): VideoOptions['progress'] {
  let k = 0;
  return {
    tick: () => {
      if (++k === n) throw new Error('interrupted');
    },
    done: () => undefined,
  } as VideoOptions['progress'];
}

test('a library call that fails before its frames are read leaves no decode, no lock and the caller\'s pool open', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-fail-'));
  const pool = new InterpolatorPool(2);
  try {
    const input = await clip(dir);
    const out = join(dir, 'out.mp4');
    await assert.rejects(interpolateVideo(input, out, { factor: 2, threads: 0, cuts: new Set() }), /threads must be a positive integer/);
    assert.ok(!existsSync(`${out}.lock`), 'the lock is released');
    // A pool the caller passes is theirs: the run uses it and leaves it open.
    const r = await interpolateVideo(input, join(dir, 'pooled.mp4'), { factor: 2, threads: 2, pool, cuts: new Set() });
    assert.equal(r.output, 20);
    const sc = cartoonScene(64, 48), a = drawScene(sc, 0), b = drawScene(sc, 1);
    assert.equal((await pool.interpolate(a, b, [0.5], {}))[0].width, 64);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an interrupted x2 run resumes from its finished parts and gives the same video, sound included', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-resume-'));
  try {
    const input = await clip(dir);
    // Parts of 3 input frames: the eased move (frames 3 -> 4) is in the second part, the move before it in the first.
    const opts: VideoOptions = { factor: 2, partFrames: 3, cuts: new Set() };
    const whole = join(dir, 'whole.mp4');
    const r0 = await interpolateVideo(input, whole, { ...opts, threads: 1 });
    assert.equal(r0.output, 20);
    assert.deepEqual(r0.pairs, { motion: 3, held: 6, cut: 0 });
    assert.equal(r0.eased, 1);
    assert.equal(r0.audio, 'copied');
    assert.equal(audioCodec(whole), 'aac');
    assert.equal(probe(whole).frames, 20);
    assert.ok(!existsSync(`${whole}.parts`), 'parts are removed once joined');

    const out = join(dir, 'out.mp4');
    // Stopped while the eased move waits for the drawing after it: the first part is finished, the second is not.
    // One thread, so the stop point is exact (with more, syntheses in flight when it stops are dropped and redone).
    await assert.rejects(interpolateVideo(input, out, { ...opts, threads: 1, progress: stopAfter(6) }), /interrupted/);
    assert.ok(!existsSync(out), 'no output until every part is done');
    const kept = readdirSync(`${out}.parts`).filter((f) => /^part-\d+\.mp4$/.test(f));
    assert.deepEqual(kept, ['part-00000.mp4'], 'the finished part is kept');

    const r1 = await interpolateVideo(input, out, { ...opts, threads: 2 });
    assert.equal(r1.resumed, 1);
    assert.equal(r1.skipped, 3, 'the finished part is not synthesised again');
    assert.equal(r1.restarted, false);
    assert.deepEqual({ ...r1, resumed: 0, skipped: 0 }, { ...r0 }, 'the resumed run reports the same counts, the eased move included');
    assert.equal(await digest(out), await digest(whole), 'the resumed video is frame for frame the uninterrupted one');
    assert.equal(audioCodec(out), 'aac');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parts made with other settings are redone, not mixed in', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-restart-'));
  try {
    const input = await clip(dir);
    const out = join(dir, 'out.mp4');
    await assert.rejects(interpolateVideo(input, out, { factor: 2, partFrames: 3, cuts: new Set(), threads: 1, progress: stopAfter(6) }), /interrupted/);
    const r = await interpolateVideo(input, out, { factor: 3, partFrames: 4, cuts: new Set() });
    assert.equal(r.restarted, true);
    assert.equal(r.resumed, 0);
    assert.equal(probe(out).frames, 30);
    // Only the encoding quality differs: still redone, and it shows in the file.
    const lossy = join(dir, 'lossy.mp4');
    await interpolateVideo(input, lossy, { factor: 3, partFrames: 4, cuts: new Set(), crf: 40 });
    await assert.rejects(interpolateVideo(input, out, { factor: 3, partFrames: 4, cuts: new Set(), threads: 1, crf: 40, progress: stopAfter(8) }), /interrupted/);
    assert.ok(existsSync(join(`${out}.parts`, 'part-00000.json')), 'the stopped run finished a part');
    const r0 = await interpolateVideo(input, out, { factor: 3, partFrames: 4, cuts: new Set(), crf: 0 });
    assert.equal(r0.restarted, true);
    assert.ok(statSync(out).size > 2 * statSync(lossy).size, `crf 0 (${statSync(out).size} B) vs crf 40 (${statSync(lossy).size} B)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outputs that cannot work fail at once, in one line naming the file', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-bad-'));
  try {
    const input = await clip(dir);
    const opts: VideoOptions = { factor: 2, cuts: new Set() };
    const fails = async (out: string, why: RegExp) =>
      assert.rejects(interpolateVideo(input, out, opts), (e: unknown) => e instanceof ToonscopeError && e.file === out && why.test(e.message) && !e.message.includes('\n'));
    await fails(join(dir, 'out.png'), /use \.mp4/);
    await fails(join(dir, 'no', 'such', 'out.mp4'), /folder .* does not exist/);
    await fails(input, /is the input video/);
    mkdirSync(join(dir, 'folder.mp4'));
    await fails(join(dir, 'folder.mp4'), /is a folder/);
    rmSync(join(dir, 'folder.mp4'), { recursive: true });
    await assert.rejects(interpolateVideo(input, join(dir, 'out.mp4'), { ...opts, crf: 52 }), (e: unknown) => e instanceof ToonscopeError && /crf must be an integer from 0 to 51, got 52/.test(e.message));
    assert.deepEqual(readdirSync(dir).sort(), ['in.mp4', 'silent.mp4'], 'nothing was left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('odd file names, all audio tracks, audio mp4 cannot hold, and audio ffmpeg cannot decode', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-names-'));
  try {
    // ffmpeg reads '#' and '?' in a concat list's path as URL syntax; quotes and spaces need quoting.
    const odd = join(dir, "ep #3? it's");
    mkdirSync(odd);
    const input = join(odd, 'in #1.mp4');
    copyFileSync(await clip(dir), input);
    const out = join(odd, "out #1 it's?.mkv");
    const r = await interpolateVideo(input, out, { factor: 2, cuts: new Set(), partFrames: 4 });
    assert.equal(r.audio, 'copied');
    assert.equal(await count(out), 20);
    assert.equal(audioCodec(out), 'aac');
    // Two PCM tracks in a .mov: both kept; an mp4 cannot hold PCM, so they become AAC.
    const pcm = join(dir, 'pcm.mov');
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-f', 'lavfi', '-i', 'sine=f=220:d=2', '-map', '0:v', '-map', '0:a', '-map', '1:a',
      '-c:v', 'copy', '-c:a', 'pcm_s16le', '-shortest', pcm]);
    const toMp4 = join(dir, 'pcm.mp4');
    const r2 = await interpolateVideo(pcm, toMp4, { factor: 2, cuts: new Set() });
    assert.equal(r2.audio, 're-encoded (aac)');
    assert.equal(audioCodec(toMp4), 'aac\naac');
    const toMkv = join(dir, 'pcm.mkv');
    assert.equal((await interpolateVideo(pcm, toMkv, { factor: 2, cuts: new Set() })).audio, 'copied');
    assert.equal(audioCodec(toMkv), 'pcm_s16le\npcm_s16le');
    // Audio ffmpeg cannot decode (a WavPack packet damaged by the noise filter) in a container mp4 cannot hold it in:
    // neither copy nor AAC works, so the sound is dropped and said so, and the video still comes out whole.
    const bad = join(dir, 'bad.nut'), wv = join(dir, 'wv.nut');
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', '0:v', '-map', '0:a', '-c:v', 'copy', '-c:a', 'wavpack', wv]);
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', wv, '-c', 'copy', '-bsf:a', 'noise=amount=1', bad]);
    // Preconditions, with the ffmpeg toonscope uses: the damaged audio neither decodes, nor re-encodes, nor copies into mp4.
    const fails = (args: string[]) => { const p = spawnSync(tool('ffmpeg'), ['-v', 'error', '-y', ...args]); return !p.error && p.status !== 0; };
    assert.ok(fails(['-xerror', '-i', bad, '-map', '0:a', '-f', 'null', '-']), 'the damaged audio must not decode');
    assert.ok(fails(['-i', bad, '-map', '0:a', '-c:a', 'aac', '-f', 'null', '-']), 'nor re-encode');
    assert.ok(fails(['-i', bad, '-map', '0:a', '-c:a', 'copy', join(dir, 'copy-test.mp4')]), 'nor copy into mp4');
    const dropped = join(dir, 'dropped.mp4');
    const r3 = await interpolateVideo(bad, dropped, { factor: 2, cuts: new Set() });
    assert.equal(r3.audio, 'dropped');
    assert.equal(audioCodec(dropped), '');
    assert.equal(await count(dropped), 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A picture (DVD) subtitle stream as an MPEG program stream (read it with `-f mpeg`): two subpictures of a 32x8 box,
 * at 0.1 s and 0.5 s, each run-length coded as "fill every line with one colour", shown at once and hidden after
 * 20 x 1024/90000 s. ffmpeg cannot turn pictures into text: mp4 takes them as they are, mov not at all.
 */
function dvdSubtitles(path: string): void {
  const w = 32, h = 8, x = 10, y = 10;
  const subpicture = (colour: number) => {
    const pixels = Buffer.from(Array.from({ length: h }, () => [0x00, colour & 3]).flat());
    const top = 4, bottom = 4 + pixels.length / 2, ctrl = 4 + pixels.length;
    const xe = x + w - 1, ye = y + h - 1;
    const show = Buffer.from([0x01, 0x03, 0x32, 0x10, 0x04, 0xff, 0xf0, 0x05, x >> 4, ((x & 15) << 4) | (xe >> 8), xe & 255,
      y >> 4, ((y & 15) << 4) | (ye >> 8), ye & 255, 0x06, top >> 8, top & 255, bottom >> 8, bottom & 255, 0xff]);
    const hideAt = ctrl + 4 + show.length;
    const body = Buffer.concat([Buffer.from([0, 0, hideAt >> 8, hideAt & 255]), show, Buffer.from([0, 20, hideAt >> 8, hideAt & 255, 0x02, 0xff])]);
    const size = ctrl + body.length;
    return Buffer.concat([Buffer.from([size >> 8, size & 255, ctrl >> 8, ctrl & 255]), pixels, body]);
  };
  const pts = (t: number) => Buffer.from([0x21 | ((t >> 29) & 0x0e), (t >> 22) & 0xff, ((t >> 14) & 0xfe) | 1, (t >> 7) & 0xff, ((t << 1) & 0xfe) | 1]);
  const pack = Buffer.from([0x00, 0x00, 0x01, 0xba, 0x44, 0x00, 0x04, 0x00, 0x04, 0x01, 0x01, 0x89, 0xc3, 0xf8]);
  const packets = [0, 1].map((k) => {
    const payload = Buffer.concat([Buffer.from([0x20]), subpicture(1 + k)]), header = Buffer.concat([Buffer.from([0x81, 0x80, 0x05]), pts(9000 + 36000 * k)]);
    const len = header.length + payload.length;
    return Buffer.concat([pack, Buffer.from([0x00, 0x00, 0x01, 0xbd, len >> 8, len & 255]), header, payload]);
  });
  writeFileSync(path, Buffer.concat([...packets, Buffer.from([0x00, 0x00, 0x01, 0xb9])]));
}

test('subtitles: into mkv as they are (with their fonts; mp4 text as ASS), into mp4 text as mov_text and pictures as they are; a stream mov cannot take is dropped alone', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-subs-'));
  try {
    const clipPath = await clip(dir);
    writeFileSync(join(dir, 'subs.ass'), [
      '[Script Info]', 'ScriptType: v4.00+', '', '[V4+ Styles]',
      'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
      'Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1', '', '[Events]',
      'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
      'Dialogue: 0,0:00:00.00,0:00:00.50,Default,,0,0,0,,Hello', '',
    ].join('\n'));
    writeFileSync(join(dir, 'font.ttf'), 'not really a font');
    const input = join(dir, 'in.mkv');
    run('ffmpeg', ['-v', 'error', '-y', '-i', clipPath, '-i', join(dir, 'subs.ass'), '-map', '0', '-map', '1', '-c', 'copy',
      '-attach', join(dir, 'font.ttf'), '-metadata:s:t', 'mimetype=application/x-truetype-font', input]);
    const kinds = (path: string) => run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'csv=p=0', path]).trim().split('\n').sort();
    assert.deepEqual(probe(input).subtitles, ['ass']);
    const mkv = join(dir, 'out.mkv');
    const r = await interpolateVideo(input, mkv, { factor: 2, cuts: new Set() });
    assert.deepEqual(r.subtitles, ['copied']);
    assert.deepEqual(kinds(mkv), ['aac,audio', 'ass,subtitle', 'h264,video', 'ttf,attachment']);
    const mp4 = join(dir, 'out.mp4');
    assert.deepEqual((await interpolateVideo(input, mp4, { factor: 2, cuts: new Set() })).subtitles, ['mov_text']);
    assert.deepEqual(kinds(mp4), ['aac,audio', 'h264,video', 'mov_text,subtitle']);
    assert.deepEqual((await interpolateVideo(clipPath, join(dir, 'plain.mp4'), { factor: 2, cuts: new Set() })).subtitles, []);
    // mp4's own text subtitles (mov_text) cannot go into mkv as they are: they become ASS.
    assert.deepEqual((await interpolateVideo(mp4, join(dir, 'back.mkv'), { factor: 2, cuts: new Set() })).subtitles, ['ass']);
    assert.deepEqual(kinds(join(dir, 'back.mkv')), ['aac,audio', 'ass,subtitle', 'h264,video']);
    // Picture subtitles: mkv and mp4 take them as they are, mov does not (dropped, and said so; the video and sound whole).
    dvdSubtitles(join(dir, 'subs.mpg'));
    const pictures = join(dir, 'pictures.mkv');
    run('ffmpeg', ['-v', 'error', '-y', '-i', clipPath, '-f', 'mpeg', '-i', join(dir, 'subs.mpg'), '-map', '0', '-map', '1', '-c', 'copy', pictures]);
    assert.deepEqual(probe(pictures).subtitles, ['dvd_subtitle']);
    const shown = (path: string) => run('ffprobe', ['-v', 'error', '-select_streams', 's', '-show_entries', 'subtitle=num_rects', '-of', 'csv=p=0', path]).trim().split('\n').filter((l) => l === '1').length;
    assert.equal(shown(pictures), 2, 'both subpictures decode');
    const sub = async (input: string, out: string) => (await interpolateVideo(input, join(dir, out), { factor: 2, cuts: new Set() })).subtitles;
    assert.deepEqual(await sub(pictures, 'pictures-out.mkv'), ['copied']);
    assert.equal(shown(join(dir, 'pictures-out.mkv')), 2);
    assert.deepEqual(await sub(pictures, 'pictures-out.mp4'), ['copied']);
    assert.deepEqual(kinds(join(dir, 'pictures-out.mp4')), ['aac,audio', 'dvd_subtitle,subtitle', 'h264,video']);
    // (ffmpeg 5.1's mp4 writer gives the last subpicture of a stream whose packets carry no duration none, and does not
    // read it back: mp4 keeps at least the first here, mkv both.)
    assert.ok(shown(join(dir, 'pictures-out.mp4')) >= 1);
    assert.deepEqual(await sub(pictures, 'pictures-out.mov'), ['dropped']);
    assert.deepEqual(kinds(join(dir, 'pictures-out.mov')), ['aac,audio', 'h264,video']);
    assert.equal(await count(join(dir, 'pictures-out.mov')), 20);
    // Text and pictures together: each its own way; a stream the container refuses does not cost the others.
    const both = join(dir, 'both.mkv');
    run('ffmpeg', ['-v', 'error', '-y', '-i', input, '-f', 'mpeg', '-i', join(dir, 'subs.mpg'), '-map', '0', '-map', '1', '-c', 'copy', both]);
    assert.deepEqual(await sub(both, 'both.mp4'), ['mov_text', 'copied']);
    assert.deepEqual(kinds(join(dir, 'both.mp4')), ['aac,audio', 'dvd_subtitle,subtitle', 'h264,video', 'mov_text,subtitle']);
    assert.deepEqual(await sub(both, 'both.mov'), ['mov_text', 'dropped']);
    assert.deepEqual(kinds(join(dir, 'both.mov')), ['aac,audio', 'h264,video', 'mov_text,subtitle']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('giving a default explicitly resumes; parts that do not add up are kept, not joined', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-defaults-'));
  try {
    const input = await clip(dir);
    const out = join(dir, 'out.mp4');
    const opts: VideoOptions = { factor: 2, partFrames: 3, cuts: new Set(), threads: 1 };
    await assert.rejects(interpolateVideo(input, out, { ...opts, progress: stopAfter(6) }), /interrupted/);
    await assert.rejects(interpolateVideo(input, out, { ...opts, interp: { workSize: 448 }, lookahead: 12, progress: stopAfter(6) }), /interrupted/);
    const part = join(`${out}.parts`, 'part-00000.json');
    const stats = JSON.parse(readFileSync(part, 'utf8'));
    writeFileSync(part, JSON.stringify({ ...stats, frames: stats.frames + 1 }));
    await assert.rejects(interpolateVideo(input, out, { ...opts, interp: { workSize: 448 } }),
      (e: unknown) => e instanceof ToonscopeError && e.file === out && /hold 21 frames .* gives 20; nothing was joined/.test(e.message));
    assert.ok(existsSync(part) && existsSync(join(`${out}.parts`, 'part-00001.json')), 'every finished part is kept');
    assert.ok(!existsSync(out));
    writeFileSync(part, JSON.stringify(stats));
    const r = await interpolateVideo(input, out, opts);
    assert.equal(r.restarted, false, 'the default given explicitly is the same setting');
    assert.equal(r.resumed, 4, 'all four parts: the refused join had finished the last two');
    assert.equal(probe(out).frames, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('to a frame rate that is not a multiple (12 -> 30 fps): same duration and sound, and it resumes across uneven parts', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-fps-'));
  try {
    const input = await clip(dir);
    const factor = factorFor(input, '30');
    assert.deepEqual(factor, { num: 5, den: 2 });
    // Parts of 3 input frames hold 8, 7, 8 and 2 output frames.
    const opts: VideoOptions = { factor, partFrames: 3, cuts: new Set(), threads: 1 };
    const whole = join(dir, 'whole.mp4');
    const r0 = await interpolateVideo(input, whole, opts);
    assert.equal(r0.output, 25);
    assert.equal(r0.fps, '30');
    assert.equal(await count(whole), 25);
    // Within one output frame (the last input frame's display time ends between two output frames).
    assert.ok(Math.abs(probe(whole).duration - probe(input).duration) <= 1 / 30 + 0.005, `${probe(whole).duration} s vs ${probe(input).duration} s`);
    assert.equal(r0.audio, 'copied');
    const out = join(dir, 'out.mp4');
    await assert.rejects(interpolateVideo(input, out, { ...opts, progress: stopAfter(8) }), /interrupted/);
    const r1 = await interpolateVideo(input, out, { ...opts, threads: 2 });
    assert.ok(r1.resumed >= 1 && !r1.restarted, JSON.stringify(r1));
    assert.equal(await digest(out), await digest(whole), 'the resumed video is frame for frame the uninterrupted one');
    assert.throws(() => factorFor(input, '10'), (e: unknown) => e instanceof ToonscopeError && /already 12\/1 fps; the output rate 10 must be higher/.test(e.message));
    assert.throws(() => factorFor(input, 'fast'), (e: unknown) => e instanceof ToonscopeError && /not a number or a fraction/.test(e.message));
    assert.throws(() => factorFor(input, '400'), (e: unknown) => e instanceof ToonscopeError && e.file === input && /--fps 400 would be over 16 times/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a variable frame rate is a clear error, not a video shorter than its sound', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-vfr-'));
  try {
    // One second at 24 fps, then one at 12 fps, in a container that states 24 fps.
    const enc = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
    run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x90:r=24:d=1', ...enc, join(dir, 'a.mkv')]);
    run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x90:r=12:d=1', ...enc, join(dir, 'b.mkv')]);
    writeFileSync(join(dir, 'list.txt'), "file 'a.mkv'\nfile 'b.mkv'\n");
    const vfr = join(dir, 'vfr.mkv');
    run('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', join(dir, 'list.txt'), '-c', 'copy', vfr]);
    assert.equal(probe(vfr).fpsText, '24/1');
    const vfrError = (e: unknown) => e instanceof ToonscopeError && e.file === vfr && /variable frame rate: frame 2\d is at 1\.\d+ s, not 1\.\d+ s .* -fps_mode cfr/.test(e.message) && !e.message.includes('\n');
    // Found by the shot detection's decode, before its cuts are kept for a resume that cannot come; and by the main decode.
    await assert.rejects(interpolateVideo(vfr, join(dir, 'out.mkv'), { factor: 2, threads: 1 }), vfrError);
    assert.ok(!existsSync(join(dir, 'out.mkv.parts')), 'nothing kept');
    await assert.rejects(interpolateVideo(vfr, join(dir, 'out.mkv'), { factor: 2, cuts: new Set(), threads: 1 }), vfrError);
    assert.ok(!existsSync(join(dir, 'out.mkv')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C on the CLI says where the finished parts are; the same command then resumes', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-interp-sigint-'));
  try {
    const input = await clip(dir);
    const out = join(dir, 'out.mp4');
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    // One thread and parts of 2 frames: the first part is done long before the last (the eased move waits for its next drawing).
    const args = [cli, 'interpolate', input, '-x', '2', out, '--part-frames', '2', '--threads', '1'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const closed = new Promise((r) => child.on('close', r));
    let exited = false;
    void closed.then(() => (exited = true));
    // Stopped once the first part is finished (the run is under way and has work to keep).
    while (!existsSync(join(`${out}.parts`, 'part-00000.json')) && !exited) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const code = await closed;
    assert.equal(code, 130, err);
    assert.match(err, /stopped \(SIGINT\); finished parts are kept in .*out\.mp4\.parts\/: run the same command to resume/);
    assert.ok(!existsSync(out));
    const again = spawnSync(process.execPath, [...args, '--json'], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const report = JSON.parse(again.stdout);
    assert.ok(report.resumed >= 1, `resumed ${report.resumed} part(s)`);
    assert.equal(report.restarted, false);
    assert.equal(probe(out).frames, 20);
    assert.ok(!existsSync(`${out}.parts`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker threads give the same frames in the same order as the main thread', async () => {
  const sc = cartoonScene(160, 90, 0.3), other = { ...cartoonScene(160, 90, 0.3), background: [230, 60, 200] as [number, number, number] };
  // Moves, holds, a cut and moves again: held slots queue behind syntheses still in flight.
  const frames = [0, 0.1, 0.1, 0.3, 0.5, 0.5, 0.5, 0.6].map((t) => drawScene(sc, t)).concat([0.2, 0.4, 0.4, 0.7].map((t) => drawScene(other, t)));
  const runWith = async (threads: number) => {
    const got: { hash: string; kind: string; index: number }[] = [];
    const r = await inbetweenStream((async function* () { yield* frames; })(), { factor: 3, threads }, async (img, kind, info) => {
      got.push({ hash: createHash('sha1').update(img.data).digest('hex'), kind, index: info.index });
    });
    return { got, r };
  };
  const one = await runWith(1), two = await runWith(2);
  assert.equal(one.got.length, frames.length * 3);
  assert.ok(one.r.pairs.motion >= 5 && one.r.pairs.held >= 3 && one.r.pairs.cut === 1, JSON.stringify(one.r.pairs));
  assert.deepEqual(two.got, one.got);
  assert.deepEqual(two.r, one.r);
});

test('the pool reports a bad pair as the same one-line error as the main thread, and keeps working', async () => {
  const pool = new InterpolatorPool(2);
  try {
    const a = drawScene(cartoonScene(64, 48, 0.3), 0), b = drawScene(cartoonScene(80, 48, 0.3), 0);
    await assert.rejects(pool.interpolate(a, b, [0.5]), (e: unknown) => e instanceof ToonscopeError && /differ in size/.test(e.message));
    const [mid] = await pool.interpolate(a, drawScene(cartoonScene(64, 48, 0.3), 0.2), [0.5]);
    assert.equal(mid.width, 64);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.interpolate(drawScene(cartoonScene(64, 48, 0.3), 0), drawScene(cartoonScene(64, 48, 0.3), 0.2), [0.5]), /closed/);
});

test('a worker that dies while idle is replaced, and the pool does not hang', { timeout: 120_000 }, async () => {
  const pool = new InterpolatorPool(1);
  try {
    const a = drawScene(cartoonScene(64, 48, 0.3), 0), c = drawScene(cartoonScene(64, 48, 0.3), 0.2);
    const [first] = await pool.interpolate(a, c, [0.5]);
    const idle = (pool as unknown as { idle: Worker[] }).idle;
    assert.equal(idle.length, 1);
    await idle[0].terminate();
    const [again] = await pool.interpolate(a, c, [0.5]);
    assert.deepEqual(again.data, first.data);
  } finally {
    await pool.close();
  }
});

test('with threads, a long hold behind a synthesis in flight is not read ahead without bound', { timeout: 120_000 }, async () => {
  const sc = cartoonScene(96, 64, 0.3);
  const frames = [drawScene(sc, 0), ...Array.from({ length: 120 }, () => drawScene(sc, 0.3))];
  let read = 0, readAtFirst = -1;
  const src = (async function* () {
    for (const f of frames) {
      read++;
      yield f;
    }
  })();
  const r = await inbetweenStream(src, { factor: 2, threads: 2 }, async () => {
    if (readAtFirst < 0) readAtFirst = read;
  });
  assert.equal(r.output, frames.length * 2);
  // The first synthesis starts a worker (seconds); meanwhile at most the lookahead queue and 8 slots per thread wait.
  assert.ok(readAtFirst > 0 && readAtFirst <= 13 + 16 + 2, `read ${readAtFirst} frames before the first was written`);
});

test('started workers measure ease speeds and synthesise from frames in shared memory as this thread does, and leave those frames as they were', { timeout: 120_000 }, async () => {
  const sc = cartoonScene(96, 64, 0.3);
  const a = drawScene(sc, 0), c = drawScene(sc, 0.3);
  const shared = (img: Image): Image => {
    const d = new Uint8Array(new SharedArrayBuffer(img.data.length));
    d.set(img.data);
    return { ...img, data: d };
  };
  const pool = new InterpolatorPool(2).start();
  try {
    // Every worker is there before the first pair.
    assert.equal((pool as unknown as { idle: Worker[] }).idle.length, 2);
    const sa = shared(a), sc2 = shared(c);
    const [speed, [mid]] = await Promise.all([pool.speed(sa, sc2), pool.interpolate(sa, sc2, [0.5])]);
    assert.ok(speed > 0);
    assert.equal(speed, await motionSpeed(a, c));
    assert.deepEqual(mid.data, (await interpolateMany(a, c, [0.5]))[0].data);
    assert.deepEqual(sa.data, a.data);
    assert.deepEqual(sc2.data, c.data);
    // Plain frames go over as shared copies, made once per frame: the caller's own arrays stay its own.
    const [again] = await pool.interpolate(a, c, [0.5]);
    assert.deepEqual(again.data, mid.data);
    assert.ok(!(a.data.buffer instanceof SharedArrayBuffer));
  } finally {
    await pool.close();
  }
});

test('with workers, a pair waits in the queue for each worker busy with one, and no more are handed over', { timeout: 120_000 }, async () => {
  class Counting extends InterpolatorPool {
    now = 0;
    most = 0;
    override async interpolate(...args: Parameters<InterpolatorPool['interpolate']>): Promise<Image[]> {
      this.most = Math.max(this.most, ++this.now);
      try {
        return await super.interpolate(...args);
      } finally {
        this.now--;
      }
    }
  }
  const sc = cartoonScene(96, 64, 0.3);
  const frames = Array.from({ length: 12 }, (_, k) => drawScene(sc, k / 11));
  const hashes = async (threads: number, pool?: InterpolatorPool) => {
    const got: string[] = [];
    await inbetweenStream((async function* () { yield* frames; })(), { factor: 2, threads, pool, ease: false }, async (img) => {
      got.push(createHash('sha1').update(img.data).digest('hex'));
    });
    return got;
  };
  const pool = new Counting(2).start();
  try {
    const two = await hashes(2, pool);
    // 11 motion pairs, read much faster than two workers synthesise them: 2 in the workers, 2 waiting.
    assert.equal(pool.most, 4);
    assert.deepEqual(two, await hashes(1));
  } finally {
    await pool.close();
  }
});

test('decoding into shared memory gives the same frames, in SharedArrayBuffers; a file probed by relative and absolute name is one file', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toonscope-shared-'));
  try {
    const path = await clip(dir);
    const plain: string[] = [];
    for await (const f of decode(path)) plain.push(createHash('sha1').update(f.data).digest('hex'));
    const shared: string[] = [];
    for await (const f of decode(path, { shared: true })) {
      assert.ok(f.data.buffer instanceof SharedArrayBuffer);
      shared.push(createHash('sha1').update(f.data).digest('hex'));
    }
    assert.equal(plain.length, 10);
    assert.deepEqual(shared, plain);
    // The parts keep the input's absolute name: the join at the end finds the probe of the start (its own name back).
    const relName = relative(process.cwd(), path);
    assert.equal(probe(relName).path, relName);
    assert.equal(probe(path).path, path);
    assert.deepEqual({ ...probe(relName), path: '' }, { ...probe(path), path: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('default threads: one per core, no more than fit in memory; frames too large for the machine are refused', () => {
  const GB = 1e9;
  assert.equal(defaultThreads(1280, 720, 2, 24 * GB), 2);
  assert.equal(defaultThreads(1280, 720, 16, 24 * GB), 8, 'at most 8');
  assert.equal(defaultThreads(7680, 4320, 8, 16 * GB), 2, '8K on 16 GB');
  assert.equal(defaultThreads(7680, 4320, 8, 5 * GB), 1);
  assert.throws(() => defaultThreads(7680, 4320, 8, 4 * GB), (e: unknown) => e instanceof ToonscopeError && /7680x4320 need about 4\.4 GB .* has 4\.0 GB; scale them down/.test(e.message));
});
