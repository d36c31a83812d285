// `toonscope models list | pull NAME | verify | remove NAME | path`: the cache
// of learned models that commands use automatically when installed.
import { ToonscopeError } from '../../core/errors.js';
import { entry, installFrom, listModels, modelFile, modelsDir, pull, removeModel, verifyAll } from '../../models/index.js';
import type { Command } from '../command.js';

const USAGE = [
  'usage: toonscope models list | pull NAME [--from FILE] [--accept-licence] | verify | remove NAME | path [NAME]',
  '  list              known models: task, installed?, verified checksum?, licence, the figure its model card publishes',
  '  pull NAME         download into the cache (progress, resumes a partial download, sha256 checked before use)',
  '    --from FILE     install a file obtained elsewhere instead (offline machines); same checks',
  '    --accept-licence  accept a use-restricted licence (OpenRAIL) without being asked',
  '  verify            re-hash every installed model; a mismatch deletes the file and says so',
  '  remove NAME       delete a model from the cache',
  '  path [NAME]       the cache folder, or a model\'s file',
  `Cache: TOONSCOPE_MODELS (now ${modelsDir()}). --offline or TOONSCOPE_OFFLINE=1: never touch the network.`,
  'Installed face/head/person detectors, the identity embedding and the interpolator are used automatically;',
  'commands that take --models accept auto (default), none (built-in only) or a list of model names.',
].join('\n');

const mb = (n: number | null) => (n === null ? '?' : `${(n / 1e6).toFixed(1)} MB`);

const list: Command = {
  name: 'models list',
  summary: 'learned models toonscope knows, and which are installed',
  usage: USAGE,
  async run(_p, _v, ctx) {
    const rows = listModels();
    const text = rows.map((r) => `${r.installed ? '*' : ' '} ${r.name.padEnd(18)} ${r.task.padEnd(13)} ${mb(r.size).padStart(9)}  ${r.verified ? 'sha256 pinned' : 'UNVERIFIED  '}  ${r.licence}; card: ${r.card}`);
    ctx.result(rows, [`models in ${modelsDir()} (* installed)`, ...text].join('\n'));
  },
};

const pullCmd: Command = {
  name: 'models pull',
  summary: 'download (or --from FILE install) a learned model into the cache',
  usage: USAGE,
  options: { from: { type: 'string' }, 'accept-licence': { type: 'boolean' } },
  async run(names, values, ctx) {
    if (!names.length) throw new ToonscopeError(undefined, 'give a model name (toonscope models list)');
    if (values.from && names.length > 1) throw new ToonscopeError(undefined, '--from installs one model: give one name');
    const done: Array<{ name: string; path: string }> = [];
    for (const name of names) {
      const opts = { acceptLicence: Boolean(values['accept-licence']), progress: ctx.progress };
      const path = values.from ? await installFrom(name, values.from as string, opts) : await pull(name, opts);
      ctx.log(`${name}: installed at ${path}`);
      done.push({ name, path });
    }
    ctx.result(done);
  },
};

const verify: Command = {
  name: 'models verify',
  summary: 're-check the sha256 of every installed model',
  usage: USAGE,
  async run(_p, _v, ctx) {
    const res = await verifyAll();
    ctx.result(res, res.length ? res.map((r) => `${r.name}: ${r.ok ? 'ok' : r.problem}`).join('\n') : 'no models installed');
    return res.every((r) => r.ok) ? 0 : 1;
  },
};

const remove: Command = {
  name: 'models remove',
  summary: 'delete a model from the cache',
  usage: USAGE,
  async run(names, _v, ctx) {
    if (!names.length) throw new ToonscopeError(undefined, 'give a model name');
    const res = names.map((n) => ({ name: n, removed: removeModel(entry(n)) }));
    ctx.result(res, res.map((r) => `${r.name}: ${r.removed ? 'removed' : 'was not installed'}`).join('\n'));
  },
};

const path: Command = {
  name: 'models path',
  summary: 'print the model cache folder (or one model\'s file)',
  usage: USAGE,
  async run(names, _v, ctx) {
    const p = names.length ? modelFile(entry(names[0])) : modelsDir();
    ctx.result({ path: p }, p);
  },
};

const models: Command = {
  name: 'models',
  summary: 'learned models on demand: list | pull NAME | verify | remove NAME | path',
  usage: USAGE,
  async run(rest, values, ctx) {
    if (rest.length) throw new ToonscopeError(undefined, `unknown models subcommand "${rest[0]}" (list, pull, verify, remove, path)`);
    return list.run([], values, ctx);
  },
};

export const modelCommands: Command[] = [models, list, pullCmd, verify, remove, path];
