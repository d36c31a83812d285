// "Teach a character": pause on a frame, drag one box around a character
// nobody found, optionally name her, save. The box is sent in the video's own
// pixels; the next `toonscope analyze` learns her look from it.
import { api, h, toast } from './api.js';

/** Index of the frame on screen at `t`: the last one whose presentation time is <= t (binary search over `times`). */
export function frameAt(t, times, fps, frames) {
  if (!times?.length) return Math.max(0, Math.min(frames - 1, Math.floor(t * fps + 1e-6)));
  let lo = 0, hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t + 1e-6) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** The teaching controls of episode `e` over player `p`: a button, a panel, and a canvas on the video. */
export async function teacher(e, p) {
  const { video } = p;
  let { taught, times } = await api(`teach?video=${e.id}`).catch(() => ({ taught: [], times: null }));
  const frames = times?.length ?? Math.max(1, Math.round(e.duration * e.fps));
  const canvas = h('canvas.teach', {});
  p.stage.append(canvas);
  const frameText = h('b', { id: 'teach-frame' }, '');
  const name = h('input', { type: 'text', name: 'teach-name', placeholder: 'Name (optional)', maxLength: 200 });
  const save = h('button', { id: 'teach-save', type: 'button', disabled: true, onclick: () => send() }, 'Save');
  const step = (d) => h('button', { type: 'button', title: d < 0 ? 'Previous frame' : 'Next frame', onclick: () => show(frame + d) }, d < 0 ? '‹' : '›');
  const panel = h('div.teach-panel', { hidden: true },
    h('div', {}, 'Frame ', frameText, ' ', step(-1), step(1), ' · drag a box around the character'),
    h('div.row', {}, name, save, h('button', { type: 'button', onclick: () => stop() }, 'Cancel')));
  const note = h('p.muted.teach-note', {});
  const button = h('button', { id: 'teach', type: 'button', title: 'Draw a box around a character toonscope never found', onclick: () => start() }, 'Teach a character');
  let on = false, frame = 0, drag = null, box = null;

  // Where the picture is inside the element (object-fit: contain letterboxes it), and its scale to the video's own pixels.
  const fit = () => {
    const cw = video.clientWidth, ch = video.clientHeight, vw = video.videoWidth || e.width, vh = video.videoHeight || e.height;
    const k = Math.min(cw / vw, ch / vh);
    return { ox: (cw - vw * k) / 2, oy: (ch - vh * k) / 2, sx: (vw * k) / e.width, sy: (vh * k) / e.height };
  };
  /** A pointer position as video pixels, kept inside the picture. */
  const toVideo = (ev) => {
    const r = canvas.getBoundingClientRect(), f = fit();
    return [Math.max(0, Math.min(e.width, (ev.clientX - r.left - f.ox) / f.sx)), Math.max(0, Math.min(e.height, (ev.clientY - r.top - f.oy) / f.sy))];
  };

  function draw() {
    canvas.width = video.clientWidth;
    canvas.height = video.clientHeight;
    const c = canvas.getContext('2d'), f = fit();
    const rect = (b, colour, dash, label) => {
      c.strokeStyle = colour;
      c.lineWidth = 2;
      c.setLineDash(dash);
      c.strokeRect(f.ox + b[0] * f.sx, f.oy + b[1] * f.sy, b[2] * f.sx, b[3] * f.sy);
      if (label) { c.fillStyle = colour; c.font = '12px sans-serif'; c.fillText(label, f.ox + b[0] * f.sx + 3, f.oy + b[1] * f.sy + 14); }
    };
    const now = on ? frame : frameAt(video.currentTime, times, e.fps, frames);
    for (const t of taught) if (t.frame === now) rect(t.box, '#ffd54a', [6, 4], t.name ?? 'taught');
    if (box) rect(box, '#4af', [], null);
  }

  /** Pause on frame `f`, in the middle of its presentation interval so the picture shown is surely that frame. */
  function show(f) {
    frame = Math.max(0, Math.min(frames - 1, f));
    const t0 = times ? times[frame] : frame / e.fps;
    const t1 = times?.[frame + 1] ?? t0 + 1 / e.fps;
    video.currentTime = (t0 + t1) / 2;
    frameText.textContent = String(frame);
    box = null;
    save.disabled = true;
    draw();
  }
  /** Open the panel paused on frame `f` (by default the frame on screen). */
  function start(f = frameAt(video.currentTime, times, e.fps, frames)) {
    video.pause();
    on = true;
    canvas.classList.add('on');
    panel.hidden = false;
    button.disabled = true;
    show(f);
    name.focus();
  }
  function stop() {
    on = false;
    drag = box = null;
    canvas.classList.remove('on');
    panel.hidden = true;
    button.disabled = false;
    draw();
  }
  async function send() {
    save.disabled = true;
    try {
      const r = await api('teach', { video: e.id, frame, box, ...(name.value.trim() ? { name: name.value.trim() } : {}) });
      taught = r.taught;
      toast(r.added ? `Taught frame ${r.frame}: run toonscope analyze to find her in every episode` : `Frame ${r.frame} already has this box`);
      name.value = '';
      stop();
      tell();
    } catch (err) {
      toast(`Not taught: ${err.message}`, 'error', 8000);
      save.disabled = false;
    }
  }
  const tell = () => {
    note.replaceChildren(...(taught.length ? [`${taught.length} box${taught.length > 1 ? 'es' : ''} taught on this episode. Run `, h('code', {}, 'toonscope analyze'), ' to find them in every episode (names given here are kept).'] : []));
  };

  canvas.addEventListener('pointerdown', (ev) => {
    if (!on) return;
    canvas.setPointerCapture(ev.pointerId);
    drag = toVideo(ev);
    box = null;
    save.disabled = true;
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const [x, y] = toVideo(ev);
    const x0 = Math.round(Math.min(x, drag[0])), y0 = Math.round(Math.min(y, drag[1]));
    box = [x0, y0, Math.round(Math.max(x, drag[0])) - x0, Math.round(Math.max(y, drag[1])) - y0];
    draw();
  });
  canvas.addEventListener('pointerup', () => {
    drag = null;
    if (box && (box[2] < 2 || box[3] < 2)) box = null; // a click, not a box
    save.disabled = !box;
    draw();
  });
  video.addEventListener('seeked', () => { if (on) frameText.textContent = String(frame = frameAt(video.currentTime, times, e.fps, frames)); draw(); });
  for (const ev of ['pause', 'loadeddata', 'timeupdate']) video.addEventListener(ev, draw);
  addEventListener('resize', draw);
  tell();
  // `at(frame)`: teach on a given frame (a shot where nobody was found) with this same panel.
  return { button, panel, note, at: (f) => start(f) };
}
