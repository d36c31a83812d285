// `toonscope comics PAGE...`: panels in reading order (and characters with
// identities when a detector is available), as JSON plus annotated pages.
import { basename, extname, join, resolve } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { numOption, type Command, type Values } from '../command.js';
import { readImage, writeImage } from '../../core/image.js';
import { ToonscopeError } from '../../core/errors.js';
// The modules themselves, not comics/index.js: that also loads evaluate.js and zod (~0.1 s of start-up per call).
import { analyzeComics } from '../../comics/pipeline.js';
import { annotate, type Mark } from '../../comics/annotate.js';
import { comicsDetector } from '../../comics/detector.js';

/** `--identity-threshold`: the largest distance between two figures of one identity (distances reach a little over 2). */
export function identityThresholdOption(values: Values): number | undefined {
  return numOption(values, 'identity-threshold', 0, 3);
}

export const comicsCommand: Command = {
  name: 'comics',
  summary: 'panels (reading order), characters and identities on comic pages',
  usage: [
    'usage: toonscope comics PAGE [PAGE...] [--rtl] [--out DIR] [--detector CHAIN | --no-characters]',
    '  --rtl                  read panels right to left (manga)',
    '  --out DIR              where comics.json and PAGE.comics.png go (default: WORKSPACE/comics)',
    '  --ink N                per-channel difference from the gutter colour that counts as ink (default 50)',
    '  --detector CHAIN       figures (default: ink figures) or a characters chain, e.g. cascade,grabcut',
    '  --no-characters        panels only (skip character detection and identities)',
    '  --identity-threshold X largest distance for one identity (default 0.35)',
  ].join('\n'),
  options: {
    rtl: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    ink: { type: 'string' },
    'no-characters': { type: 'boolean' },
    detector: { type: 'string' },
    models: { type: 'string' },
    'identity-threshold': { type: 'string' },
  },
  async run(positionals, values, ctx) {
    if (!positionals.length) throw new ToonscopeError(undefined, 'give one or more comic page images');
    // Options first: a bad one is said before any page is read.
    const threshold = numOption(values, 'ink', 0, 255), identityThreshold = identityThresholdOption(values);
    const out = values.out ? resolve(String(values.out)) : ctx.workspace().file('comics', '.');
    mkdirSync(out, { recursive: true });
    const pages = [];
    for (const p of positionals) pages.push({ name: p, image: await readImage(p) });
    const detector = values['no-characters'] ? undefined : await comicsDetector(values.detector ? String(values.detector) : undefined, values.models as string | undefined);
    const bar = ctx.progress('comics', pages.length);
    const res = await analyzeComics(pages, {
      rtl: Boolean(values.rtl), threshold, identityThreshold,
      detect: detector?.detect, onPage: (n) => bar.set(n),
    });
    bar.done();
    await detector?.dispose();
    const lines: string[] = [];
    const used = new Set<string>();
    for (let k = 0; k < res.pages.length; k++) {
      const page = res.pages[k];
      let stem = basename(page.name, extname(page.name));
      while (used.has(stem)) stem += '_';
      used.add(stem);
      const marks: Mark[] = page.characters.flatMap((c) => [
        ...(c.body ? [{ box: c.body.box, identity: c.identity, kind: 'body' as const }] : []),
        ...(c.face ? [{ box: c.face.box, identity: c.identity, kind: 'face' as const }] : []),
      ]);
      const file = join(out, `${stem}.comics.png`);
      await writeImage(file, await annotate(pages[k].image, page.panels, marks));
      (page as typeof page & { annotated: string }).annotated = file;
      const framed = page.panels.filter((p) => p.framed).length;
      lines.push(`${page.name}: ${page.panels.length} panels (${framed} framed, ${page.panels.length - framed} frameless), ${page.characters.length} characters -> ${file}`);
      for (const p of page.panels) lines.push(`  ${p.index + 1}. [${p.box.join(', ')}]${p.framed ? '' : ' frameless'}`);
    }
    const json = { rtl: Boolean(values.rtl), detector: detector?.name ?? null, identities: res.identities, pages: res.pages };
    writeFileSync(join(out, 'comics.json'), JSON.stringify(json, null, 1));
    lines.push(`identities: ${res.identities}; JSON: ${join(out, 'comics.json')}`);
    ctx.result(json, lines.join('\n'));
  },
};
