// The default detector for animation. Hard cuts must stand out against the
// local drawing-change rhythm (held-drawing-aware adaptive test), change the
// frame globally (most grid blocks, or the colour histogram: a mouth opening
// or a subtitle changes a few blocks), and not be a flash (the picture must
// not come back within a few frames). Fades and dissolves come from their
// own detectors; a cut inside a gradual transition belongs to it.
import { AdaptiveDetector, type AdaptiveOptions } from './adaptive.js';
import { FadeDetector, type FadeOptions } from './fade.js';
import { DissolveDetector, type DissolveOptions } from './dissolve.js';
import { Combined } from './combine.js';
import { FIELD_INDEX, LAGS } from './metrics.js';

export interface AnimeCutOptions extends AdaptiveOptions {
  /** Share of grid blocks that must change for a cut (unless the histogram changes by `minHist`). */
  minBlocks?: number;
  minHist?: number;
  /** A frame coming back within this many frames makes the change a flash, not a cut. */
  flash?: number;
  /** "Coming back": the difference to the frame before the change falls below this share of the change. */
  flashReturn?: number;
}

const MAX_FLASH = LAGS[LAGS.length - 1] - 1;

export class AnimeCutDetector extends AdaptiveDetector {
  override readonly name = 'anime-cut';
  private minBlocks: number;
  private minHist: number;
  private flash: number;
  private flashReturn: number;
  constructor(opts: AnimeCutOptions = {}) {
    super(opts, Math.max(opts.radius ?? 12, MAX_FLASH));
    this.minBlocks = opts.minBlocks ?? 0.7;
    this.minHist = opts.minHist ?? 0.2;
    this.flash = Math.min(opts.flash ?? MAX_FLASH, MAX_FLASH);
    this.flashReturn = opts.flashReturn ?? 0.35;
  }

  protected override score(i: number): number {
    const s = super.score(i);
    if (!s) return 0;
    const global = this.v(i, FIELD_INDEX.blocks1) >= this.minBlocks || this.v(i, FIELD_INDEX.hist1) >= this.minHist;
    if (!global) return 0;
    const d = this.v(i, FIELD_INDEX.diff1);
    // diff(k+1) at frame i+k compares it with frame i-1, the last frame before
    // the change: the old picture coming back means the change was a flash.
    // diff(k+1) at frame i compares it with frame i-k-1: the picture from
    // before a flash coming back is the flash ending, not a cut either.
    for (let k = 1; k <= this.flash; k++) {
      if (this.v(i + k, FIELD_INDEX[`diff${k + 1}`]) < this.flashReturn * d) return 0;
      if (this.v(i, FIELD_INDEX[`diff${k + 1}`]) < this.flashReturn * d) return 0;
    }
    return s;
  }
}

export interface AnimeOptions {
  cut?: AnimeCutOptions;
  fade?: FadeOptions;
  dissolve?: DissolveOptions;
}

export function animeDetector(opts: AnimeOptions = {}): Combined {
  return new Combined('anime', [new AnimeCutDetector(opts.cut), new FadeDetector(opts.fade), new DissolveDetector(opts.dissolve)]);
}
