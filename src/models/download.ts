// One file over HTTP(S) into `dest`, resumable: bytes go to `dest.part`; a
// later call asks for the rest with a Range header; a cut connection is retried
// from where it stopped; only a complete file is renamed into place. Redirects
// (the Hugging Face hub answers /resolve/ with a 302 to its CDN) are followed,
// through HTTPS_PROXY / HTTP_PROXY when set (NO_PROXY honoured).
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { get as httpGet, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { get as httpsGet } from 'node:https';
import { ToonscopeError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';

export interface DownloadOptions {
  /** Known size (from the registry), for the progress bar before the server says. */
  size?: number | null;
  progress?: (label: string, total?: number) => Progress;
  label?: string;
  /** Extra attempts after a cut connection (each resumes). Default 3. */
  retries?: number;
  /** Socket idle timeout, ms. Default 30000. */
  timeoutMs?: number;
}

/** The proxy for a URL from HTTPS_PROXY / HTTP_PROXY (either case), unless NO_PROXY names its host ('*' for all). */
export function proxyFor(url: URL): URL | undefined {
  const env = url.protocol === 'https:' ? process.env.HTTPS_PROXY ?? process.env.https_proxy : process.env.HTTP_PROXY ?? process.env.http_proxy;
  if (!env) return undefined;
  const host = url.hostname.toLowerCase();
  const skip = (process.env.NO_PROXY ?? process.env.no_proxy ?? '').split(',').map((x) => x.trim().toLowerCase().replace(/^\*?\./, '')).filter(Boolean);
  if (skip.some((n) => n === '*' || host === n || host.endsWith(`.${n}`))) return undefined;
  return new URL(env.includes('://') ? env : `http://${env}`);
}

/** A socket to `target` through an HTTP proxy's CONNECT tunnel (TLS is then spoken inside it for https). */
function tunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const at = `${target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`;
    const auth = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
    const req = httpRequest({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: at, headers: { host: at, ...auth } });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer for ${timeoutMs / 1000} s`)));
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new ToonscopeError(target.toString(), `download failed: proxy ${proxy.host} answered HTTP ${res.statusCode} to CONNECT`));
    });
    req.on('error', (e) => reject(new ToonscopeError(target.toString(), `download failed: proxy ${proxy.host}: ${e.message}`)));
    req.end();
  });
}

async function request(url: string, headers: Record<string, string>, timeoutMs: number, hops = 0): Promise<IncomingMessage> {
  const u = new URL(url);
  const get = u.protocol === 'https:' ? httpsGet : u.protocol === 'http:' ? httpGet : undefined;
  if (!get) throw new ToonscopeError(url, 'only http(s) URLs can be downloaded');
  const proxy = proxyFor(u);
  const socket = proxy ? await tunnel(proxy, u, timeoutMs) : undefined;
  const via = socket ? { agent: false as const, createConnection: () => (u.protocol === 'https:' ? tlsConnect({ socket, servername: u.hostname }) : socket) } : {};
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = get(url, { headers: { 'user-agent': 'toonscope', ...headers }, ...via }, resolve);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs / 1000} s`)));
    req.on('error', (e) => reject(new ToonscopeError(url, `download failed: ${e.message}`)));
  });
  // A tunnel serves one request: close it with its response.
  if (socket) res.on('close', () => socket.destroy());
  const code = res.statusCode ?? 0;
  if (code >= 300 && code < 400 && res.headers.location) {
    res.resume();
    if (hops >= 5) throw new ToonscopeError(url, 'too many redirects');
    return request(new URL(res.headers.location, url).toString(), headers, timeoutMs, hops + 1);
  }
  return res;
}

/** Append the body of one response to `part`; resolves when it ended cleanly, rejects if the connection was cut. */
function pump(res: IncomingMessage, part: string, append: boolean, onBytes: (n: number) => void, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
    let failed: Error | undefined;
    // A destroyed source does not end its pipe: end the file ourselves so what arrived is flushed and kept.
    const fail = (e: Error) => { failed ??= e; res.unpipe(out); res.destroy(); out.end(); };
    res.setTimeout?.(timeoutMs, () => fail(new Error(`no data for ${timeoutMs / 1000} s`)));
    res.on('data', (b: Buffer) => onBytes(b.length));
    res.on('aborted', () => fail(new Error('connection closed mid-file')));
    res.on('close', () => { if (!res.complete) fail(new Error('connection closed mid-file')); });
    res.on('error', fail);
    res.pipe(out);
    out.on('close', () => {
      if (failed || !res.complete) reject(failed ?? new Error('connection closed mid-file'));
      else resolve();
    });
  });
}

/**
 * Download `url` to `dest` (resuming `dest.part` if present). Returns the byte
 * count. The caller checks the hash and renames (see `finish`).
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<number> {
  const part = `${dest}.part`;
  const timeoutMs = opts.timeoutMs ?? 30000;
  const retries = opts.retries ?? 3;
  const bar = opts.progress?.(opts.label ?? 'download', opts.size ?? undefined);
  let total = opts.size ?? 0;
  for (let attempt = 0; ; attempt++) {
    const have = existsSync(part) ? statSync(part).size : 0;
    const res = await request(url, have ? { range: `bytes=${have}-` } : {}, timeoutMs);
    const code = res.statusCode ?? 0;
    if (code === 416 && have) {
      // Nothing left to send: the part is already whole.
      res.resume();
      bar?.done();
      return have;
    }
    if (code !== 200 && code !== 206) {
      res.resume();
      throw new ToonscopeError(url, `download failed: HTTP ${code}`);
    }
    const append = code === 206;
    const start = append ? have : 0;
    const length = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(length)) total = start + length;
    let pos = start;
    bar?.set(pos, total || undefined);
    try {
      await pump(res, part, append, (n) => { pos += n; bar?.set(pos, total || undefined); }, timeoutMs);
      bar?.done();
      return pos;
    } catch (e) {
      if (attempt >= retries) {
        bar?.done();
        throw new ToonscopeError(url, `download interrupted after ${pos} of ${total || '?'} bytes (${(e as Error).message}); run the same command again to resume`);
      }
    }
  }
}

/** Move a checked `.part` into place (atomic on one file system). */
export function finish(dest: string): void {
  renameSync(`${dest}.part`, dest);
}

/** Drop a partial download. */
export function discard(dest: string): void {
  rmSync(`${dest}.part`, { force: true });
}
