// `npm run bench -- comics`: `toonscope comics` (default: panels, characters
// and identities) side by side with Kumiko (panels only) on the Kumiko test
// pages, alternating rounds (toonscope, Kumiko, ...). Per page, and for all
// pages of a folder in one call (a comic is many pages: start-up and JIT
// warm-up are paid once). Prints seconds per page, best and median, the
// ratio and the load. Without ../shared/peers/kumiko: toonscope alone.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { sharedDir, median, load } from './shots.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function timed(cmd: string, args: string[], cwd?: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${basename(cmd)} ${args.join(' ')} failed`);
  return (performance.now() - t0) / 1000;
}

function pagesIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...pagesIn(p));
    else if (/\.(png|jpe?g)$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

export async function benchComics(): Promise<Record<string, unknown>[]> {
  const shared = sharedDir();
  const data = shared && join(shared, 'data', 'comics', 'kumiko');
  if (!data || !existsSync(data)) {
    console.log('../shared/data/comics/kumiko is missing: no comics bench');
    return [];
  }
  const kumiko = shared && join(shared, 'peers', 'kumiko');
  const peer = kumiko && existsSync(join(kumiko, 'kumiko')) ? kumiko : undefined;
  const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  console.log(`toonscope comics (default, with characters) vs Kumiko (panels only); ${ROUNDS} alternating rounds; before: ${load()}`);
  if (!peer) console.log('peer missing (../shared/peers/kumiko): toonscope alone');
  const out = join(tmpdir(), `toonscope-bench-comics-${process.pid}`);
  const runs: [string, string[]][] = pagesIn(data).map((p) => [basename(p), [p]]);
  // Kumiko takes one file or one folder per call: the folder of frameless xkcd pages is the many-page case.
  const folder = join(data, '005-panels-without-frame');
  if (existsSync(folder)) runs.push([`${basename(folder)}/ (${pagesIn(folder).length} pages, one call)`, [folder]]);
  const rows: Record<string, unknown>[] = [];
  try {
    for (const [name, input] of runs) {
      const pages = input[0] === folder ? pagesIn(folder) : input;
      const t: number[] = [], q: number[] = [];
      for (let k = 0; k < ROUNDS; k++) {
        t.push(timed(process.execPath, [cli, 'comics', ...pages, '--workspace', join(out, 'ws'), '--out', join(out, 'o'), '--quiet']) / pages.length);
        if (peer) q.push(timed(py, ['kumiko', '-i', input[0]], peer) / pages.length);
        rmSync(out, { recursive: true, force: true });
      }
      rows.push({
        pages: name,
        'toonscope s/page best/median': `${Math.min(...t).toFixed(2)} / ${median(t).toFixed(2)}`,
        ...(q.length ? {
          'Kumiko s/page best/median': `${Math.min(...q).toFixed(2)} / ${median(q).toFixed(2)}`,
          'toonscope / Kumiko time, best/median': `${(Math.min(...t) / Math.min(...q)).toFixed(2)} / ${(median(t) / median(q)).toFixed(2)}`,
        } : {}),
      });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(`after: ${load()}`);
  return rows;
}
