// Files the app may send: resolved strictly inside a root folder (symlinks
// followed, then checked again), and streamed with HTTP Range so a browser's
// <video> can seek.
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, TYPES } from './http.js';

/**
 * The real path of `rel` (a raw, still percent-encoded URL path part) inside
 * `root`, or an HttpError. Rejects NUL bytes, `..` segments (plain or
 * encoded), backslashes, absolute paths, and anything whose real path leaves root.
 */
export function inside(root: string, rel: string): string {
  let p: string;
  try {
    p = decodeURIComponent(rel);
  } catch {
    throw new HttpError(400, 'malformed path encoding');
  }
  if (/%[0-9a-f]{2}/i.test(p)) throw new HttpError(400, 'doubly encoded path'); // %252e%252e would decode again downstream
  if (!p || p.includes('\0') || p.includes('\\') || isAbsolute(p) || /^[a-z]:/i.test(p)) throw new HttpError(400, 'bad path');
  if (p.split('/').some((s) => s === '..' || s === '.')) throw new HttpError(400, 'bad path');
  const base = realpathSync(root);
  let real: string;
  try {
    real = realpathSync(resolve(base, p));
  } catch {
    throw new HttpError(404, 'no such file');
  }
  if (!real.startsWith(base + sep)) throw new HttpError(403, 'outside the workspace');
  return real;
}

/** Send a file (GET or HEAD), honouring one `Range: bytes=...` request. */
export function sendFile(req: IncomingMessage, res: ServerResponse, path: string, type = TYPES[extname(path).toLowerCase()]): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new HttpError(404, 'no such file');
  }
  const headers: Record<string, string | number> = { 'content-type': type ?? 'application/octet-stream', 'accept-ranges': 'bytes', 'cache-control': 'no-cache' };
  let start = 0, end = size - 1, status = 200;
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (!m[1] && !m[2])) throw rangeError(size);
    if (m[1]) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    } else {
      start = Math.max(0, size - Number(m[2])); // suffix: the last N bytes
    }
    if (start > end || start >= size) throw rangeError(size);
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = size ? end - start + 1 : 0;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || !size) return void res.end();
  const s = createReadStream(path, { start, end });
  s.on('error', () => res.destroy());
  res.on('close', () => s.destroy());
  s.pipe(res);
}

function rangeError(size: number): HttpError {
  return new HttpError(416, 'unsatisfiable range', { 'content-range': `bytes */${size}` });
}
