// COCO-format results: one image entry per frame, a 'body' annotation per
// character (bbox + uncompressed RLE mask) and a 'face' annotation (bbox)
// linked to it by `character`.
import type { Character } from './types.js';
import { fullMask, maskArea, toRLE } from './masks.js';

export const CATEGORIES = [
  { id: 1, name: 'body', supercategory: 'character' },
  { id: 2, name: 'face', supercategory: 'character' },
];

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  frame?: number;
  time?: number;
  keyframe?: boolean;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  area: number;
  score: number;
  iscrowd: 0;
  segmentation?: { size: [number, number]; counts: number[] };
  /** Index of the character within its image; a face and its body share it. */
  character: number;
  track?: number;
}

export interface Coco {
  info: { description: string; version: string; date_created: string; detectors: string[] };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: typeof CATEGORIES;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

export class CocoWriter {
  readonly doc: Coco;
  private nextAnn = 1;
  constructor(detectors: string[]) {
    this.doc = { info: { description: 'toonscope characters', version: '1', date_created: new Date().toISOString(), detectors }, images: [], annotations: [], categories: CATEGORIES };
  }

  add(image: Omit<CocoImage, 'id'>, characters: Character[]): number {
    const id = this.doc.images.length + 1;
    this.doc.images.push({ id, ...image });
    characters.forEach((c, k) => {
      if (c.body) {
        const m = fullMask(c.body, image.width, image.height);
        this.doc.annotations.push({
          id: this.nextAnn++, image_id: id, category_id: 1, bbox: c.body.box.map(r2) as CocoAnnotation['bbox'],
          area: c.body.mask ? maskArea(m) : Math.round(c.body.box[2] * c.body.box[3]), score: r2(c.body.score), iscrowd: 0,
          ...(c.body.mask ? { segmentation: toRLE(m) } : {}), character: k, ...(c.body.track !== undefined ? { track: c.body.track } : {}),
        });
      }
      if (c.face) {
        this.doc.annotations.push({
          id: this.nextAnn++, image_id: id, category_id: 2, bbox: c.face.box.map(r2) as CocoAnnotation['bbox'],
          area: Math.round(c.face.box[2] * c.face.box[3]), score: r2(c.face.score), iscrowd: 0, character: k,
        });
      }
    });
    return id;
  }
}
