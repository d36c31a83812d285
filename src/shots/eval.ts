// Shot-boundary evaluation: precision / recall / F1 with a frame tolerance.
// Truth files: toonscope/anime JSON ({"cuts": [...], "video": ...}) or
// PySceneDetect scene CSVs (scene list with start frames). A gradual
// detection (fade, dissolve) matches a truth boundary anywhere inside its
// span, as in TRECVID's shot-boundary evaluation; a cut must be within the
// tolerance of its frame.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, basename, resolve } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import type { Transition } from '../core/types.js';
import { boundaries } from './shots.js';
import { prf, type PRF } from '../core/prf.js';
import { z, check, frame, readJsonFile } from '../core/schema.js';

export interface Truth {
  file: string;
  /** Video the truth belongs to, when the file says (resolved next to the truth file). */
  video?: string;
  cuts: number[];
  /** Crop filter for multi-panel clips ("crop the left third"). */
  crop?: string;
}

/** `{"cuts": [frame, ...], "video": "clip.mp4", "layout": "... left third ..."}`; other fields are free notes. */
const ShotTruth = z.looseObject({ cuts: z.array(frame), video: z.string().min(1).optional(), layout: z.string().optional() });

export function loadTruth(file: string): Truth {
  if (!existsSync(file)) throw new ToonscopeError(file, 'no such truth file');
  if (statSync(file).isDirectory()) throw new ToonscopeError(file, 'is a folder, expected a truth file (.json, or a PySceneDetect .csv)');
  if (file.endsWith('.json')) {
    const j = readJsonFile(ShotTruth, file, 'expected {"cuts": [frame, ...], "video": "clip.mp4"}');
    const video = j.video !== undefined ? resolve(dirname(file), j.video) : guessVideo(file);
    const crop = /left third/.test(j.layout ?? '') ? 'crop=iw/3:ih:0:0' : undefined;
    return { file, video, cuts: j.cuts, crop };
  }
  return { file, video: guessVideo(file), cuts: parseSceneCsv(file, readFileSync(file, 'utf8')) };
}

/** Scene start frames (except the first scene's) from a PySceneDetect CSV. */
function parseSceneCsv(file: string, text: string): number[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const headerAt = lines.findIndex((l) => /frame/i.test(l) && l.includes(','));
  if (headerAt < 0) throw new ToonscopeError(file, 'not a scene CSV (no header with a frame column)');
  const header = lines[headerAt].split(',').map((h) => h.trim().toLowerCase());
  const col = header.findIndex((h) => h === 'start frame' || h === 'frame');
  if (col < 0) throw new ToonscopeError(file, 'scene CSV has no "frame" or "Start Frame" column');
  const starts: number[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    // The scene table ends at the first short row (PySceneDetect appends a timecode list after a blank line).
    if (cells.length < header.length) break;
    // A full row with a frame that is no frame number is a broken file, not the end of the table.
    const cell = cells[col].trim();
    const v = /^[+-]?\d+(\.\d*)?$/.test(cell) ? Math.round(Number(cell)) : cell;
    starts.push(check(frame, v, file, `line ${i + 1}, column "${header[col]}"`));
  }
  // PySceneDetect's list-scenes numbers frames from 1 ("Start Frame"); the short format is 0-based.
  const offset = header[col] === 'start frame' ? 1 : 0;
  return starts.map((s) => s - offset).filter((s) => s > 0);
}

function guessVideo(file: string): string | undefined {
  const stem = basename(file).replace(/(\.truth)?\.json$|_scenes\.csv$|\.csv$/, '');
  for (const ext of ['.mp4', '.mkv', '.webm', '.mov', '.avi']) {
    const p = join(dirname(file), stem + ext);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface Score extends PRF {
  tolerance: number;
  truth: number;
  detected: number;
  /** Detected boundary frames with no truth match. */
  falsePositives: number[];
  /** Truth frames nobody matched. */
  misses: number[];
}

/** One-to-one matching of detected boundaries to truth frames, closest pairs first. */
export function score(detected: Transition[], truth: number[], tolerance: number): Score {
  const det = boundaries(detected);
  const pairs: { d: number; t: number; dist: number }[] = [];
  det.forEach((b, d) => {
    truth.forEach((f, t) => {
      const inside = b.kind !== 'cut' && f >= b.start - tolerance && f <= b.end + tolerance;
      const dist = Math.abs(b.frame - f);
      if (dist <= tolerance || inside) pairs.push({ d, t, dist });
    });
  });
  pairs.sort((a, b) => a.dist - b.dist);
  const usedD = new Set<number>();
  const usedT = new Set<number>();
  for (const p of pairs) {
    if (usedD.has(p.d) || usedT.has(p.t)) continue;
    usedD.add(p.d);
    usedT.add(p.t);
  }
  const tp = usedD.size;
  return {
    tolerance,
    truth: truth.length,
    detected: det.length,
    ...prf(tp, det.length - tp, truth.length - tp),
    falsePositives: det.filter((_, i) => !usedD.has(i)).map((b) => b.frame),
    misses: truth.filter((_, i) => !usedT.has(i)),
  };
}

/** Sum several clips' scores (micro-average). */
export function total(scores: Score[]): Omit<Score, 'falsePositives' | 'misses'> {
  const s = scores.reduce((a, b) => ({ truth: a.truth + b.truth, detected: a.detected + b.detected, tp: a.tp + b.tp }), { truth: 0, detected: 0, tp: 0 });
  return { tolerance: scores[0]?.tolerance ?? 0, truth: s.truth, detected: s.detected, ...prf(s.tp, s.detected - s.tp, s.truth - s.tp) };
}
