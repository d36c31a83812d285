// `toonscope app`: a local web app over one workspace. Binds 127.0.0.1 only,
// answers only to localhost Host names (no DNS rebinding), serves the UI, the
// JSON API, crops, workspace images and the episodes' videos (by id, never by path).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { thumbnail } from '../label/index.js';
import { HttpError, json, toId } from './http.js';
import { inside, sendFile } from './files.js';
import { routes, status } from './api.js';

/** The UI folder: next to this module in the sources, or the sources' copy when running from dist/. */
export function uiDir(): string {
  for (const rel of ['./ui/', '../../../src/app/ui/']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${p}index.html`)) return p;
  }
  throw new ToonscopeError(fileURLToPath(import.meta.url), 'the app\'s UI files (src/app/ui) are missing from this installation');
}

export interface AppOptions {
  port?: number;
  /** One line per failed request (default: stderr). */
  log?: (msg: string) => void;
}

export interface App {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startApp(ws: Workspace, opts: AppOptions = {}): Promise<App> {
  const ui = uiDir();
  const api = routes(ws);
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  let port = 0;

  const server = createServer(async (req, res) => {
    const raw = req.url ?? '/';
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; frame-ancestors 'none'");
    try {
      const host = (req.headers.host ?? '').toLowerCase();
      if (![`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host)) throw new HttpError(403, 'the app answers on localhost only');
      if (req.method !== 'GET' && req.method !== 'HEAD') sameOrigin(req, port);
      const q = raw.indexOf('?');
      const path = q < 0 ? raw : raw.slice(0, q);
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      if (method === 'GET' && (path === '/' || path === '/index.html')) return sendFile(req, res, inside(ui, 'index.html'));
      if (path.startsWith('/ui/')) return get(method, () => sendFile(req, res, inside(ui, path.slice(4))));
      if (path.startsWith('/files/')) {
        return get(method, () => {
          const p = inside(ws.dir, path.slice(7));
          // No HTML: a page from the workspace would run with the API's origin.
          if (!/\.(png|jpe?g|webp|json|csv|vtt|ffconcat)$/i.test(p)) throw new HttpError(403, 'only images and exports are served from the workspace');
          sendFile(req, res, p);
        });
      }
      let m = /^\/api\/thumbs\/([^/]+)$/.exec(path);
      if (m) {
        return get(method, () => {
          const bytes = thumbnail(ws, toId(m![1], 'appearance id'));
          if (!bytes) throw new HttpError(404, 'no such appearance');
          const png = bytes[0] === 0x89 && bytes[1] === 0x50;
          res.writeHead(200, { 'content-type': png ? 'image/png' : 'image/jpeg', 'content-length': bytes.length, 'cache-control': 'max-age=60' });
          res.end(req.method === 'HEAD' ? undefined : bytes);
        });
      }
      m = /^\/api\/videos\/([^/]+)$/.exec(path);
      if (m) {
        return get(method, () => {
          const v = ws.video(toId(m![1], 'episode id'));
          if (!v) throw new HttpError(404, 'no such episode');
          sendFile(req, res, v.path);
        });
      }
      const hits = api.filter((r) => r.path.test(path));
      if (!hits.length) throw new HttpError(404, `no route ${path}`);
      const route = hits.find((r) => r.method === method);
      if (!route) throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: hits.map((r) => r.method).join(', ') });
      await route.run(req, res, route.path.exec(path)!.slice(1));
    } catch (e) {
      const s = status(e);
      if (s.status >= 500) log(`toonscope app: ${req.method} ${raw}: ${s.message}`);
      if (res.headersSent) return void res.destroy();
      res.setHeader('connection', 'close'); // an unread request body must not leak into the next request
      for (const [k, v] of Object.entries(s.headers ?? {})) res.setHeader(k, v);
      json(res, s.status, { error: s.message });
    }
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new ToonscopeError(undefined, e.code === 'EADDRINUSE' ? `port ${opts.port} is in use (try --port 0 for any free port)` : `cannot listen: ${e.message}`)));
    server.listen(opts.port ?? 0, '127.0.0.1', ok);
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/**
 * Writes only from the app's own pages. A browser sends Origin with every POST: another site's page (or a
 * sandboxed one, Origin "null") gets 403 even for a request that needs no preflight. Without Origin (curl,
 * scripts) the request is let through unless Sec-Fetch-Site says a browser sent it from elsewhere.
 */
export function sameOrigin(req: IncomingMessage, port: number): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (![`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin.toLowerCase())) {
      throw new HttpError(403, `writes are accepted only from the app's own pages (Origin ${JSON.stringify(origin)})`);
    }
    return;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `writes are accepted only from the app's own pages (Sec-Fetch-Site ${site})`);
}

function get(method: string | undefined, run: () => void): void {
  if (method !== 'GET') throw new HttpError(405, 'only GET and HEAD here', { allow: 'GET, HEAD' });
  run();
}
