// `toonscope shots VIDEO...`: detect shots, store them in the workspace and
// write CSV / JSON / EDL and a contact sheet (PNG + HTML).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';
import { intOption, type Command } from '../command.js';
import { detectShots } from '../../shots/detect.js';
import { DETECTORS, DEFAULT_DETECTOR } from '../../shots/registry.js';
import { shotsCsv, shotsJson, shotsEdl, clock } from '../../shots/export.js';
import { contactSheet } from '../../shots/sheet.js';
import { shotsOtio } from '../../shots/otio.js';
import { OUTPUTS_USAGE, OUTPUTS_OPTIONS, outputsOf, expandInputs, writeOutputs } from './shots-outputs.js';
import { ToonscopeError } from '../../core/errors.js';

export const shots: Command = {
  name: 'shots',
  summary: 'find hard cuts, fades and dissolves; write shot lists (CSV, JSON, EDL, OTIO), a contact sheet, and on request split files, stills and per-frame stats',
  usage: [
    'toonscope shots VIDEO|FOLDER... [--detector NAME] [--out DIR] [--no-sheet] [--crop FILTER]',
    '                [--split [--copy] [--split-name TEMPLATE]] [--images N] [--stats FILE]',
    '',
    '  --detector NAME  one of: ' + Object.keys(DETECTORS).join(', ') + ` (default ${DEFAULT_DETECTOR})`,
    ...Object.entries(DETECTORS).map(([k, d]) => `      ${k.padEnd(13)} ${d.summary}`),
    '  --out DIR        where to write files (default: WORKSPACE/shots/<video name>)',
    '  --no-sheet       skip the contact sheet',
    '  --crop FILTER    ffmpeg crop for multi-panel footage, e.g. crop=iw/3:ih:0:0',
    '  --width N        analysis width in pixels (default 128)',
    ...OUTPUTS_USAGE,
    '',
    'A FOLDER stands for every video inside it (by extension, in name order). Each video gets shots.csv',
    '(PySceneDetect list-scenes columns: 1-based scene and frame numbers, HH:MM:SS.mmm timecodes), shots.json,',
    'shots.edl (CMX3600) and shots.otio (OpenTimelineIO).',
    'Results are stored in the workspace; a re-run reuses the decoded metrics and an interrupted run resumes.',
  ].join('\n'),
  options: {
    detector: { type: 'string', short: 'd' },
    out: { type: 'string', short: 'o' },
    'no-sheet': { type: 'boolean' },
    crop: { type: 'string' },
    width: { type: 'string' },
    ...OUTPUTS_OPTIONS,
  },
  async run(positionals, values, ctx) {
    if (!positionals.length) throw new ToonscopeError(undefined, 'shots needs at least one video file (toonscope help shots)');
    const detector = (values.detector as string | undefined) ?? DEFAULT_DETECTOR;
    if (!DETECTORS[detector]) throw new ToonscopeError(undefined, `unknown detector "${detector}"; choose one of ${Object.keys(DETECTORS).join(', ')}`);
    const width = intOption(values, 'width', 16, 1920);
    const outputs = outputsOf(values);
    const videos = expandInputs(positionals);
    const ws = ctx.workspace();
    const results = [];
    for (const video of videos) {
      const bar = ctx.progress(`shots ${basename(video)}`, 0);
      const r = await detectShots(video, { detector, workspace: ws, width, crop: values.crop as string | undefined, onProgress: (d, t) => bar.set(d, t) });
      bar.set(r.frames, r.frames);
      bar.done();
      const stem = basename(video).replace(/\.[^.]+$/, '');
      const dir = resolve(values.out ? (videos.length > 1 ? join(values.out as string, stem) : (values.out as string)) : join(ws.dir, 'shots', stem));
      mkdirSync(dir, { recursive: true });
      const files: Record<string, string> = {
        csv: join(dir, 'shots.csv'),
        json: join(dir, 'shots.json'),
        edl: join(dir, 'shots.edl'),
        otio: join(dir, 'shots.otio'),
      };
      writeFileSync(files.csv, shotsCsv(r.shots));
      writeFileSync(files.json, shotsJson(video, r.video.fps, r.shots, r.transitions, detector));
      writeFileSync(files.edl, shotsEdl(video, r.video.fps, r.shots, r.transitions, basename(video)));
      writeFileSync(files.otio, shotsOtio(video, r.video.fps, r.shots, r.transitions, r.frames, r.video.audio !== null));
      Object.assign(files, await writeOutputs(video, r, dir, outputs, { workspace: ws, width, crop: values.crop as string | undefined }, ctx, videos.length));
      if (!values['no-sheet']) Object.assign(files, await contactSheet(video, r.shots, dir));
      for (const w of r.warnings.slice(0, 3)) process.stderr.write(`toonscope: warning: ${video}: ${w}\n`);
      results.push({ video, frames: r.frames, fps: r.video.fps, detector, reusedFrames: r.reused, shots: r.shots, transitions: r.transitions, files, warnings: r.warnings });
      const lines = [
        `${video}: ${r.shots.length} shots in ${r.frames} frames (${clock(r.shots.at(-1)?.endTime ?? 0)}), detector ${detector}${r.reused ? `, ${r.reused} frames reused from the workspace` : ''}`,
        ...r.transitions.map((t) => `  ${t.kind.padEnd(9)} frame ${String(t.frame).padStart(6)}  ${clock(r.times[Math.min(t.frame, r.times.length - 1)] ?? 0)}${t.start !== t.end ? `  (frames ${t.start}-${t.end})` : ''}`),
        `  wrote ${Object.values(files).join(', ')}`,
      ];
      ctx.log(lines.join('\n'));
    }
    ctx.result(results.length === 1 ? results[0] : results);
  },
};
