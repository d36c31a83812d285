// Content detector: a cut where the mean RGB difference to the previous frame
// exceeds a fixed threshold (0..255; PySceneDetect's ContentDetector on our
// scale). Simple and predictable; fires on flashes and fast action, so it is
// not the anime default.
import { ThresholdDetector, type ThresholdOptions } from './threshold.js';

export class ContentDetector extends ThresholdDetector {
  constructor(opts: ThresholdOptions = {}) {
    super('content', 'diff1', 30, opts);
  }
}
