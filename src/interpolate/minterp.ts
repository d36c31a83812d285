// The ffmpeg baseline: motion-compensated interpolation by the minterpolate
// filter (mi_mode=mci, its defaults otherwise). minterpolate needs frames on
// both sides of the gap, so the pair is fed as a 4-frame 1 fps PNG sequence
// a, a, c, c and resampled to 2 fps; the output frame at 1.5 s (the 4th) is the
// in-between of the a->c step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readImage, writeImage } from '../core/image.js';
import { run } from '../core/ffmpeg.js';
import type { Image } from '../core/types.js';

export const MINTERPOLATE_RECIPE =
  'ffmpeg -framerate 1 -i f%d.png (f1=f2=a, f3=f4=c) -vf minterpolate=fps=2:mi_mode=mci o%d.png; the middle frame is o4.png (pts 1.5 s)';

export async function minterpolate(a: Image, c: Image): Promise<Image> {
  const dir = mkdtempSync(join(tmpdir(), 'toonscope-mi-'));
  try {
    await Promise.all([1, 2, 3, 4].map((k) => writeImage(join(dir, `f${k}.png`), k <= 2 ? a : c)));
    run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-framerate', '1', '-i', join(dir, 'f%d.png'),
      '-vf', 'minterpolate=fps=2:mi_mode=mci', '-pix_fmt', 'rgb24', join(dir, 'o%d.png')]);
    return await readImage(join(dir, 'o4.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
