// The detector the CLI uses for comics: a backend chain from src/characters
// ("cascade,grabcut" by default: anime faces, then GrabCut bodies seeded by
// them). The pipeline itself takes any DetectFn; this is the one place that
// chooses a concrete backend.
import type { Detection, Image } from '../core/types.js';
import { parseChain } from '../characters/backends.js';
import { detectFigures } from './figures.js';

/** The comics default: ink figures (figures.ts), which finds far more on comic pages than the anime chain. */
export const COMICS_DEFAULT = 'figures';

/** A character detector for comic pages, as `comicsDetector` builds it; `dispose()` when done. */
export interface ComicsDetector {
  name: string;
  detect: (img: Image) => Promise<Detection[]>;
  dispose: () => Promise<void>;
}

/** "figures", or a characters backend chain run as one DetectFn (each backend sees the earlier ones' detections). */
export function comicsDetector(spec: string = COMICS_DEFAULT): ComicsDetector {
  if (spec === 'figures') return { name: spec, detect: detectFigures, dispose: async () => {} };
  const chain = parseChain(spec);
  return {
    name: spec,
    detect: async (img) => {
      const all: Detection[] = [];
      for (const d of chain) all.push(...(await d.detect(img, all)));
      return all;
    },
    dispose: async () => {
      for (const d of chain) await d.dispose?.();
    },
  };
}
