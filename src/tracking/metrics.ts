// Tracking metrics against truth boxes with identities.
//  MOTA (CLEAR MOT, Bernardin & Stiefelhagen 2008): per frame, truth and
//    hypothesis boxes are matched at IoU >= threshold, keeping last frame's
//    correspondences when still valid, Hungarian on the rest;
//    MOTA = 1 - (misses + false positives + identity switches) / truth boxes.
//  IDF1 (Ristani et al. 2016): one global one-to-one mapping between truth
//    and hypothesis identities maximising the frames where the pair overlaps;
//    IDF1 = 2 IDTP / (truth boxes + hypothesis boxes).
import { assign } from '../comics/hungarian.js';
import type { Box } from '../core/types.js';
import { iou } from '../core/box.js';

/** One box with an identity in one frame (truth or tracker output). */
export interface IdBox {
  frame: number;
  id: number | string;
  box: Box;
}

export interface MotResult {
  mota: number;
  idf1: number;
  truth: number;
  hyp: number;
  misses: number;
  falsePositives: number;
  switches: number;
  idtp: number;
  idp: number;
  idr: number;
}

function byFrame(xs: readonly IdBox[]): Map<number, IdBox[]> {
  const m = new Map<number, IdBox[]>();
  for (const x of xs) {
    if (!m.has(x.frame)) m.set(x.frame, []);
    m.get(x.frame)!.push(x);
  }
  return m;
}

/** MOTA and IDF1 of `hyp` against `truth` (frames absent from one side count as empty there). */
export function motMetrics(truth: readonly IdBox[], hyp: readonly IdBox[], threshold = 0.5): MotResult {
  const T = byFrame(truth), H = byFrame(hyp);
  const frames = [...new Set([...T.keys(), ...H.keys()])].sort((a, b) => a - b);
  let misses = 0, fps = 0, switches = 0;
  const last = new Map<string, string>(); // truth id -> hyp id of its last match
  const pairCount = new Map<string, Map<string, number>>(); // truth id -> hyp id -> frames overlapping
  for (const f of frames) {
    const ts = T.get(f) ?? [], hs = H.get(f) ?? [];
    const ov = ts.map((t) => hs.map((h) => iou(t.box, h.box)));
    // IDF1 counts every overlapping pair per frame before the per-frame matching.
    ts.forEach((t, i) => hs.forEach((h, j) => {
      if (ov[i][j] < threshold) return;
      const k = String(t.id);
      if (!pairCount.has(k)) pairCount.set(k, new Map());
      const m = pairCount.get(k)!;
      m.set(String(h.id), (m.get(String(h.id)) ?? 0) + 1);
    }));
    // CLEAR MOT: keep previous correspondences first.
    const tMatch = new Array<number>(ts.length).fill(-1);
    const hUsed = new Set<number>();
    ts.forEach((t, i) => {
      const prev = last.get(String(t.id));
      if (prev === undefined) return;
      const j = hs.findIndex((h, jj) => !hUsed.has(jj) && String(h.id) === prev && ov[i][jj] >= threshold);
      if (j >= 0) { tMatch[i] = j; hUsed.add(j); }
    });
    const ri = ts.map((_, i) => i).filter((i) => tMatch[i] < 0);
    const cj = hs.map((_, j) => j).filter((j) => !hUsed.has(j));
    if (ri.length && cj.length) {
      const a = assign(ri.map((i) => cj.map((j) => (ov[i][j] >= threshold ? 1 - ov[i][j] : 10))));
      a.forEach((k, r) => { if (k >= 0 && ov[ri[r]][cj[k]] >= threshold) { tMatch[ri[r]] = cj[k]; hUsed.add(cj[k]); } });
    }
    ts.forEach((t, i) => {
      if (tMatch[i] < 0) { misses++; return; }
      const hid = String(hs[tMatch[i]].id), prev = last.get(String(t.id));
      if (prev !== undefined && prev !== hid) switches++;
      last.set(String(t.id), hid);
    });
    fps += hs.length - hUsed.size;
  }
  // IDF1: maximise matched frames over a one-to-one identity mapping.
  const tIds = [...new Set(truth.map((t) => String(t.id)))];
  const hIds = [...new Set(hyp.map((h) => String(h.id)))];
  let idtp = 0;
  if (tIds.length && hIds.length) {
    const a = assign(tIds.map((t) => hIds.map((h) => -(pairCount.get(t)?.get(h) ?? 0))));
    a.forEach((j, i) => { if (j >= 0) idtp += pairCount.get(tIds[i])?.get(hIds[j]) ?? 0; });
  }
  const nT = truth.length, nH = hyp.length;
  return {
    mota: nT ? 1 - (misses + fps + switches) / nT : 0,
    idf1: nT + nH ? (2 * idtp) / (nT + nH) : 0,
    truth: nT, hyp: nH, misses, falsePositives: fps, switches, idtp,
    idp: nH ? idtp / nH : 0,
    idr: nT ? idtp / nT : 0,
  };
}
