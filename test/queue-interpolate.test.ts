// `interpolate --queue` end to end: Debian's redis-server on a free port, two
// `toonscope worker` child processes, the coordinator as a CLI child process.
// The parts come back through Redis and the joined file must be the file a
// local run writes, byte for byte (same machine, so the same x264 threads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/core/ffmpeg.js';
import { decode, VideoWriter } from '../src/core/video.js';
import type { Image } from '../src/core/types.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { interpolatePart, partStarts, type PartOptions } from '../src/interpolate/video.js';
import { PartsWriter } from '../src/interpolate/parts.js';
import { detectShots } from '../src/shots/detect.js';
import { hasRedisServer, localRedis } from '../src/queue/local-redis.js';
import { queueStatus } from '../src/queue/status.js';
import { Roots, checkJob, PROTOCOL } from '../src/queue/jobs.js';
import type { QueuedInterpolateReport } from '../src/queue/interpolate.js';
import { tmp } from './fixtures.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const needRedis = !hasRedisServer() && process.env.TOONSCOPE_E2E !== '1' && 'redis-server not installed (apt-get install redis-server)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 12 fps with a tone: a move on twos that slows into a pose, a hold of 60 frames (longer than a part's warm-up), a
 * move on ones, then a cut to another shot (the colours inverted) moving on twos. 88 frames.
 */
async function clip(dir: string): Promise<string> {
  const sc = cartoonScene(320, 180, 0.3);
  const invert = (img: Image): Image => ({ ...img, data: img.data.map((v) => 255 - v) });
  const a = [0, 0, 0.4, 0.4, 0.55, 0.55, 0.6, 0.6, ...Array(60).fill(0.6), 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];
  const b = [0, 0, 0.15, 0.15, 0.35, 0.35, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
  const silent = join(dir, 'silent.mp4');
  const w = new VideoWriter(silent, 320, 180, 12);
  for (const t of a) await w.write(drawScene(sc, t));
  for (const t of b) await w.write(invert(drawScene(sc, t)));
  await w.close();
  const path = join(dir, 'in.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', silent, '-f', 'lavfi', '-i', 'sine=f=440:d=8', '-map', '0:v', '-map', '1:a',
    '-c:v', 'copy', '-c:a', 'aac', '-shortest', path]);
  return path;
}

async function digest(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const f of decode(path)) h.update(f.data);
  return h.digest('hex');
}

function startWorker(url: string, name: string, allow: string): ChildProcess {
  const p = spawn(process.execPath, [cli, 'worker', '--queue', url, '--allow', allow, '--name', name, '--lock-seconds', '4'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TOONSCOPE_QUIET: '1' } });
  p.stderr!.on('data', () => undefined);
  return p;
}

/** Run the CLI as a child process; resolves with its exit code and stdout. */
function cliRun(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TOONSCOPE_QUIET: '1' } });
    let out = '', err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('close', (code) => res({ code, out, err }));
  });
}

test('queue: part jobs are checked like episode jobs; part starts go back by four each time and end at frame 0', () => {
  const root = join(tmp, 'parts-allowed');
  mkdirSync(root, { recursive: true });
  const times = Array.from({ length: 1000 }, (_, i) => 3 + i / 24);
  const starts = partStarts(10, 48, times);
  assert.deepEqual(starts.map((s) => s.frame), [480 - 48, 480 - 192, 0]);
  assert.deepEqual(starts[0].between, [times[431], times[432]]);
  const job = { v: PROTOCOL, kind: 'interpolate', run: 'r', source: join(root, 'in.mp4'), part: 10, starts,
    params: { factor: { num: 5, den: 2 }, crf: 18, partFrames: 48, ease: true, encoderThreads: 3, cuts: [5, 90], size: 1000 } };
  assert.equal((checkJob(job) as { part: number }).part, 10);
  assert.throws(() => checkJob({ ...job, starts: starts.slice(0, 1) }), /ending at frame 0/);
  assert.throws(() => checkJob({ ...job, params: { ...job.params, learned: '../../x.onnx' } }), /learned/);
  assert.throws(() => checkJob({ ...job, params: { ...job.params, cuts: ['1; rm -rf /'] } }), /cuts/);
  assert.throws(() => new Roots([root]).check('/etc/passwd'), /outside the roots/);
});

