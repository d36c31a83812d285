// Benchmark: seconds per 1280x720 in-between (target <= 2 s on 2 cores), on
// programmatically drawn flat-colour frames so it runs anywhere. The plain
// splatting pipeline (no still snapping, no backward-sampled or block mix) is timed in
// the same run, interleaved, so the ratio holds on a busy machine. Video mode
// is timed end to end on one thread and on the worker pool (pool.ts).
import { interpolate, type InterpolateOptions } from '../src/interpolate/interp.js';
import { opencv } from '../src/core/opencv.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { psnr } from '../src/interpolate/metrics.js';
import { motionSpeed } from '../src/interpolate/timing.js';
import { inbetweenStream } from '../src/interpolate/video.js';
import { defaultThreads } from '../src/interpolate/pool.js';

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
