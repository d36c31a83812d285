// The GrabCut helper thread (cut.ts): the cuts of one frame per message.
import { parentPort } from 'node:worker_threads';
import { opencv, errorText } from '../core/opencv.js';
import { cutJob, type CutReady, type CutReply, type CutRequest } from './cut.js';

parentPort?.on('message', async (m: CutRequest) => {
  try {
    const cv = await opencv();
    const fg = m.jobs.map((j) => cutJob(cv, m.img, j, m.iterations));
    parentPort!.postMessage({ id: m.id, fg } satisfies CutReply, fg.map((f) => f.buffer as ArrayBuffer));
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: errorText(e) } satisfies CutReply);
  }
});
// Load opencv-js as soon as the thread starts, not with the first frame, and say when it can take cuts: until then
// the main thread cuts everything itself.
opencv().then(
  () => parentPort?.postMessage({ ready: true } satisfies CutReady),
  (e: unknown) => parentPort?.postMessage({ ready: false, error: errorText(e) } satisfies CutReady),
);
