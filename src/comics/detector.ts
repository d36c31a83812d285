// The detector the CLI uses for comics: a backend chain from src/characters
// ("cascade,grabcut" by default: anime faces, then GrabCut bodies seeded by
// them). The pipeline itself takes any DetectFn; this is the one place that
// chooses a concrete backend.
import type { Detection, Image } from '../core/types.js';
import type { CharacterDetector } from '../characters/types.js';
import { installedDetectors } from '../models/chain.js';
import { detectFigures } from './figures.js';

/** The comics default: ink figures (figures.ts), which finds far more on comic pages than the anime chain. */
export const COMICS_DEFAULT = 'figures';

/** A character detector for comic pages, as `comicsDetector` builds it; `dispose()` when done. */
export interface ComicsDetector {
  name: string;
  detect: (img: Image) => Promise<Detection[]>;
  dispose: () => Promise<void>;
}

/**
 * "figures", or a characters backend chain run as one DetectFn (each backend
 * sees the earlier ones' detections). With no spec, installed learned
 * face/head/person detectors (toonscope models) are used when there are any
 * (`models`: auto, none or names), else the ink figures.
 */
export async function comicsDetector(spec?: string, models?: string): Promise<ComicsDetector> {
  let chain: CharacterDetector[];
  if (!spec) {
    const learned = await installedDetectors(models);
    chain = [learned.face, learned.body].filter((d): d is CharacterDetector => Boolean(d));
    if (!chain.length) spec = COMICS_DEFAULT;
  }
  if (spec === 'figures') return { name: spec, detect: detectFigures, dispose: async () => {} };
  // The characters backends (cascade, GrabCut, ONNX) load only for a chain: the default ink figures skip ~50 ms of imports.
  chain ??= (await import('../characters/backends.js')).parseChain(spec);
  return {
    name: spec ?? chain.map((d) => d.name).join(','),
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
