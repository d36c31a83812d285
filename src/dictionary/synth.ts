// A synthetic truth set for tracking and the dictionary: flat-coloured
// cartoon figures (distinct skin / hair style and colour / top / bottom per
// identity, some colours shared between identities so colour alone is not
// enough) walking over flat-coloured sets, cut into shots. Every frame comes
// with exact truth: identity, instance (a true track: one character in one
// shot), box and visible mask (occlusion by nearer figures removed).
// Frames render on demand, deterministically from the seed.
import type { Box, Detection, Image, Shot } from '../core/types.js';
import { rng, gauss } from '../core/random.js';

type RGB = [number, number, number];

export interface Figure {
  name: string;
  skin: RGB;
  hair: RGB;
  hairStyle: 'short' | 'long' | 'spiky' | 'bun' | 'twintails';
  top: RGB;
  bottom: RGB;
  /** Relative height (1 = average). */
  height: number;
  /** Relative width of the body. */
  build: number;
}

const C: Record<string, RGB> = {
  pale: [250, 224, 200], tan: [222, 180, 140], brown: [150, 100, 70],
  black: [30, 28, 35], blond: [240, 210, 90], red: [200, 50, 40], blue: [40, 90, 200], pink: [240, 140, 180],
  green: [60, 160, 80], white: [240, 240, 240], purple: [120, 60, 160], orange: [240, 140, 40], navy: [30, 40, 90],
  grey: [120, 120, 125], teal: [40, 160, 160], yellow: [250, 220, 60], maroon: [120, 30, 40], silver: [200, 200, 210],
};

/** Eight identities; pairs share hair or clothes colours on purpose. */
export const CAST: Figure[] = [
  { name: 'akane', skin: C.pale, hair: C.red, hairStyle: 'long', top: C.white, bottom: C.navy, height: 0.95, build: 0.9 },
  { name: 'botan', skin: C.tan, hair: C.black, hairStyle: 'spiky', top: C.blue, bottom: C.grey, height: 1.05, build: 1.1 },
  { name: 'chiyo', skin: C.pale, hair: C.blond, hairStyle: 'twintails', top: C.pink, bottom: C.white, height: 0.85, build: 0.85 },
  { name: 'daiki', skin: C.brown, hair: C.black, hairStyle: 'short', top: C.green, bottom: C.navy, height: 1.1, build: 1.15 },
  { name: 'emi', skin: C.pale, hair: C.purple, hairStyle: 'bun', top: C.yellow, bottom: C.navy, height: 0.9, build: 0.9 },
  { name: 'fuyu', skin: C.tan, hair: C.silver, hairStyle: 'short', top: C.maroon, bottom: C.black, height: 1.0, build: 1.0 },
  { name: 'goro', skin: C.tan, hair: C.orange, hairStyle: 'spiky', top: C.white, bottom: C.grey, height: 1.08, build: 1.2 },
  { name: 'hana', skin: C.pale, hair: C.black, hairStyle: 'long', top: C.teal, bottom: C.white, height: 0.92, build: 0.9 },
];

export interface SynthOptions {
  width?: number;
  height?: number;
  fps?: number;
  shots?: number;
  /** Frames per shot (min, max). Default [24, 48]. */
  shotFrames?: [number, number];
  /** Identities used (first n of CAST). Default 5. */
  identities?: number;
  /** Characters per shot (min, max). Default [1, 3]. */
  perShot?: [number, number];
  seed?: number;
}

/** Truth for one visible character instance in one frame. */
export interface TruthBox {
  frame: number;
  /** Identity: index into CAST. */
  identity: number;
  /** True track id: unique per (shot, character). */
  instance: number;
  box: Box;
  /** Visible pixels inside `box`, 1 channel 0/255. */
  mask: Image;
  /** Share of the figure's in-frame pixels not hidden by nearer figures. */
  visible: number;
}

interface Actor { identity: number; instance: number; x0: number; vx: number; base: number; scale: number; phase: number; flip: boolean }
interface Plan { shot: Shot; bg: { sky: RGB; ground: RGB; horizon: number; props: Array<{ box: Box; colour: RGB; round: boolean }> }; actors: Actor[]; light: number }

