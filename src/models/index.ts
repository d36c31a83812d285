// Learned models on demand: pull (download, resume, sha256 check), install from
// a file obtained elsewhere, verify, remove, and find the installed model for a
// task. Nothing here runs at install or test time; the embedded defaults
// (cascade, GrabCut, MobileNetV2) never need any of it.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { ToonscopeError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { discard, download, finish } from './download.js';
import type { ModelEntry, ModelTask } from './registry.js';
import {
  activeRegistry, checked, expectedHash, modelFile, modelsDir, offline, presentModels, readManifest,
  recordInstall, removeModel, sha256File, writeManifest,
} from './store.js';

export { REGISTRY, findModel, type ModelEntry, type ModelTask } from './registry.js';
export { modelsDir, offline, activeRegistry, modelFile, removeModel, checked } from './store.js';

/** The entry called `name` in the active registry, or a one-line error listing the known names. */
export function entry(name: string): ModelEntry {
  const reg = activeRegistry();
  const e = reg.find((m) => m.name === name);
  if (!e) throw new ToonscopeError(undefined, `unknown model "${name}" (known: ${reg.map((m) => m.name).join(', ')})`);
  return e;
}

export interface PullOptions {
  acceptLicence?: boolean;
  progress?: (label: string, total?: number) => Progress;
  /** Where to print the licence text / warnings (default stderr). */
  say?: (msg: string) => void;
  /** Ask a yes/no question (default: readline on a TTY, else refuse). */
  ask?: (question: string) => Promise<boolean>;
  retries?: number;
}

