// Exports of the labelled series: JSON and CSV of appearances, a WebVTT
// "who is on screen" track per episode, and per-character clip lists (CSV,
// and ffconcat files: `ffmpeg -f concat -safe 0 -i clips/NAME.ffconcat -c copy NAME.mp4`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';
import { csv } from '../core/csv.js';
import { clock } from '../core/time.js';
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { episodes, spans, type Episode, type Span } from './spans.js';

export { csvCell } from '../core/csv.js';

export interface Interval { start: number; end: number }

/** Union of intervals, joining those less than `gap` seconds apart. */
export function union(xs: readonly Interval[], gap = 0): Interval[] {
  const s = [...xs].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const x of s) {
    const last = out.at(-1);
    if (last && x.start <= last.end + gap) last.end = Math.max(last.end, x.end);
    else out.push({ ...x });
  }
  return out;
}

/** "Who is on screen": cues with the sorted names visible over each stretch of time. */
export function onScreen(perName: ReadonlyMap<string, Interval[]>): Array<Interval & { names: string[] }> {
  const cuts = new Set<number>();
  for (const xs of perName.values()) for (const x of xs) { cuts.add(x.start); cuts.add(x.end); }
  const times = [...cuts].sort((a, b) => a - b);
  const out: Array<Interval & { names: string[] }> = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const [a, b] = [times[i], times[i + 1]];
    if (b - a < 0.001) continue;
    const mid = (a + b) / 2;
    const names = [...perName].filter(([, xs]) => xs.some((x) => x.start <= mid && mid < x.end)).map(([n]) => n).sort();
    if (!names.length) continue;
    const last = out.at(-1);
    if (last && last.end === a && last.names.join('\n') === names.join('\n')) last.end = b;
    else out.push({ start: a, end: b, names });
  }
  return out;
}

/**
 * A name as WebVTT cue text: `<`, `&` and `>` are markup there (escaping `>` also turns a `-->`, which
 * would end the cue list, into text), and a line break would end the cue: it becomes a space.
 */
export function vttText(name: string): string {
  return name.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One `who is on screen` cue. */
export function vttCue(c: Interval & { names: string[] }): string {
  return `${clock(c.start)} --> ${clock(c.end)}\n${c.names.map(vttText).join(', ')}\n`;
}

/**
 * An ffconcat `file` line, or undefined for a path the format cannot carry: the concat demuxer reads the list
 * line by line, so a line break in a path would start a new directive whatever the quoting. The path is
 * absolute and given as `file:` so a name like `concat:a|b` or `subfile,,...` is read as the file it names.
 */
export function ffconcatFile(path: string): string | undefined {
  if (/[\0\r\n]/.test(path)) return undefined;
  return `file '${`file:${resolve(path)}`.replace(/'/g, "'\\''")}'`;
}
const slug = (s: string) => s.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '') || 'unnamed';
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Per episode and name, the merged time ranges (tracks of one character closer than `gap` s join). */
function ranges(list: Span[], gap: number): Map<string, Interval[]> {
  const by = new Map<string, Interval[]>();
  for (const s of list) if (s.label) (by.get(s.label) ?? by.set(s.label, []).get(s.label)!).push({ start: r3(s.start), end: r3(s.end) });
  for (const [k, v] of by) by.set(k, union(v, gap));
  return by;
}

/** Options of `exportLabels`. */
export interface ExportOptions {
  /** Seconds between two appearances of a character that still count as one clip / cue. Default 1. */
  gap?: number;
  /** Told about what could not be exported (an episode whose path an ffconcat list cannot hold). */
  warn?: (msg: string) => void;
}

