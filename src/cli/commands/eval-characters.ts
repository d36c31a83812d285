// `toonscope eval characters --truth DIR`: mean mask IoU, body box P/R/F1 and
// face P/R/F1 at IoU 0.5; overlays with truth faces go to the workspace.
import { writeFileSync } from 'node:fs';
import { ToonscopeError } from '../../core/errors.js';
import { writeImage } from '../../core/image.js';
import { autoChain } from '../../characters/backends.js';
import { evaluate, type PRF } from '../../characters/evaluate.js';
import { evaluateBoxes } from '../../characters/boxeval.js';
import { overlay, drawBoxes } from '../../characters/overlay.js';
import { intOption, type Command } from '../command.js';
import type { Box, Image } from '../../core/types.js';
import type { Character } from '../../characters/types.js';
import { chainWidths } from './characters.js';

const fmt = (p: PRF | null) => (p ? `P ${p.precision.toFixed(3)} R ${p.recall.toFixed(3)} F1 ${p.f1.toFixed(3)} (tp ${p.tp}, fp ${p.fp}, fn ${p.fn})` : 'n/a (no face truth)');

export const evalCharacters: Command = {
  name: 'eval characters',
  summary: 'score character masks, boxes and faces against a folder of image + instance-mask PNG pairs',
  usage: [
    'usage: toonscope eval characters --truth DIR [--detectors LIST] [--limit N] [--oracle-faces]',
    '       toonscope eval characters --boxes FILE --data DIR [--detectors LIST]',
    '  DIR holds NAME.jpg|png, NAME.mask-1.png, NAME.mask-2.png ... (0/255 instance masks) and optionally',
    '  NAME.json with "faces": [[x,y,w,h],...]; `toonscope characters make-truth` builds one.',
    '  --oracle-faces  give the chain the true face boxes (measures segmentation alone)',
    '  --seg-width N, --face-width N, --models LIST as for `toonscope characters` (--models none: built-in chain only)',
    '  --boxes FILE    hand-drawn face/body boxes on frames of videos in --data DIR (no masks): face and body',
    '                  P/R/F1 at IoU 0.5 on real footage, e.g. eval/characters/real-anime.truth.json',
  ].join('\n'),
  options: { boxes: { type: 'string' }, data: { type: 'string' }, truth: { type: 'string' }, detectors: { type: 'string' }, models: { type: 'string' }, limit: { type: 'string' }, 'oracle-faces': { type: 'boolean' }, 'seg-width': { type: 'string' }, 'face-width': { type: 'string' } },
  async run(_pos, values, ctx) {
    if (!values.truth && !values.boxes) throw new ToonscopeError(undefined, 'eval characters needs --truth DIR or --boxes FILE --data DIR');
    if (values.boxes && !values.data) throw new ToonscopeError(undefined, '--boxes needs --data DIR (the folder holding its videos)');
    const chain = await autoChain(values.detectors as string | undefined, { ...chainWidths(values), models: values.models as string | undefined });
    const ws = ctx.workspace();
    const bar = ctx.progress(values.boxes ? 'eval characters (boxes)' : 'eval characters');
    // Overlays: detections as `toonscope characters` draws them, truth boxes on top (thick: bodies, thin: faces).
    const save = async (file: string, image: Image, found: Character[], truth: Box[][], rgb: [number, number, number]) => {
      const img = overlay(image, found);
      truth.forEach((boxes, k) => drawBoxes(img, boxes, rgb, k === 0 ? 2 : 1));
      await writeImage(ws.file('eval-characters', file), img, 85);
      bar.tick();
    };
    const withChain = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } finally {
        for (const d of chain) await d.dispose?.();
        bar.done();
      }
    };
    if (values.boxes) {
      const r = await withChain(() => evaluateBoxes(values.boxes as string, values.data as string, chain, {
        onFrame: (t, image, found) => save(`boxes/${t.video.replace(/\.[^.]+$/, '')}-${t.frame}.jpg`, image, found,
          [t.characters.flatMap((c) => (c.body ? [c.body] : [])), t.characters.flatMap((c) => (c.face ? [c.face] : []))], [0, 255, 255]),
      }));
      writeFileSync(ws.file('eval-characters', 'boxes-report.json'), JSON.stringify(r, null, 2));
      ctx.result(r, [
        `truth: ${values.boxes} (${r.frames} frames, ${r.characters} characters)`,
        `detectors: ${chain.map((d) => d.name).join(',')}`,
        ...r.perFrame.map((f) => `  ${f.video} frame ${f.frame}: ${f.truth} characters; faces ${f.faces.tp}/${f.faces.found} found right, bodies ${f.bodies.tp}/${f.bodies.found}`),
        `faces @0.5:  ${fmt(r.face)}`,
        `bodies @0.5: ${fmt(r.body)}`,
        `seconds per frame ${r.secondsPerFrame.toFixed(2)}`,
        `overlays (truth in cyan) and boxes-report.json: ${ws.file('eval-characters')}`,
      ].join('\n'));
      return;
    }
    const report = await withChain(() => evaluate(values.truth as string, chain, {
      limit: intOption(values, 'limit', 1),
      oracleFaces: Boolean(values['oracle-faces']),
      onImage: (it, chars, frame) => save(`overlays/${it.name}.jpg`, frame, chars, [[], it.faces ?? []], [255, 0, 0]),
    }));
    writeFileSync(ws.file('eval-characters', 'report.json'), JSON.stringify(report, null, 2));
    ctx.result(report, [
      `truth: ${values.truth} (${report.images} images, ${report.instances} instances)`,
      `detectors: ${chain.map((d) => d.name).join(',')}${values['oracle-faces'] ? ' (oracle faces)' : ''}`,
      `mean mask IoU ${report.meanIoU.toFixed(3)} (misses count 0; ${report.meanIoUFound.toFixed(3)} over found instances)`,
      `body boxes @0.5: ${fmt(report.body)}`,
      `faces @0.5:      ${fmt(report.face)}`,
      `seconds per image ${report.secondsPerImage.toFixed(2)}`,
      `overlays and report.json: ${ws.file('eval-characters')}`,
    ].join('\n'));
  },
};
