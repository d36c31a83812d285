// Shot lists for people and tools: CSV, JSON and a CMX3600 EDL for editors.
import { basename } from 'node:path';
import type { Shot, ShotEdge, Transition } from '../core/types.js';
import { ToonscopeError } from '../core/errors.js';
import { csv } from '../core/csv.js';
import { clock } from '../core/time.js';

/** SMPTE HH:MM:SS:FF at an integer timebase (non-drop frame). */
export function smpte(frame: number, base: number): string {
  const f = frame % base;
  const total = Math.floor(frame / base);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return [h, m, s, f].map((v) => String(v).padStart(2, '0')).join(':');
}

/** Columns of shots.csv: PySceneDetect's list-scenes columns, then toonscope's two. */
export const CSV_HEADER = ['Scene Number', 'Start Frame', 'Start Timecode', 'Start Time (seconds)', 'End Frame', 'End Timecode', 'End Time (seconds)',
  'Length (frames)', 'Length (timecode)', 'Length (seconds)', 'Shot In', 'Shot Out'];

/**
 * The scene list as PySceneDetect's `list-scenes` writes it (same columns, in the same
 * order, 1-based scene and frame numbers, end frame inclusive, end time = next shot's
 * start), so its users can switch; toonscope adds how each shot begins and ends.
 */
export function shotsCsv(shots: Shot[]): string {
  // Through csv(): every text cell a spreadsheet could run as a formula is neutralised, whatever it holds.
  return csv([
    CSV_HEADER,
    ...shots.map((s) => {
      const length = s.endTime - s.startTime;
      return [s.index + 1, s.start + 1, clock(s.startTime), s.startTime.toFixed(3), s.end + 1, clock(s.endTime), s.endTime.toFixed(3),
        s.end - s.start + 1, clock(length), length.toFixed(3), s.in, s.out];
    }),
  ]);
}

/** Read a shots CSV written by `shotsCsv` back into shots (0-based frames, as in Shot). */
export function readShotsCsv(text: string, file?: string): Shot[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('Scene Number,'));
  if (at < 0) throw new ToonscopeError(file, 'not a shots CSV (no "Scene Number" header)');
  const head = lines[at].split(',');
  const col = (name: string) => {
    const k = head.indexOf(name);
    if (k < 0) throw new ToonscopeError(file, `shots CSV has no "${name}" column`);
    return k;
  };
  const [n, f0, f1, t0, t1] = ['Scene Number', 'Start Frame', 'End Frame', 'Start Time (seconds)', 'End Time (seconds)'].map(col);
  const edgeIn = head.indexOf('Shot In'), edgeOut = head.indexOf('Shot Out');
  return lines.slice(at + 1).map((l) => {
    const c = l.split(',');
    return {
      index: Number(c[n]) - 1, start: Number(c[f0]) - 1, end: Number(c[f1]) - 1, startTime: Number(c[t0]), endTime: Number(c[t1]),
      in: (c[edgeIn] ?? 'cut') as ShotEdge, out: (c[edgeOut] ?? 'cut') as ShotEdge,
    };
  });
}

/** The shots and transitions as JSON, with the video, its frame rate and the detector used. */
export function shotsJson(video: string, fps: number, shots: Shot[], transitions: Transition[], detector: string): string {
  return `${JSON.stringify({ video, fps, detector, shots, transitions }, null, 2)}\n`;
}

/**
 * CMX3600 EDL, one event per shot. Timecodes are frame counts at the nominal
 * integer rate (non-drop frame), which is what NLEs expect for conformed lists;
 * dissolves are written as D transitions with their length.
 */
export function shotsEdl(video: string, fps: number, shots: Shot[], transitions: Transition[], title = 'toonscope shots'): string {
  const base = Math.max(1, Math.round(fps));
  const reel = 'AX';
  const lines = [`TITLE: ${title}`, 'FCM: NON-DROP FRAME', ''];
  shots.forEach((s, k) => {
    const n = String(k + 1).padStart(3, '0');
    const src0 = smpte(s.start, base);
    const src1 = smpte(s.end + 1, base);
    const into = transitions.find((t) => t.kind === 'dissolve' && t.frame === s.start);
    const kind = into ? `D    ${String(into.end - into.start + 1).padStart(3, '0')}` : 'C        ';
    lines.push(`${n}  ${reel.padEnd(8)} V     ${kind} ${src0} ${src1} ${src0} ${src1}`);
    // A line break in the file name would start a new EDL line: control characters become spaces.
    lines.push(`* FROM CLIP NAME: ${basename(video).replace(/[\u0000-\u001f\u007f]/g, ' ')}`);
    lines.push(`* TOONSCOPE SHOT ${s.index} IN ${s.in.toUpperCase()} OUT ${s.out.toUpperCase()}`);
    lines.push('');
  });
  return lines.join('\n');
}
