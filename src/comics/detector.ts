// The detector the CLI uses for comics: a backend chain from src/characters
// ("cascade,grabcut" by default: anime faces, then GrabCut bodies seeded by
// them). The pipeline itself takes any DetectFn; this is the one place that
// chooses a concrete backend.
import type { Detection, Image } from '../core/types.js';
import { DEFAULT_CHAIN, parseChain } from '../characters/backends.js';

export interface ComicsDetector {
  name: string;
  detect: (img: Image) => Promise<Detection[]>;
  dispose: () => Promise<void>;
}

/** Run a characters backend chain as one DetectFn (each backend sees the earlier ones' detections). */
export function comicsDetector(spec: string = DEFAULT_CHAIN): ComicsDetector {
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