export interface SynthClip {
  width: number;
  height: number;
  fps: number;
  frames: number;
  shots: Shot[];
  cast: Figure[];
  /** Render frame i (RGB) and its truth. */
  render(i: number): { image: Image; truth: TruthBox[] };
}

/** Plan a synthetic clip (cheap); frames render on demand. */
export function synthClip(opts: SynthOptions = {}): SynthClip {
  const W = opts.width ?? 320, H = opts.height ?? 180, fps = opts.fps ?? 24;
  const r = rng(opts.seed ?? 7);
  const ids = Math.min(CAST.length, opts.identities ?? 5);
  const [fmin, fmax] = opts.shotFrames ?? [24, 48];
  const [pmin, pmax] = opts.perShot ?? [1, 3];
  const plans: Plan[] = [];
  let start = 0, inst = 1;
  const colour = (): RGB => [40 + Math.floor(r() * 200), 40 + Math.floor(r() * 200), 40 + Math.floor(r() * 200)];
  for (let s = 0; s < (opts.shots ?? 6); s++) {
    const len = fmin + Math.floor(r() * (fmax - fmin + 1));
    const shot: Shot = { index: s, start, end: start + len - 1, startTime: start / fps, endTime: (start + len) / fps, in: s ? 'cut' : 'start', out: 'cut' };
    const count = pmin + Math.floor(r() * (pmax - pmin + 1));
    const pool = shuffle(Array.from({ length: ids }, (_, i) => i), r).slice(0, Math.min(ids, count));
    const horizon = 0.45 + r() * 0.2;
    const props = Array.from({ length: 3 + Math.floor(r() * 4) }, () => {
      const w = (0.1 + r() * 0.25) * W, h = (0.15 + r() * 0.35) * H;
      return { box: [r() * (W - w), horizon * H - h + r() * 10, w, h] as Box, colour: colour(), round: r() < 0.3 };
    });
    const actors = pool.map((identity, k) => {
      const depth = r();
      const scale = (0.55 + 0.3 * depth) * H * CAST[identity].height;
      const vx = (r() < 0.5 ? -1 : 1) * (0.3 + r() * 2.2) * (W / 320);
      // Spread characters over the width; opposite velocities make crossings.
      const x0 = ((k + 0.5) / pool.length) * W + (r() - 0.5) * 0.2 * W;
      return { identity, instance: inst++, x0, vx, base: H * (0.88 + 0.1 * depth), scale, phase: r() * 6.28, flip: vx < 0 };
    }).sort((a, b) => a.base - b.base); // far first: nearer figures occlude
    plans.push({ shot, bg: { sky: colour(), ground: colour(), horizon, props }, actors, light: 0.8 + r() * 0.35 });
    start += len;
  }
  const shots = plans.map((p) => p.shot);
  const render = (i: number) => {
    const plan = plans.find((p) => i >= p.shot.start && i <= p.shot.end);
    if (!plan) throw new Error(`frame ${i} is outside the clip (0..${start - 1})`);
    return renderFrame(W, H, plan, i - plan.shot.start, i);
  };
  return { width: W, height: H, fps, frames: start, shots, cast: CAST.slice(0, ids), render };
}

/** Fisher-Yates shuffle (unbiased, unlike sorting by a random key). */
export function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [xs[i], xs[j]] = [xs[j], xs[i]]; }
  return xs;
}

