// Stage 3 of analyze: characters and their vanilla embeddings on the sampled
// frames. Each frame's results are committed with its done flag, so a killed
// run loses at most the frame in flight.
import { encodeImage, resize } from '../core/image.js';
import { fitSize, decodeSelected } from '../core/video.js';
import type { Workspace } from '../core/workspace.js';
import type { Detection, Image, VideoInfo } from '../core/types.js';
import type { Progress } from '../core/progress.js';
import { detectCharacters } from '../characters/pipeline.js';
import type { CharacterDetector } from '../characters/types.js';
import { embedDetections, cropBox, type EmbedOptions } from '../embed/index.js';
import { pendingSamples, saveFrame, type NewAppearance } from './store.js';

export interface DetectStageOptions {
  /** Analysis width for detection (pixels). */
  width?: number;
  embed?: EmbedOptions;
  /** Height of the stored crop thumbnails (for collages and the app). */
  cropHeight?: number;
}

/** The detection that stands for a character: its body, or its face when no body was found. */
function unit(c: { body?: Detection; face?: Detection }): Detection | undefined {
  return c.body ?? c.face;
}

async function thumb(frame: Image, d: Detection, height: number): Promise<Buffer> {
  const c = cropBox(frame, d.box, d.mask).image;
  const h = Math.min(height, c.height);
  const w = Math.max(1, Math.round((c.width * h) / c.height));
  return encodeImage(await resize(c, w, h), 'jpeg', 85);
}

export async function detectStage(ws: Workspace, videoId: number, info: VideoInfo, times: ArrayLike<number>, chain: CharacterDetector[], opts: DetectStageOptions = {}, bar?: Progress): Promise<number> {
  const pending = pendingSamples(ws, videoId);
  const byFrame = new Map(pending.map((s) => [s.frame, s]));
  const size = fitSize(info, opts.width ?? 640);
  const sx = info.width / size.width;
  let done = 0;
  bar?.set(0, pending.length);
  for await (const frame of decodeSelected(info.path, pending.map((s) => s.frame), size, times)) {
    const s = byFrame.get(frame.index)!;
    const chars = await detectCharacters(frame, chain, frame.index);
    const dets = chars.map(unit).filter((d): d is Detection => Boolean(d));
    await embedDetections(frame, dets, opts.embed);
    const apps: NewAppearance[] = [];
    for (const [k, d] of dets.entries()) {
      const face = chars[k].face && chars[k].face !== d ? chars[k].face!.box : undefined;
      apps.push({
        frame: s.frame,
        shot: s.shot,
        time: s.time,
        // Boxes are stored in source-video pixels.
        box: d.box.map((v) => v * sx) as Detection['box'],
        score: d.score,
        face: face?.map((v) => v * sx) as Detection['box'] | undefined,
        mask: d.mask,
        crop: await thumb(frame, d, opts.cropHeight ?? 128),
        embedding: d.embedding!,
      });
    }
    saveFrame(ws, videoId, s.frame, apps);
    bar?.set(++done, pending.length);
  }
  return done;
}