async function ttyAsk(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** A restricted licence (OpenRAIL...) is shown and must be accepted once, by answer or --accept-licence. */
async function ensureLicence(e: ModelEntry, opts: PullOptions): Promise<void> {
  if (!e.licence.restricted) return;
  const m = readManifest();
  if (m.accepted.includes(e.name)) return;
  const say = opts.say ?? ((s: string) => process.stderr.write(`${s}\n`));
  say(`${e.name} is licensed under ${e.licence.name}, which restricts how it may be used: read ${e.licence.url}`);
  const ok = opts.acceptLicence || (await (opts.ask ?? ttyAsk)(`Accept the ${e.name} licence?`));
  if (!ok) throw new ToonscopeError(undefined, `${e.name}: licence not accepted; read ${e.licence.url} and rerun with --accept-licence`);
  m.accepted.push(e.name);
  writeManifest(m);
}

/** Check a finished `.part` against the entry, then move it into place and record it. */
async function install(e: ModelEntry, from: string, partOrFile: string, say: (s: string) => void): Promise<string> {
  const got = await sha256File(partOrFile);
  const want = expectedHash(e);
  const dest = modelFile(e);
  const downloaded = partOrFile === `${dest}.part`;
  // A download that fails its check is deleted; a file the user gave is left where it is.
  const after = downloaded ? 'the downloaded file was deleted' : 'nothing was installed';
  if (want && got !== want) {
    if (downloaded) discard(dest);
    throw new ToonscopeError(from, `sha256 mismatch for ${e.name}: expected ${want}, got ${got}; ${after}`);
  }
  if (e.size && statSync(partOrFile).size !== e.size) {
    if (downloaded) discard(dest);
    throw new ToonscopeError(from, `size mismatch for ${e.name}: expected ${e.size} bytes, got ${statSync(partOrFile).size}; ${after}`);
  }
  if (!want) say(`warning: ${e.name} has no published sha256; recorded ${got} from this copy and will check against it from now on`);
  if (partOrFile === `${dest}.part`) finish(dest);
  else copyFileSync(partOrFile, dest);
  recordInstall(e, { sha256: got, size: statSync(dest).size, from, at: new Date().toISOString() });
  return dest;
}

/** Download a model into the cache (resuming a partial download), check it, install it. Returns its path. */
export async function pull(name: string, opts: PullOptions = {}): Promise<string> {
  const e = entry(name);
  const say = opts.say ?? ((s: string) => process.stderr.write(`${s}\n`));
  if (offline()) throw new ToonscopeError(undefined, `offline (TOONSCOPE_OFFLINE=1 / --offline): not downloading ${e.name}; fetch ${e.url} elsewhere and run: toonscope models pull ${e.name} --from FILE`);
  await ensureLicence(e, opts);
  mkdirSync(modelsDir(), { recursive: true });
  if (!e.verified) say(`warning: ${e.name} is not verified (${e.revisionNote ?? 'no published sha256'})`);
  const dest = modelFile(e);
  try {
    await download(e.url, dest, { size: e.size, progress: opts.progress, label: `pull ${e.name}`, retries: opts.retries });
  } catch (err) {
    // No route to the hub (a firewall, no network): say how to install it anyway.
    if (err instanceof ToonscopeError && /download failed: (getaddrinfo|connect|.*ECONN|.*ETIMEDOUT|no data)/.test(err.problem)) {
      throw new ToonscopeError(err.file, `${err.problem}; without access to it, fetch the file elsewhere and run: toonscope models pull ${e.name} --from FILE`);
    }
    throw err;
  }
  return install(e, e.url, `${dest}.part`, say);
}

/** Install a model file obtained elsewhere (an offline machine), after the same checks as a download. */
export async function installFrom(name: string, file: string, opts: PullOptions = {}): Promise<string> {
  const e = entry(name);
  if (!existsSync(file)) throw new ToonscopeError(file, 'file not found');
  const st = statSync(file);
  if (st.isDirectory()) throw new ToonscopeError(file, `is a folder, expected the ${e.name} model file`);
  // With no published hash the first copy's is trusted from then on: an empty file must not become that copy.
  if (!st.size) throw new ToonscopeError(file, `is empty (0 bytes), expected the ${e.name} model file`);
  await ensureLicence(e, opts);
  mkdirSync(modelsDir(), { recursive: true });
  return install(e, file, file, opts.say ?? ((s: string) => process.stderr.write(`${s}\n`)));
}

export interface ModelStatus {
  name: string;
  task: ModelTask;
  installed: boolean;
  verified: boolean;
  size: number | null;
  licence: string;
  card: string;
  path: string;
}

/** Every registry entry with whether it is installed. */
export function listModels(): ModelStatus[] {
  const m = readManifest();
  return activeRegistry().map((e) => ({
    name: e.name,
    task: e.task,
    installed: existsSync(modelFile(e)) && Boolean(m.models[e.name]),
    verified: e.verified,
    size: e.size,
    licence: e.licence.name,
    card: e.card.value === null ? `n/a (${e.card.note ?? ''})` : `${e.card.metric} ${e.card.value} (model card)`,
    path: modelFile(e),
  }));
}

/** Re-hash every installed model; a mismatch deletes the file. Returns one line of outcome per model. */
export async function verifyAll(): Promise<Array<{ name: string; ok: boolean; problem?: string }>> {
  const out: Array<{ name: string; ok: boolean; problem?: string }> = [];
  for (const e of presentModels()) {
    try {
      await checked(e);
      out.push({ name: e.name, ok: true });
    } catch (err) {
      out.push({ name: e.name, ok: false, problem: (err as Error).message });
    }
  }
  return out;
}

/**
 * The installed, checked model for a task, first in registry order, or
 * undefined. `want` names a specific one ('none' turns learned models off).
 * A file failing its check is deleted and reported through `say`; the caller
 * then falls back to its embedded default.
 */
export async function installedFor(task: ModelTask, want?: string, say: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<{ entry: ModelEntry; file: string } | undefined> {
  if (want === 'none') return undefined;
  const candidates = want ? [entry(want)] : presentModels().filter((e) => e.task === task);
  if (want && !presentModels().includes(candidates[0])) throw new ToonscopeError(undefined, `model ${want} is not installed (toonscope models pull ${want})`);
  for (const e of candidates) {
    if (e.task !== task) throw new ToonscopeError(undefined, `model ${e.name} is a ${e.task} model, not ${task}`);
    try {
      return { entry: e, file: await checked(e) };
    } catch (err) {
      say(`toonscope: ${(err as Error).message}; using the built-in default`);
    }
  }
  return undefined;
}

const saidHere = new Set<string>();

/** Say once (ever, per cache folder; per process when there is no cache folder yet) which model would help, when a command runs without one. */
export function hintOnce(task: ModelTask, say: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): void {
  if (process.env.TOONSCOPE_QUIET === '1') return;
  let m;
  try {
    m = readManifest();
  } catch {
    return;
  }
  if (m.hinted.includes(task) || saidHere.has(task)) return;
  saidHere.add(task);
  const best = activeRegistry().find((e) => e.task === task);
  if (!best) return;
  const fig = best.card.value === null ? '' : ` (${best.card.metric} ${best.card.value} on its model card)`;
  say(`hint: a learned ${task} model would help here: toonscope models pull ${best.name}${fig}; using the built-in default (said once)`);
  // Remembered in the cache folder only when it exists: a hint never creates folders in the user's cache.
  if (!existsSync(modelsDir())) return;
  m.hinted.push(task);
  try {
    writeManifest(m);
  } catch {
    // A read-only cache folder only means the hint may be said again.
  }
}
