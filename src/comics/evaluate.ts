// Panel evaluation: one-to-one matching of found boxes to true boxes by IoU
// (Hungarian), then precision/recall at IoU thresholds and the mean IoU.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Box } from '../core/types.js';
import { ToonscopeError } from '../core/errors.js';
import { iou } from './geometry.js';
import { assign } from './hungarian.js';

/** Truth file: `{"pages":[{"image":"rel/path.png","panels":[[x,y,w,h],...]}]}`; `panels: null` = no truth (run and report only). */
export interface TruthPage {
  image: string;
  panels: Box[] | null;
  note?: string;
  /** Optional characters: `panel` is the index into `panels`, `identity` any name shared by one character's instances. */
  characters?: { panel: number; identity: string; box: Box; face?: Box }[];
}

export interface PageScore {
  truth: number;
  found: number;
  /** IoU of each true panel with its matched found panel (0 when unmatched), in truth order. */
  ious: number[];
  meanIoU: number;
  at: Record<string, { precision: number; recall: number; tp: number }>;
  /** Truth boxes are listed in reading order: do the found panels matched at IoU >= 0.5 come in the same order? */
  orderOk: boolean;
}

export function loadTruth(file: string, dataRoot?: string): { pages: (TruthPage & { path: string })[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message.split('\n')[0]})`;
    throw new ToonscopeError(file, msg);
  }
  const pages = (doc as { pages?: unknown }).pages;
  if (!Array.isArray(pages)) throw new ToonscopeError(file, 'expected {"pages":[{"image":..., "panels":[[x,y,w,h],...]}]}');
  const root = dataRoot ?? dirname(file);
  return {
    pages: pages.map((p, k) => {
      const page = p as TruthPage;
      if (typeof page.image !== 'string') throw new ToonscopeError(file, `page ${k}: "image" must be a path`);
      const ok = page.panels === null || page.panels === undefined || (Array.isArray(page.panels) && page.panels.every((b) => Array.isArray(b) && b.length === 4 && b.every(Number.isFinite)));
      if (!ok) throw new ToonscopeError(file, `page ${k} (${page.image}): "panels" must be a list of [x, y, w, h] or null`);
      const chars = page.characters ?? [];
      const isBox = (b: unknown) => Array.isArray(b) && b.length === 4 && b.every(Number.isFinite);
      if (!Array.isArray(chars) || !chars.every((c) => c && Number.isInteger(c.panel) && typeof c.identity === 'string' && isBox(c.box) && (c.face === undefined || isBox(c.face)))) {
        throw new ToonscopeError(file, `page ${k} (${page.image}): "characters" must be a list of {"panel": n, "identity": "name", "box": [x, y, w, h]}`);
      }
      return { image: page.image, panels: page.panels ?? null, note: page.note, characters: chars, path: resolve(root, page.image) };
    }),
  };
}

export function scorePage(found: Box[], truth: Box[], thresholds = [0.5, 0.9]): PageScore {
  const cost = truth.map((t) => found.map((f) => 1 - iou(t, f)));
  const match = assign(cost);
  const ious = truth.map((t, i) => (match[i] >= 0 ? iou(t, found[match[i]]) : 0));
  const at: PageScore['at'] = {};
  for (const th of thresholds) {
    const tp = ious.filter((v) => v >= th).length;
    at[String(th)] = { tp, precision: found.length ? tp / found.length : truth.length ? 0 : 1, recall: truth.length ? tp / truth.length : 1 };
  }
  const seq = truth.map((_, i) => (ious[i] >= 0.5 ? match[i] : -1)).filter((j) => j >= 0);
  const orderOk = seq.every((j, k) => k === 0 || j > seq[k - 1]);
  return { truth: truth.length, found: found.length, ious, meanIoU: ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : 1, at, orderOk };
}

export interface IdentityScore {
  instances: number;
  identities: { truth: number; found: number };
  /** Over pairs of instances: found "same character" pairs that are truly the same, and true same pairs found. */
  pairPrecision: number;
  pairRecall: number;
  pairF1: number;
}

/** Pairwise scoring of a grouping (`found` ids) against true identity names. */
export function scoreIdentities(found: number[], truth: string[]): IdentityScore {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      const same = found[i] === found[j], real = truth[i] === truth[j];
      if (same && real) tp++;
      else if (same) fp++;
      else if (real) fn++;
    }
  }
  const pairPrecision = tp + fp ? tp / (tp + fp) : 1, pairRecall = tp + fn ? tp / (tp + fn) : 1;
  return {
    instances: found.length,
    identities: { truth: new Set(truth).size, found: new Set(found).size },
    pairPrecision, pairRecall,
    pairF1: pairPrecision + pairRecall ? (2 * pairPrecision * pairRecall) / (pairPrecision + pairRecall) : 0,
  };
}

export interface DetectionScore {
  truth: number;
  found: number;
  /** True characters matched one to one by a found character box at IoU >= 0.5. */
  tp: number;
  precision: number;
  recall: number;
  /** Faces alone, matched one to one at IoU >= 0.5. */
  faces: { truth: number; found: number; tp: number };
  /** Of the matched characters with a true face, how many carry a found face on it (IoU >= 0.5): faces paired with the right body. */
  pairing: { total: number; ok: number };
  /** Identity grouping over the matched characters (found ids vs true names). */
  identities: IdentityScore;
}

/** Score detected characters (box + identity number) against true ones (box + identity name), per page lists matched within a page. */
export function scoreDetected(pages: { found: { box: Box; identity: number; face?: { box: Box } }[]; truth: { box: Box; identity: string; face?: Box }[] }[], min = 0.5): DetectionScore {
  let tp = 0, nt = 0, nf = 0;
  const faces = { truth: 0, found: 0, tp: 0 }, pairing = { total: 0, ok: 0 };
  const ids: number[] = [], names: string[] = [];
  for (const { found, truth } of pages) {
    nt += truth.length;
    nf += found.length;
    const match = assign(truth.map((t) => found.map((f) => 1 - iou(t.box, f.box))));
    truth.forEach((t, i) => {
      const j = match[i];
      if (j < 0 || iou(t.box, found[j].box) < min) return;
      tp++;
      ids.push(found[j].identity);
      names.push(t.identity);
      if (t.face) {
        pairing.total++;
        const f = found[j].face;
        if (f && iou(t.face, f.box) >= min) pairing.ok++;
      }
    });
    const tf = truth.flatMap((t) => (t.face ? [t.face] : [])), ff = found.flatMap((f) => (f.face ? [f.face.box] : []));
    const fm = assign(tf.map((t) => ff.map((f) => 1 - iou(t, f))));
    faces.truth += tf.length;
    faces.found += ff.length;
    faces.tp += tf.filter((t, i) => fm[i] >= 0 && iou(t, ff[fm[i]]) >= min).length;
  }
  return { truth: nt, found: nf, tp, precision: nf ? tp / nf : 0, recall: nt ? tp / nt : 1, faces, pairing, identities: scoreIdentities(ids, names) };
}
