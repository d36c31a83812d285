// Reliability on awkward inputs and conditions (issue 17, items 2, 9, 10, 11): sizes that cannot be analysed,
// stopping on SIGTERM without leaving ffmpeg behind, rotated phone videos, 1-frame and truncated files, two
// interpolate runs on one output, a full disk. Commands run as real CLI child processes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { run } from '../src/core/ffmpeg.js';
import { decode, probe } from '../src/core/video.js';
import type { Frame } from '../src/core/types.js';
import { sampleClip, tmp, truncatedClip } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function start(args: string[]): { child: ChildProcess; done: Promise<Run>; err: () => string } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<Run>((ok) => child.on('close', (code, signal) => ok({ code, signal, stdout, stderr })));
  return { child, done, err: () => stderr };
}
const cli = (...args: string[]) => start(args).done;

const ff = (...args: string[]) => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

/** The last line of a run's stderr that is not a progress line. */
const lastError = (r: Run) => r.stderr.trim().split('\n').filter((l) => l.startsWith('toonscope:')).at(-1) ?? '';

/** Child processes of `pid` (from /proc), e.g. the ffmpeg decoders a command started. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const running = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 50));
}

test('a video 1 pixel wide or high is a one-line error in every command, not an endless loop', { timeout: 300_000 }, async () => {
  const tall = join(tmp, 'one-wide.mkv'), flat = join(tmp, 'one-high.mkv');
  ff('-f', 'lavfi', '-i', 'testsrc2=s=2x64:r=12:d=1', '-vf', 'format=gray,crop=1:64', '-c:v', 'ffv1', tall);
  ff('-f', 'lavfi', '-i', 'testsrc2=s=64x2:r=12:d=1', '-vf', 'format=gray,crop=64:1', '-c:v', 'ffv1', flat);
  // Every command on the 1-pixel-wide clip; one on the 1-pixel-high one (the check is the same probe).
  for (const [file, size, cmds] of [[tall, '1x64', ['shots', 'characters', 'analyze', 'interpolate']], [flat, '64x1', ['shots']]] as const) {
    for (const args of cmds.map((c) => (c === 'interpolate' ? [c, file, join(tmp, 'one-out.mp4')] : [c, file]))) {
      const r = await cli(...args, '-w', join(tmp, 'ws-tiny'));
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.equal(lastError(r), `toonscope: ${file}: is ${size} pixels: too small to analyse (each side needs at least 2 pixels)`, args[0]);
    }
  }
});

test('SIGTERM stops shots and interpolate at once, with no ffmpeg left behind, keeping finished parts', { timeout: 300_000 }, async () => {
  const clip = join(tmp, 'long.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=24:d=40', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip);
  for (const args of [['shots', clip, '-w', join(tmp, 'ws-term'), '--no-sheet'], ['interpolate', clip, join(tmp, 'term.mp4'), '--part-frames', '8', '--threads', '1']]) {
    const s = start(args);
    // Stopped while it decodes: once its ffmpeg is running and it has reported progress.
    let seen: number[] = [];
    await until(() => (seen = childrenOf(s.child.pid!)).length > 0 && /\d+\/\d+/.test(s.err()));
    s.child.kill('SIGTERM');
    const r = await s.done;
    assert.equal(r.code, 143, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /stopped \(SIGTERM\)/);
    await until(() => seen.every((p) => !running(p)));
    if (args[0] === 'interpolate') {
      assert.ok(existsSync(join(tmp, 'term.mp4.parts')), 'the parts folder is kept');
      assert.ok(!existsSync(join(tmp, 'term.mp4.lock')), 'the output lock is given back');
    } else assert.ok(!existsSync(join(tmp, 'ws-term', 'toonscope.lock')), 'the workspace lock is given back');
  }
});

/** Mean absolute difference of two same-sized frames. */
function diff(a: Frame, b: Frame): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
  return s / a.data.length;
}

async function firstFrame(path: string): Promise<Frame> {
  for await (const f of decode(path)) return f;
  throw new Error('no frame');
}

