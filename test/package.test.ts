// The package as a user gets it: `npm pack`, then the tarball installed into
// an empty project. The CLI, a shots run and a typed import must work there,
// with native and WASM dependencies loaded from that project's node_modules,
// never from this repository's.
//
// The install builds better-sqlite3 from source (npm keeps no built binaries
// in its cache, and prebuilt downloads are not reachable here): about 2-3
// minutes on 2 idle cores, more under load. So it runs in CI (CI=true) or
// with TOONSCOPE_PACK=1, and is skipped in a plain local `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { makeSample } from '../src/sample/synth.js';
import { tmp } from './fixtures.js';

const root = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const enabled = process.env.CI === 'true' || process.env.TOONSCOPE_PACK === '1';

/** The environment of a user's shell: nothing of the `npm test` that runs us (npm_config_local_prefix would point npm back at this repository). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'TOONSCOPE_QUIET') env[k] = v;
  // onnxruntime-node's postinstall otherwise fetches CUDA libraries on Linux x64 (README: the same switch for users).
  env.ONNXRUNTIME_NODE_INSTALL = 'skip';
  return env;
}

function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): { out: string; err: string; status: number | null } {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, status: r.status };
}

function ok(r: { out: string; err: string; status: number | null }, what: string): string {
  assert.equal(r.status, 0, `${what} failed:\n${r.err.slice(-3000)}`);
  return r.out;
}

const version = (name: string) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version as string;

test('npm pack ships dist/src, models, README and licences; installed in an empty project the CLI, a shots run and a typed import work from that project alone', {
  skip: enabled ? false : 'installs the packed tarball (2-3 min): runs in CI or with TOONSCOPE_PACK=1',
  timeout: 20 * 60_000,
}, (t) => {
  const out = join(tmp, 'pack');
  mkdirSync(out, { recursive: true });
  // --ignore-scripts: `npm test` has just built dist/; `prepare` would only build it again.
  const packed = JSON.parse(ok(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], root), 'npm pack'))[0];
  const files: string[] = packed.files.map((f: { path: string }) => f.path);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'MODELS.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js',
    'dist/src/interpolate/worker.js', 'models/lbpcascade_animeface.xml', 'models/lbpcascade_animeface.LICENSE', 'src/app/ui/index.html', 'docs/api.md']) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
  const stray = files.filter((f) => /^(dist\/(test|bench|scripts)\/|test\/|bench\/|eval\/|scripts\/|samples\/)|\.map$|^src\/.*\.ts$/.test(f));
  assert.deepEqual(stray, [], 'no tests, benchmarks, evaluation data, sources or source maps');
  // The whole repository packed to 763 files (tests, eval data, sources); what ships is the built library alone.
  assert.ok(files.length < 600, `${files.length} files`);

  const proj = join(tmp, 'user-project');
  mkdirSync(proj, { recursive: true });
  t.after(() => rmSync(proj, { recursive: true, force: true }));   // ~700 MB of node_modules
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  const tgz = join(out, packed.filename);
  ok(sh('npm', ['install', tgz, `typescript@${version('typescript')}`, `@types/node@${version('@types/node')}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], proj, 15 * 60_000), 'npm install of the tarball');

  // The CLI through npx, from the user's project (installed there, so npx fetches nothing).
  const help = ok(sh('npx', ['toonscope', '--help'], proj), 'npx toonscope --help');
  assert.match(help, /^usage: toonscope <command>/m);
  assert.match(ok(sh('npx', ['toonscope', 'help', 'shots'], proj), 'toonscope help shots'), /--split/);
  makeSample(join(proj, 'clip.mp4'));
  const run = JSON.parse(ok(sh('npx', ['toonscope', 'shots', 'clip.mp4', '--out', 'shots', '--json', '--quiet'], proj), 'npx toonscope shots'));
  assert.equal(run.shots.length, 5);
  for (const f of ['shots.csv', 'shots.json', 'shots.edl', 'shots.otio', 'sheet.png']) assert.ok(existsSync(join(proj, 'shots', f)), f);

  // A typed import, compiled by the user's TypeScript against the package's declarations.
  writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'] }, files: ['main.ts'],
  }));
  writeFileSync(join(proj, 'main.ts'), `import { readFileSync } from 'node:fs';
import { detectShots, Workspace, shotsCsv, parseChain, detectCharacters, readImage, type ShotResult } from 'toonscope';

const ws = Workspace.open('ws');                                   // better-sqlite3
const r: ShotResult = await detectShots('clip.mp4', { workspace: ws });
ws.close();
const chain = parseChain('cascade');                               // opencv-js (WASM) and the shipped cascade model
const chars = await detectCharacters(await readImage('shots/sheet.png'), chain);  // sharp
for (const d of chain) await d.dispose?.();
const maps = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && /\\.node$/.test(p));
console.log(JSON.stringify({ shots: r.shots.length, header: shotsCsv(r.shots).split('\\n')[0], characters: chars.length, natives: [...new Set(maps)] }));
`);
  ok(sh(process.execPath, [join(proj, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], proj), 'tsc in the user project');
  const res = JSON.parse(ok(sh(process.execPath, ['main.js'], proj), 'node main.js'));
  assert.equal(res.shots, 5);
  assert.match(res.header, /^Scene Number,Start Frame,/);
  assert.ok(res.characters >= 0);
  const inProject = (p: string) => realpathSync(p).startsWith(`${realpathSync(proj)}/`);
  const natives: string[] = res.natives;
  assert.ok(natives.some((p) => p.endsWith('better_sqlite3.node')), `better-sqlite3 loaded: ${natives}`);
  assert.ok(natives.some((p) => /sharp/.test(p)), `sharp loaded: ${natives}`);
  assert.deepEqual(natives.filter((p) => !inProject(p)), [], 'every native module comes from the user project');

  // Types are the package's own: a wrong use is a compile error, not an `any`.
  writeFileSync(join(proj, 'bad.ts'), "import { detectShots } from 'toonscope';\nconst n: string = (await detectShots('clip.mp4')).frames;\nexport { n };\n");
  writeFileSync(join(proj, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.json', files: ['bad.ts'] }));
  const bad = sh(process.execPath, [join(proj, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bad.json', '--noEmit'], proj);
  assert.notEqual(bad.status, 0);
  assert.match(bad.out + bad.err, /bad\.ts.*TS2322/);

  // Every dependency the package loads resolves inside the user project.
  const resolveFrom = `import { createRequire } from 'node:module';
const req = createRequire(${JSON.stringify(join(proj, 'node_modules', 'toonscope', 'package.json'))});
console.log(JSON.stringify(['better-sqlite3', 'sharp', '@techstark/opencv-js', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm', 'onnxruntime-node', 'nsfwjs'].map((m) => req.resolve(m))));`;
  writeFileSync(join(proj, 'where.mjs'), resolveFrom);
  const where: string[] = JSON.parse(ok(sh(process.execPath, ['where.mjs'], proj), 'resolve dependencies'));
  assert.deepEqual(where.filter((p) => !inProject(p) || p.startsWith(`${root}/`)), [], `resolved outside the project: ${where}`);
});
