// `toonscope app`: serve the labelling web app over the workspace until Ctrl-C.
import { intOption, type Command } from '../command.js';
import { relabel } from '../../label/index.js';
import { startApp } from '../../app/index.js';

export const app: Command = {
  name: 'app',
  summary: 'web app on localhost: name, merge, split and reject characters; timelines of who is on screen',
  usage: [
    'toonscope app [--workspace DIR] [--port N]',
    '',
    '  Serves http://127.0.0.1:N/ (default port 8737; 0 picks a free one) until Ctrl-C.',
    '  Only this machine can reach it; it serves the workspace\'s images and the analysed episodes.',
  ].join('\n'),
  options: { port: { type: 'string', short: 'p' } },
  async run(_p, values, ctx) {
    const port = intOption(values, 'port', 0, 65535, 8737)!;
    const ws = ctx.workspace({ existing: true });
    const s = await relabel(ws); // labels are current before the first page loads
    const server = await startApp(ws, { port });
    process.stdout.write(`toonscope app: ${server.url}  (${s.tracks} tracks, ${s.labelled} labelled; Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => void server.close().then(done);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
