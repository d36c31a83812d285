// Synfig animations as exact interpolation truth: render at 48 fps, then each
// odd frame is the exact in-between of its even neighbours (24 fps input); at
// 24 x f fps, the frames between every f-th are the in-betweens at j/f.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { readImage } from '../core/image.js';
import type { Image } from '../core/types.js';
import { spread, type Triplet } from './truth.js';
import { signature, type Signature } from './pairs.js';

export const SYNFIG_HINT = 'install it with `apt-get install synfig synfig-examples` (examples in /usr/share/doc/synfig-examples/examples)';

export interface SynfigClip {
  name: string;
  frames: string[];
  triplets: Triplet[];
  /** Signatures of every frame (held frames and cuts, for the eval's neighbouring drawings). */
  signatures: Signature[];
  /** Rendered at 24 x factor fps. */
  factor: number;
}

/** Render `seconds` of a .sif file at 24 x `factor` fps (default 48) into `dir` (PNG per frame) and list the frames. */
export function renderSynfig(sif: string, dir: string, seconds = 4, factor = 2): string[] {
  if (!existsSync(sif)) throw new ToonscopeError(sif, 'no such file');
  if (!/\.sifz?$/i.test(sif)) throw new ToonscopeError(sif, 'expected a synfig .sif or .sifz file');
  const probe = spawnSync('synfig', ['--version'], { stdio: 'ignore' });
  if (probe.error) throw new ToonscopeError(undefined, `synfig not found on PATH; ${SYNFIG_HINT}`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('synfig', ['-q', '-T', '2', '-t', 'png', '-i', sif, '--fps', String(24 * factor), '--begin-time', '0f',
    '--end-time', `${seconds}s`, '-o', join(dir, 'f.png')], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const frames = readdirSync(dir).filter((f) => /^f\.\d+\.png$/.test(f)).sort().map((f) => join(dir, f));
  if (r.status !== 0 || frames.length < 3) {
    const err = String(r.stderr ?? '').split('\n').filter((l) => /error/i.test(l)).pop() ?? `exit code ${r.status}`;
    throw new ToonscopeError(sif, `synfig could not render it (${err.trim()})`);
  }
  return frames;
}

/**
 * Triplets [fk, fk+j, f(k+1)] (j = 1 .. f-1) of a 24 x f fps render where something
 * moves (the ends differ and the truth differs from both ends), at most `max`, spread evenly.
 */
export async function synfigTriplets(sif: string, frames: string[], max = 12, factor = 2): Promise<SynfigClip> {
  const imgs = await Promise.all(frames.map((f) => readImage(f)));
  const out: Triplet[] = [];
  const moving = (p: number, q: number) => changed(imgs[p], imgs[q]) > 0.001;
  for (let a = 0; a + factor < frames.length; a += factor) {
    if (!moving(a, a + factor)) continue;
    for (let j = 1; j < factor; j++) if (moving(a, a + j) && moving(a + j, a + factor)) out.push([a, a + j, a + factor]);
  }
  return { name: basename(sif).replace(/\.sifz?$/i, ''), frames, triplets: spread(out, max), signatures: imgs.map(signature), factor };
}

/** Fraction of pixels that changed visibly (renders are noise-free, so any change is motion). */
function changed(a: Image, b: Image): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 3) {
    if (Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]) > 24) n++;
  }
  return n / (a.width * a.height);
}

export async function synfigFrame(clip: SynfigClip, i: number): Promise<Image> {
  return readImage(clip.frames[i]);
}
