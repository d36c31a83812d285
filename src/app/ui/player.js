// One <video> for a page: plays the app's copy of an episode (by id, with
// HTTP Range so seeking works), jumps to a span and pauses at its end.
import { h, time } from './api.js';

export function player(episodes) {
  const video = h('video', { controls: true, preload: 'metadata', id: 'player' });
  const caption = h('div.caption', {}, 'Pick an appearance');
  const layer = h('div.boxes');
  let marked = [], label = () => '';
  let episode = null, stopAt = null;
  const byId = new Map(episodes.map((e) => [e.id, e]));

  function load(id) {
    if (episode === id) return Promise.resolve();
    episode = id;
    video.src = `/api/videos/${id}`;
    return new Promise((ok) => {
      const done = () => { video.removeEventListener('loadedmetadata', done); video.removeEventListener('error', done); ok(); };
      video.addEventListener('loadedmetadata', done);
      video.addEventListener('error', done);
    });
  }

  /** Show a span: load its episode, seek to its start, play until its end. */
  async function show(span, text, play = true) {
    caption.textContent = text ?? `${byId.get(span.video)?.name ?? span.video} · ${time(span.start)}–${time(span.end)}`;
    await load(span.video);
    if (video.error) { caption.textContent += ' · the video cannot be played here (file moved, or a format this browser lacks)'; return; }
    stopAt = span.end;
    video.currentTime = span.start;
    video.dataset.target = String(span.start);
    if (play) video.play().catch(() => {});
  }

  // A seek elsewhere (the person dragging the bar) ends "play this span".
  video.addEventListener('seeking', () => { if (stopAt !== null && Math.abs(video.currentTime - Number(video.dataset.target)) > 0.05) stopAt = null; });

  /** Draw the boxes of `spans` (each with its sampled boxes) over the video; `name(span)` labels them. */
  function mark(spans, name) {
    marked = spans.filter((s) => s.boxes?.length);
    label = name;
    draw();
  }
  function draw() {
    const t = video.currentTime, vw = video.videoWidth, vh = video.videoHeight;
    const on = vw ? marked.filter((s) => s.start <= t && t < s.end) : [];
    const k = Math.min(video.clientWidth / vw, video.clientHeight / vh);
    const ox = (video.clientWidth - vw * k) / 2, oy = (video.clientHeight - vh * k) / 2;
    layer.replaceChildren(...on.map((s) => {
      let b = s.boxes[0];
      for (const x of s.boxes) if (x.time <= t) b = x; else break;
      const [x, y, w, hh] = b.box;
      return h(`div.box${oy + y * k < 20 ? '.low' : ''}`, { style: { left: `${ox + x * k}px`, top: `${oy + y * k}px`, width: `${w * k}px`, height: `${hh * k}px`, borderColor: s.colour ?? '' } }, h('span', {}, label(s)));
    }));
  }
  // Checked every animation frame, not on timeupdate (4 Hz would overshoot into the next shot).
  // Not once paused: a seek made right after pause() (teaching a frame) must not be undone by this last check.
  const stop = () => {
    if (stopAt === null || video.paused || video.currentTime < stopAt - 0.02) return;
    video.pause();
    video.currentTime = Math.max(0, stopAt - 0.04); // the span's last picture, not the next shot's first
    stopAt = null;
  };
  let raf = 0;
  const loop = () => { stop(); draw(); raf = video.paused ? 0 : requestAnimationFrame(loop); };
  video.addEventListener('play', () => { if (!raf) raf = requestAnimationFrame(loop); });
  for (const ev of ['seeked', 'loadeddata', 'pause']) video.addEventListener(ev, draw);
  addEventListener('resize', draw);

  const stage = h('div.stage', {}, video, layer);
  return { el: h('div.player', {}, stage, caption), stage, video, show, load, caption, mark };
}

/** "Nice" tick step for an axis of `d` seconds. */
export function tickStep(d) {
  return [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => d / s <= 12) ?? 1200;
}

export function axis(duration) {
  const step = tickStep(duration);
  const ticks = [];
  for (let t = 0; t <= duration + 1e-9; t += step) ticks.push(h('span.tick', { style: { left: `${(100 * t) / duration}%` } }, time(t).replace(/\.0$/, '')));
  return h('div.axis', {}, ...ticks);
}
