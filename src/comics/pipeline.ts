// The comics pipeline: panels per page, characters per panel (from an injected
// detector), face-body pairs, and identities across every panel and page.
import type { Box, Detection, Image } from '../core/types.js';
import { crop } from '../core/image.js';
import { extractPanels, PANEL_MAX_SIDE, type Panel, type PanelOptions } from './panels.js';
import { pairFacesBodies } from './pairing.js';
import { cluster, distance, features } from './identity.js';
import { centre, insidePolygon, type Point } from './geometry.js';
import { gutterColour, type RGB } from './mask.js';
import { fillMaskPolygon, newMask, strokePolygon } from './raster.js';

/** Largest average distance at which two groups of figures are one character, unless told otherwise. */
export const IDENTITY_THRESHOLD = 0.35;

/** Any character detector: boxes in the given image's pixels, label 'face' or 'body'. */
export type DetectFn = (img: Image) => Promise<Detection[]>;

/** A character on a comic page: its panel, identity number across pages, box, face and body. */
export interface ComicCharacter {
  page: number;
  /** Reading-order index of the panel on its page (0-based; drawn as index + 1). */
  panel: number;
  /** Identity number, 1.. across all pages analysed together; the same number is the same character. */
  identity: number;
  box: Box;
  face?: { box: Box; score: number };
  body?: { box: Box; score: number };
}

/** One analysed comic page: its panels in reading order and the characters found in them. */
export interface ComicPage {
  name: string;
  width: number;
  height: number;
  panels: Panel[];
  characters: ComicCharacter[];
}

/** Options of `analyzeComics`: panel finding, the character detector, the identity threshold, progress. */
export interface ComicsOptions extends PanelOptions {
  detect?: DetectFn;
  /** Largest average distance at which two groups are the same character (default `IDENTITY_THRESHOLD`). */
  identityThreshold?: number;
  onPage?: (done: number) => void;
}

const shift = (d: Detection, dx: number, dy: number): Detection => ({ ...d, box: [d.box[0] + dx, d.box[1] + dy, d.box[2], d.box[3]] });

/** The panel's crop with everything outside its polygon, and the frame line itself, painted in
 * the gutter colour: a slanted panel's crop holds a strip of its neighbour. */
function isolate(img: Image, p: Panel, gutter: RGB): Image {
  const c = crop(img, p.box);
  const poly: Point[] = p.polygon.map(([x, y]) => [x - p.box[0], y - p.box[1]]);
  const inside = newMask(c.width, c.height);
  fillMaskPolygon(inside, poly);
  // Outside pixels take the gutter colour (gray crops its first channel; alpha is left alone).
  const n = c.channels, d = c.data, [r, g, b] = gutter;
  for (let i = 0; i < c.width * c.height; i++) {
    if (inside.data[i]) continue;
    if (n < 3) d[i * n] = r;
    else { d[i * n] = r; d[i * n + 1] = g; d[i * n + 2] = b; }
  }
  strokePolygon(c, poly, Math.max(10, Math.round(Math.min(c.width, c.height) * 0.03)), gutter);
  return c;
}

/** Run the detector on each panel, pair faces with bodies, and keep detections whose centre lies in the panel. */
export async function panelCharacters(img: Image, panels: Panel[], detect: DetectFn, gutter: RGB = gutterColour(img)) {
  const out: { panel: number; face?: Detection; body?: Detection; box: Box }[] = [];
  for (const p of panels) {
    const dets = (await detect(isolate(img, p, gutter))).map((d) => shift(d, p.box[0], p.box[1]))
      .filter((d) => insidePolygon(centre(d.box), p.polygon));
    const pairs = pairFacesBodies(dets.filter((d) => d.label === 'face'), dets.filter((d) => d.label === 'body'));
    for (const pr of pairs) out.push({ panel: p.index, face: pr.face, body: pr.body, box: pr.box });
  }
  return out;
}

/**
 * Panels in reading order on every page; with `detect`, the characters in each panel (faces paired with
 * bodies) and identities across all the pages (same number = same character).
 */
export async function analyzeComics(pages: { name: string; image: Image }[], opts: ComicsOptions = {}): Promise<{ pages: ComicPage[]; identities: number }> {
  const result: ComicPage[] = [];
  const all: { page: number; inst: Awaited<ReturnType<typeof panelCharacters>>[number]; f: ReturnType<typeof features> }[] = [];
  for (let k = 0; k < pages.length; k++) {
    const { name, image } = pages[k];
    const { panels, gutter } = await extractPanels(image, opts);
    result.push({ name, width: image.width, height: image.height, panels, characters: [] });
    if (opts.detect) {
      // The panel finder's gutter is this page's own estimate unless it was given or the page was reduced first.
      const own = !opts.gutter && Math.max(image.width, image.height) <= ((opts as { maxSide?: number }).maxSide ?? PANEL_MAX_SIDE);
      for (const inst of await panelCharacters(image, panels, opts.detect, own ? gutter : undefined)) all.push({ page: k, inst, f: features(image, inst) });
    }
    opts.onPage?.(k + 1);
  }
  const dist = all.map((a) => all.map((b) => distance(a.f, b.f)));
  const ids = cluster(dist, (i, j) => all[i].page === all[j].page && all[i].inst.panel === all[j].inst.panel, opts.identityThreshold ?? IDENTITY_THRESHOLD);
  all.forEach(({ page, inst }, i) => {
    result[page].characters.push({
      page, panel: inst.panel, identity: ids[i] + 1, box: inst.box,
      face: inst.face && { box: inst.face.box, score: inst.face.score },
      body: inst.body && { box: inst.body.box, score: inst.body.score },
    });
  });
  return { pages: result, identities: new Set(ids).size };
}
