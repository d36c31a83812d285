// Benchmark: seconds per 1280x720 in-between (target <= 2 s on 2 cores), on
// programmatically drawn flat-colour frames so it runs anywhere. The plain
// splatting pipeline (no still snapping, no backward-sampled or block mix) is timed in
// the same run, interleaved, so the ratio holds on a busy machine. Video mode
// is timed end to end on one thread and on the worker pool (pool.ts). Then the
// whole `toonscope interpolate -x 2` command against ffmpeg's minterpolate on the
// same moving 720p clip, in alternating rounds (videoVsMinterpolate).
import { interpolate, type InterpolateOptions } from '../src/interpolate/interp.js';
import { opencv } from '../src/core/opencv.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { psnr } from '../src/interpolate/metrics.js';
import { motionSpeed } from '../src/interpolate/timing.js';
import { inbetweenStream } from '../src/interpolate/video.js';
import { defaultThreads } from '../src/interpolate/pool.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { tool } from '../src/core/ffmpeg.js';
import { probe } from '../src/core/video.js';

const here = dirname(fileURLToPath(import.meta.url));
/** A real clip where every frame moves (konobi_s01e012: 59 motion pairs in its first 60 frames), when ../shared is there. */
const REAL = join(here, '..', '..', '..', 'shared', 'data', 'anime', 'konobi_s01e012__000339.mp4');
/** Input frames of the comparison clip, rounds of each command. */
const FRAMES = 25, ROUNDS = 3;

