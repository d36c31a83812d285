// Which learned detectors the default character chain uses: an installed face
// model (else a head model) in place of the cascade, an installed person model
// in place of GrabCut. With none installed (or --models none) the chain is the
// embedded default, unchanged, and the user is told once which model would help.
import type { CharacterDetector } from '../characters/types.js';
import { ToonscopeError } from '../core/errors.js';
import { activeRegistry } from './store.js';
import { hintOnce, installedFor } from './index.js';
import type { ModelEntry, ModelTask } from './registry.js';

/**
 * `--models` value: 'auto' (default: whatever is installed), 'none' (built-in
 * only), or model names separated by commas (each must be installed).
 */
export function modelChoice(spec: string | undefined, task: ModelTask): string | undefined {
  if (!spec || spec === 'auto') return undefined;
  if (spec === 'none') return 'none';
  const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const reg = activeRegistry();
  for (const n of names) if (!reg.some((e) => e.name === n)) throw new ToonscopeError(undefined, `--models: unknown model "${n}" (known: auto, none, ${reg.map((e) => e.name).join(', ')})`);
  return names.find((n) => reg.find((e) => e.name === n)?.task === task) ?? 'none';
}

export interface LearnedChain {
  face?: CharacterDetector;
  body?: CharacterDetector;
}

/** The installed detectors the default chain should use (see the file comment). */
export async function installedDetectors(models?: string): Promise<LearnedChain> {
  const pick = async (task: ModelTask) => {
    const hit = await installedFor(task, modelChoice(models, task));
    // The ONNX runtime wrapper loads only when a model is installed: commands that fall back to the built-in
    // detectors (comics' ink figures) skip its imports at start-up.
    return hit ? new (await import('./runtime.js')).ModelDetector(hit.entry, hit.file) : undefined;
  };
  const face = (await pick('face')) ?? (await pick('head'));
  const body = await pick('person');
  if (models !== 'none') {
    if (!face) hintOnce('face');
    if (!body) hintOnce('person');
  }
  return { face, body };
}

/** Entries of a task, for docs and listings. */
export function entriesFor(task: ModelTask): ModelEntry[] {
  return activeRegistry().filter((e) => e.task === task);
}
