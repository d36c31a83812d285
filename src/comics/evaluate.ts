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
}

export interface PageScore {
  truth: number;
  found: number;
  /** IoU of each true panel with its matched found panel (0 when unmatched), in truth order. */
  ious: number[];
  meanIoU: number;
  at: Record<string, { precision: number; recall: number; tp: number }>;
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
      return { image: page.image, panels: page.panels ?? null, note: page.note, path: resolve(root, page.image) };
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
  return { truth: truth.length, found: found.length, ious, meanIoU: ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : 1, at };
}
