// Video mode: raise the frame rate by an integer factor. Each consecutive pair
// is classified first: motion pairs get synthesized in-betweens; held drawings
// and cuts never get interpolated across: the earlier frame is repeated. Cuts
// are the shots detector's, plus pairs too different to interpolate.
import { ToonscopeError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import type { Image } from '../core/types.js';
import { decode, probe, VideoWriter } from '../core/video.js';
import { interpolateMany, type InterpolateOptions } from './interp.js';
import { classifyPair, signature, type PairKind, type PairThresholds } from './pairs.js';
import { detectShots } from '../shots/detect.js';

export interface StreamOptions {
  /** Output frames per input frame (2 doubles the frame rate). */
  factor: number;
  interp?: InterpolateOptions;
  thresholds?: PairThresholds;
  /** Positions (0-based, in stream order) of frames that start a shot: the pair ending there is a cut whatever it looks like. */
  cuts?: ReadonlySet<number>;
}

export interface StreamReport {
  input: number;
  output: number;
  pairs: Record<PairKind, number>;
}

export function checkFactor(factor: number): void {
  if (!Number.isInteger(factor) || factor < 2 || factor > 16) throw new ToonscopeError(undefined, `factor must be an integer from 2 to 16, got ${factor}`);
}

/**
 * Turn a stream of frames into `factor` times as many: every input frame,
 * followed by factor-1 in-betweens towards the next frame (or copies of it
 * when the pair is a held drawing or a cut). The last frame is repeated so the
 * duration stays the same.
 */
export async function inbetweenStream(frames: AsyncIterable<Image>, opts: StreamOptions, emit: (img: Image, kind: PairKind | 'source') => Promise<void>): Promise<StreamReport> {
  checkFactor(opts.factor);
  const ts = Array.from({ length: opts.factor - 1 }, (_, k) => (k + 1) / opts.factor);
  const report: StreamReport = { input: 0, output: 0, pairs: { motion: 0, held: 0, cut: 0 } };
  let prev: Image | undefined;
  let prevSig: ReturnType<typeof signature> | undefined;
  const out = async (img: Image, kind: PairKind | 'source') => {
    report.output++;
    await emit(img, kind);
  };
  for await (const cur of frames) {
    report.input++;
    const sig = signature(cur);
    if (prev && prevSig) {
      // The shots detector sees the whole video (fades, same-palette cuts); the pair test only two frames.
      const kind = opts.cuts?.has(report.input - 1) ? 'cut' : classifyPair(prevSig, sig, opts.thresholds);
      report.pairs[kind]++;
      await out(prev, 'source');
      if (kind === 'motion') for (const m of await interpolateMany(prev, cur, ts, opts.interp)) await out(m, kind);
      else for (const _ of ts) await out(prev, kind);
    }
    prev = cur;
    prevSig = sig;
  }
  if (prev) for (let k = 0; k < opts.factor; k++) await out(prev, 'source');
  return report;
}

function multiplyRate(text: string, fps: number, factor: number): string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  return m && Number(m[2]) > 0 ? `${Number(m[1]) * factor}/${m[2]}` : String(fps * factor);
}

export interface VideoReport extends StreamReport {
  fps: string;
}

/** Interpolate a video file into another at `factor` times the frame rate. */
export async function interpolateVideo(input: string, output: string, opts: StreamOptions & { progress?: Progress }): Promise<VideoReport> {
  checkFactor(opts.factor);
  const info = probe(input);
  const fps = multiplyRate(info.fpsText, info.fps, opts.factor);
  // Even sizes for yuv420p.
  const width = info.width & ~1, height = info.height & ~1;
  // Cuts from the shots detector, so interpolation never crosses a cut that `toonscope shots` reports.
  const cuts = opts.cuts ?? new Set((await detectShots(input)).shots.slice(1).map((sh) => sh.start));
  const writer = new VideoWriter(output, width, height, fps);
  const frames = (async function* () {
    for await (const f of decode(input, { width, height })) {
      opts.progress?.tick();
      yield f as Image;
    }
  })();
  try {
    const r = await inbetweenStream(frames, { ...opts, cuts }, (img) => writer.write(img));
    await writer.close();
    return { ...r, fps };
  } catch (e) {
    await writer.close().catch(() => undefined);
    throw e;
  }
}