test('one part alone: the same bytes from a warm-up start, from frame 0, and after a seek that lands elsewhere', async () => {
  const dir = join(tmp, 'interp-part');
  mkdirSync(dir, { recursive: true });
  const input = await clip(dir);
  const shots = await detectShots(input);
  const times = Array.from(shots.times);
  const base: Omit<PartOptions, 'part' | 'starts'> = { factor: { num: 5, den: 2 }, partFrames: 10, cuts: new Set(shots.shots.slice(1).map((s) => s.start)), threads: 1 };
  const make = async (name: string, part: number, starts: PartOptions['starts']) => {
    const out = join(dir, `${name}.mp4`);
    const r = await interpolatePart(input, out, { ...base, part, starts });
    return { start: r.start, frames: r.frames, bytes: readFileSync(PartsWriter.fileIn(out, part)) };
  };
  // Part 7 (frames 70-79): the warm-up from 22 sees the move on ones; part 6 (60-69) sees only the hold and goes back to 0.
  const warm = await make('warm7', 7, partStarts(7, 10, times));
  const zero = await make('zero7', 7, [{ frame: 0 }]);
  // Times that do not match what the decode finds there (as if the file's timestamps were off): not trusted.
  const lost = await make('lost7', 7, [{ frame: 22, between: [times[21], times[22] - 0.6 / 12] }, { frame: 0 }]);
  assert.deepEqual([warm.start, zero.start, lost.start], [22, 0, 0], 'a seek that lands on another frame starts from frame 0 instead');
  assert.equal(warm.frames, 25, '10 input frames at 5/2');
  assert.ok(warm.bytes.equals(zero.bytes) && lost.bytes.equals(zero.bytes), 'the part does not depend on where decoding started');
  const hold = await make('hold6', 6, partStarts(6, 10, times));
  assert.equal(hold.start, 0, 'a warm-up inside a long hold goes back to frame 0');
});

test('queue: interpolate --queue on two workers writes the file a local run writes, byte for byte', { skip: needRedis, timeout: 600_000 }, async () => {
  const dir = join(tmp, 'interp-queue');
  mkdirSync(dir, { recursive: true });
  const input = await clip(dir);
  const args = ['--fps', '30', '--part-frames', '10', '--quiet'];
  const local = join(dir, 'local.mp4');
  const t = await cliRun(['interpolate', input, local, ...args]);
  assert.equal(t.code, 0, t.err);

  const redis = await localRedis();
  const workers = [startWorker(redis.url, 'wA', dir), startWorker(redis.url, 'wB', dir)];
  try {
    // Both workers listening before the parts are queued, so both take some.
    for (let i = 0; i < 200 && (await queueStatus(redis.url)).workers.length < 2; i++) await sleep(100);
    const queued = join(dir, 'queued.mp4');
    const q = await cliRun(['interpolate', input, queued, ...args, '--queue', redis.url, '--json']);
    assert.equal(q.code, 0, q.err);
    const r = JSON.parse(q.out) as QueuedInterpolateReport;
    assert.equal(r.input, 88);
    assert.equal(r.output, 220, '88 frames at 12 fps to 30 fps');
    assert.equal(r.parts.length, 9);
    assert.ok(r.parts.every((p) => p.state === 'done'));
    assert.deepEqual(new Set(r.parts.map((p) => p.worker)), new Set(['wA', 'wB']), 'both workers made parts');
    // Warm-up of 48 frames: part 5 (frames 50-59) starts at 2 and sees the drawings change at 4 and 6; part 6 (60-69)
    // sees only the hold from 12 on, so it goes back to frame 0; part 7 (70-79) starts at 22 and sees the move on ones.
    assert.deepEqual(r.parts.map((p) => p.start), [0, 0, 0, 0, 0, 2, 0, 22, 32]);
    assert.ok(r.eased >= 1, `the eased move is found (${r.eased})`);
    assert.equal(r.audio, 'copied');
    assert.ok(!existsSync(`${queued}.parts`), 'parts are removed once joined');
    assert.ok(readFileSync(queued).equals(readFileSync(local)), 'the queued run wrote the same bytes as the local run');
    assert.equal(await digest(queued), await digest(local));
    const s = await queueStatus(redis.url);
    assert.equal(s.jobs.filter((j) => j.kind === 'interpolate' && j.state === 'completed').length, 9);
    assert.deepEqual(spawnSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', 'toonscope:r*'], { encoding: 'utf8' }).stdout.trim(), '', 'part files are deleted from Redis once written');
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(0) : w.once('exit', r)))));
    redis.stop();
  }
});
