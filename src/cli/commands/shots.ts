// `toonscope shots VIDEO...`: detect shots, store them in the workspace and
// write CSV / JSON / EDL and a contact sheet (PNG + HTML).
import { mkdirSync } from 'node:fs';
import { writeFileWhole } from '../../core/files.js';
import { join, basename, resolve } from 'node:path';
import { intOption, type Command } from '../command.js';
import { detectShots } from '../../shots/detect.js';
import { DETECTORS, DEFAULT_DETECTOR } from '../../shots/registry.js';
import { shotsCsv, shotsJson, shotsEdl, clock } from '../../shots/export.js';
import { contactSheet } from '../../shots/sheet.js';
import { ToonscopeError } from '../../core/errors.js';

export const shots: Command = {
  name: 'shots',
  writes: true,
  summary: 'find hard cuts, fades and dissolves; write shot lists (CSV, JSON, EDL) and a contact sheet',
  usage: [
    'toonscope shots VIDEO [VIDEO...] [--detector NAME] [--out DIR] [--no-sheet] [--crop FILTER]',
    '',
    '  --detector NAME  one of: ' + Object.keys(DETECTORS).join(', ') + ` (default ${DEFAULT_DETECTOR})`,
    ...Object.entries(DETECTORS).map(([k, d]) => `      ${k.padEnd(13)} ${d.summary}`),
    '  --out DIR        where to write files (default: WORKSPACE/shots/<video name>)',
    '  --no-sheet       skip the contact sheet',
    '  --crop FILTER    ffmpeg crop for multi-panel footage, e.g. crop=iw/3:ih:0:0',
    '  --width N        analysis width in pixels (default 128)',
    '',
    'Results are stored in the workspace; a re-run reuses the decoded metrics and an interrupted run resumes.',
  ].join('\n'),
  options: {
    detector: { type: 'string', short: 'd' },
    out: { type: 'string', short: 'o' },
    'no-sheet': { type: 'boolean' },
    crop: { type: 'string' },
    width: { type: 'string' },
  },
  async run(positionals, values, ctx) {
    if (!positionals.length) throw new ToonscopeError(undefined, 'shots needs at least one video file (toonscope help shots)');
    const detector = (values.detector as string | undefined) ?? DEFAULT_DETECTOR;
    if (!DETECTORS[detector]) throw new ToonscopeError(undefined, `unknown detector "${detector}"; choose one of ${Object.keys(DETECTORS).join(', ')}`);
    const width = intOption(values, 'width', 16, 1920);
    const ws = ctx.workspace();
    const results = [];
    for (const video of positionals) {
      const bar = ctx.progress(`shots ${basename(video)}`, 0);
      const r = await detectShots(video, { detector, workspace: ws, width, crop: values.crop as string | undefined, onProgress: (d, t) => bar.set(d, t) });
      bar.set(r.frames, r.frames);
      bar.done();
      const dir = resolve((values.out as string | undefined) ?? join(ws.dir, 'shots', basename(video).replace(/\.[^.]+$/, '')));
      mkdirSync(dir, { recursive: true });
      const files: Record<string, string> = {
        csv: join(dir, 'shots.csv'),
        json: join(dir, 'shots.json'),
        edl: join(dir, 'shots.edl'),
      };
      writeFileWhole(files.csv, shotsCsv(r.shots));
      writeFileWhole(files.json, shotsJson(video, r.video.fps, r.shots, r.transitions, detector));
      writeFileWhole(files.edl, shotsEdl(video, r.video.fps, r.shots, r.transitions, basename(video)));
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
