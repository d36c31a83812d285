// The model cache: one folder (TOONSCOPE_MODELS, else the user's cache dir)
// holding <name>.onnx files, their <name>.onnx.part while downloading, and
// manifest.json recording each installed file's sha256 and origin, the
// licences the user accepted, and the hints already given.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ToonscopeError } from '../core/errors.js';
import { REGISTRY, type ModelEntry } from './registry.js';

/** Where models live: $TOONSCOPE_MODELS, else <user cache>/toonscope/models. */
export function modelsDir(): string {
  if (process.env.TOONSCOPE_MODELS) return process.env.TOONSCOPE_MODELS;
  const base = process.platform === 'win32'
    ? process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local')
    : process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'toonscope', 'models');
}

/** TOONSCOPE_OFFLINE=1 (or the global --offline): nothing touches the network. */
export function offline(): boolean {
  return process.env.TOONSCOPE_OFFLINE === '1';
}

export interface Installed {
  sha256: string;
  size: number;
  /** URL or local file it came from. */
  from: string;
  at: string;
}

interface Manifest {
  models: Record<string, Installed>;
  accepted: string[];
  hinted: string[];
}

const manifestPath = () => join(modelsDir(), 'manifest.json');

export function readManifest(): Manifest {
  const p = manifestPath();
  if (!existsSync(p)) return { models: {}, accepted: [], hinted: [] };
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Partial<Manifest>;
    return { models: m.models ?? {}, accepted: m.accepted ?? [], hinted: m.hinted ?? [] };
  } catch {
    throw new ToonscopeError(p, 'model manifest is not valid JSON (delete it and pull the models again)');
  }
}

export function writeManifest(m: Manifest): void {
  mkdirSync(modelsDir(), { recursive: true });
  // Write then rename, so an interrupted write never leaves half a manifest.
  const p = manifestPath();
  writeFileSync(`${p}.tmp`, JSON.stringify(m, null, 2));
  renameSync(`${p}.tmp`, p);
}

/** The cache file of a model. */
export function modelFile(entry: ModelEntry): string {
  return join(modelsDir(), `${entry.name}.onnx`);
}

/** sha256 (hex) of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (b) => h.update(b)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** The hash a model file must have: the registry's, else the one recorded at its first install (unverified entries). */
export function expectedHash(entry: ModelEntry, m = readManifest()): string | undefined {
  return entry.sha256 ?? m.models[entry.name]?.sha256;
}

/** Record an installed file (the caller has checked its hash). */
export function recordInstall(entry: ModelEntry, info: Installed): void {
  const m = readManifest();
  m.models[entry.name] = info;
  writeManifest(m);
}

/** Delete a model's file, partial download and record. Returns whether anything was there. */
export function removeModel(entry: ModelEntry): boolean {
  const f = modelFile(entry);
  const had = existsSync(f) || existsSync(`${f}.part`);
  rmSync(f, { force: true });
  rmSync(`${f}.part`, { force: true });
  const m = readManifest();
  if (m.models[entry.name]) {
    delete m.models[entry.name];
    writeManifest(m);
    return true;
  }
  return had;
}

/** Models whose file is present (not yet re-hashed: see `checked`). */
export function presentModels(registry: readonly ModelEntry[] = activeRegistry()): ModelEntry[] {
  const m = readManifest();
  return registry.filter((e) => existsSync(modelFile(e)) && m.models[e.name]);
}

const good = new Map<string, string>();

/**
 * The file of an installed model after checking its sha256 (once per process).
 * A mismatch deletes the file and throws, naming the model.
 */
export async function checked(entry: ModelEntry): Promise<string> {
  const f = modelFile(entry);
  if (!existsSync(f)) throw new ToonscopeError(f, `model ${entry.name} is not installed (toonscope models pull ${entry.name})`);
  const size = statSync(f).size;
  const key = `${f}:${size}:${statSync(f).mtimeMs}`;
  if (good.get(entry.name) === key) return f;
  const want = expectedHash(entry);
  const got = await sha256File(f);
  if (want && got !== want) {
    removeModel(entry);
    throw new ToonscopeError(f, `sha256 mismatch for ${entry.name} (expected ${want.slice(0, 12)}…, file has ${got.slice(0, 12)}…): the file was deleted; pull it again`);
  }
  good.set(entry.name, key);
  return f;
}

/**
 * The registry in force: the built-in table, with entries from the JSON file
 * named by TOONSCOPE_REGISTRY added or replacing same-named ones (a mirror, a
 * model of one's own, or the test suite's local server).
 */
export function activeRegistry(): readonly ModelEntry[] {
  const extra = process.env.TOONSCOPE_REGISTRY;
  if (!extra) return REGISTRY;
  let list: ModelEntry[];
  try {
    list = JSON.parse(readFileSync(extra, 'utf8')) as ModelEntry[];
  } catch (e) {
    throw new ToonscopeError(extra, `not a readable registry JSON file (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(list)) throw new ToonscopeError(extra, 'registry file must hold a JSON array of model entries');
  const names = new Set(list.map((e) => e.name));
  return [...list, ...REGISTRY.filter((e) => !names.has(e.name))];
}
