// Histogram detector: a cut where the colour distribution changes (half-L1
// distance of 64-bin RGB histograms, 0..1). Ignores motion and pans
// entirely, but misses cuts between shots with the same palette.
import { ThresholdDetector, type ThresholdOptions } from './threshold.js';

export class HistogramDetector extends ThresholdDetector {
  constructor(opts: ThresholdOptions = {}) {
    super('histogram', 'hist1', 0.3, opts);
  }
}
