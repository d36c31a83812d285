// Test fixtures made on the fly with ffmpeg's test sources (nothing copyrighted ships).
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/core/ffmpeg.js';
import { makeSample, type SampleTruth } from '../src/sample/synth.js';
import { VideoWriter } from '../src/core/video.js';
import type { SynthClip } from '../src/dictionary/synth.js';
import type { Detection, Image } from '../src/core/types.js';
import { combine, COLOUR_DIM, COLOUR_WEIGHT } from '../src/embed/index.js';
import type { CharacterDetector } from '../src/characters/types.js';

export const tmp = mkdtempSync(join(tmpdir(), 'toonscope-test-'));

let sample: { path: string; truth: SampleTruth } | undefined;
/** The 10 s synthetic clip with known cuts (made once per test process). */
export function sampleClip(): { path: string; truth: SampleTruth } {
  if (!sample) {
    const path = join(tmp, 'sample.mp4');
    sample = { path, truth: makeSample(path) };
  }
  return sample;
}

/** A camera pan over one still picture with drawings held for 3 frames: no cut anywhere. */
export function panClip(): string {
  const path = join(tmp, 'pan.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=960x360:r=8:d=1',
    '-filter_complex', "[0:v]trim=end_frame=1,loop=loop=63:size=1,setpts=N/8/TB,crop=480:270:'min(n*8,480)':40,fps=24,format=yuv420p[v]",
    '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-frames:v', '180', path]);
  return path;
}

/**
 * Hard cuts the way trailers and episodes make them around dark frames, 240 frames at 24 fps, cuts at 48, 96, 144 and
 * 192: a pillarboxed picture cut to the same picture turned upside down (half the frame is black bars that never
 * change, and the colours stay the same: only the drawing's lines tell), a cut to a black title card (a small
 * caption) held two seconds, a cut back to a picture, and a last shot that fades out from its first frame.
 */
export function darkCutsClip(): string {
  const pic = 'scale=160:180,pad=320:180:80:0:black,setsar=1';
  return lavfiClip('dark-cuts.mp4', ['testsrc2=s=320x180:r=24:d=2', 'color=c=black:s=320x180:r=24:d=2', 'mandelbrot=s=320x180:r=24:end_scale=0.05', 'testsrc=s=320x180:r=24:d=2'], [
    `[0:v]trim=end_frame=48,setpts=N/24/TB,${pic},split[a0][a1]`,
    '[a1]hflip,vflip[b]',
    "[1:v]trim=end_frame=48,setpts=N/24/TB,drawbox=x=130:y=84:w=60:h=8:color=white:t=fill:enable='gte(n,6)'[k]",
    '[2:v]trim=end_frame=48,setpts=N/24/TB[c]',
    '[3:v]trim=end_frame=48,setpts=N/24/TB,fade=t=out:start_frame=0:nb_frames=48[d]',
    '[a0][b][k][c][d]concat=n=5:v=1:a=0,format=yuv420p[v]',
  ]);
}

/**
 * A slow fade through black in a dim scene, 240 frames at 24 fps: a dark picture (about a sixth of full light) fading
 * out over 4 s to one second of black (frames 108-131), then a dark picture fading in over 4 s. Near black its steps
 * move the mean light by under half a level a frame: a fade all the same, one boundary in the black.
 */
export function slowFadeClip(): string {
  return fadeThroughBlack('slow-fade.mp4', { frames: 108, ramp: 96, dim: true });
}

/**
 * A quick fade through black, 144 frames at 24 fps: a bright picture fading out over its last 4 frames (56-59), a
 * second of black (60-83), a picture fading in over 4 frames (84-87). Each ramp step is a big change, as a cut's, but
 * none makes most of the change: a fade, one boundary.
 */
export function quickFadeClip(): string {
  return fadeThroughBlack('quick-fade.mp4', { frames: 60, ramp: 4, dim: false });
}

/** Two pictures of `frames` each around a second of black, fading out of the first and into the second over `ramp`. */
function fadeThroughBlack(name: string, o: { frames: number; ramp: number; dim: boolean }): string {
  const dim = o.dim ? 'lutrgb=r=val/6:g=val/6:b=val/6,' : '';
  return lavfiClip(name, ['testsrc=s=320x180:r=24:d=5', 'color=c=black:s=320x180:r=24:d=1', 'mandelbrot=s=320x180:r=24:end_scale=0.05'], [
    `[0:v]trim=end_frame=${o.frames},setpts=N/24/TB,${dim}fade=t=out:start_frame=${o.frames - o.ramp}:nb_frames=${o.ramp}[a]`,
    '[1:v]trim=end_frame=24,setpts=N/24/TB[k]',
    `[2:v]trim=end_frame=${o.frames},setpts=N/24/TB,${dim}fade=t=in:start_frame=0:nb_frames=${o.ramp}[c]`,
    '[a][k][c]concat=n=3:v=1:a=0,format=yuv420p[v]',
  ]);
}

