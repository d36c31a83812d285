// The in-between synthesiser: flow at a reduced working resolution (colour
// pieces + dense refinement), upsampled, then bidirectional splatting at full
// resolution.
import { ToonscopeError } from '../core/errors.js';
import { toChannels } from '../core/image.js';
import type { Image } from '../core/types.js';
import { flowPair, type FlowOptions, type FlowPair } from './flow.js';
import { guidedUpsample, resizePlane, scaleImage } from './raster.js';
import { useKernel, type Arena } from './kernel.js';
import { splatBetween, splatBytes, type SplatOptions } from './splat.js';
import { localDiff, snapStill, type StillOptions } from './still.js';
import { easeTimes, type EaseOptions, type Speeds } from './timing.js';
import { bilateralVectors, obmcMix } from './obmc.js';
import { tearMap, type TearOptions } from './tear.js';

/** Default long side of the working resolution. */
export const WORK_SIZE = 448;

/**
 * A learned in-between synthesiser (e.g. RIFE from `toonscope models`) that
 * can stand in for the hand-built one on motion pairs; holds and cuts are still
 * decided by the stream, which never asks it across them.
 */
export interface Synthesizer {
  readonly name: string;
  between(a: Image, b: Image, t: number): Promise<Image>;
}

/** Every time in `ts` from a Synthesizer, one after another. */
export async function synthesizeMany(s: Synthesizer, a: Image, b: Image, ts: number[]): Promise<Image[]> {
  const out: Image[] = [];
  for (const t of ts) out.push(await s.between(a, b, t));
  return out;
}

/** Options of `interpolate`: working size, flow and splatting settings, and the ease of the motion around the pair. */
export interface InterpolateOptions extends SplatOptions, FlowOptions, StillOptions, TearOptions {
  /** Long side of the working resolution for flow and segmentation (default 448). */
  workSize?: number;
  /** Vector disagreement (working-resolution pixels) at which flow upsampling turns colour-guided (default 1). */
  guide?: number;
  /** Weight of the bilateral overlapped-block in-between (obmc.ts) where the splatting is unsure (default 0.5; 0 disables it, and `tear` with it). */
  obmc?: number;
  /** Motion of the steps before and after this pair (timing.ts): the in-betweens follow their ease. */
  speeds?: Speeds;
  ease?: EaseOptions;
}

