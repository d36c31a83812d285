// Video mode: raise the frame rate by an integer factor or to a given rate. Each consecutive pair
// is classified first: motion pairs get synthesized in-betweens; held drawings
// and cuts never get interpolated across: the earlier frame is repeated. Cuts
// are the shots detector's, plus pairs too different to interpolate.
import { ToonscopeError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import type { Image } from '../core/types.js';
import { decode, probe, type DecodeReport } from '../core/video.js';
import { PartsWriter, type AudioResult, type SubtitleFate } from './parts.js';
import { checkFits, defaultThreads, InterpolatorPool } from './pool.js';
import { interpolateMany, synthesizeMany, WORK_SIZE, type InterpolateOptions, type Synthesizer } from './interp.js';
import { classifyPair, pairThresholds, signature, type PairKind, type PairThresholds } from './pairs.js';
import { detectShots } from '../shots/detect.js';
import { easeTimes, motionSpeed, type Speeds } from './timing.js';
import { rateRatio, timesOf, toRatio } from './rate.js';
import { parseFps, reduce, type Ratio } from '../core/rate.js';

export interface StreamOptions {
  /** Output frames per input frame: an integer (2 doubles the frame rate) or a ratio (5/2 turns 24 fps into 60). */
  factor: number | Ratio;
  interp?: InterpolateOptions;
  thresholds?: PairThresholds;
  /** Positions (0-based, in stream order) of frames that start a shot: the pair ending there is a cut whatever it looks like. */
  cuts?: ReadonlySet<number>;
  /** Follow the ease the neighbouring drawings show (timing.ts; default true). */
  ease?: boolean;
  /** Frames to wait at most for the next drawing (default 12); a longer hold before or after a move ends it as far as easing is concerned. */
  lookahead?: number;
  /**
   * Input frames whose output is already written (a resumed run): their pairs are
   * still classified and followed, so later frames come out the same, but nothing is
   * synthesised or emitted for them.
   */
  skip?: (index: number) => boolean;
  /** Worker threads synthesising in-betweens (pool.ts; default 1 = on this thread; interpolateVideo: one per core). Output order and frames do not depend on it. */
  threads?: number;
  /** A learned synthesiser for motion pairs instead of the hand-built pipeline (holds and cuts are unchanged). */
  learned?: Synthesizer;
  /** Index of the stream's first frame in the video (default 0): a one-part run starts decoding shortly before its part. */
  start?: number;
  /** Worker threads already started by the caller (who closes them), instead of `threads` new ones for this stream. */
  pool?: InterpolatorPool;
}

/** Where an emitted frame comes from: the input frame it follows, and whether it is an in-between that followed an ease. */
export interface EmitInfo {
  index: number;
  eased: boolean;
}

export interface StreamReport {
  input: number;
  output: number;
  pairs: Record<PairKind, number>;
  /** Motion pairs whose in-betweens followed an ease. */
  eased: number;
  /** Input frames whose output an earlier run had written (`skip`). */
  skipped: number;
}

/** Frames video mode waits at most for the next drawing. */
export const LOOKAHEAD = 12;

/**
 * Turn a stream of frames into `factor` times as many: with an integer factor,
 * every input frame followed by factor - 1 in-betweens towards the next frame (or
 * copies of it when the pair is a held drawing or a cut). With a ratio, each output frame
 * falls at its own time between two input frames, and only the input frames on
 * the output grid are output as they are. The last frame is repeated so the
 * duration stays the same. Frames wait in a short queue until the drawing after
 * the pair has arrived, so each in-between can follow the ease of its move
 * (timing.ts).
 */
export async function inbetweenStream(
  frames: AsyncIterable<Image>,
  opts: StreamOptions,
  emit: (img: Image, kind: PairKind | 'source', info: EmitInfo) => Promise<void>,
): Promise<StreamReport> {
  const ratio = toRatio(opts.factor);
  const report: StreamReport = { input: 0, output: 0, pairs: { motion: 0, held: 0, cut: 0 }, eased: 0, skipped: 0 };
  const easing = opts.ease !== false;
  const lookahead = opts.lookahead ?? LOOKAHEAD;
  /** Frames not yet emitted; `kind` is the pair from the frame before. */
  const queue: { img: Image; index: number; kind?: PairKind }[] = [];
  // The drawing on screen starts at frame `drawStart`; `last` is the step that brought it (its two frames, the frames it took),
  // its speed measured only if a later pair needs it.
  let drawStart = opts.start ?? 0;
  let last: { from: Image; to: Image; gap: number; speed?: number } | undefined;
  const raw = new Map<number, number>();
  const speedInto = async (k: number) => {
    // Motion of the step that ends at queue item k (k >= 1), measured once.
    const at = queue[k].index;
    let v = raw.get(at);
    if (v === undefined) raw.set(at, (v = await measure(queue[k - 1].img, queue[k].img)));
    return v;
  };
  const out = async (img: Image, kind: PairKind | 'source', info: EmitInfo) => {
    report.output++;
    await emit(img, kind, info);
  };
  // Each input frame's output (itself, then its in-betweens or copies) is a slot; motion slots are synthesised
  // on worker threads while later pairs are read, and slots are emitted strictly in order.
  const threads = opts.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new ToonscopeError(undefined, `threads must be a positive integer, got ${opts.threads}`);
  const own = threads > 1 && !opts.learned && !opts.pool ? new InterpolatorPool(threads) : undefined;
  const pool = opts.learned ? undefined : opts.pool ?? own;
  // Syntheses in flight: with worker threads, as many again as there are workers wait in the pool's queue, so a
  // worker that finishes starts its next pair at once instead of idling while this thread reads, classifies and
  // measures the frames that pair needs.
  const width = pool?.size ?? threads;
  const inFlight = pool ? 2 * width : width;
  // Ease speeds are measured on the workers too: this thread then only decodes, classifies and encodes, and the
  // flow code runs where it is already compiled.
  const measure = (a: Image, b: Image) => (pool ? pool.speed(a, b) : motionSpeed(a, b));
  const synth = (a: Image, c: Image, ts: number[], o: InterpolateOptions) =>
    (opts.learned ? synthesizeMany(opts.learned, a, c, ts) : pool ? pool.interpolate(a, c, ts, o) : interpolateMany(a, c, ts, o));
  type Out = { img: Image; kind: PairKind | 'source'; info: EmitInfo };
  const slots: { outs: Promise<Out[]>; ready: boolean }[] = [];
  let pending = 0;
  /**
   * Emit finished slots from the front; with `all`, wait for every slot; otherwise wait only while `inFlight` syntheses
   * are in flight or too many slots hold frames (a long hold behind a slow synthesis would otherwise read on unbounded).
   */
  const flush = async (all: boolean) => {
    while (slots.length && (all || slots[0].ready || pending >= inFlight || slots.length > 8 * width)) {
      for (const o of await slots.shift()!.outs) await out(o.img, o.kind, o.info);
    }
  };
  const slot = async (outs: Promise<Out[]>, synthesis: boolean) => {
    const s = { outs, ready: !synthesis };
    if (synthesis) {
      pending++;
      // Awaited in order by flush; marked ready (and no unhandled rejection) meanwhile.
      outs.then(() => undefined, () => undefined).finally(() => {
        s.ready = true;
        pending--;
      });
    }
    slots.push(s);
    await flush(false);
  };
  /** Emit queue[0] and its in-betweens towards queue[1]; `next` is the queue position of the next drawing step, if known. */
  const emitFirst = async (next: number | undefined) => {
    const [a, c] = queue;
    const kind = c.kind!;
    const skip = opts.skip?.(a.index) ?? false;
    report.pairs[kind]++;
    // The output frames in this step: frame a itself when it is on the output grid (time 0), then in-betweens.
    const times = timesOf(ratio, a.index);
    const ts = times.filter((t) => t > 0);
    if (skip) {
      report.output += times.length;
      report.skipped++;
    }
    const source: Out[] = times[0] === 0 ? [{ img: a.img, kind: 'source', info: { index: a.index, eased: false } }] : [];
    if (kind === 'motion') {
      const gap = c.index - drawStart;
      if (!skip && !ts.length) await slot(Promise.resolve(source), false);
      else if (!skip) {
        let speeds: Speeds | undefined;
        // A move after a hold longer than the lookahead starts afresh, as one before such a hold ends: no ease across it.
        if (easing && last && next !== undefined && gap <= lookahead) {
          const gapNext = queue[next].index - c.index;
          last.speed ??= (await measure(last.from, last.to)) / last.gap;
          speeds = { prev: last.speed, cur: (await speedInto(1)) / gap, next: (await speedInto(next)) / gapNext, gaps: [last.gap, gap, gapNext] };
        }
        const eased = speeds !== undefined && easeTimes([0.5], speeds, opts.interp?.ease)[0] !== 0.5;
        if (eased) report.eased++;
        const info = { index: a.index, eased };
        await slot(synth(a.img, c.img, ts, { ...opts.interp, speeds }).then((ms) => [...source, ...ms.map((img) => ({ img, kind, info }))]), true);
      }
      const measured = raw.get(c.index);
      last = easing ? { from: a.img, to: c.img, gap, speed: measured === undefined ? undefined : measured / gap } : undefined;
      drawStart = c.index;
    } else {
      if (!skip) await slot(Promise.resolve([...source, ...ts.map(() => ({ img: a.img, kind, info: { index: a.index, eased: false } }))]), false);
      if (kind === 'cut') {
        last = undefined;
        drawStart = c.index;
      }
    }
    raw.delete(c.index);
    queue.shift();
  };
  /** Emit what can be emitted: a motion pair waits for the next drawing step (or a cut, the end, or a full queue). */
  const drain = async (final: boolean) => {
    while (queue.length >= 2) {
      if (queue[1].kind !== 'motion' || !easing) {
        await emitFirst(undefined);
        continue;
      }
      let j = 2;
      while (j < queue.length && queue[j].kind === 'held') j++;
      if (j < queue.length) await emitFirst(queue[j].kind === 'motion' ? j : undefined);
      else if (final || queue.length > lookahead + 1) await emitFirst(undefined);
      else return;
    }
  };
  let prevSig: ReturnType<typeof signature> | undefined;
  try {
    for await (const cur of frames) {
      const sig = signature(cur);
      const index = (opts.start ?? 0) + report.input++;
      // The shots detector sees the whole video (fades, same-palette cuts); the pair test only two frames.
      const kind = prevSig ? (opts.cuts?.has(index) ? 'cut' : classifyPair(prevSig, sig, opts.thresholds)) : undefined;
      queue.push({ img: cur, index, kind });
      prevSig = sig;
      await drain(false);
    }
    await drain(true);
    await flush(true);
    if (queue.length) {
      const index = queue[0].index;
      const n = timesOf(ratio, index).length;
      if (opts.skip?.(index)) {
        report.output += n;
        report.skipped++;
      } else for (let k = 0; k < n; k++) await out(queue[0].img, 'source', { index, eased: false });
    }
  } finally {
    await own?.close();
  }
  return report;
}

/** The input's frame rate as a fraction (the container's r_frame_rate, else its average rate); a guess is not good enough. */
function inputRate(input: string): Ratio {
  const { rate, fpsText } = probe(input);
  if (!rate) throw new ToonscopeError(input, `states no frame rate (${fpsText}); give it one first, e.g. ffmpeg -i IN -fps_mode cfr -r 24000/1001 OUT.mkv`);
  return rate;
}

/**
 * Output times come from frame numbers at the stated rate, so a variable-rate file would come out shorter or longer
 * than its sound: a one-line error at the first frame (times in seconds, in decode order) that drifts by over two frames.
 */
function checkConstantRate(input: string, rate: Ratio, time: number, n: number, first: number, damage: readonly string[]): void {
  const step = rate.den / rate.num;
  if (Math.abs(time - first - n * step) > 2 * step) {
    // A damaged or truncated stretch that the decoder skipped leaves the same gap as a change of rate: say which it is.
    if (damage.length) {
      throw new ToonscopeError(input, `is damaged: frames are missing before ${(time - first).toFixed(3)} s (frame ${n} should be at ${(n * step).toFixed(3)} s; ` +
        `ffmpeg: ${damage[0]}); repair or re-encode it first (ffmpeg -i IN -fps_mode cfr -r ${rate.num}/${rate.den} OUT)`);
    }
    throw new ToonscopeError(input, `has a variable frame rate: frame ${n} is at ${(time - first).toFixed(3)} s, not ${(n * step).toFixed(3)} s as its ` +
      `${rate.num}/${rate.den} fps says; make it constant first (ffmpeg -i IN -fps_mode cfr -r ${rate.num}/${rate.den} OUT)`);
  }
}

/** The factor that turns `input` into a video at `fps` frames per second ("60", "60000/1001", "59.94"). */
export function factorFor(input: string, fps: string): Ratio {
  const to = parseFps(fps);
  if (!to) throw new ToonscopeError(undefined, `frame rate "${fps}" is not a number or a fraction like 60000/1001`);
  const from = inputRate(input);
  const r = `${from.num}/${from.den}`;
  if (to.num * from.den <= to.den * from.num) throw new ToonscopeError(input, `is already ${r} fps; the output rate ${fps} must be higher`);
  if (to.num * from.den > 16 * to.den * from.num) throw new ToonscopeError(input, `is ${r} fps; --fps ${fps} would be over 16 times that`);
  return rateRatio(from, to);
}

/** What `interpolateVideo` wrote: output rate, frames made, parts resumed, and the fate of audio and subtitles. */
export interface VideoReport extends StreamReport {
  fps: string;
  /** Parts an earlier, interrupted run had finished (their frames were not synthesised again). */
  resumed: number;
  /** Earlier parts were for another input or other settings and were thrown away. */
  restarted: boolean;
  audio: AudioResult;
  /** Per input subtitle stream, in order, how it went into the output (empty: the input has none). */
  subtitles: SubtitleFate[];
  /** What reading the input found wrong without stopping (a truncated file decodes fewer frames than it says). */
  warnings: string[];
}

/** Options of `interpolateVideo`: the frame-rate factor, shots, easing, quality (crf), resumable part length, progress. */
export interface VideoOptions extends StreamOptions {
  progress?: Progress;
  /** Input frames per resumable part (default 240: 10 s at 24 fps). */
  partFrames?: number;
  /** x264 constant rate factor, 0 (lossless) to 51 (default 18, visually lossless for flat colour). */
  crf?: number;
}

/** A video run's output rate and size and its parts (opened, or resumed), before any frame is decoded. */
export interface VideoSetup {
  rate: Ratio;
  fps: string;
  width: number;
  height: number;
  parts: PartsWriter;
}

/** Check the options and open (or resume) the parts of `output`; shared by the whole-video run and the one-part run. */
export function openVideo(input: string, output: string, opts: VideoOptions, encoderThreads?: number): VideoSetup {
  const ratio = toRatio(opts.factor);
  const crf = opts.crf ?? 18;
  if (!(Number.isInteger(crf) && crf >= 0 && crf <= 51)) throw new ToonscopeError(undefined, `crf must be an integer from 0 to 51, got ${opts.crf}`);
  const partFrames = opts.partFrames ?? 240;
  if (!(Number.isInteger(partFrames) && partFrames >= 1)) throw new ToonscopeError(undefined, `part frames must be a positive integer, got ${opts.partFrames}`);
  const info = probe(input);
  const rate = inputRate(input);
  const out = reduce(rate.num * ratio.num, rate.den * ratio.den);
  const fps = out.den === 1 ? String(out.num) : `${out.num}/${out.den}`;
  // Even sizes for yuv420p.
  const width = info.width & ~1, height = info.height & ~1;
  checkFits(width, height, input);
  // Everything that changes the frames, defaults filled in: giving a default explicitly must not redo the parts.
  const settings = {
    interp: { ...opts.interp, speeds: undefined, workSize: opts.interp?.workSize ?? WORK_SIZE },
    ease: opts.ease !== false, lookahead: opts.lookahead ?? LOOKAHEAD, thresholds: pairThresholds(opts.thresholds),
    cuts: opts.cuts ? [...opts.cuts].sort((a, b) => a - b) : null,
    // Parts made by another synthesiser are redone (absent for the hand-built one, so older parts still resume).
    ...(opts.learned ? { learned: opts.learned.name } : {}),
  };
  const parts = PartsWriter.open(output, { input, width, height, fps, ratio, partFrames, crf, settings }, encoderThreads);
  return { rate, fps, width, height, parts };
}

/**
 * The shots detector's cuts, kept with the parts so a resumed run does not decode the video for them again; with
 * `keepTimes` also every frame's time (a queued run needs the frame count and the times it seeks parts by).
 */
export async function shotCuts(input: string, rate: Ratio, parts: PartsWriter, keepTimes = false): Promise<{ cuts: number[]; times?: number[]; warnings: string[] }> {
  const kept = parts.extra as { cuts?: number[]; times?: number[]; warnings?: string[] } | undefined;
  if (kept?.cuts && (!keepTimes || kept.times)) return { cuts: kept.cuts, times: kept.times, warnings: kept.warnings ?? [] };
  const shots = await detectShots(input);
  // Its decode saw every frame's time: a variable rate fails here, before the cuts are kept for a resume that cannot come.
  shots.times.forEach((t, n) => checkConstantRate(input, rate, t, n, shots.times[0], shots.warnings));
  const cuts = shots.shots.slice(1).map((sh) => sh.start);
  const times = keepTimes ? Array.from(shots.times) : undefined;
  // Kept with the cuts: a resumed run says them as the first run did.
  const warnings = shots.warnings.slice(0, 3);
  parts.remember({ cuts, ...(times ? { times } : {}), ...(warnings.length ? { warnings } : {}) });
  return { cuts, times, warnings };
}

/** Decoded frames of `input` at the run's size, checked for a constant rate, with progress; ffmpeg failing part-way is an error. */
async function* videoFrames(input: string, setup: VideoSetup, progress: Progress | undefined): AsyncGenerator<Image> {
  const decoded: DecodeReport = { frames: 0, warnings: [] };
  let first: number | undefined, n = 0;
  for await (const f of decode(input, { width: setup.width, height: setup.height, shared: true }, decoded)) {
    first ??= f.time;
    checkConstantRate(input, setup.rate, f.time, n++, first, decoded.warnings);
    progress?.tick();
    yield f as Image;
  }
  // ffmpeg stopped with an error part-way: joining what came would make a short video (and a resumed run a mismatch).
  if (decoded.failed) {
    throw new ToonscopeError(input, `decoding failed after ${decoded.frames} frames (${decoded.warnings.at(-1) ?? 'ffmpeg error'}); finished parts are kept, run again once the file reads`);
  }
}

/**
 * Interpolate a video file into another at `factor` times the frame rate,
 * keeping its audio. Resumable: finished parts are kept in OUTPUT.parts until
 * the whole video is joined (parts.ts).
 */
export async function interpolateVideo(input: string, output: string, opts: VideoOptions): Promise<VideoReport> {
  const setup = openVideo(input, output, opts);
  const { parts } = setup;
  let own: InterpolatorPool | undefined;
  // Stops the decode once it has started (a failure before the stream read its frames leaves it waiting).
  let stop: () => Promise<unknown> = async () => undefined;
  try {
    const threads = opts.threads ?? defaultThreads(setup.width, setup.height);
    own = startPool(threads, opts);
    const pool = own ?? opts.pool;
    const decoded = videoFrames(input, setup, opts.progress);
    // The decode starts (ffmpeg loads and reads up to its first frame) and the workers start loading while the shots
    // detector decodes; the first frame waits until the cuts are known.
    const head = decoded.next();
    head.catch(() => undefined);
    stop = () => head.then(() => decoded.return(undefined), () => undefined);
    const frames = (async function* () {
      const r = await head;
      if (!r.done) {
        yield r.value;
        yield* decoded;
      }
    })();
    // Cuts from the shots detector, so interpolation never crosses a cut that `toonscope shots` reports.
    const found = opts.cuts ? undefined : await shotCuts(input, setup.rate, parts);
    const cuts = opts.cuts ?? new Set(found!.cuts);
    const r = await inbetweenStream(frames, { ...opts, threads, pool, cuts, skip: (i) => parts.has(i) }, (img, _kind, at) => parts.write(img, at.index, at.eased));
    await own?.close();
    const joined = await parts.finish(r.output);
    return { ...r, eased: joined.eased, fps: setup.fps, resumed: parts.resumed, restarted: parts.restarted, audio: joined.audio, subtitles: joined.subtitles, warnings: found?.warnings ?? [] };
  } catch (e) {
    await own?.close();
    await stop();
    await parts.abort();
    throw e;
  }
}

/**
 * The worker threads a video run synthesises on, its own (started now, closed by the caller): none with one thread or
 * a learned synthesiser, or when the caller passed a pool (theirs to close).
 */
function startPool(threads: number, opts: StreamOptions): InterpolatorPool | undefined {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new ToonscopeError(undefined, `threads must be a positive integer, got ${threads}`);
  return threads > 1 && !opts.learned && !opts.pool ? new InterpolatorPool(threads).start() : undefined;
}

/** Where a one-part run may start decoding: a frame index and, past frame 0, the times of the frame before it and of it (to seek between). */
export interface PartStart {
  frame: number;
  between?: [number, number];
}

export interface PartOptions extends VideoOptions {
  /** The part to make: input frames [part * partFrames, (part + 1) * partFrames). */
  part: number;
  /** Frames that start a shot in the whole video (the whole-video run's shot detection): required, a part sees too little to find them. */
  cuts: ReadonlySet<number>;
  /** Where to start decoding, nearest first, ending with frame 0 (see interpolatePart). */
  starts: PartStart[];
  /** x264 threads of the part's encoder: x264's output bytes depend on its thread count, so a queued run pins the coordinator's. */
  encoderThreads?: number;
}

/** Thrown inside a one-part run whose warm-up did not show the drawing on screen at the part's start: start earlier. */
const EARLIER = Symbol('start earlier');

/**
 * Make one part of what `interpolateVideo(input, output, opts)` makes: the same file, byte for byte, in
 * OUTPUT.parts/ (PartsWriter.fileIn). The frames of a part depend on the frames before it only through the drawing on
 * screen when it starts (the step that brought it and how long the one before it lasted, which easing uses), so
 * decoding starts shortly before the part: that state is known exactly once the warm-up has shown a cut or two
 * drawing changes. A warm-up that shows neither (a long hold), or a seek that lands on another frame than `between`
 * says, starts again from the next, earlier start in `opts.starts`, at worst from frame 0 (as a resumed whole-video
 * run does). Decoding stops once the lookahead past the
 * part's last frame has been read.
 */
export async function interpolatePart(input: string, output: string, opts: PartOptions): Promise<{ frames: number; eased: number; start: number }> {
  const setup = openVideo(input, output, opts, opts.encoderThreads);
  const { parts } = setup;
  const P = parts.job.partFrames;
  const first = opts.part * P, end = first + P;
  const lookahead = opts.lookahead ?? LOOKAHEAD;
  const easing = opts.ease !== false;
  const step = setup.rate.den / setup.rate.num;
  const threads = opts.threads ?? defaultThreads(setup.width, setup.height);
  let own: InterpolatorPool | undefined;
  try {
    // One set of workers for every start tried, loading while the first decode warms up.
    own = startPool(threads, opts);
    const pool = own ?? opts.pool;
    for (const [k, st] of opts.starts.entries()) {
      const lastTry = k === opts.starts.length - 1 || st.frame === 0;
      const frames = (async function* () {
        const decoded: DecodeReport = { frames: 0, warnings: [] };
        let index = st.frame, changes = 0, cut = false;
        let prev: ReturnType<typeof signature> | undefined;
        for await (const f of decode(input, { width: setup.width, height: setup.height, seekBetween: st.between, shared: true }, decoded)) {
          // A seek that lands on another frame than the whole-video decode saw there would shift the part: start earlier (frame 0 needs no seek).
          if (index === st.frame && st.between && Math.abs(f.time - st.between[1]) > step / 2) throw EARLIER;
          if (easing && !lastTry && index <= first) {
            // The same classification the stream makes: a cut or a new drawing (motion) at index.
            const sig = signature(f as Image);
            const kind = prev ? (opts.cuts.has(index) ? 'cut' : classifyPair(prev, sig, opts.thresholds)) : undefined;
            prev = sig;
            if (kind === 'cut') cut = true;
            if (kind === 'cut' || kind === 'motion') changes++;
            if (index === first && !cut && changes < 2) throw EARLIER;
          }
          if (index >= first) opts.progress?.tick();
          yield f as Image;
          // Once this frame is in, every frame of the part has been emitted (the stream waits at most `lookahead` frames).
          if (index++ >= end + lookahead) return;
        }
        if (decoded.failed) throw new ToonscopeError(input, `decoding failed after ${decoded.frames} frames (${decoded.warnings.at(-1) ?? 'ffmpeg error'})`);
      })();
      try {
        await inbetweenStream(frames, { ...opts, start: st.frame, threads, pool, skip: (i) => i < first || i >= end },
          (img, _kind, at) => parts.write(img, at.index, at.eased));
        const stats = await parts.close(opts.part);
        return { ...stats, start: st.frame };
      } catch (e) {
        if (e !== EARLIER) throw e;
      }
    }
    throw new ToonscopeError(input, `part ${opts.part}: no start to decode from (the list must end with frame 0)`);
  } catch (e) {
    await parts.abort();
    throw e;
  } finally {
    await own?.close();
  }
}

/**
 * Where a one-part run of part `part` may start decoding, nearest first: `warmup` frames before the part, then four
 * times as far each time, then frame 0; `times` are the video's frame times (shotCuts).
 */
export function partStarts(part: number, partFrames: number, times: ArrayLike<number>, warmup = 4 * LOOKAHEAD): PartStart[] {
  const first = part * partFrames;
  const out: PartStart[] = [];
  for (let back = warmup; first - back > 0; back *= 4) out.push({ frame: first - back, between: [times[first - back - 1], times[first - back]] });
  out.push({ frame: 0 });
  return out;
}
