// Detectors by name, for the CLI and the library's `detectShots`.
import type { ShotDetector } from './detector.js';
import { animeDetector } from './anime.js';
import { ContentDetector } from './content.js';
import { AdaptiveDetector } from './adaptive.js';
import { HistogramDetector } from './histogram.js';
import { FadeDetector } from './fade.js';
import { DissolveDetector } from './dissolve.js';
import { LatentDetector } from './latent.js';
import { Combined } from './combine.js';

/** Every shot detector by name, with a one-line summary (the names `detectShots` accepts as `detector`). */
export const DETECTORS: Record<string, { summary: string; make: () => ShotDetector }> = {
  anime: { summary: 'default: held-drawing-aware cuts without flashes, plus fades and dissolves', make: () => animeDetector() },
  content: { summary: 'fixed threshold on the frame difference (PySceneDetect content)', make: () => new ContentDetector() },
  adaptive: { summary: 'frame difference against its local context', make: () => new AdaptiveDetector() },
  histogram: { summary: 'colour-histogram change', make: () => new HistogramDetector() },
  fade: { summary: 'fades to/from black or white only', make: () => new FadeDetector() },
  dissolve: { summary: 'cross-dissolves only', make: () => new DissolveDetector() },
  latent: { summary: 'learned: latent jumps of a linear autoencoder fitted on the video itself', make: () => new LatentDetector() },
  'latent+fades': {
    summary: 'latent cuts plus fades and dissolves',
    make: () => new Combined('latent+fades', [new LatentDetector(), new FadeDetector(), new DissolveDetector()]),
  },
};

/** The shot detector used when none is named: `anime`, built for held drawings, flashes and fades. */
export const DEFAULT_DETECTOR = 'anime';

export function makeDetector(name: string): ShotDetector {
  const d = DETECTORS[name];
  if (!d) throw new Error(`unknown detector "${name}"`);
  return d.make();
}
