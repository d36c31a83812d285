// Decoded frames kept in memory for later passes over the same video.
//
// `analyze` decodes an episode's sampled frames for its first pass, and the
// learned pass asks for the same frames again, three or four times (training
// maps, probe frames, background frames, the shots where it found someone):
// each an ffmpeg run decoding the stretches of the episode around them. On a
// short clip they were about a third of the learned pass. A frame decodes to
// the same pixels whichever run decodes it, so a kept frame is the frame.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { decimal } from './decimal.js';
import { ToonscopeError } from './errors.js';
import type { Frame } from './types.js';

/** Default budget in MiB (TOONSCOPE_FRAME_CACHE_MB overrides; 0 turns keeping off). */
const DEFAULT_MB = 256;

/** How many bytes of frames an analysis may keep (0: none), from TOONSCOPE_FRAME_CACHE_MB. */
export function frameBudget(): number {
  const v = process.env.TOONSCOPE_FRAME_CACHE_MB?.trim();
  if (v === undefined || v === '') return DEFAULT_MB * 2 ** 20;
  const mb = decimal(v);
  if (!Number.isFinite(mb)) throw new ToonscopeError(undefined, `TOONSCOPE_FRAME_CACHE_MB must be a number of MiB (0 keeps no frames), got "${v}"`);
  return Math.floor(mb * 2 ** 20);
}

/** A frame with pixels of its own: what is kept is never what a caller holds, and the other way round. */
const copy = (f: Frame): Frame => ({ ...f, data: new Uint8Array(f.data) });

/**
 * Frames kept up to a budget. Nothing is evicted: passes scan a video from start to end, where evicting the oldest
 * would keep only frames the next scan reaches last, after it has decoded all the others; frames kept first are hits
 * on every later pass. Callers choose which frames are worth their room (`SelectOptions.keep` in core/video.ts).
 */
export class FrameCache {
  /** Frames given from memory: a decode saved each. */
  hits = 0;
  private used = 0;
  private readonly sets = new Map<string, Map<number, Frame>>();

  constructor(readonly budget = frameBudget()) {}

  /** Bytes still free. */
  get room(): number {
    return this.budget - this.used;
  }

  /**
   * The key of one video decoded at one size and selected one way (`how`: by number, or by these frame times). The
   * file's size and modification time are part of it: a file replaced under the same name is another video.
   */
  key(path: string, size: { width: number; height: number }, times?: ArrayLike<number>): string | undefined {
    if (!this.budget) return undefined;
    // Absolute: the first pass decodes the path as the user typed it, the learned pass the one stored in the workspace.
    const file = resolve(path);
    let st;
    try {
      st = statSync(file);
    } catch {
      return undefined;
    }
    const how = times ? createHash('sha1').update(new Uint8Array(Float64Array.from(times).buffer)).digest('hex') : 'n';
    return `${file}\0${st.size}\0${st.mtimeMs}\0${size.width}x${size.height}\0${how}`;
  }

  has(key: string | undefined, index: number): boolean {
    return key !== undefined && !!this.sets.get(key)?.has(index);
  }

  /** A kept frame, as a copy of its own. */
  get(key: string | undefined, index: number): Frame | undefined {
    const f = key === undefined ? undefined : this.sets.get(key)?.get(index);
    if (!f) return undefined;
    this.hits++;
    return copy(f);
  }

  /** Keep a copy of `frame` if the budget has room. */
  put(key: string | undefined, frame: Frame): void {
    if (key === undefined || this.used + frame.data.length > this.budget) return;
    let set = this.sets.get(key);
    if (!set) this.sets.set(key, (set = new Map()));
    if (set.has(frame.index)) return;
    set.set(frame.index, copy(frame));
    this.used += frame.data.length;
  }
}
