// The ffmpeg baseline: motion-compensated interpolation by the minterpolate
// filter (mi_mode=mci, its defaults otherwise). minterpolate needs frames on
// both sides of the gap, so the pair is fed as a 4-frame 1 fps PNG sequence
// p, a, c, n (the input frames before a and after c; a and c repeated where
// there are none) and resampled to 2 fps; the output frame at 1.5 s (the 4th)
// is the in-between of the a->c step. For the in-between at j/f (a reduced
// fraction), resampled to f fps: the frame at (1 + j/f) s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readImage, writeImage } from '../core/image.js';
import { run } from '../core/ffmpeg.js';
import type { Image } from '../core/types.js';
import { reduce, type Ratio } from '../core/rate.js';

export const MINTERPOLATE_RECIPE =
  'ffmpeg -framerate 1 -i f%d.png (f1 = frame before a, or a; f2=a, f3=c, f4 = frame after c, or c) -vf minterpolate=fps=2:mi_mode=mci o%d.png; the middle frame is o4.png (pts 1.5 s); ' +
  'for the in-between at j/F: fps=F and o(F+j+1).png (pts 1 + j/F s)';

/** The in-between of a and c at time j/f (default 1/2); `prev` and `next` are the input frames around them, when there are any. */
export async function minterpolate(a: Image, c: Image, prev?: Image, next?: Image, at: Ratio = { num: 1, den: 2 }): Promise<Image> {
  const { num: j, den: f } = reduce(at.num, at.den);
  const dir = mkdtempSync(join(tmpdir(), 'toonscope-mi-'));
  try {
    const seq = [prev ?? a, a, c, next ?? c];
    await Promise.all(seq.map((f, k) => writeImage(join(dir, `f${k + 1}.png`), f)));
    run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-framerate', '1', '-i', join(dir, 'f%d.png'),
      '-vf', `minterpolate=fps=${f}:mi_mode=mci`, '-pix_fmt', 'rgb24', join(dir, 'o%d.png')]);
    return await readImage(join(dir, `o${f + j + 1}.png`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
