// The vanilla appearance embedding of a character crop:
//   deep   = MobileNetV2 (nsfwjs weights) global-pooled 1280-d feature of the
//            masked, square-padded crop resized to 224x224, pixels / 255;
//   colour = HSV histogram of the mask's pixels (colour.ts, 52-d);
//   vector = [sqrt(1-w) deep/|deep|, sqrt(w) colour/|colour|], L2 norm 1,
//            so cosine(vector) = (1-w) cosine(deep) + w cosine(colour).
import type { Detection, Image } from '../core/types.js';
import { runBackbone } from './backend.js';
import { colourFeatures } from './colour.js';
import { cropBox, toInput } from './crop.js';
import { combine, normalize } from './vector.js';

export { colourFeatures, colourPart, COLOUR_DIM, hsv } from './colour.js';
export { cropBox, padSquare, clipBox, PAD } from './crop.js';
export { normalize, cosine, dot, combine, meanVector } from './vector.js';
// loadBackbone/initBackend stay in backend.ts: their types are tfjs's, which the public declarations must not need.

export const DEEP_DIM = 1280;

/** Default weight of the colour histogram in the combined vector (`EmbedOptions.colourWeight`). */
export const COLOUR_WEIGHT = 0.3;

export interface EmbedOptions {
  /** Backbone input side in pixels (a multiple of 32). Default 224; 160 is ~2x faster. */
  size?: number;
  /** Crops per backbone call. Default 16. */
  batch?: number;
  /** Weight of the colour histogram in the combined vector, 0..1. Default `COLOUR_WEIGHT` (0.3). */
  colourWeight?: number;
  /**
   * A learned identity embedding (e.g. CCIP from `toonscope models`) used
   * instead of MobileNetV2 for the deep part; its vectors live in another
   * space, so callers must not mix the two (analyze records which one).
   */
  identity?: IdentityEmbedder;
}

/** What the deep part of the embedding can come from besides MobileNetV2. */
export interface IdentityEmbedder {
  /** Recorded with the vectors, e.g. "ccip". */
  readonly space: string;
  /** One L2-normalised vector per crop. */
  embed(crops: Image[]): Promise<Float32Array[]>;
}

/**
 * Deep features of RGB crops (any size; each is square-padded and resized).
 * Returns one L2-normalised 1280-d vector per image, in order.
 */
export async function embedCrops(images: Image[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
  const size = opts.size ?? 224, batch = opts.batch ?? 16;
  const out: Float32Array[] = [];
  for (let i = 0; i < images.length; i += batch) {
    const inputs = await Promise.all(images.slice(i, i + batch).map((im) => toInput(im, size)));
    for (const v of await runBackbone(inputs.map((x) => x.data), size)) out.push(normalize(v));
  }
  return out;
}

export interface CropEmbedding {
  deep: Float32Array;
  colour: Float32Array;
  /** The combined, L2-normalised vector (what tracking and the dictionary use). */
  vector: Float32Array;
}

/** Deep + colour + combined vectors of masked crops (`masks[i]` one byte per pixel of `images[i]`, or undefined). */
export async function embedMasked(images: Image[], masks: Array<Uint8Array | undefined>, opts: EmbedOptions = {}): Promise<CropEmbedding[]> {
  const w = opts.colourWeight ?? COLOUR_WEIGHT;
  const deep = opts.identity ? await opts.identity.embed(images) : await embedCrops(images, opts);
  return images.map((im, i) => {
    const colour = colourFeatures(im, masks[i]);
    return { deep: deep[i], colour, vector: combine([deep[i], colour], [1 - w, w]) };
  });
}

/**
 * Embed the detections of one frame: crop each box (background outside its
 * mask greyed), and set `det.embedding` to the combined vector. Returns the
 * detections (same objects) for chaining.
 */
export async function embedDetections(frame: Image, dets: Detection[], opts: EmbedOptions = {}): Promise<Detection[]> {
  const crops = dets.map((d) => cropBox(frame, d.box, d.mask));
  const embs = await embedMasked(crops.map((c) => c.image), crops.map((c) => c.mask), opts);
  dets.forEach((d, i) => { d.embedding = embs[i].vector; });
  return dets;
}
