// One <video> for a page: plays the app's copy of an episode (by id, with
// HTTP Range so seeking works), jumps to a span and pauses at its end.
import { h, time } from './api.js';

export function player(episodes) {
  const video = h('video', { controls: true, preload: 'metadata', id: 'player' });
  const caption = h('div.caption', {}, 'Pick an appearance');
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
    if (video.error) { caption.textContent += ' · this browser cannot play the video'; return; }
    stopAt = span.end;
    video.currentTime = span.start;
    video.dataset.target = String(span.start);
    if (play) video.play().catch(() => {});
  }

  video.addEventListener('timeupdate', () => {
    if (stopAt !== null && video.currentTime >= stopAt) { video.pause(); stopAt = null; }
  });
  video.addEventListener('seeking', () => { if (stopAt !== null && Math.abs(video.currentTime - Number(video.dataset.target)) > 0.05) stopAt = null; });

  return { el: h('div.player', {}, video, caption), video, show, load, caption };
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
