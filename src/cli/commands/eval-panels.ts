// `toonscope eval panels --truth FILE`: panel boxes against annotated truth
// (Hungarian IoU matching), per page precision/recall at IoU 0.5 and 0.9.
import { basename, extname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Command } from '../command.js';
import { identityThresholdOption } from './comics.js';
import { readImage, writeImage } from '../../core/image.js';
import { ToonscopeError } from '../../core/errors.js';
import { annotate, cluster, distance, extractPanels, features, loadTruth, scorePage, type Features, type Mark } from '../../comics/index.js';
import { scoreDetected, scoreIdentities } from '../../comics/evaluate.js';
import { analyzeComics, IDENTITY_THRESHOLD } from '../../comics/pipeline.js';
import { comicsDetector } from '../../comics/detector.js';

const pct = (v: number) => `${(v * 100).toFixed(0)}%`.padStart(5);

export const evalPanelsCommand: Command = {
  name: 'eval panels',
  summary: 'score panel extraction against truth boxes (precision/recall at IoU 0.5 and 0.9)',
  usage: [
    'usage: toonscope eval panels --truth FILE [--data DIR] [--out DIR] [--rtl]',
    '  --truth FILE  {"pages":[{"image":"rel/path.png","panels":[[x,y,w,h],...] or null}]}',
    '  --data DIR    folder the image paths are relative to (default: the truth file\'s folder)',
    '  --out DIR     also write each page annotated with its found panels',
    '  Pages may also list "characters": [{"panel": i, "identity": "name", "box": [x,y,w,h], "face": [x,y,w,h]?}];',
    '  then identity grouping is scored on those true boxes (pairwise precision/recall), apart from any detector.',
    '  --models LIST  run installed learned detectors (auto, or model names) as the detector when no --detector is given',
    '  --detector D  also run a character detector (figures, or a chain such as cascade,grabcut) on those pages: found at',
    '                    IoU 0.5 and identity grouping of the found ones',
  ].join('\n'),
  options: { detector: { type: 'string' }, models: { type: 'string' }, truth: { type: 'string' }, data: { type: 'string' }, out: { type: 'string', short: 'o' }, rtl: { type: 'boolean' }, 'identity-threshold': { type: 'string' } },
  async run(_pos, values, ctx) {
    const identityThreshold = identityThresholdOption(values);
    if (!values.truth) throw new ToonscopeError(undefined, '--truth FILE is required');
    const truth = loadTruth(String(values.truth), values.data ? resolve(String(values.data)) : undefined);
    const out = values.out ? resolve(String(values.out)) : undefined;
    if (out) mkdirSync(out, { recursive: true });
    const rows: unknown[] = [];
    const lines = ['page                                           truth found  P@.5  R@.5  P@.9  R@.9  mIoU  order'];
    let tp5 = 0, tp9 = 0, nt = 0, nf = 0, iouSum = 0, orderOk = 0, scored = 0;
    const bar = ctx.progress('eval panels', truth.pages.length);
    const inst: { key: string; name: string; f: Features }[] = [];
    for (const [k, page] of truth.pages.entries()) {
      const img = await readImage(page.path);
      for (const c of page.characters ?? []) {
        const det = (box: typeof c.box, label: string) => ({ frame: 0, box, score: 1, label });
        inst.push({ key: `${k}:${c.panel}`, name: c.identity, f: features(img, { body: det(c.box, 'body'), face: c.face && det(c.face, 'face') }) });
      }
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
        scored++; if (s.orderOk) orderOk++;
        rows.push({ image: page.image, ...s, panels: res.panels, annotated: file });
        lines.push(`${page.image.padEnd(46)} ${String(s.truth).padStart(5)} ${String(s.found).padStart(5)} ${pct(s.at['0.5'].precision)} ${pct(s.at['0.5'].recall)} ${pct(s.at['0.9'].precision)} ${pct(s.at['0.9'].recall)}  ${s.meanIoU.toFixed(3)}  ${s.orderOk ? 'ok' : 'WRONG'}`);
      } else {
        rows.push({ image: page.image, truth: null, found: found.length, panels: res.panels, annotated: file });
        lines.push(`${page.image.padEnd(46)}     - ${String(found.length).padStart(5)}   (no truth: ${framed} framed, ${found.length - framed} frameless)`);
      }
      bar.tick();
    }
    bar.done();
    const total = nt ? { truth: nt, found: nf, precision05: nf ? tp5 / nf : 0, recall05: tp5 / nt, precision09: nf ? tp9 / nf : 0, recall09: tp9 / nt, meanIoU: iouSum / nt, pagesInOrder: orderOk, pages: scored } : null;
    if (total) lines.push(`${'all pages with truth'.padEnd(46)} ${String(nt).padStart(5)} ${String(nf).padStart(5)} ${pct(total.precision05)} ${pct(total.recall05)} ${pct(total.precision09)} ${pct(total.recall09)}  ${total.meanIoU.toFixed(3)}  ${orderOk}/${scored}`);
    let identities = null;
    if (inst.length) {
      const th = identityThreshold ?? IDENTITY_THRESHOLD;
      const ids = cluster(inst.map((a) => inst.map((b) => distance(a.f, b.f))), (i, j) => inst[i].key === inst[j].key, th);
      identities = scoreIdentities(ids, inst.map((i) => i.name));
      lines.push(`identities on true boxes: ${identities.instances} instances, ${identities.identities.truth} true / ${identities.identities.found} found identities, pair precision ${pct(identities.pairPrecision).trim()} recall ${pct(identities.pairRecall).trim()} F1 ${identities.pairF1.toFixed(3)}`);
      if (out) {
        // Each page with characters, boxes coloured by the identity found for them.
        let n = 0;
        for (const page of truth.pages) {
          const chars = page.characters ?? [];
          if (!chars.length) { continue; }
          const marks: Mark[] = chars.map((c, k) => ({ box: c.box, identity: ids[n + k] + 1, kind: 'body' as const }));
          n += chars.length;
          const img = await readImage(page.path);
          const file = join(out, `${basename(page.image, extname(page.image))}.identities.png`);
          await writeImage(file, await annotate(img, [], marks));
          lines.push(`identities drawn: ${file}`);
        }
      }
    }
    let detected = null;
    const withChars = truth.pages.filter((p) => p.characters?.length);
    if ((values.detector || values.models) && withChars.length) {
      const det = await comicsDetector(values.detector ? String(values.detector) : undefined, values.models as string | undefined);
      try {
        const imgs = await Promise.all(withChars.map(async (p) => ({ name: p.image, image: await readImage(p.path) })));
        const res = await analyzeComics(imgs, { rtl: Boolean(values.rtl), detect: det.detect, identityThreshold });
        const f1 = (p: number, r: number) => (p + r ? (2 * p * r) / (p + r) : 0).toFixed(2);
        const row = (name: string, d: ReturnType<typeof scoreDetected>) => {
          const fp = d.faces.found ? d.faces.tp / d.faces.found : 0, fr = d.faces.truth ? d.faces.tp / d.faces.truth : 1;
          return `${name.slice(-28).padEnd(28)} ${String(d.truth).padStart(5)} ${String(d.found).padStart(5)} ${pct(d.precision)} ${pct(d.recall)} ${f1(d.precision, d.recall).padStart(5)}`
            + ` ${String(d.faces.truth).padStart(5)} ${String(d.faces.found).padStart(5)} ${pct(fp)} ${pct(fr)} ${f1(fp, fr).padStart(5)}`
            + ` ${`${d.pairing.ok}/${d.pairing.total}`.padStart(6)} ${d.identities.pairF1.toFixed(2).padStart(5)}`;
        };
        lines.push(`detector ${det.name}: characters (bodies) and faces found at IoU 0.5; pairs = found characters whose face is on the true face; idF1 = pairwise identity F1 of the found ones`);
        lines.push(`${'page'.padEnd(28)} truth found    P     R    F1 faces found    P     R    F1  pairs  idF1`);
        const per = res.pages.map((p, k) => ({ found: p.characters, truth: withChars[k].characters! }));
        per.forEach((pg, k) => lines.push(row(withChars[k].image, scoreDetected([pg]))));
        detected = scoreDetected(per);
        lines.push(row('all', detected));
        if (out) {
          for (const [k, p] of res.pages.entries()) {
            const marks: Mark[] = p.characters.flatMap((c) => [
              ...(c.body ? [{ box: c.body.box, identity: c.identity, kind: 'body' as const }] : []),
              ...(c.face ? [{ box: c.face.box, identity: c.identity, kind: 'face' as const }] : []),
            ]);
            const file = join(out, `${basename(p.name, extname(p.name))}.detected.png`);
            await writeImage(file, await annotate(imgs[k].image, p.panels, marks));
            lines.push(`detections drawn: ${file}`);
          }
        }
      } finally {
        await det.dispose();
      }
    }
    if (out) lines.push(`annotated pages in ${out}`);
    ctx.result({ pages: rows, total, identities, detected }, lines.join('\n'));
  },
};