test('a phone video with rotation metadata is analysed and interpolated at its displayed size, upright', { timeout: 300_000 }, async () => {
  const plain = join(tmp, 'landscape.mp4'), rot = join(tmp, 'portrait.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=12:d=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', plain);
  // The coded picture stays 160x90; the stream says to show it turned a quarter.
  ff('-i', plain, '-c', 'copy', '-metadata:s:v', 'rotate=90', rot);
  const info = probe(rot);
  assert.deepEqual([info.width, info.height, Math.abs(info.rotation ?? 0)], [90, 160, 90]);
  const upright = await firstFrame(rot);
  assert.deepEqual([upright.width, upright.height], [90, 160]);
  // The decoded frame is the coded one turned, not squashed: it matches one of the two quarter turns of the plain frame.
  const flat = await firstFrame(plain);
  const turn = (cw: boolean): Frame => {
    const data = new Uint8Array(flat.data.length);
    for (let y = 0; y < 160; y++) for (let x = 0; x < 90; x++) {
      const sx = cw ? y : 159 - y, sy = cw ? 89 - x : x;
      data.set(flat.data.subarray((sy * 160 + sx) * 3, (sy * 160 + sx) * 3 + 3), (y * 90 + x) * 3);
    }
    return { ...flat, width: 90, height: 160, data };
  };
  assert.ok(Math.min(diff(upright, turn(true)), diff(upright, turn(false))) < 4, 'upright frame is the turned picture');

  const shots = await cli('shots', rot, '-w', join(tmp, 'ws-rot'));
  assert.equal(shots.code, 0, shots.stderr);
  const sheet = await sharp(readFileSync(join(tmp, 'ws-rot', 'shots', 'portrait', 'thumbs', 'shot-000.jpg'))).metadata();
  assert.ok(sheet.height! > sheet.width!, `thumbnail ${sheet.width}x${sheet.height} is portrait`);

  const out = join(tmp, 'portrait-x2.mp4');
  const ip = await cli('interpolate', rot, '-x', '2', out, '--threads', '1');
  assert.equal(ip.code, 0, ip.stderr);
  const o = probe(out);
  assert.deepEqual([o.width, o.height], [90, 160], 'the output shows as the input does');
  assert.ok(diff(await firstFrame(out), upright) < 6, 'and the same way up');
});

test('characters on a valid 1-frame video analyses its frame', { timeout: 300_000 }, async () => {
  const one = join(tmp, 'single.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24', '-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', one);
  const r = await cli('characters', one, '-w', join(tmp, 'ws-one'), '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout)[0].frames, 1);
});

test('analyze warns about a truncated file as shots does, also when shots read it first', { timeout: 300_000 }, async () => {
  const cut = truncatedClip(true);
  const fresh = await cli('analyze', cut, '-w', join(tmp, 'ws-trunc-a'), '--no-refine', '--no-learn');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stderr, /toonscope: warning: .*truncated-faststart\.mp4: decoded \d+ of \d+ frames; the file looks truncated or damaged/);
  const dir = join(tmp, 'ws-trunc-b');
  assert.equal((await cli('shots', cut, '-w', dir, '--no-sheet')).code, 0);
  const later = await cli('analyze', cut, '-w', dir, '--no-refine', '--no-learn');
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stderr, /toonscope: warning: .*decoded \d+ of \d+ frames; the file looks truncated or damaged/);
});

