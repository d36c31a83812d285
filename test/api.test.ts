// The public API: what `import ... from 'toonscope'` gives (the package's own
// `exports` entry, not the sources), and every example in docs/api.md,
// type-checked against the published declarations and run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { makeSample } from '../src/sample/synth.js';
import { cartoonScene, drawScene } from '../src/interpolate/synth.js';
import { writeImage } from '../src/core/image.js';
import { main } from '../src/cli/main.js';
import { tmp } from './fixtures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** A folder where `toonscope` resolves like an installed package: node_modules/toonscope is the repository. */
function project(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'toonscope'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `${name}-check`, private: true, type: 'module' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'] },
    include: ['*.ts'],
  }));
  return dir;
}

const tsc = (dir: string) => execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });

test('package entry: exports map to the built index with types; only the public names are exported', async () => {
  assert.deepEqual(pkg.exports['.'], { types: './dist/src/index.d.ts', import: './dist/src/index.js', default: './dist/src/index.js' });
  assert.ok(existsSync(join(root, pkg.exports['.'].types)), 'index.d.ts is built');
  const dir = project('entry');
  writeFileSync(join(dir, 'names.mjs'), "import * as t from 'toonscope'; console.log(JSON.stringify(Object.keys(t).sort()));");
  const names: string[] = JSON.parse(execFileSync(process.execPath, ['names.mjs'], { cwd: dir, encoding: 'utf8' }));
  for (const n of ['Workspace', 'ToonscopeError', 'detectShots', 'shotsCsv', 'shotsOtio', 'splitShots', 'shotImages', 'shotStats', 'parseChain',
    'detectCharacters', 'analyzeVideo', 'analyzeSeries', 'listCharacters', 'nameCharacter', 'exportLabels', 'analyzeComics', 'interpolate', 'interpolateVideo']) {
    assert.ok(names.includes(n), `${n} is exported`);
  }
  // Internals stay internal: the metric computer, the CLI, the stores.
  for (const n of ['MetricsComputer', 'main', 'saveChunk', 'computeMetrics']) assert.ok(!names.includes(n), `${n} is not exported`);
  // A deep import is refused: the exports map is the only way in.
  writeFileSync(join(dir, 'deep.mjs'), "await import('toonscope/dist/src/shots/metrics.js');");
  assert.throws(() => execFileSync(process.execPath, ['deep.mjs'], { cwd: dir, stdio: 'pipe' }), /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  // Every export, value or type, has a doc comment on its declaration (what an editor shows).
  assert.deepEqual(undocumented(), [], 'exports without TSDoc');
});

/** Names exported by index.d.ts whose declaration carries no /** comment. */
function undocumented(): string[] {
  const index = readFileSync(join(root, 'dist/src/index.d.ts'), 'utf8');
  const missing: string[] = [];
  for (const m of index.matchAll(/^export (?:type )?\{([^}]*)\} from '\.\/(.+)\.js';$/gm)) {
    const d = readFileSync(join(root, 'dist/src', `${m[2]}.d.ts`), 'utf8');
    for (const part of m[1].split(',').map((p) => p.trim().replace(/^type /, '')).filter(Boolean)) {
      const name = part.split(' as ')[0].trim();
      const decl = new RegExp(`/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/\\s*export (?:declare )?(?:async )?(?:function\\*? |const |class |let |abstract class |interface |type )${name}\\b`);
      if (!decl.test(d)) missing.push(part);
    }
  }
  return missing;
}

test('docs/api.md: every example type-checks against the package and runs', { timeout: 600_000 }, async () => {
  const dir = project('api-docs');
  makeSample(join(dir, 'clip.mp4'));
  process.env.TOONSCOPE_QUIET = '1';
  assert.equal(await main(['make-truth', 'cast', '--source', 'synthetic', '--out', join(dir, 'cast'), '--shots', '3', '--size', '480x270', '--quiet']), 0);
  const scene = cartoonScene(320, 180);
  await writeImage(join(dir, 'a.png'), drawScene(scene, 0));
  await writeImage(join(dir, 'b.png'), drawScene(scene, 1));
  // A 2x2 comic page: black-bordered panels on a white page.
  const panel = (x: number, y: number) => ({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="260" height="360"><rect x="3" y="3" width="254" height="354" fill="#fff" stroke="#000" stroke-width="6"/><circle cx="130" cy="150" r="50" fill="none" stroke="#000" stroke-width="5"/><line x1="130" y1="200" x2="130" y2="320" stroke="#000" stroke-width="5"/></svg>`), left: x, top: y });
  await sharp({ create: { width: 600, height: 800, channels: 3, background: '#ffffff' } })
    .composite([panel(30, 30), panel(310, 30), panel(30, 410), panel(310, 410)]).png().toFile(join(dir, 'page.png'));

  const blocks = [...readFileSync(join(root, 'docs/api.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const runnable = blocks.filter((b) => /\bconsole\.log\(/.test(b));
  assert.ok(runnable.length >= 7, `examples found: ${runnable.length}`);
  runnable.forEach((b, k) => writeFileSync(join(dir, `example${k}.ts`), `${b}export {};\n`));
  tsc(dir);
  const out = runnable.map((_, k) => execFileSync(process.execPath, [`example${k}.js`], { cwd: dir, encoding: 'utf8', env: { ...process.env, TOONSCOPE_QUIET: '1' } }));
  const [wsEx, shotsEx, charsEx, analyzeEx, labelsEx, comicsEx, interpEx] = out;
  assert.match(wsEx, /^320x180 at 24 fps, 10\.0 s/m);
  assert.match(shotsEx, /^shot 5: frames 192-239 \(cut -> end\)$/m);
  assert.match(shotsEx, /^15 stills, 2 shot files$/m);
  assert.match(readFileSync(join(dir, 'clip.csv'), 'utf8'), /^Scene Number,Start Frame,Start Timecode,/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'clip.otio'), 'utf8')).OTIO_SCHEMA, 'Timeline.1');
  assert.match(charsEx, /^\d+ characters; \d+ with a face$/m);
  assert.match(analyzeEx, /^3 shots, \d+ appearances, \d+ tracks$/m);
  assert.match(labelsEx, /^\d+ export files$/m);
  assert.match(comicsEx, /^page\.png: 4 panels, \d+ characters$/m);
  assert.match(interpEx, /^in-between 320x180$/m);
  assert.ok(existsSync(join(dir, 'mid.png')));
});
