// The identity-embedding space of a workspace (a series): MobileNetV2 (the
// embedded default) or an installed learned model such as CCIP. Chosen when a
// workspace first embeds, recorded in it, and kept: vectors from two spaces are
// not comparable, so a series never mixes them. A workspace embedded before
// this record existed is MobileNetV2.
import type { IdentityEmbedder } from '../embed/index.js';
import { ToonscopeError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { modelChoice } from './chain.js';
import { hintOnce, installedFor } from './index.js';
import { ModelEmbedder } from './runtime.js';

export const DEFAULT_SPACE = 'mobilenet';

function recorded(ws: Workspace): string | undefined {
  ws.schema('models', 1, 'CREATE TABLE IF NOT EXISTS model_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = ws.db.prepare("SELECT value FROM model_settings WHERE key = 'identity_space'").get() as { value: string } | undefined;
  if (row) return row.value;
  try {
    const n = ws.db.prepare('SELECT COUNT(*) AS n FROM appearances WHERE embedding IS NOT NULL').get() as { n: number };
    return n.n ? DEFAULT_SPACE : undefined;
  } catch {
    return undefined; // no appearances table yet: nothing embedded
  }
}

/** The space this workspace's vectors are in (the default when nothing is embedded yet). */
export function spaceOf(ws: Workspace): string {
  return recorded(ws) ?? DEFAULT_SPACE;
}

function record(ws: Workspace, space: string): void {
  ws.db.prepare("INSERT INTO model_settings (key, value) VALUES ('identity_space', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(space);
}

export interface IdentitySpace {
  space: string;
  /** Undefined for MobileNetV2 (the embed module's own default). */
  embedder?: IdentityEmbedder & { dispose(): Promise<void> };
}

/** Wrap a learned embedder for the embed module. */
function wrap(e: ModelEmbedder): IdentityEmbedder & { dispose(): Promise<void> } {
  return { space: e.entry.name, embed: (crops) => e.embed(crops), dispose: () => e.dispose() };
}

/**
 * Take on the space a queue worker embedded an episode in (its rows arrive without the workspace's record): the
 * first episode records it, a later one in another space is a one-line error, so a series never mixes spaces.
 */
export function adoptSpace(ws: Workspace, space: string): void {
  const had = recorded(ws);
  if (had && had !== space) throw new ToonscopeError(ws.dir, `a worker embedded in the ${space} space but this workspace is in ${had}: install the same identity model on every worker and the coordinator (or pass --models)`);
  if (!ws.db.prepare("SELECT 1 FROM model_settings WHERE key = 'identity_space'").get()) record(ws, space);
}

/**
 * The space analyze embeds in for this workspace. `models` is --models (auto,
 * none or names). A request that would mix spaces is a one-line error.
 */
export async function identitySpace(ws: Workspace, models?: string): Promise<IdentitySpace> {
  const choice = modelChoice(models, 'identity');
  const want = choice === 'none' ? DEFAULT_SPACE : choice;
  const had = recorded(ws);
  if (had) {
    if (want && want !== had) throw new ToonscopeError(ws.dir, `this workspace's embeddings are in the ${had} space; --models asks for ${want}, which would mix spaces in one series: use another --workspace`);
    if (had === DEFAULT_SPACE) return { space: had };
    const hit = await installedFor('identity', had).catch(() => undefined);
    if (!hit) throw new ToonscopeError(ws.dir, `this workspace embeds with ${had}, which is not installed or failed its check: toonscope models pull ${had}`);
    return { space: had, embedder: wrap(new ModelEmbedder(hit.entry, hit.file)) };
  }
  const hit = await installedFor('identity', choice);
  if (!hit) {
    if (choice !== 'none') hintOnce('identity');
    record(ws, DEFAULT_SPACE);
    return { space: DEFAULT_SPACE };
  }
  record(ws, hit.entry.name);
  return { space: hit.entry.name, embedder: wrap(new ModelEmbedder(hit.entry, hit.file)) };
}

/** An identity embedder for evaluation runs (no workspace): the installed model per --models, else MobileNetV2. */
export async function evalIdentity(models?: string): Promise<IdentitySpace> {
  const hit = await installedFor('identity', modelChoice(models, 'identity'));
  return hit ? { space: hit.entry.name, embedder: wrap(new ModelEmbedder(hit.entry, hit.file)) } : { space: DEFAULT_SPACE };
}