function check(a: Image, b: Image, ts: number[]): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new ToonscopeError(undefined, `frames differ in size (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
  if (a.width < 8 || a.height < 8) throw new ToonscopeError(undefined, `frames are too small (${a.width}x${a.height}); need at least 8x8`);
  for (const t of ts) {
    if (!(t > 0 && t < 1)) throw new ToonscopeError(undefined, `time ${t} is outside (0, 1)`);
  }
}

/** Frames at each time in `ts` (each strictly between 0 = `a` and 1 = `b`). */
export async function interpolateMany(a: Image, b: Image, ts: number[], opts: InterpolateOptions = {}): Promise<Image[]> {
  check(a, b, ts);
  const A = toChannels(a, 3), B = toChannels(b, 3);
  const W = A.width, H = A.height;
  const work = opts.workSize ?? WORK_SIZE;
  const s = Math.min(1, work / Math.max(W, H));
  const w = Math.max(8, Math.round(W * s)), h = Math.max(8, Math.round(H * s));
  const [sa, sb] = await Promise.all([scaleImage(A, w, h), scaleImage(B, w, h)]);
  const fp = await flowPair(sa, sb, opts);
  // From here on nothing awaits, so one use of this thread's kernel arena holds the full-resolution planes (flows,
  // errors, the still difference, the tear map, the unsure weights) as views: the kernels read them where they are
  // instead of copies in and out, and no 720p arrays are allocated per pair. Room for the splat's use goes on top.
  // 64 KB of slack in all, the splat's own 4 KB included.
  const K = useKernel(KEEP_BYTES * W * H + splatBytes(W, H) + 65536 - 4096);
  try {
    return synthesize(K, A, B, sa, sb, fp, ts, opts);
  } finally {
    K?.end();
  }
}

/** Arena bytes per pixel interpolateMany keeps for a pair (see synthesize); the splat's use inside it comes on top. */
const KEEP_BYTES = 48;

function synthesize(K: Arena | null, a: Image, b: Image, sa: Image, sb: Image, fp: FlowPair, ts: number[], opts: InterpolateOptions): Image[] {
  const W = a.width, H = a.height, w = sa.width, h = sa.height;
  // Both frames copied in once, for every kernel below.
  const inArena = (im: Image): Image => (K ? { ...im, data: K.u8(K.put(im.data), im.data.length) } : im);
  const A = inArena(a), B = inArena(b);
  const m = opts.obmc ?? 0.5, tw = Math.min(1, Math.max(0, opts.tear ?? 0.5));
  // Where the flow tears, the splatting scatters specks: the block in-between gets up to `tear` there. Measured on
  // the working-resolution flows in both directions, before the still snap below (which may share their arrays).
  let torn: Float32Array | undefined;
  if (m > 0 && tw > 0) {
    const fwd = tearMap(fp.ab, opts), bwd = tearMap(fp.ba, opts);
    for (let p = 0; p < fwd.length; p++) if (bwd[p] > fwd[p]) fwd[p] = bwd[p];
    torn = resizePlane(fwd, w, h, W, H, K ? K.f32(K.alloc(4 * W * H, false), W * H) : undefined);
  }
  const up = guidedUpsample(fp.ab, fp.errAb, sa, A, opts.guide, K ?? undefined);
  const down = guidedUpsample(fp.ba, fp.errBa, sb, B, opts.guide, K ?? undefined);
  let diff: Float32Array | undefined;
  if ((opts.still ?? 8) > 0) {
    diff = localDiff(A, B, 2, K ?? undefined);
    snapStill(up.flow, up.err, diff, opts);
    snapStill(down.flow, down.err, diff, opts);
  }
  const at = opts.speeds ? easeTimes(ts, opts.speeds, opts.ease) : ts;
  // One unsure plane for all the times (each is used up by its block mix), zeroed for each.
  const shared = m > 0 && K ? K.f32(K.alloc(4 * W * H, false), W * H) : undefined;
  return at.map((t) => {
    const unsure = m > 0 ? (shared ? shared.fill(0) : new Float32Array(W * H)) : undefined;
    const ours = splatBetween(A, B, up.flow, down.flow, up.err, down.err, t, opts, unsure);
    if (!unsure) return ours;
    // A second synthesis: the in-between's own motion per block (our flows only seed the search), rebuilt from
    // overlapping blocks. Where per-pixel flow tears (hair, a swinging arm) it ghosts smoothly instead; it is
    // mixed in only as far as the splatting is unsure (up to `obmc`) or the flow torn (up to `tear`), so clean
    // motion keeps its sharp edges. Unchanged spots stay exact copies (the still snap); blocks would resample them.
    const still = opts.still ?? 8;
    obmcMix(ours, A, B, bilateralVectors(sa, sb, fp.ab, fp.ba, t), w / W, t, { unsure, diff, torn, still, m, tw });
    return ours;
  });
}

/** The frame at time t (default the middle) between `a` and `b`. */
export async function interpolate(a: Image, b: Image, t = 0.5, opts: InterpolateOptions = {}): Promise<Image> {
  return (await interpolateMany(a, b, [t], opts))[0];
}

/** The 50/50 (or (1-t)/t) cross-fade: the baseline every interpolator must beat. */
export function blend(a: Image, b: Image, t = 0.5): Image {
  check(a, b, [t]);
  const A = toChannels(a, 3), B = toChannels(b, 3);
  const out = new Uint8ClampedArray(A.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (1 - t) * A.data[i] + t * B.data[i];
  return { width: A.width, height: A.height, channels: 3, data: new Uint8Array(out.buffer) };
}