function ffmpeg(args: string[], input?: Buffer): void {
  const r = spawnSync(tool('ffmpeg'), ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${String(r.stderr).trim()}`);
}

/** The 720p clip both commands get: the real anime clip scaled to 1280x720, or else the drawn scene, every frame moving. */
function movingClip(dir: string): { path: string; source: string } {
  const path = join(dir, 'moving720.mp4');
  // TOONSCOPE_BENCH_CLIP: another moving clip (a worktree has no ../shared beside it).
  const real = process.env.TOONSCOPE_BENCH_CLIP || REAL;
  if (existsSync(real)) {
    ffmpeg(['-i', real, '-vf', 'scale=1280:720', '-frames:v', String(FRAMES), '-an', '-c:v', 'libx264', '-crf', '12', path]);
    return { path, source: `${basename(real)}, first ${FRAMES} frames scaled to 1280x720` };
  }
  const sc = cartoonScene(1280, 720, 0.4);
  const raw = Buffer.concat(Array.from({ length: FRAMES }, (_, k) => Buffer.from(drawScene(sc, k / (FRAMES - 1)).data)));
  ffmpeg(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '1280x720', '-r', '24', '-i', '-', '-c:v', 'libx264', '-crf', '12', path], raw);
  return { path, source: 'drawn cartoon scene (synth.ts), 1280x720' };
}

/** Frames in a video, counted by decoding it. */
function countFrames(path: string): number {
  const r = spawnSync(tool('ffprobe'), ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

const uptime = () => loadavg().map((l) => l.toFixed(2)).join(', ');

/**
 * The whole `toonscope interpolate -x 2` command (decode, cuts, ease, synthesis on the worker threads, encode) against
 * `ffmpeg -vf minterpolate=fps=2R:mi_mode=mci` with the same x264 quality, on the same clip, alternating
 * toonscope, minterpolate, toonscope, ... : output frames per wall second of each, and their ratio per round.
 */
export async function videoVsMinterpolate(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'toonscope-bench-mi-'));
  try {
    const clip = movingClip(dir);
    const rate = probe(clip.path).fps;
    const cli = join(here, '..', 'src', 'cli', 'main.js');
    const ours: number[] = [], theirs: number[] = [], ratio: number[] = [];
    const loads = [uptime()];
    process.stderr.write(`bench: toonscope interpolate -x 2 vs minterpolate on ${clip.source}, ${FRAMES} frames, load average ${loads[0]}\n`);
    for (let k = 0; k < ROUNDS; k++) {
      const out1 = join(dir, `t${k}.mp4`), out2 = join(dir, `m${k}.mp4`);
      let t = performance.now();
      const r = spawnSync(process.execPath, [cli, 'interpolate', clip.path, '-x', '2', out1, '--quiet'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`toonscope interpolate failed: ${r.stderr.trim()}`);
      const tsec = (performance.now() - t) / 1000;
      t = performance.now();
      ffmpeg(['-i', clip.path, '-vf', `minterpolate=fps=${2 * rate}:mi_mode=mci`, '-c:v', 'libx264', '-crf', '18', out2]);
      const msec = (performance.now() - t) / 1000;
      ours.push(countFrames(out1) / tsec);
      theirs.push(countFrames(out2) / msec);
      ratio.push(ours[k] / theirs[k]);
      loads.push(uptime());
      process.stderr.write(`bench: round ${k + 1}: toonscope ${ours[k].toFixed(2)} fps (${tsec.toFixed(1)} s), minterpolate ${theirs[k].toFixed(2)} fps (${msec.toFixed(1)} s), ratio ${ratio[k].toFixed(2)}, load average ${loads[k + 1]}\n`);
    }
    const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
    const best = (xs: number[]) => Math.max(...xs);
    return {
      clip: clip.source,
      rounds: ROUNDS,
      toonscope_fps_best: Number(best(ours).toFixed(2)),
      toonscope_fps_median: Number(med(ours).toFixed(2)),
      minterpolate_fps_best: Number(best(theirs).toFixed(2)),
      minterpolate_fps_median: Number(med(theirs).toFixed(2)),
      ratio_best: Number(best(ratio).toFixed(2)),
      ratio_median: Number(med(ratio).toFixed(2)),
      load_average_before: loads[0],
      load_average_after: loads[loads.length - 1],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Video mode end to end (classification, ease speeds, synthesis, in order): wall seconds per 720p motion pair. */
async function videoPerPair(threads: number): Promise<number> {
  const sc = cartoonScene(1280, 720, 0.08);
  const frames = Array.from({ length: 17 }, (_, k) => drawScene(sc, k / 16));
  const t = performance.now();
  const r = await inbetweenStream((async function* () { yield* frames; })(), { factor: 2, threads }, async () => undefined);
  return (performance.now() - t) / 1000 / r.pairs.motion;
}

const PLAIN: InterpolateOptions = { still: 0, backward: 0, obmc: 0 };

export async function benchInterpolate(): Promise<Record<string, number | string>> {
  const t0 = performance.now();
  await opencv();
  const load = (performance.now() - t0) / 1000;
  const sc = cartoonScene(1280, 720, 0.08);
  const a = drawScene(sc, 0), c = drawScene(sc, 1), truth = drawScene(sc, 0.5);
  await interpolate(a, c, 0.5); // warm-up (JIT)
  await interpolate(a, c, 0.5, PLAIN);
  const times: number[] = [], plain: number[] = [], speed: number[] = [];
  let mid = a;
  for (let k = 0; k < 3; k++) {
    let t = performance.now();
    mid = await interpolate(a, c, 0.5);
    times.push((performance.now() - t) / 1000);
    t = performance.now();
    await interpolate(a, c, 0.5, PLAIN);
    plain.push((performance.now() - t) / 1000);
    // Easing measures one step's speed per motion pair in video mode (timing.ts).
    t = performance.now();
    await motionSpeed(a, c);
    speed.push((performance.now() - t) / 1000);
  }
  const threads = defaultThreads(a.width, a.height);
  const video1 = await videoPerPair(1), videoN = await videoPerPair(threads);
  times.sort((p, q) => p - q);
  plain.sort((p, q) => p - q);
  speed.sort((p, q) => p - q);
  const vs = await videoVsMinterpolate();
  console.log('\n# interpolate -x 2 vs minterpolate (whole commands, output frames per second, alternating rounds)');
  console.table([vs]);
  return {
    interpolate_720p_s: Number(times[1].toFixed(3)),
    interpolate_720p_target_s: 2,
    interpolate_720p_plain_splat_s: Number(plain[1].toFixed(3)),
    interpolate_720p_ratio_vs_plain: Number((times[1] / plain[1]).toFixed(2)),
    interpolate_720p_ease_speed_s: Number(speed[1].toFixed(3)),
    interpolate_720p_video_1_thread_s_per_pair: Number(video1.toFixed(3)),
    [`interpolate_720p_video_${threads}_threads_s_per_pair`]: Number(videoN.toFixed(3)),
    interpolate_opencv_load_s: Number(load.toFixed(3)),
    interpolate_720p_synthetic_psnr_db: Number(psnr(mid, truth).toFixed(2)),
  };
}
