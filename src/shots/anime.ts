// The default detector for animation. Hard cuts must stand out against the
// local drawing-change rhythm (held-drawing-aware adaptive test), change the
// frame globally (most grid blocks that are not black in both frames, or the
// colour histogram: a mouth opening or a subtitle changes a few blocks; black
// bars and a black sky cannot change), and not be a flash (the picture must
// not come back within a few frames), nor a camera step: a change under 3
// times the shot's other drawing changes that is mostly the picture before,
// moved (a pan or zoom over held drawings jumps a fifth to a quarter of the
// frame at a time). Fades and dissolves come from their own detectors; a cut
// inside a gradual transition belongs to it.
import { AdaptiveDetector, type AdaptiveOptions } from './adaptive.js';
import { FadeDetector, type FadeOptions } from './fade.js';
import { DissolveDetector, type DissolveOptions } from './dissolve.js';
import { Combined } from './combine.js';
import { DARK, FIELD_INDEX, LAGS, THUMB } from './metrics.js';
import { changedMedian } from './context.js';
import { movedDiff } from './picture.js';

export interface AnimeCutOptions extends AdaptiveOptions {
  /** Share of grid blocks that must change for a cut (unless the histogram changes by `minHist`). */
  minBlocks?: number;
  minHist?: number;
  /** A frame coming back within this many frames makes the change a flash, not a cut. */
  flash?: number;
  /** "Coming back": the difference to the frame before the change falls below this share of the change. */
  flashReturn?: number;
  /**
   * A camera step: the change is under `ratio` times the median of the drawing changes around it and what is left of
   * it once the frame before is moved (thumbnails, see picture.ts `movedDiff`) is under this share of it. The two are
   * measured at different sizes on purpose: the change at the metrics' size, what is left at 16 x 16 cells, where the
   * lines a zoom step moves average out (the vertical clip's zoom at 327: moving explains none of the thumbnails'
   * change, but that change is 0.38 of the frame's), so a step that leaves the coarse picture as it was counts too.
   */
  moved?: number;
}

const MAX_FLASH = LAGS[LAGS.length - 1] - 1;

export class AnimeCutDetector extends AdaptiveDetector {
  override readonly name = 'anime-cut';
  private minBlocks: number;
  private minHist: number;
  private flash: number;
  private flashReturn: number;
  private moved: number;
  constructor(opts: AnimeCutOptions = {}) {
    super(opts, Math.max(opts.radius ?? 12, MAX_FLASH));
    this.minBlocks = opts.minBlocks ?? 0.7;
    this.minHist = opts.minHist ?? 0.2;
    this.flash = Math.min(opts.flash ?? MAX_FLASH, MAX_FLASH);
    this.flashReturn = opts.flashReturn ?? 0.35;
    this.moved = opts.moved ?? 0.5;
  }

  /**
   * The share of grid blocks that changed from frame i-1 to i, out of those that could: a block black in both frames
   * (pillar or letter bars, a dark vignette, a night sky; read off the thumbnails, 2 x 2 cells a block) cannot. A
   * trailer's cut from a face to its profile between black sides changed 40 of 64 blocks, 40 of the 48 not black.
   * When nearly everything is black (under a quarter of the frame left), the share of the whole frame as before: a
   * lantern flickering in the dark is not most of a picture.
   */
  private changed(i: number): number {
    const share = this.v(i, FIELD_INDEX.blocks1);
    const a = this.m[i - 1]?.thumb, b = this.m[i]?.thumb;
    if (!a || !b) return share;
    const grid = THUMB / 2;
    let unlit = 0;
    for (let by = 0; by < grid; by++) {
      for (let bx = 0; bx < grid; bx++) {
        let dark = true;
        for (let k = 0; k < 4 && dark; k++) {
          const t = ((by * 2 + (k >> 1)) * THUMB + bx * 2 + (k & 1)) * 3;
          dark = black(a, t) && black(b, t);
        }
        if (dark) unlit++;
      }
    }
    const open = grid * grid - unlit;
    // (A block black in both frames may still count as changed, a thin caption moving over it: at most all.)
    return open >= (grid * grid) / 4 ? Math.min(1, (share * grid * grid) / open) : share;
  }

  protected override score(i: number): number {
    const s = super.score(i);
    if (!s) return 0;
    const global = this.changed(i) >= this.minBlocks || this.v(i, FIELD_INDEX.hist1) >= this.minHist;
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
    if (this.cameraStep(i, d)) return 0;
    return s;
  }

  /**
   * The change into frame i is a step of the camera over a held drawing: it does not stand out against the drawing
   * changes around it (a pan or zoom animated on twos or threes makes one every few frames, each as big), and most of it
   * goes once the frame before is moved by up to a quarter of the frame (at 16 x 16 cells, so a zoom step, which moves
   * the lines but not the coarse picture, counts too). The adaptive test's own context counts every frame above 1
   * level, and the compression noise of held frames (1.2-2.2 levels) pulled its median down to where every step stood
   * out: a whip-pan along a kunai (Naruto) and a zoom on a face (the vertical clip) were cut thrice. Here a frame that
   * changed no grid block is held. Either test alone fails: a cut just after the whip-pan is no bigger than its steps
   * (but little of it goes when moved: 0.68), and a trailer cut between two framings of one dark room goes half
   * (0.50) when moved (but stands alone: no other frame near it changed a block).
   */
  private cameraStep(i: number, d: number): boolean {
    const B = FIELD_INDEX.blocks1, D = FIELD_INDEX.diff1;
    const ctx = changedMedian((j) => (this.v(j, B) > 0 ? this.v(j, D) : 0), i, this.radius, 0);
    if (!(d < this.ratio * ctx)) return false;
    const a = this.m[i - 1]?.thumb, b = this.m[i]?.thumb;
    return !!a && !!b && movedDiff(a, b) < this.moved * d;
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

/** A thumbnail cell is black as a pixel is for the metrics' `dark`: every channel under DARK. */
function black(t: Uint8Array, k: number): boolean {
  return t[k] < DARK && t[k + 1] < DARK && t[k + 2] < DARK;
}
