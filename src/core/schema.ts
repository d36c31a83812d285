// Validation of what users hand in (truth files, app request bodies) with zod
// schemas: every field checked where it enters, and the first problem told in
// one line naming the field: `cast.truth.json: boxes[3].box[0]: expected a
// number >= 0, got -4`. A file that passes is typed, so nothing downstream
// meets `null` or NaN.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ToonscopeError } from './errors.js';

export { z };

/** Frame indices: a clip of 10 million frames is 46 hours at 60 fps. */
export const MAX_FRAME = 10_000_000;
/** Pixel coordinates and sizes. */
export const MAX_PIXELS = 100_000;

/** An integer; a value of another type is told as "expected an integer" too (zod says "a number"). */
export const integer = () => z.int({ error: (i) => (i.code === 'invalid_type' ? 'expected an integer' : undefined) });
export const frame = integer().min(0).max(MAX_FRAME);
export const fps = z.number().positive().max(1000);
/** [x, y, w, h] in pixels: the corner inside the positive quadrant, a non-empty size. */
export const box = z.tuple([z.number().min(0).max(MAX_PIXELS), z.number().min(0).max(MAX_PIXELS), z.number().positive().max(MAX_PIXELS), z.number().positive().max(MAX_PIXELS)]);

/** `frames[3].box[0]` from zod's path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  return out;
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

const TYPES: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'an object', tuple: 'a list' };

/** One zod issue as `expected ..., got ...` (zod's own wording is for developers). */
export function describe(issue: z.core.$ZodIssue & { input?: unknown }): string {
  const got = 'input' in issue ? `, got ${show(issue.input)}` : '';
  switch (issue.code) {
    case 'invalid_type':
      return `${issue.message.startsWith('expected ') ? issue.message : `expected ${TYPES[issue.expected] ?? issue.expected}`}${got}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      if (issue.origin === 'array') return `expected ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}${got}`;
      if (issue.origin === 'string') return `expected ${small ? 'at least' : 'at most'} ${bound} character${bound === 1 ? '' : 's'}${got}`;
      return `expected a number ${op} ${bound}${got}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map(show).join(', ')}`}${got}`;
    case 'custom':
      return issue.message;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** The first problem of a failed parse as one line: `field: expected ..., got ...`. */
export function problem(error: z.ZodError): string {
  const issue = error.issues[0];
  const at = fieldPath(issue.path);
  return at ? `${at}: ${describe(issue)}` : describe(issue);
}

/** `data` checked against `schema`; a ToonscopeError naming `file` and the field otherwise. */
export function check<S extends z.ZodType>(schema: S, data: unknown, file: string | undefined, what?: string): z.output<S> {
  const r = schema.safeParse(data, { reportInput: true });
  if (r.success) return r.data;
  throw new ToonscopeError(file, `${what ? `${what}: ` : ''}${problem(r.error)}`);
}

/** Read a JSON file the user gave and check it: missing file, bad JSON and bad fields are each one line. */
export function readJsonFile<S extends z.ZodType>(schema: S, file: string, hint?: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToonscopeError(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a JSON file' : `cannot read (${code ?? String(e)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ToonscopeError(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    return check(schema, data, file);
  } catch (e) {
    if (hint && e instanceof ToonscopeError) throw new ToonscopeError(file, `${e.problem} (${hint})`);
    throw e;
  }
}