/**
 * A very dim picture (every channel a seventh of full) cut to a black card held two seconds and cut out to another as
 * dim, 144 frames at 24 fps, cuts at 48 and 96: too few blocks change for the cut detector to see the first.
 */
export function dimCardClip(): string {
  const dim = 'lutrgb=r=val/7:g=val/7:b=val/7';
  return lavfiClip('dim-card.mp4', ['testsrc=s=320x180:r=24:d=2', 'color=c=black:s=320x180:r=24:d=2', 'mandelbrot=s=320x180:r=24:end_scale=0.05'], [
    `[0:v]trim=end_frame=48,setpts=N/24/TB,${dim}[a]`,
    '[1:v]trim=end_frame=48,setpts=N/24/TB[k]',
    `[2:v]trim=end_frame=48,setpts=N/24/TB,${dim}[c]`,
    '[a][k][c]concat=n=3:v=1:a=0,format=yuv420p[v]',
  ]);
}

/**
 * A whip-pan over a held drawing, then a cut, 120 frames at 24 fps: a camera over a wide still picture jumping about a
 * fifth of the frame every 3 frames (70 of 320 px: not a whole number of the 16 x 16 thumbnail's cells, which the
 * camera-step test moves the frame before by) until frame 71, cut at 72 to a bar chart held two seconds. Temporal noise
 * on every frame stands for a compressed episode's (held frames differ by about 1-2 levels at analysis size). The
 * steps change much of the picture each, as a cut does; the cut is no more than 3 times the steps, and comes on
 * the pan's last step.
 */
export function whipPanClip(): string {
  return lavfiClip('whip-pan.mp4', ['testsrc2=s=2240x180:r=24:d=1', 'smptehdbars=s=320x180:r=24:d=2'], [
    "[0:v]trim=end_frame=1,loop=loop=71:size=1,setpts=N/24/TB,crop=320:180:'floor(n/3)*70':0[a]",
    '[1:v]trim=end_frame=48,setpts=N/24/TB,vflip[b]',
    '[a][b]concat=n=2:v=1:a=0,noise=alls=6:allf=t,format=yuv420p[v]',
  ]);
}

/**
 * Light changing inside a shot, and a dissolve, 264 frames at 24 fps: a still picture holds for 2 s, darkens to half its
 * light over the next 2 s (frames 48-95: a fade towards black that stops halfway) and holds so for 2 s; a cut at 144 to
 * a bright picture that dissolves over 1 s (frames 192-215) into a dark picture of other shapes (every part darker).
 */
export function relitClip(): string {
  return lavfiClip('relit.mp4', ['testsrc2=s=320x180:r=24:d=1', 'mandelbrot=s=320x180:r=24'], [
    '[0:v]trim=end_frame=1,loop=loop=239:size=1,setpts=N/24/TB,split=3[p][q][r]',
    '[p]trim=end_frame=96,fade=t=out:start_frame=48:nb_frames=96[a]',
    '[q]trim=start_frame=96:end_frame=144,setpts=N/24/TB,lutrgb=r=val/2:g=val/2:b=val/2[b]',
    '[r]trim=end_frame=72,setpts=N/24/TB,hflip,lutrgb=r=val/2+128:g=val/2+128:b=val/2+128[c]',
    '[1:v]trim=end_frame=1,loop=loop=71:size=1,setpts=N/24/TB,lutrgb=r=val/3:g=val/3:b=val/3[d]',
    '[c][d]xfade=transition=fade:duration=1:offset=2[cd]',
    '[a][b][cd]concat=n=3:v=1:a=0,format=yuv420p[v]',
  ]);
}

/** A 24 fps H.264 clip made by ffmpeg from lavfi `sources` and a filter `graph` ending in [v]. */
function lavfiClip(name: string, sources: string[], graph: string[]): string {
  const path = join(tmp, name);
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...sources.flatMap((s) => ['-f', 'lavfi', '-i', s]), '-filter_complex', graph.join(';'),
    '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-r', '24', path]);
  return path;
}

/** A variable-frame-rate clip: 10 frames at 10 fps then 10 frames at 30 fps. */
export function vfrClip(): string {
  const path = join(tmp, 'vfr.mkv');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x90:r=30:d=1',
    '-vf', "trim=end_frame=20,setpts='if(lt(N,10),N*9,90+(N-10)*3)/90/TB'", '-fps_mode', 'passthrough', '-c:v', 'ffv1', path]);
  return path;
}

/** Every frame shown twice under one timestamp (as in some VFR anime encodes): 40 distinct testsrc frames, 20 times. */
export function duplicatedTimesClip(): string {
  const path = join(tmp, 'dup-times.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x90:r=30:d=2',
    '-vf', "trim=end_frame=40,setpts='floor(N/2)*2/30/TB'", '-fps_mode', 'passthrough', '-c:v', 'libx264', '-g', '8', path]);
  return path;
}