function renderFrame(W: number, H: number, plan: Plan, t: number, frame: number): { image: Image; truth: TruthBox[] } {
  const data = new Uint8Array(W * H * 3);
  const owner = new Int16Array(W * H).fill(-1);
  // Pixels each figure paints itself (before occlusion by nearer ones), inside the frame.
  const stamp = new Int16Array(W * H).fill(-1);
  const painted = new Map<number, number>();
  const put = (x: number, y: number, c: RGB, who: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    if (who >= 0 && stamp[y * W + x] !== who) { stamp[y * W + x] = who; painted.set(who, (painted.get(who) ?? 0) + 1); }
    const o = (y * W + x) * 3;
    data[o] = c[0]; data[o + 1] = c[1]; data[o + 2] = c[2];
    owner[y * W + x] = who;
  };
  const rect = (x: number, y: number, w: number, h: number, c: RGB, who: number) => {
    for (let yy = Math.max(0, Math.floor(y)); yy < Math.min(H, Math.ceil(y + h)); yy++) for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(W, Math.ceil(x + w)); xx++) put(xx, yy, c, who);
  };
  const ellipse = (cx: number, cy: number, rx: number, ry: number, c: RGB, who: number, half = 0) => {
    for (let yy = Math.max(0, Math.floor(cy - ry)); yy < Math.min(H, Math.ceil(cy + ry)); yy++) {
      if (half < 0 && yy > cy) continue;
      for (let xx = Math.max(0, Math.floor(cx - rx)); xx < Math.min(W, Math.ceil(cx + rx)); xx++) {
        const dx = (xx + 0.5 - cx) / rx, dy = (yy + 0.5 - cy) / ry;
        if (dx * dx + dy * dy <= 1) put(xx, yy, c, who);
      }
    }
  };
  const tri = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number, c: RGB, who: number) => {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx, cx))), x1 = Math.min(W, Math.ceil(Math.max(ax, bx, cx)));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy))), y1 = Math.min(H, Math.ceil(Math.max(ay, by, cy)));
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const px = x + 0.5, py = y + 0.5;
      const d1 = (px - bx) * (ay - by) - (ax - bx) * (py - by), d2 = (px - cx) * (by - cy) - (bx - cx) * (py - cy), d3 = (px - ax) * (cy - ay) - (cx - ax) * (py - ay);
      if (!((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0))) put(x, y, c, who);
    }
  };
  // Set: sky, ground, flat props.
  const { sky, ground, horizon, props } = plan.bg;
  rect(0, 0, W, horizon * H, sky, -1);
  rect(0, horizon * H, W, H, ground, -1);
  for (const p of props) {
    if (p.round) ellipse(p.box[0] + p.box[2] / 2, p.box[1] + p.box[3] / 2, p.box[2] / 2, p.box[3] / 2, p.colour, -1);
    else rect(p.box[0], p.box[1], p.box[2], p.box[3], p.colour, -1);
  }
  // Figures, far to near.
  plan.actors.forEach((a, k) => {
    const f = CAST[a.identity];
    const s = a.scale, cx = a.x0 + a.vx * t, bob = Math.abs(Math.sin(a.phase + t * 0.5)) * s * 0.015;
    const foot = a.base - bob, head = s * 0.13, bw = s * 0.2 * f.build;
    const swing = Math.sin(a.phase + t * 0.5) * s * 0.05;
    const headY = foot - s + head;
    const shoulder = headY + head * 1.1, hip = foot - s * 0.42;
    // Legs, arms, torso, head, hair, eyes.
    rect(cx - bw * 0.45 + swing, hip, bw * 0.38, foot - hip, f.bottom, k);
    rect(cx + bw * 0.07 - swing, hip, bw * 0.38, foot - hip, f.bottom, k);
    rect(cx - bw * 0.45 + swing, foot - s * 0.04, bw * 0.42, s * 0.04, C.black, k);
    rect(cx + bw * 0.07 - swing, foot - s * 0.04, bw * 0.42, s * 0.04, C.black, k);
    rect(cx - bw * 0.5 - bw * 0.22, shoulder + s * 0.01 - swing * 0.3, bw * 0.2, s * 0.28, f.top, k);
    rect(cx + bw * 0.5 + bw * 0.02, shoulder + s * 0.01 + swing * 0.3, bw * 0.2, s * 0.28, f.top, k);
    ellipse(cx - bw * 0.62, shoulder + s * 0.3 - swing * 0.3, bw * 0.1, bw * 0.1, f.skin, k);
    ellipse(cx + bw * 0.62, shoulder + s * 0.3 + swing * 0.3, bw * 0.1, bw * 0.1, f.skin, k);
    rect(cx - bw / 2, shoulder, bw, hip - shoulder + s * 0.04, f.top, k);
    rect(cx - head * 0.25, headY + head * 0.8, head * 0.5, head * 0.4, f.skin, k);
    if (f.hairStyle === 'long') rect(cx - head * 1.05, headY - head * 0.2, head * 2.1, head * 2.0, f.hair, k);
    if (f.hairStyle === 'twintails') {
      ellipse(cx - head * 1.2, headY + head * 0.6, head * 0.35, head * 0.9, f.hair, k);
      ellipse(cx + head * 1.2, headY + head * 0.6, head * 0.35, head * 0.9, f.hair, k);
    }
    ellipse(cx, headY, head * 0.85, head, f.skin, k);
    ellipse(cx, headY - head * 0.2, head * 0.92, head * 0.85, f.hair, k, -1);
    if (f.hairStyle === 'spiky') for (let q = -2; q <= 2; q++) tri(cx + q * head * 0.4 - head * 0.25, headY - head * 0.6, cx + q * head * 0.4 + head * 0.25, headY - head * 0.6, cx + q * head * 0.5, headY - head * 1.5, f.hair, k);
    if (f.hairStyle === 'bun') ellipse(cx, headY - head * 1.05, head * 0.45, head * 0.4, f.hair, k);
    const eye = a.flip ? -head * 0.15 : head * 0.15;
    ellipse(cx - head * 0.35 + eye, headY + head * 0.15, head * 0.1, head * 0.16, C.black, k);
    ellipse(cx + head * 0.35 + eye, headY + head * 0.15, head * 0.1, head * 0.16, C.black, k);
  });
  // Lighting of the shot (global gain) so colours shift between shots as in real footage.
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.round(data[i] * plan.light));
  // Truth from the owner map: box and mask of visible pixels.
  const truth: TruthBox[] = [];
  plan.actors.forEach((a, k) => {
    let x0 = W, y0 = H, x1 = -1, y1 = -1, n = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (owner[y * W + x] === k) {
      n++; if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (!n) return;
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (owner[(y0 + y) * W + x0 + x] === k) m[y * w + x] = 255;
    const full = painted.get(k) ?? n;
    truth.push({ frame, identity: a.identity, instance: a.instance, box: [x0, y0, w, h], mask: { width: w, height: h, channels: 1, data: m }, visible: Math.min(1, n / full) });
  });
  return { image: { width: W, height: H, channels: 3, data }, truth };
}

