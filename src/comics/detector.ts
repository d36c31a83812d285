// The detector the CLI uses for comics. The pipeline itself takes any DetectFn;
// this is the one place that chooses a concrete backend.
import type { Detection, Image } from '../core/types.js';

export interface ComicsDetector {
  name: string;
  detect: (img: Image) => Promise<Detection[]>;
  dispose?: () => Promise<void> | void;
}

/** The character detector for comic panels, or undefined when none is available. */
export async function comicsDetector(): Promise<ComicsDetector | undefined> {
  return undefined;
}
