// The installed learned interpolator (RIFE) as the interpolate module's
// Synthesizer, or undefined: then the hand-built pipeline runs, as always, and
// the user is told once which model would help.
import type { Synthesizer } from '../interpolate/interp.js';
import { modelChoice } from './chain.js';
import { hintOnce, installedFor } from './index.js';
import { ModelInterpolator } from './runtime.js';

export async function installedInterpolator(models?: string): Promise<(Synthesizer & { dispose(): Promise<void> }) | undefined> {
  const choice = modelChoice(models, 'interpolation');
  const hit = await installedFor('interpolation', choice);
  if (!hit) {
    if (choice !== 'none') hintOnce('interpolation');
    return undefined;
  }
  const r = new ModelInterpolator(hit.entry, hit.file);
  return { name: `model:${hit.entry.name}`, between: (a, b, t) => r.between(a, b, t), dispose: () => r.dispose() };
}