test('interpolate warns about a truncated file as shots does (its output is short)', { timeout: 300_000 }, async () => {
  const cut = truncatedClip(true);
  const r = await cli('interpolate', cut, join(tmp, 'trunc-x2.mp4'), '-w', join(tmp, 'ws-trunc-i'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /toonscope: warning: .*truncated-faststart\.mp4: decoded \d+ of \d+ frames; the file looks truncated or damaged/);
});

test('a path of the wrong kind is one line naming it; a 20000 x 1 image is looked at, not an internal error', { timeout: 300_000 }, async () => {
  const file = join(tmp, 'not-a-folder.png');
  writeFileSync(file, 'x');
  const out = await cli('shots', sampleClip().path, '--out', file, '-w', join(tmp, 'ws-kind'));
  assert.equal(out.code, 1);
  assert.equal(lastError(out), `toonscope: ${file}: is a file, expected a folder`);
  // Below it: the file in the way is named, not the folder that cannot be.
  const below = await cli('shots', sampleClip().path, '--out', join(file, 'sub'), '-w', join(tmp, 'ws-kind'));
  assert.equal(lastError(below), `toonscope: ${file}: is a file, expected a folder (for ${join(file, 'sub')})`);
  const dir = join(tmp, 'a-folder');
  mkdirSync(dir, { recursive: true });
  const truth = await cli('eval', 'shots', '--truth', dir);
  assert.equal(truth.code, 1);
  assert.match(lastError(truth), /a-folder: is a folder, expected a truth file/);
  for (const [w, h] of [[20000, 1], [1, 20000]]) {
    const strip = join(tmp, `strip-${w}x${h}.png`);
    await sharp({ create: { width: w, height: h, channels: 3, background: 'red' } }).png().toFile(strip);
    for (const cmd of ['characters', 'comics']) {
      const r = await cli(cmd, strip, '-w', join(tmp, `ws-strip-${cmd}`));
      assert.equal(r.code, 0, `${cmd} ${w}x${h}: ${r.stderr}`);
    }
  }
});

test('interpolate calls a constant-rate file with a damaged stretch damaged, not variable-rate', { timeout: 300_000 }, async () => {
  const full = join(tmp, 'cfr-audio.mp4'), cut = join(tmp, 'cfr-damaged.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=24:d=4', '-f', 'lavfi', '-i', 'sine=d=4', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', '-movflags', '+faststart', full);
  // Three quarters of the file: with audio interleaved, the decoder loses frames inside the video, not only at its end.
  const bytes = readFileSync(full);
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.75)));
  const r = await cli('interpolate', cut, join(tmp, 'cfr-x2.mp4'), '--threads', '1');
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /variable frame rate/);
  assert.match(lastError(r), /cfr-damaged\.mp4: is damaged: frames are missing before [\d.]+ s .*ffmpeg: .*\); repair or re-encode it first/);
});

test('a second interpolate to the same output is refused with one line naming the first; the first finishes', { timeout: 300_000 }, async () => {
  const clip = join(tmp, 'pair.mp4'), out = join(tmp, 'pair-x2.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=12:d=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip);
  const first = start(['interpolate', clip, out, '--threads', '1']);
  // Stopped once it has begun writing (its parts folder exists), so the second run meets it mid-way.
  await until(() => existsSync(join(`${out}.parts`, 'job.json')));
  first.child.kill('SIGSTOP');
  const second = await cli('interpolate', clip, out, '--threads', '1');
  first.child.kill('SIGCONT');
  assert.equal(second.code, 1);
  assert.match(lastError(second), new RegExp(`^toonscope: ${out}: is being written by another toonscope interpolate: process ${first.child.pid} on .* since .*\\(interpolate\\); wait for it to finish or stop it$`));
  const r = await first.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(probe(out).frames, 48);
  assert.ok(!existsSync(`${out}.lock`));
});

const mnt = join(tmp, 'full-disk');
let mounted = false;
after(() => {
  if (mounted) spawnSync('umount', [mnt]);
});

test('a full disk is one line naming the folder, and leaves no partial file', { timeout: 300_000 }, async (t) => {
  mkdirSync(mnt, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.skip(`cannot mount a small tmpfs here (${(m.stderr || m.error?.message || 'not permitted').trim()})`);
    return;
  }
  mounted = true;
  // Five shots: a contact sheet of some 100 KB.
  const clip = sampleClip().path;
  const fill = (kb: number) => writeFileSync(join(mnt, 'filler'), Buffer.alloc(kb * 1024));

  // The contact sheet does not fit: no half-written sheet.png (or temp file) is left.
  fill(1950);
  const out = join(mnt, 'out');
  const sheet = await cli('shots', clip, '-w', join(tmp, 'ws-disk'), '--out', out);
  assert.equal(sheet.code, 1, sheet.stderr);
  assert.equal(lastError(sheet), `toonscope: ${out}: the disk is full (writing sheet.png); free some space and run the command again (finished work is kept)`);
  assert.deepEqual(readdirSync(out).filter((f) => /sheet\.png|\.part$/.test(f)), []);

  // The workspace database does not fit.
  fill(1800);
  const ws = join(mnt, 'ws');
  const db = await cli('shots', clip, '-w', ws, '--no-sheet');
  assert.equal(db.code, 1, db.stderr);
  assert.equal(lastError(db), `toonscope: ${ws}: the disk is full; free some space and run the command again (finished work is kept)`);
  assert.doesNotMatch(db.stderr, /internal error/);
});
