// `npm run bench -- interpolate-video`: only the whole-command comparison of
// `toonscope interpolate -x 2` with ffmpeg's minterpolate (bench/interpolate.ts),
// without the per-in-between timings the full `interpolate` part adds first.
import { videoVsMinterpolate } from './interpolate.js';

export function benchInterpolateVideo(): Promise<Record<string, number | string>> {
  return videoVsMinterpolate();
}
