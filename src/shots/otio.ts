// OpenTimelineIO (.otio) export: the shot list as one video track of clips
// that all refer to the source file, for editors and pipelines that read OTIO
// (DaVinci Resolve, Kdenlive, OTIO's own tools) rather than CMX3600 EDLs.
// Dissolves become SMPTE_Dissolve transitions around the cut frame.
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Shot, Transition } from '../core/types.js';

const time = (value: number, rate: number) => ({ OTIO_SCHEMA: 'RationalTime.1', rate, value });
const range = (start: number, duration: number, rate: number) => ({ OTIO_SCHEMA: 'TimeRange.1', start_time: time(start, rate), duration: time(duration, rate) });
const item = { metadata: {}, effects: [], markers: [], enabled: true };

/**
 * An OTIO timeline (JSON text): one clip per shot, its source range in frames at `fps`,
 * each pointing at `video` as an ExternalReference (absolute file URL); with `audio`, an
 * audio track of the same clips beside the video track (so an editor brings the sound along).
 */
export function shotsOtio(video: string, fps: number, shots: readonly Shot[], transitions: readonly Transition[] = [], frames?: number, audio = false): string {
  const total = frames ?? (shots.length ? shots[shots.length - 1].end + 1 : 0);
  const target = pathToFileURL(resolve(video)).href;
  const children: object[] = [];
  for (const s of shots) {
    const into = transitions.find((t) => t.kind === 'dissolve' && t.frame === s.start);
    if (into && children.length) {
      children.push({
        OTIO_SCHEMA: 'Transition.1', name: `dissolve into shot ${s.index + 1}`, metadata: {}, transition_type: 'SMPTE_Dissolve',
        in_offset: time(s.start - into.start, fps), out_offset: time(into.end - s.start + 1, fps),
      });
    }
    children.push({
      OTIO_SCHEMA: 'Clip.2', name: `${basename(video)} shot ${s.index + 1}`, ...item,
      metadata: { toonscope: { shot: s.index + 1, in: s.in, out: s.out, start_time: s.startTime, end_time: s.endTime } },
      source_range: range(s.start, s.end - s.start + 1, fps),
      media_references: { DEFAULT_MEDIA: { OTIO_SCHEMA: 'ExternalReference.1', name: basename(video), metadata: {}, target_url: target, available_range: range(0, total, fps), available_image_bounds: null } },
      active_media_reference_key: 'DEFAULT_MEDIA',
    });
  }
  const track = { OTIO_SCHEMA: 'Track.1', name: 'shots', ...item, source_range: null, kind: 'Video', children };
  const sound = { ...track, name: 'audio', kind: 'Audio', children: children.filter((c) => (c as { OTIO_SCHEMA: string }).OTIO_SCHEMA === 'Clip.2') };
  const timeline = {
    OTIO_SCHEMA: 'Timeline.1', name: basename(video), metadata: {}, global_start_time: null,
    tracks: { OTIO_SCHEMA: 'Stack.1', name: 'tracks', ...item, source_range: null, children: audio ? [track, sound] : [track] },
  };
  return `${JSON.stringify(timeline, null, 2)}\n`;
}
