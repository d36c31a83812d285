// `toonscope sample FILE.mp4`: generate the synthetic demo clip (and its truth).
import type { Command } from '../command.js';
import { makeSample } from '../../sample/synth.js';

export const sample: Command = {
  name: 'sample',
  summary: 'generate a 10 s synthetic clip with known cuts, a flash, a fade and a dissolve (plus its truth file)',
  usage: 'toonscope sample [OUT.mp4] [--size WxH]   (default samples/sample.mp4, 320x180)',
  options: { size: { type: 'string' } },
  async run(positionals, values, ctx) {
    const out = positionals[0] ?? 'samples/sample.mp4';
    const [width, height] = ((values.size as string | undefined) ?? '320x180').split('x').map(Number);
    const truth = makeSample(out, { width, height });
    ctx.result({ out, truth }, `wrote ${out} (${truth.frames} frames) and its truth file: cuts at ${truth.cuts.join(', ')} (${truth.kinds.join(', ')})`);
  },
};
