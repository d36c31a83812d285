// Backend chains from text, so the CLI and library name them the same way:
//   "cascade,grabcut" (default, licence-clean, shipped)
//   "cascade,salient=PATH.onnx"  (faces split a salient mask from your own ONNX net, e.g. ISNet)
//   "yolo=PATH.onnx:face:body"   (your own YOLO-format detector; class names after the path)
import { ToonscopeError } from '../core/errors.js';
import { CascadeFaces } from './cascade.js';
import { GrabCutBodies } from './grabcut.js';
import { OnnxDetector } from './onnx.js';
import type { CharacterDetector, CharacterLabel } from './types.js';
import { installedDetectors } from '../models/chain.js';

/** The default character detector chain: anime faces (LBP cascade), then GrabCut bodies seeded by them. */
export const DEFAULT_CHAIN = 'cascade,grabcut';

/** Working sizes for the backends `parseChain` builds. */
export interface ChainOptions {
  /** GrabCut working width (pixels). */
  segWidth?: number;
  /** Face detection working width. */
  faceWidth?: number;
}

/** Detectors a library user (or a test harness) adds by name, so a chain spec can use them like the built-in ones. */
const extra = new Map<string, (arg: string) => CharacterDetector>();

/** Make `name` (or `name=ARG`) usable in chain specs, from the CLI's --detector(s) as well. */
export function registerDetector(name: string, make: (arg: string) => CharacterDetector): void {
  extra.set(name, make);
}

/**
 * Build a detector chain from a spec such as "cascade,grabcut", "cascade,salient=MODEL.onnx" or
 * "yolo=MODEL.onnx:face:body". Call each detector's `dispose()` when done.
 */
export function parseChain(spec: string = DEFAULT_CHAIN, opts: ChainOptions = {}): CharacterDetector[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new ToonscopeError(undefined, 'empty detector list');
  return parts.map((p) => {
    const [name, arg] = p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, ''];
    const added = extra.get(name);
    if (added) return added(arg);
    switch (name) {
      case 'cascade':
        return new CascadeFaces({ file: arg || undefined, width: opts.faceWidth });
      case 'grabcut':
        return new GrabCutBodies({ width: opts.segWidth });
      case 'salient':
        if (!arg) throw new ToonscopeError(undefined, 'salient needs a model path: salient=PATH.onnx');
        return new OnnxDetector(arg, { kind: 'salient' });
      case 'yolo': {
        if (!arg) throw new ToonscopeError(undefined, 'yolo needs a model path: yolo=PATH.onnx[:label:label...]');
        const [file, ...names] = arg.split(':');
        const bad = names.find((n) => n !== 'face' && n !== 'body');
        if (bad) throw new ToonscopeError(file, `unknown class label "${bad}" (use face or body)`);
        return new OnnxDetector(file, { kind: 'yolo', classes: names.length ? (names as CharacterLabel[]) : undefined });
      }
      default:
        throw new ToonscopeError(undefined, `unknown detector "${name}" (known: cascade, grabcut, salient=PATH, yolo=PATH)`);
    }
  });
}

/**
 * The chain a command runs: `spec` when given (exactly as parseChain), else the
 * default with any installed learned detectors in front (src/models/chain.ts):
 * a learned face/head model replaces the cascade, a learned person model
 * GrabCut. `models` is the --models value (auto, none, or names).
 */
export async function autoChain(spec?: string, opts: ChainOptions & { models?: string } = {}): Promise<CharacterDetector[]> {
  if (spec) return parseChain(spec, opts);
  const learned = await installedDetectors(opts.models);
  return [
    learned.face ?? new CascadeFaces({ width: opts.faceWidth }),
    learned.body ?? new GrabCutBodies({ width: opts.segWidth }),
  ];
}