/** Two seconds at `rate` (59.94 fps by default) whose times start at 1500 s (as in the last third of a long episode). */
export function lateTimesClip(rate = '60000/1001'): string {
  const path = join(tmp, `late-times-${rate.replace('/', '_')}.mp4`);
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=s=160x90:r=${rate}:d=2`,
    '-output_ts_offset', '1500', '-c:v', 'libx264', '-g', '30', path]);
  return path;
}

/** The first half of an mp4: with its index (moov) at the front it decodes partly; with the index at the end it cannot be read at all. */
export function truncatedClip(indexFirst = true): string {
  const tag = indexFirst ? 'faststart' : 'moov-at-end';
  const full = join(tmp, `full-${tag}.mp4`);
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=24:d=4',
    '-c:v', 'libx264', '-preset', 'veryfast', ...(indexFirst ? ['-movflags', '+faststart'] : []), full]);
  const bytes = readFileSync(full);
  const path = join(tmp, `truncated-${tag}.mp4`);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return path;
}

export function file(name: string, content: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

/** A drawn cast clip (dictionary/synth.ts) written once to a real video file. */
export async function writeSynthClip(path: string, clip: SynthClip): Promise<void> {
  if (existsSync(path)) return;
  const w = new VideoWriter(path, clip.width, clip.height, clip.fps, { crf: 12 });
  for (let i = 0; i < clip.frames; i++) await w.write(clip.render(i).image);
  await w.close();
}

/**
 * A detector chain that reports a drawn clip's truth bodies (more than half
 * visible), scaled to the analysed frame: the pipeline is under test, not
 * detection. `keep` picks identities (a chain that misses characters); after
 * `failAfter` calls it throws, as a killed run would stop.
 */
export class TruthBodies implements CharacterDetector {
  readonly name = 'truth';
  readonly labels = ['body'] as const;
  calls: number[] = [];
  constructor(private readonly clip: SynthClip, private readonly opts: { keep?: (identity: number, frame: number) => boolean; failAfter?: number } = {}) {}
  async detect(frame: Image, _prior: Detection[], frameIndex = 0): Promise<Detection[]> {
    if (this.calls.length >= (this.opts.failAfter ?? Infinity)) throw new Error('killed');
    this.calls.push(frameIndex);
    const sx = frame.width / this.clip.width;
    return this.clip.render(frameIndex).truth.filter((t) => t.visible > 0.5 && (this.opts.keep?.(t.identity, frameIndex) ?? true)).map((t) => ({
      frame: frameIndex, box: t.box.map((v) => v * sx) as Detection['box'], score: 0.9, label: 'body', mask: sx === 1 ? t.mask : undefined,
    }));
  }
}

/** Set an environment variable; the function returned puts it back as it was. */
function setEnv(name: string, value: string): () => void {
  const old = process.env[name];
  process.env[name] = value;
  return () => {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  };
}

/** Run `f` with the environment variable `name` set to `value`, restoring it after. */
export function withEnv<T>(name: string, value: string, f: () => T): T {
  const restore = setEnv(name, value);
  try {
    return f();
  } finally {
    restore();
  }
}

/** Run `f` on the JavaScript loops (WebAssembly kernels off), restoring the setting after. */
export function withJs<T>(f: () => T): T {
  return withEnv('TOONSCOPE_NO_WASM', '1', f);
}

/** Run `f` with GrabCut's helper thread asked for (`npm test` switches it off), restoring the setting after. */
export async function withCutThread<T>(f: () => Promise<T>): Promise<T> {
  const restore = setEnv('TOONSCOPE_CUT_THREAD', '1');
  try {
    return await f();
  } finally {
    restore();
  }
}

/** An embedding laid out as analyze stores it: `deep`, then a colour histogram lit in `bins`, mixed as embed mixes them. */
export function storedEmbedding(deep: Float32Array, bins: number[]): Float32Array {
  const colour = new Float32Array(COLOUR_DIM);
  for (const b of bins) colour[b] = 1;
  return combine([deep, colour], [1 - COLOUR_WEIGHT, COLOUR_WEIGHT]);
}

/** Run the CLI in this process and keep what it prints (its strings: the test runner's reports, buffers, go through). */
export async function printed(args: string[]): Promise<{ code: number; out: string }> {
  // Loaded here, not at the top: most test files never run the CLI.
  const { main } = await import('../src/cli/main.js');
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((c: string | Uint8Array, ...rest: never[]) => (typeof c === 'string' ? (out.push(c), true) : write.call(process.stdout, c, ...rest))) as typeof process.stdout.write;
  try {
    return { code: await main(args), out: out.join('') };
  } finally {
    process.stdout.write = write;
  }
}
