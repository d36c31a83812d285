// `toonscope worker --queue URL --allow DIR`: take per-episode jobs from a
// BullMQ queue on Redis (see `analyze --queue`) until stopped.
import { intOption, type Command } from '../command.js';
import { ToonscopeError } from '../../core/errors.js';

export const worker: Command = {
  name: 'worker',
  summary: 'take analyze / shots episodes and interpolate parts from a Redis queue (BullMQ) and run them on this machine',
  usage: [
    'toonscope worker --queue redis://[:password@]HOST:PORT[/db] --allow DIR [--allow DIR|URL...] [--name NAME]',
    '',
    '  --queue URL      the Redis the coordinator (analyze, shots or interpolate --queue) uses; rediss:// for TLS',
    '  --allow DIR|URL  a folder (or http(s) URL prefix) jobs may read videos and models from; anything else fails the job',
    '  --name NAME      how this worker shows in queue status (default HOST:PID)',
    '  --concurrency N  jobs at once (default 1; at the core count or more, GrabCut\'s helper thread is off)',
    '  --lock-seconds S how long a crashed worker holds its job before another takes it (default 30)',
    '',
    'Each job runs in a temporary workspace; its rows go back through the queue. SIGTERM or Ctrl-C: finish the',
    'running job, then exit; a second signal exits at once and the job goes back to the queue.',
  ].join('\n'),
  options: {
    queue: { type: 'string' },
    allow: { type: 'string', multiple: true },
    name: { type: 'string' },
    concurrency: { type: 'string' },
    'lock-seconds': { type: 'string' },
  },
  async run(_positionals, values, ctx) {
    if (!values.queue) throw new ToonscopeError(undefined, 'worker needs --queue redis://HOST:PORT');
    const concurrency = intOption(values, 'concurrency', 1, 64);
    const lock = intOption(values, 'lock-seconds', 2, 3600);
    const { startWorker } = await import('../../queue/worker.js');
    const log = (m: string) => process.stderr.write(`${m}\n`);
    const w = await startWorker(values.queue as string, {
      allow: (values.allow as string[] | undefined) ?? [], name: values.name as string | undefined, concurrency,
      lockMs: lock ? lock * 1000 : undefined, log, progress: ctx.progress,
    });
    let signals = 0;
    const onSignal = () => {
      // The second signal exits at once (even with Redis gone); the job's lock runs out and another worker takes it.
      if (++signals > 1) {
        log(`${w.name}: stopped; the running job goes back to the queue`);
        process.exit(130);
      }
      void w.stop(false);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const r = await w.finished;
    ctx.result(r, `${w.name}: stopped after ${r.jobs} job(s), ${r.failed} failed`);
  },
};
