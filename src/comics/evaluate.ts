// Panel evaluation: one-to-one matching of found boxes to true boxes by IoU
// (Hungarian), then precision/recall at IoU thresholds and the mean IoU.
import { dirname, resolve } from 'node:path';
import type { Box } from '../core/types.js';
import { z, integer, box, readJsonFile } from '../core/schema.js';
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

const PanelTruthFile = z.looseObject({
  pages: z.array(z.looseObject({
    image: z.string().min(1),
    panels: z.array(box).nullish(),
    note: z.string().optional(),
    characters: z.array(z.looseObject({ panel: integer().min(0), identity: z.string().min(1), box, face: box.optional() })).optional(),
  }).superRefine((p, ctx) => {
    // A character in a panel the page does not have would be scored against nothing.
    if (p.panels) p.characters?.forEach((c, k) => {
      if (c.panel >= p.panels!.length) ctx.addIssue({ code: 'custom', path: ['characters', k, 'panel'], message: `expected an index into "panels" (< ${p.panels!.length}), got ${c.panel}` });
    });
  })),
});

export function loadTruth(file: string, dataRoot?: string): { pages: (TruthPage & { path: string })[] } {
  const doc = readJsonFile(PanelTruthFile, file, 'expected {"pages":[{"image":..., "panels":[[x,y,w,h],...]}]}');
  const root = dataRoot ?? dirname(file);
  return {
    pages: doc.pages.map((page) => ({
      image: page.image, panels: (page.panels ?? null) as Box[] | null, note: page.note, characters: (page.characters ?? []) as NonNullable<TruthPage['characters']>, path: resolve(root, page.image),
    })),
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
