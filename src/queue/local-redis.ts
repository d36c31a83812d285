// A private Debian redis-server on a free port, for the queue's tests and
// bench (never used by the CLI). With `dir` it keeps an append-only file
// there, so a restart brings the queue back as it was.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { ToonscopeError } from '../core/errors.js';

export interface LocalRedis {
  port: number;
  url: string;
  stop(): void;
  start(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function localRedis(dir?: string): Promise<LocalRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'yes', '--loglevel', 'warning'];
  args.push(...(dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no']));
  const cli = (...a: string[]) => spawnSync('redis-cli', ['-p', String(port), ...a], { encoding: 'utf8' });
  const r: LocalRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const s = spawnSync('redis-server', args, { encoding: 'utf8' });
      if (s.status !== 0) throw new ToonscopeError(undefined, `redis-server did not start: ${s.stderr || s.stdout}`);
      for (let i = 0; i < 100; i++) {
        if (cli('ping').stdout?.trim() === 'PONG') return;
        await new Promise((ok) => setTimeout(ok, 50));
      }
      throw new ToonscopeError(undefined, `redis-server on port ${port} does not answer`);
    },
    stop() {
      cli('shutdown', dir ? 'save' : 'nosave');
    },
  };
  await r.start();
  return r;
}