export interface NoiseOptions {
  /** Box jitter as a share of the box size (standard deviation). Default 0.03. */
  jitter?: number;
  /** Chance a truth box is missed. Default 0.05. */
  drop?: number;
  /** Figures less visible than this are missed. Default 0.25. */
  minVisible?: number;
  /** Give detections their instance masks (default true); false = box-only detections, so crops include the set behind. */
  masks?: boolean;
  seed?: number;
}

/**
 * Detections a decent detector might give: truth boxes with jitter, a few
 * misses, scores falling with occlusion (ByteTrack's low-score stage matters
 * then), masks kept. `label` is 'character'.
 */
export function noisyDetections(truth: readonly TruthBox[], opts: NoiseOptions = {}): Detection[] {
  const r = rng(opts.seed ?? 3);
  const j = opts.jitter ?? 0.03, drop = opts.drop ?? 0.05, minVis = opts.minVisible ?? 0.25;
  const out: Detection[] = [];
  for (const t of truth) {
    if (t.visible < minVis || r() < drop) continue;
    const [x, y, w, h] = t.box;
    const dx = gauss(r) * j * w, dy = gauss(r) * j * h, dw = gauss(r) * j * w, dh = gauss(r) * j * h;
    const score = Math.max(0.15, Math.min(0.99, 0.35 + 0.6 * t.visible + gauss(r) * 0.05));
    const d: Detection = { frame: t.frame, box: [x + dx, y + dy, Math.max(2, w + dw), Math.max(2, h + dh)], score, label: 'character' };
    if (opts.masks ?? true) d.mask = shiftMask(t.mask, Math.round(dx), Math.round(dy), Math.max(2, Math.round(w + dw)), Math.max(2, Math.round(h + dh)));
    out.push(d);
  }
  return out;
}

/** The truth mask re-expressed in a jittered box's coordinates. */
function shiftMask(m: Image, dx: number, dy: number, w: number, h: number): Image {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const sx = x + dx, sy = y + dy;
    if (sx >= 0 && sy >= 0 && sx < m.width && sy < m.height) out[y * w + x] = m.data[sy * m.width + sx];
  }
  return { width: w, height: h, channels: 1, data: out };
}