/** Write every export into `outDir`; returns the files written. */
export async function exportLabels(ws: Workspace, outDir: string, opts: ExportOptions = {}): Promise<string[]> {
  const gap = opts.gap ?? 1;
  try {
    mkdirSync(join(outDir, 'clips'), { recursive: true });
  } catch (e) {
    throw new ToonscopeError(outDir, `cannot create the export folder (${(e as NodeJS.ErrnoException).code})`);
  }
  const eps = episodes(ws);
  const all = spans(ws).filter((s) => !s.rejected);
  const files: string[] = [];
  const put = (name: string, text: string) => {
    const p = join(outDir, name);
    writeFileSync(p, text);
    files.push(p);
  };
  const epOf = new Map(eps.map((e) => [e.id, e]));
  const app = (s: Span) => ({
    character: s.label, confidence: r3(s.confidence), source: s.source, track: s.track, shot: s.shot,
    start: r3(s.start), end: r3(s.end), firstFrame: s.firstFrame, lastFrame: s.lastFrame,
    boxes: s.boxes.map((b) => ({ frame: b.frame, time: r3(b.time), box: b.box.map((v) => Math.round(v)) })),
  });
  put('labels.json', JSON.stringify({
    characters: [...new Set(all.flatMap((s) => (s.label ? [s.label] : [])))].sort(),
    episodes: eps.map((e) => ({ id: e.id, path: e.path, duration: e.duration, fps: e.fps, appearances: all.filter((s) => s.video === e.id).map(app) })),
  }, null, 1));

  put('labels.csv', csv([
    ['episode', 'character', 'confidence', 'source', 'track', 'shot', 'start', 'end', 'first_frame', 'last_frame', 'x', 'y', 'w', 'h'],
    ...all.map((s) => {
      const b = s.boxes[s.boxes.length >> 1].box.map((v) => Math.round(v));
      return [epOf.get(s.video)!.path, s.label ?? '', r3(s.confidence), s.source ?? '', s.track, s.shot, r3(s.start), r3(s.end), s.firstFrame, s.lastFrame, ...b];
    }),
  ]));
  put('boxes.csv', csv([
    ['episode', 'character', 'confidence', 'track', 'frame', 'time', 'x', 'y', 'w', 'h'],
    ...all.flatMap((s) => s.boxes.map((b) => [epOf.get(s.video)!.path, s.label ?? '', r3(s.confidence), s.track, b.frame, r3(b.time), ...b.box.map((v) => Math.round(v))])),
  ]));

  const clips = new Map<string, Array<Interval & { ep: Episode }>>();
  for (const e of eps) {
    const per = ranges(all.filter((s) => s.video === e.id), gap);
    const cues = onScreen(per);
    const stem = `${e.id}-${slug(basename(e.path).replace(/\.[^.]+$/, ''))}`;
    put(`${stem}.vtt`, ['WEBVTT', '', ...cues.map(vttCue)].join('\n'));
    for (const [name, xs] of per) for (const x of xs) (clips.get(name) ?? clips.set(name, []).get(name)!).push({ ...x, ep: e });
  }
  for (const e of eps) {
    if (!ffconcatFile(e.path)) opts.warn?.(`${JSON.stringify(e.path)}: a line break in its path cannot go into an ffconcat list; its clips are only in the clip CSVs`);
  }
  const used = new Set<string>();
  for (const [name, xs] of [...clips].sort((a, b) => a[0].localeCompare(b[0]))) {
    // Two names can share a file name ("Ann B" and "Ann_B"): number the later one.
    let file = slug(name);
    for (let k = 2; used.has(file.toLowerCase()); k++) file = `${slug(name)}-${k}`;
    used.add(file.toLowerCase());
    put(`clips/${file}.csv`, csv([['episode', 'start', 'end', 'duration'], ...xs.map((x) => [x.ep.path, r3(x.start), r3(x.end), r3(x.end - x.start)])]));
    const lines = xs.flatMap((x) => {
      const line = ffconcatFile(x.ep.path);
      return line ? [`${line}\ninpoint ${r3(x.start)}\noutpoint ${r3(x.end)}`] : [];
    });
    put(`clips/${file}.ffconcat`, ['ffconcat version 1.0', ...lines].join('\n') + '\n');
  }
  return files;
}
