// The app's JSON API over the labelling library. Reads are plain; edits go
// through one queue (each relabels the whole series, so they must not interleave).
import { join, relative } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Workspace } from '../core/workspace.js';
import { ToonscopeError } from '../core/errors.js';
import { errorText } from '../core/opencv.js';
import {
  listCharacters, labelSummary, episodes, spans, nameCharacter, rejectCharacter, resetCharacter, mergeCharacters, splitCharacter, exportLabels,
  unseenShots, type Span, type CharacterCard,
} from '../label/index.js';
import { HttpError, json, readBody, toId } from './http.js';
import { z, integer, frame, box } from '../core/schema.js';
import { teach, taughtBoxes } from '../analyze/learn.js';
import { frameTimes } from '../shots/store.js';

/** Spans with their boxes rounded to pixels and times to ms (a 20-minute episode stays a few hundred kB). */
const brief = (s: Span) => ({ ...s, boxes: s.boxes.map((b) => ({ time: Math.round(b.time * 1000) / 1000, box: b.box.map(Math.round) })) });

// Request bodies. Strict: a misspelt field is an error, not silently ignored.
const rowId = integer().min(0).max(Number.MAX_SAFE_INTEGER);
const characterId = rowId;
const NameBody = z.strictObject({ name: z.string().max(1000) });
const MergeBody = z.strictObject({ into: characterId, from: z.array(characterId).min(1).max(100_000) });
const Empty = z.strictObject({});
const TeachBody = z.strictObject({ video: rowId, frame, box, name: z.string().max(1000).optional() });

export type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;
export interface Route { method: 'GET' | 'POST'; path: RegExp; run: Handler }

export function routes(ws: Workspace): Route[] {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const p = queue.then(job, job);
    queue = p.catch(() => undefined);
    return p;
  };
  const card = (id: number): CharacterCard => {
    const c = listCharacters(ws).find((x) => x.id === id);
    if (!c) throw new HttpError(404, `no character ${id}`);
    return c;
  };
  const episode = (id: unknown) => {
    const v = ws.video(toId(id ?? '', 'episode id'));
    if (!v) throw new HttpError(404, `no episode ${String(id)}`);
    return v;
  };
  const state = () => ({ characters: listCharacters(ws), summary: labelSummary(ws) });
  /** An edit: its body checked against `schema`, run in the queue, answered with the new state. */
  const edit = <S extends z.ZodType>(schema: S, job: (id: number, body: z.output<S>) => Promise<unknown>): Handler => async (req, res, [id]) => {
    const body = await readBody(req, schema);
    const n = id === undefined ? -1 : toId(id, 'character id');
    if (n >= 0) card(n);
    const out = await serial(() => job(n, body));
    json(res, 200, { ...state(), result: out });
  };

  return [
    { method: 'GET', path: /^\/api\/characters$/, run: (_q, res) => json(res, 200, state()) },
    {
      method: 'GET', path: /^\/api\/characters\/([^/]+)$/, run: (_q, res, [id]) => {
        const c = card(toId(id, 'character id'));
        // Its own tracks, and every other track the classifier gave its name.
        const own = spans(ws, { cluster: c.id });
        const seen = new Set(own.map((s) => s.track));
        const more = c.name ? spans(ws, { label: c.name }).filter((s) => !seen.has(s.track)) : [];
        const all = [...own, ...more].sort((a, b) => a.video - b.video || a.start - b.start);
        const names = [...new Set(listCharacters(ws).flatMap((x) => (x.name ? [x.name] : [])))].sort();
        json(res, 200, { character: c, spans: all.map(brief), episodes: episodes(ws), names });
      },
    },
    {
      method: 'POST', path: /^\/api\/characters\/([^/]+)\/name$/, run: edit(NameBody, (id, b) => nameCharacter(ws, id, b.name)),
    },
    { method: 'POST', path: /^\/api\/characters\/([^/]+)\/reject$/, run: edit(Empty, (id) => rejectCharacter(ws, id)) },
    { method: 'POST', path: /^\/api\/characters\/([^/]+)\/reset$/, run: edit(Empty, (id) => resetCharacter(ws, id)) },
    { method: 'POST', path: /^\/api\/characters\/([^/]+)\/split$/, run: edit(Empty, (id) => splitCharacter(ws, id)) },
    {
      method: 'POST', path: /^\/api\/merge$/, run: edit(MergeBody, (_id, b) => {
        for (const id of [b.into, ...b.from]) card(id);
        return mergeCharacters(ws, b.into, b.from);
      }),
    },
    { method: 'GET', path: /^\/api\/episodes$/, run: (_q, res) => json(res, 200, { episodes: episodes(ws) }) },
    {
      method: 'GET', path: /^\/api\/episodes\/([^/]+)$/, run: (_q, res, [id]) => {
        const n = toId(id, 'episode id');
        const e = episodes(ws).find((x) => x.id === n);
        if (!e) throw new HttpError(404, `no episode ${n}`);
        // Shots where nobody was found; null until its analysis is complete (nobody looked yet).
        json(res, 200, { episode: e, spans: spans(ws, { video: n }).map(brief), characters: listCharacters(ws), unseen: unseenShots(ws, n) });
      },
    },
    {
      // Boxes taught on an episode, and its frames' times (so the page knows which frame is on screen).
      method: 'GET', path: /^\/api\/teach$/, run: (req, res) => {
        const v = episode(new URL(req.url ?? '', 'http://x').searchParams.get('video'));
        const times = frameTimes(ws, v.id);
        json(res, 200, { taught: taughtBoxes(ws, v.id), times: times && Array.from(times, (t) => Math.round(t * 1e6) / 1e6) });
      },
    },
    {
      method: 'POST', path: /^\/api\/teach$/, run: async (req, res) => {
        const b = await readBody(req, TeachBody);
        const v = episode(b.video);
        const r = await serial(() => teach(ws, v.path, b.frame, b.box, b.name).catch((e: unknown) => {
          // The library names the CLI's options (--frame, --box); here they are the body's fields.
          if (e instanceof ToonscopeError && e.file?.startsWith('--')) throw new HttpError(400, `${e.file.slice(2)}: ${e.problem}`);
          throw e;
        }));
        json(res, 200, { added: r.added, frame: r.frame, shot: r.shot, taught: taughtBoxes(ws, v.id) });
      },
    },
    {
      method: 'POST', path: /^\/api\/export$/, run: edit(Empty, async () => {
        const warnings: string[] = [];
        const files = await exportLabels(ws, join(ws.dir, 'export'), { warn: (m) => warnings.push(m) });
        return { files: files.map((f) => relative(ws.dir, f)), warnings };
      }),
    },
  ];
}

/** An error as (status, message): ours keep theirs, a ToonscopeError is the user's (400), anything else is a bug (500). */
export function status(e: unknown): { status: number; message: string; headers?: Record<string, string> } {
  if (e instanceof HttpError) return { status: e.status, message: e.message, headers: e.headers };
  if (e instanceof ToonscopeError) return { status: 400, message: e.message };
  return { status: 500, message: `internal error: ${errorText(e)}` };
}
