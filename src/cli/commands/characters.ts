// `toonscope characters FILE...` and `toonscope characters make-truth`.
import { ToonscopeError } from '../../core/errors.js';
import { checkFile } from '../../core/video.js';
import { autoChain, DEFAULT_CHAIN } from '../../characters/backends.js';
import { runImage, runVideo, IMAGE_EXT, type RunSummary } from '../../characters/run.js';
import { makeTruth } from '../../characters/truth.js';
import { intOption, numOption, type Command, type Values } from '../command.js';

/** Working widths of the chain's detectors (`--seg-width`, `--face-width`): a few dozen pixels to 4K. */
export function chainWidths(values: Values): { segWidth?: number; faceWidth?: number } {
  return { segWidth: intOption(values, 'seg-width', 32, 4096), faceWidth: intOption(values, 'face-width', 32, 4096) };
}

const characters: Command = {
  name: 'characters',
  writes: true,
  summary: 'find characters in images or videos: body boxes + instance masks, face boxes, scores (COCO JSON, mask PNGs, overlays)',
  usage: [
    'usage: toonscope characters <image|video>... [options]',
    `  --detectors LIST   backend chain (default ${DEFAULT_CHAIN}); also salient=MODEL.onnx, yolo=MODEL.onnx[:face:body]`,
    '  --models LIST      learned models: auto (default: installed ones), none (built-in only), or names (toonscope models list)',
    '  --seg-width N      GrabCut working width (default 640; larger is slower and a little finer)',
    '  --face-width N     face detection working width (default 960)',
    '  --fps N            video: analysis frames per second (default 8)',
    '  --every S          video: seconds between keyframes within a shot (default 2)',
    '  --watch S          video: seconds between quick looks for a new face between keyframes (default 0.5; 0: none)',
    '  --width N          video: analysis width (default 640)',
    '  --max-frames N     video: stop after N analysed frames',
    '  --all-frames       video: write masks and overlays for every analysed frame (default: keyframes, and frames where a watch found a new face)',
    'Results go to <workspace>/characters/<name>/: coco.json, masks/*.png, overlays/*.jpg.',
  ].join('\n'),
  options: {
    detectors: { type: 'string' }, models: { type: 'string' }, 'seg-width': { type: 'string' }, 'face-width': { type: 'string' },
    fps: { type: 'string' }, every: { type: 'string' }, watch: { type: 'string' }, width: { type: 'string' }, 'max-frames': { type: 'string' }, 'all-frames': { type: 'boolean' },
  },
  async run(files, values, ctx) {
    if (!files.length) throw new ToonscopeError(undefined, 'give at least one image or video file');
    // Options first: a bad one is said before any work, whatever the files.
    const video = {
      fps: numOption(values, 'fps', 0.1, 240), every: numOption(values, 'every', 0.1, 3600), watch: numOption(values, 'watch', 0, 3600), width: intOption(values, 'width', 64, 3840), maxFrames: intOption(values, 'max-frames', 1),
      allFrames: Boolean(values['all-frames']),
    };
    const chain = await autoChain(values.detectors as string | undefined, { ...chainWidths(values), models: values.models as string | undefined });
    const ws = ctx.workspace();
    const out: RunSummary[] = [];
    try {
      for (const f of files) {
        checkFile(f);
        const r = IMAGE_EXT.test(f)
          ? await runImage(ws, f, chain)
          : await runVideo(ws, f, chain, { ...video, progress: (t) => ctx.progress(`characters ${f}`, t) });
        out.push(r);
        ctx.log(`${f}: ${r.characters} character detections, ${r.faces} faces in ${r.frames} frame(s) (${r.keyframes} keyframes), ${r.seconds.toFixed(1)} s${r.secondsPerMinute ? ` (${r.secondsPerMinute.toFixed(0)} s per minute of video)` : ''} -> ${r.dir}`);
      }
    } finally {
      for (const d of chain) await d.dispose?.();
    }
    ctx.result(out);
  },
};

const makeTruthCmd: Command = {
  name: 'characters make-truth',
  summary: 'build an evaluation folder from Ren\'Py sprites (apt-get install renpy-demo renpy-thequestion) composited over backgrounds',
  usage: [
    'usage: toonscope characters make-truth --out DIR [--count N] [--seed N] [--renpy DIR]',
    '  --count N    composites to make (default 60)',
    '  --seed N     random seed (default 1; the same seed gives the same folder)',
    '  --renpy DIR  Ren\'Py games folder (default /usr/share/games/renpy)',
  ].join('\n'),
  options: { out: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, renpy: { type: 'string' } },
  async run(_pos, values, ctx) {
    if (!values.out) throw new ToonscopeError(undefined, 'make-truth needs --out DIR');
    const count = intOption(values, 'count', 1, 100_000, 60)!;
    const bar = ctx.progress('make-truth', count);
    const s = await makeTruth({ out: values.out as string, count, seed: intOption(values, 'seed', 0, Infinity, 1), root: values.renpy as string | undefined, onImage: () => bar.tick() });
    bar.done();
    ctx.result(s, `${s.images} images, ${s.instances} instances, ${s.faces} visible faces (${s.sprites} sprites, ${s.backgrounds} backgrounds) in ${values.out}`);
  },
};

export const characterCommands: Command[] = [makeTruthCmd, characters];
