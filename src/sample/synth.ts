// A synthetic clip with known shot boundaries, made by ffmpeg's own test
// sources, so the README's main job and the tests have legal material:
// held drawings (8 fps drawn, 24 fps shown), a hard cut, a white flash inside
// a shot (must not fire), a fade through black, a cross-dissolve, and a
// final cut to 12 fps drawings.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { local, run } from '../core/ffmpeg.js';

export interface SampleTruth {
  video: string;
  fps: number;
  frames: number;
  /** 0-based first frames of new shots. */
  cuts: number[];
  kinds: string[];
  notes: string;
}

const W = 320;
const H = 180;
const FPS = 24;

/** Write the sample video and `<video>.truth.json` beside it; returns the truth. */
export function makeSample(out: string, opts: { width?: number; height?: number } = {}): SampleTruth {
  const w = opts.width ?? W;
  const h = opts.height ?? H;
  mkdirSync(dirname(out), { recursive: true });
  const norm = `scale=${w}:${h},setsar=1,format=yuv420p,fps=${FPS}`;
  const src = (s: string) => ['-f', 'lavfi', '-i', s];
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    ...src(`testsrc2=s=${w}x${h}:r=8:d=2`),
    ...src(`mandelbrot=s=${w}x${h}:r=${FPS}:end_scale=0.05`),
    ...src(`color=c=black:s=${w}x${h}:r=${FPS}:d=0.25`),
    ...src(`testsrc=s=${w}x${h}:r=${FPS}:d=2`),
    ...src(`life=s=${w}x${h}:r=${FPS}:mold=10:ratio=0.5:life_color=#ff8040:death_color=#204060:seed=7`),
    ...src(`cellauto=s=${w}x${h}:r=12:rule=30:seed=3`),
    '-filter_complex', [
      `[0:v]${norm},trim=end_frame=48,setpts=N/${FPS}/TB[a]`,
      `[1:v]${norm},trim=end_frame=48,setpts=N/${FPS}/TB,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(n,20,21)',fade=t=out:start_frame=36:nb_frames=12[b]`,
      `[2:v]${norm},trim=end_frame=6,setpts=N/${FPS}/TB[k]`,
      `[3:v]${norm},trim=end_frame=48,setpts=N/${FPS}/TB,fade=t=in:start_frame=0:nb_frames=12[c]`,
      `[4:v]${norm},trim=end_frame=60,setpts=N/${FPS}/TB[d]`,
      `[c][d]xfade=transition=fade:duration=0.75:offset=1.25,trim=end_frame=90,setpts=N/${FPS}/TB[cd]`,
      `[5:v]${norm},trim=end_frame=48,setpts=N/${FPS}/TB[e]`,
      `[a][b][k][cd][e]concat=n=5:v=1:a=0,format=yuv420p[out]`,
    ].join(';'),
    '-map', '[out]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-g', '48', '-r', String(FPS), local(out),
  ];
  run('ffmpeg', args, out);
  const truth: SampleTruth = {
    video: out.split('/').pop() ?? out,
    fps: FPS,
    frames: 240,
    cuts: [48, 102, 141, 192],
    kinds: ['cut', 'fade', 'dissolve', 'cut'],
    notes: 'frames 0-47 held drawings on threes; white flash at frames 68-69 (not a cut); fade 84-113 through black 96-101; dissolve 132-149; 192-239 drawn on twos',
  };
  writeFileSync(out.replace(/\.[^.]+$/, '') + '.truth.json', `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}
