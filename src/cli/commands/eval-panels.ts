// `toonscope eval panels --truth FILE`: panel boxes against annotated truth
// (Hungarian IoU matching), per page precision/recall at IoU 0.5 and 0.9.
import { basename, extname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Command } from '../command.js';
import { readImage, writeImage } from '../../core/image.js';
import { ToonscopeError } from '../../core/errors.js';
import { annotate, extractPanels, loadTruth, scorePage } from '../../comics/index.js';

const pct = (v: number) => `${(v * 100).toFixed(0)}%`.padStart(5);

export const evalPanelsCommand: Command = {
  name: 'eval panels',
  summary: 'score panel extraction against truth boxes (precision/recall at IoU 0.5 and 0.9)',
  usage: [
    'usage: toonscope eval panels --truth FILE [--data DIR] [--out DIR] [--rtl]',
    '  --truth FILE  {"pages":[{"image":"rel/path.png","panels":[[x,y,w,h],...] or null}]}',
    '  --data DIR    folder the image paths are relative to (default: the truth file\'s folder)',
    '  --out DIR     also write each page annotated with its found panels',
  ].join('\n'),
  options: { truth: { type: 'string' }, data: { type: 'string' }, out: { type: 'string', short: 'o' }, rtl: { type: 'boolean' } },
  async run(_pos, values, ctx) {
    if (!values.truth) throw new ToonscopeError(undefined, '--truth FILE is required');
    const truth = loadTruth(String(values.truth), values.data ? resolve(String(values.data)) : undefined);
    const out = values.out ? resolve(String(values.out)) : undefined;
    if (out) mkdirSync(out, { recursive: true });
    const rows: unknown[] = [];
    const lines = ['page                                           truth found  P@.5  R@.5  P@.9  R@.9  mIoU'];
    let tp5 = 0, tp9 = 0, nt = 0, nf = 0, iouSum = 0;
    const bar = ctx.progress('eval panels', truth.pages.length);
    for (const page of truth.pages) {
      const img = await readImage(page.path);
      const res = await extractPanels(img, { rtl: Boolean(values.rtl) });
      const found = res.panels.map((p) => p.box);
      let file: string | undefined;
      if (out) {
        file = join(out, `${basename(page.image, extname(page.image))}.panels.png`);
        await writeImage(file, await annotate(img, res.panels));
      }
      const framed = res.panels.filter((p) => p.framed).length;
      if (page.panels) {
        const s = scorePage(found, page.panels);
        tp5 += s.at['0.5'].tp; tp9 += s.at['0.9'].tp; nt += s.truth; nf += s.found; iouSum += s.ious.reduce((a, b) => a + b, 0);
        rows.push({ image: page.image, ...s, panels: res.panels, annotated: file });
        lines.push(`${page.image.padEnd(46)} ${String(s.truth).padStart(5)} ${String(s.found).padStart(5)} ${pct(s.at['0.5'].precision)} ${pct(s.at['0.5'].recall)} ${pct(s.at['0.9'].precision)} ${pct(s.at['0.9'].recall)}  ${s.meanIoU.toFixed(3)}`);
      } else {
        rows.push({ image: page.image, truth: null, found: found.length, panels: res.panels, annotated: file });
        lines.push(`${page.image.padEnd(46)}     - ${String(found.length).padStart(5)}   (no truth: ${framed} framed, ${found.length - framed} frameless)`);
      }
      bar.tick();
    }
    bar.done();
    const total = nt ? { truth: nt, found: nf, precision05: nf ? tp5 / nf : 0, recall05: tp5 / nt, precision09: nf ? tp9 / nf : 0, recall09: tp9 / nt, meanIoU: iouSum / nt } : null;
    if (total) lines.push(`${'all pages with truth'.padEnd(46)} ${String(nt).padStart(5)} ${String(nf).padStart(5)} ${pct(total.precision05)} ${pct(total.recall05)} ${pct(total.precision09)} ${pct(total.recall09)}  ${total.meanIoU.toFixed(3)}`);
    if (out) lines.push(`annotated pages in ${out}`);
    ctx.result({ pages: rows, total }, lines.join('\n'));
  },
};
