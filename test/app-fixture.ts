// A real workspace for the app tests: two short episodes of drawn characters
// (known identities), analysed with a detector that reports the truth boxes
// (the app is under test, not detection), then the series dictionary.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VideoWriter } from '../src/core/video.js';
import { Workspace } from '../src/core/workspace.js';
import { synthClip, type SynthClip } from '../src/dictionary/synth.js';
import { analyzeVideo } from '../src/analyze/pipeline.js';
import { analyzeSeries } from '../src/analyze/series.js';
import { TruthBodies } from './fixtures.js';


/** Episodes `ep1.mp4`, `ep2.mp4` in `dir` and an analysed workspace `dir/ws`; returns the open workspace and the clips. */
export async function castWorkspace(dir: string): Promise<{ ws: Workspace; clips: SynthClip[]; videos: string[] }> {
  const clips = [11, 12].map((seed) => synthClip({ shots: 4, shotFrames: [30, 40], identities: 3, perShot: [1, 2], seed }));
  const videos = clips.map((_, i) => join(dir, `ep${i + 1}.mp4`));
  const ws = Workspace.open(join(dir, 'ws'));
  for (const [i, clip] of clips.entries()) {
    if (!existsSync(videos[i])) {
      const w = new VideoWriter(videos[i], clip.width, clip.height, clip.fps, { crf: 18 });
      for (let f = 0; f < clip.frames; f++) await w.write(clip.render(f).image);
      await w.close();
    }
    await analyzeVideo(ws, videos[i], { chain: [new TruthBodies(clip)], rate: 6, width: clip.width });
  }
  // The oracle detector leaves out half-hidden figures on purpose; the learned pass would find them (test/learned.test.ts).
  await analyzeSeries(ws, { epochs: 5, learn: false });
  return { ws, clips, videos };
}
