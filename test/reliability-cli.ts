// A real toonscope CLI process for the reliability tests (spawned as a child, so locks, signals and kill -9
// are real). It adds one detector, `truthface`, that reports the drawn clip's face boxes (the top of each
// figure), so the default body backend (grabcut) runs on characters the shipped anime-face cascade cannot
// see on drawn test figures. Runs only when spawned by the tests (node --test also loads every file in test/).
import type { Detection, Image } from '../src/core/types.js';
import { registerDetector } from '../src/characters/backends.js';
import { synthClip, type SynthClip } from '../src/dictionary/synth.js';
import { main } from '../src/cli/main.js';

/** The clip the workspace tests analyse: 4 short shots of 1-2 drawn characters. */
export function relClip(): SynthClip {
  return synthClip({ shots: 4, shotFrames: [18, 26], identities: 3, perShot: [1, 2], seed: 5 });
}

if (process.env.TOONSCOPE_RELIABILITY_CHILD === '1') {
  const clip = relClip();
  registerDetector('truthface', () => ({
    name: 'truthface',
    labels: ['face'],
    async detect(frame: Image, _prior: Detection[], index = 0): Promise<Detection[]> {
      const s = frame.width / clip.width;
      return clip.render(index).truth.filter((t) => t.visible > 0.5).map((t) => {
        const [x, y, w, h] = t.box;
        return { frame: index, box: [(x + 0.3 * w) * s, (y + 0.02 * h) * s, 0.4 * w * s, 0.16 * h * s], score: 0.9, label: 'face' };
      });
    },
  }));
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
