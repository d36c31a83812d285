// Talking to the app's JSON API; every failure becomes an Error with the server's one-line message.
export async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(`/api/${path}`, init);
  const data = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(data.error ?? `${res.status}`);
  return data;
}

/** Small DOM builder: h('div.card', { onclick }, child, 'text'). */
export function h(tag, props = {}, ...kids) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && k !== 'list') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) el.append(k instanceof Node ? k : String(k));
  return el;
}

/** m:ss.s, rounded to tenths first (59.97 s is 1:00.0, not 0:60.0); `toonscope label unseen` prints times the same way. */
export const time = (s) => {
  const d = Math.round(s * 10) / 10, m = Math.floor(d / 60);
  return `${m}:${(d - m * 60).toFixed(1).padStart(4, '0')}`;
};

export function toast(msg, kind = 'info', ms = 4000) {
  const t = document.getElementById('toast');
  t.replaceChildren(...(Array.isArray(msg) ? msg : [msg]));
  t.className = kind;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, ms);
}

/** Label counts for the header. */
export function showSummary(s) {
  document.getElementById('summary').textContent =
    `${s.tracks} tracks · ${s.labelled} named · ${s.unknown} unknown · ${s.rejected} not a character · ${s.decided} decided by you`;
}

/** A character's display name. */
export const who = (c) => c.name ?? `#${c.id}`;

/**
 * Hue of a character: names by their rank among all names, clusters by id,
 * each spread by the golden angle, so a character keeps its colour on every
 * page and the first names never share one.
 */
export function hue(name, id, names = []) {
  const i = name ? names.indexOf(name) : -1;
  return Math.round(i >= 0 ? 30 + i * 137.508 : 200 + Number(id) * 137.508) % 360;
}
