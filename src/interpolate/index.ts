// Frame interpolation for animation: public API.
export { interpolate, interpolateMany, blend, type InterpolateOptions } from './interp.js';
export { interpolateVideo, inbetweenStream, type StreamOptions, type StreamReport, type VideoReport } from './video.js';
export { classifyPair, pairScore, signature, type PairKind, type PairThresholds } from './pairs.js';
export { segment, type Segment, type Segmentation } from './segment.js';
export { matchSegments, type Match } from './match.js';
export { psnr, ssim } from './metrics.js';
export { minterpolate, MINTERPOLATE_RECIPE } from './minterp.js';
export { evaluate, formatReport, type EvalReport } from './eval.js';
export { easeRate, easeTimes, motionSpeed, type EaseOptions, type Speeds } from './timing.js';
export { cartoonScene, drawScene, type Scene } from './synth.js';
