// The character-detection contract: every backend (classical, cascade, ONNX)
// speaks Detection from core/types and plugs in behind CharacterDetector.
import type { Detection, Image } from '../core/types.js';

export type CharacterLabel = 'face' | 'body';

/** One pluggable backend. Backends run in a chain; each sees the detections of the ones before (e.g. faces seed body masks). */
export interface CharacterDetector {
  /** Short backend name recorded in outputs, e.g. "cascade" or "onnx:model.onnx". */
  readonly name: string;
  /** Labels this backend produces. */
  readonly labels: readonly CharacterLabel[];
  /** Detect in one RGB frame. `prior` holds earlier backends' detections for the same frame. Returned boxes are in frame pixels; masks are box-sized. */
  detect(frame: Image, prior: Detection[], frameIndex?: number): Promise<Detection[]>;
  /** A quicker, less thorough `detect` for frames between keyframes, which their neighbours back up (optional). */
  glance?(frame: Image, prior: Detection[], frameIndex?: number): Promise<Detection[]>;
  /** Free native resources (sessions, WASM objects). */
  dispose?(): Promise<void> | void;
}

/** A character in one frame: its body (box + instance mask) and, where visible, its face. */
export interface Character {
  /** Missing only when a face was found with no body backend (or none that matched). */
  body?: Detection;
  face?: Detection;
}
