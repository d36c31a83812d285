// `toonscope queue status URL`: jobs (with their one-line errors) and workers.
import type { Command } from '../command.js';
import { ToonscopeError } from '../../core/errors.js';

export const queueStatusCmd: Command = {
  name: 'queue status',
  summary: 'jobs, their states and errors, and the workers connected to a Redis queue',
  usage: 'toonscope queue status redis://[:password@]HOST:PORT[/db] [--json]',
  async run(positionals, _values, ctx) {
    if (positionals.length !== 1) throw new ToonscopeError(undefined, 'queue status needs the Redis URL');
    const { queueStatus, formatStatus } = await import('../../queue/status.js');
    const s = await queueStatus(positionals[0]);
    ctx.result(s, formatStatus(s));
  },
};
