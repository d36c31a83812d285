// Reading order of panels: recursive cuts over panel boxes. Rows are read top
// to bottom; inside a row, columns left to right (or right to left for manga).
// A cut may pass through slanted panels' boxes by a tolerated overlap.
import type { Box } from '../core/types.js';

interface Cut { groups: number[][]; cost: number }

// Split items along one axis wherever the sorted extents leave a gap (or an
// overlap of at most `tol` of the smaller item). Cost = largest overlap used.
function cutAlong(boxes: Box[], items: number[], axis: 0 | 1, tol: number): Cut | undefined {
  const s = [...items].sort((a, b) => boxes[a][axis] - boxes[b][axis] || boxes[a][axis + 2] - boxes[b][axis + 2]);
  const groups: number[][] = [[s[0]]];
  let end = boxes[s[0]][axis] + boxes[s[0]][axis + 2];
  let minLen = boxes[s[0]][axis + 2];
  let cost = 0;
  for (let k = 1; k < s.length; k++) {
    const b = boxes[s[k]];
    const overlap = end - b[axis];
    const frac = overlap / Math.min(minLen, b[axis + 2]);
    if (frac <= tol) {
      cost = Math.max(cost, frac, 0);
      groups.push([s[k]]);
      minLen = b[axis + 2];
      end = b[axis] + b[axis + 2];
    } else {
      groups[groups.length - 1].push(s[k]);
      end = Math.max(end, b[axis] + b[axis + 2]);
      minLen = Math.min(minLen, b[axis + 2]);
    }
  }
  return groups.length > 1 ? { groups, cost } : undefined;
}

/** Panel indices in reading order. `tol` is the overlap (fraction of the smaller panel) a cut may cross. */
export function readingOrder(boxes: Box[], rtl = false, tol = 0.25): number[] {
  const out: number[] = [];
  const visit = (items: number[]) => {
    if (items.length <= 1) { out.push(...items); return; }
    const rows = cutAlong(boxes, items, 1, tol);
    const cols = cutAlong(boxes, items, 0, tol);
    // Rows first (how both western comics and manga are read) unless only columns cut cleanly.
    // Overlaps of a few percent (shared border lines, slight slants) count as clean cuts.
    if (rows && (!cols || rows.cost <= Math.max(cols.cost, 0.08))) { rows.groups.forEach(visit); return; }
    if (cols) { (rtl ? [...cols.groups].reverse() : cols.groups).forEach(visit); return; }
    // No cut at all (tangled overlaps): fall back to centres, top first.
    const c = (i: number) => [boxes[i][0] + boxes[i][2] / 2, boxes[i][1] + boxes[i][3] / 2];
    out.push(...[...items].sort((a, b) => c(a)[1] - c(b)[1] || (rtl ? c(b)[0] - c(a)[0] : c(a)[0] - c(b)[0])));
  };
  visit(boxes.map((_, i) => i));
  return out;
}
