// A character's collage in the workspace: the exemplar first, then one crop
// per track (written by the series stage and by every dictionary edit).
import type { Workspace } from '../core/workspace.js';
import type { Track } from '../core/types.js';
import { decodeImage } from '../core/image.js';
import { collageMembers, writeCollage, type Character } from '../dictionary/index.js';
import { crop } from './store.js';
import type { Appearance } from './tracks.js';

export function collagePath(ws: Workspace, id: number): string {
  return ws.file('dictionary', `character-${String(id).padStart(3, '0')}.png`);
}

/** A character's collage PNG (exemplar first, then one crop per track); returns its path. */
export async function writeCharacterCollage(ws: Workspace, c: Character, tracks: readonly Track[]): Promise<string> {
  const crops = [];
  for (const m of collageMembers(c, tracks, 12) as Appearance[]) {
    const bytes = crop(ws, m.id);
    if (bytes) crops.push(await decodeImage(bytes));
  }
  const path = collagePath(ws, c.id);
  await writeCollage(path, crops);
  return path;
}
