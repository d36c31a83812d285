// Reaching Redis for the job queue. bullmq (and ioredis under it) is loaded
// only here and only by dynamic import, so a local run without --queue never
// loads it. The URL is the one users pass: redis://[:password@]host:port[/db]
// or rediss:// for TLS; messages show it with the password masked.
import { ToonscopeError } from '../core/errors.js';

export type Bull = typeof import('bullmq');

/** Queue that every worker takes per-episode (and per-part) jobs from. */
export const JOBS_QUEUE = 'toonscope-jobs';
/** A run's series job waits in a queue of its own that only its coordinator takes from. */
export const seriesQueue = (run: string) => `toonscope-series-${run}`;

export interface RedisTarget {
  /** ioredis options, ready for bullmq's `connection`. */
  options: Record<string, unknown>;
  /** The URL with its password masked, for messages. */
  shown: string;
}

export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ToonscopeError(undefined, `--queue: "${url}" is not a URL (use redis://[:password@]HOST:PORT[/db] or rediss://...)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ToonscopeError(undefined, `--queue: "${u.protocol}" is not redis: or rediss:`);
  const db = u.pathname.replace(/^\//, '');
  if (db && !/^\d+$/.test(db)) throw new ToonscopeError(undefined, `--queue: database "${db}" must be a number`);
  const shown = u.password ? url.replace(`:${u.password}@`, ':***@') : url;
  const options: Record<string, unknown> = {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db: db ? Number(db) : 0,
    // bullmq needs commands to wait through a Redis restart instead of failing them.
    maxRetriesPerRequest: null,
    retryStrategy: (n: number) => Math.min(200 * n, 2000),
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') options.tls = { servername: u.hostname };
  return { options, shown };
}

export async function loadBull(): Promise<Bull> {
  try {
    return await import('bullmq');
  } catch (e) {
    throw new ToonscopeError(undefined, `--queue needs the bullmq package (npm install bullmq ioredis): ${(e as Error).message}`);
  }
}

/** Fail in seconds with one line when Redis is not there (ioredis alone would retry forever). */
export async function checkRedis(target: RedisTarget, seconds = 5): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...target.options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: seconds * 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new ToonscopeError(target.shown, `cannot reach Redis (${(e as Error).message})`);
  } finally {
    client.disconnect();
  }
}

export type RedisClient = import('ioredis').Redis;

/** A plain client next to bullmq's, for the episodes' row payloads (kept under their own keys, not in job data). */
export async function openRedis(target: RedisTarget): Promise<RedisClient> {
  const { Redis } = await import('ioredis');
  const r = new Redis(target.options as import('ioredis').RedisOptions);
  r.on('error', () => undefined);
  return r;
}

/** Where a job's packed rows wait for the coordinator; they expire if nobody collects them. */
export const rowsKey = (job: string, attempt: string) => `toonscope:rows:${job}:${attempt}`;
export const ROWS_TTL_S = 7 * 24 * 3600;

/** The set of every result key a job's executions stored: a run that lost its lock and still finished leaves one too. */
const resultsOf = (job: string) => `toonscope:results:${job}`;

/** Store one execution's result (rows or a part's video) under `key` and note it with the job. */
export async function storeResult(redis: RedisClient, job: string, key: string, data: string | Buffer): Promise<void> {
  await redis.multi().set(key, data, 'EX', ROWS_TTL_S).sadd(resultsOf(job), key).expire(resultsOf(job), ROWS_TTL_S).exec();
}

/** Once written by the coordinator: drop every result any execution of the job stored (the one written and any orphan). */
export async function dropResults(redis: RedisClient, job: string, key: string): Promise<void> {
  const keys = await redis.smembers(resultsOf(job));
  await redis.del(key, ...keys, resultsOf(job));
}
