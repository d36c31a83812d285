/**
 * toonscope as a library: `import { detectShots, Workspace } from 'toonscope'`.
 *
 * This file is the whole public API (package.json `exports` points here and
 * nowhere else): a few entry points per capability and the types they take
 * and return. Everything not exported here is internal and may change.
 * Examples for each capability: docs/api.md (a test runs them).
 *
 * @packageDocumentation
 */

// Shared base: the workspace every capability records into, the one error
// type for user-caused failures, and the common data types.
export { Workspace, DEFAULT_WORKSPACE, type VideoRow } from './core/workspace.js';
export { ToonscopeError, isToonscopeError } from './core/errors.js';
export { probe } from './core/video.js';
export { readImage, writeImage } from './core/image.js';
export type { Image, Frame, VideoInfo, Box, Shot, ShotEdge, Transition, Detection } from './core/types.js';

// Shots: detection, the shot lists, per-frame statistics, split files and stills.
export { detectShots, type DetectShotsOptions, type ShotResult } from './shots/detect.js';
export { DETECTORS, DEFAULT_DETECTOR } from './shots/registry.js';
export { loadShots } from './shots/store.js';
export { shotsCsv, shotsJson, shotsEdl, readShotsCsv } from './shots/export.js';
export { shotsOtio } from './shots/otio.js';
export { shotStats } from './shots/stats.js';
export { splitShots, shotFileName, type SplitOptions } from './shots/split.js';
export { shotImages, type ImagesOptions } from './shots/images.js';
export { contactSheet, type SheetOptions } from './shots/sheet.js';

// Characters: faces, bodies and instance masks in images and videos.
export { parseChain, DEFAULT_CHAIN, type ChainOptions } from './characters/backends.js';
export { detectCharacters } from './characters/pipeline.js';
export { runImage, runVideo, type RunSummary, type VideoRunOptions } from './characters/run.js';
export type { CharacterDetector, Character as CharacterInFrame } from './characters/types.js';

// Analyze and the character dictionary: per-video tracks, then the series' dictionary.
export { analyzeVideo, type AnalyzeOptions, type VideoSummary } from './analyze/pipeline.js';
export { analyzeSeries, type SeriesOptions, type SeriesSummary } from './analyze/series.js';
export type { Judged } from './analyze/learn.js';
export { listCharacters, episodes, spans, type CharacterCard, type Episode, type Span, type SpanFilter } from './label/spans.js';

// Labels and exports: names a person gives, and the files made from them.
export { nameCharacter, rejectCharacter, resetCharacter, mergeCharacters, splitCharacter, type CharacterStatus } from './label/edit.js';
export { relabel, labelSummary, type LabelSummary } from './label/relabel.js';
export { exportLabels, type ExportOptions } from './label/export.js';
export { unseen, type UnseenShot } from './label/unseen.js';

// Comics: panels in reading order, characters and identities.
export { analyzeComics, type ComicPage, type ComicCharacter, type ComicsOptions } from './comics/pipeline.js';
export { extractPanels, type Panel, type PanelOptions, type PanelResult } from './comics/panels.js';
export { comicsDetector, type ComicsDetector } from './comics/detector.js';

// Interpolation: in-betweens of two drawings, or a whole video at a higher frame rate.
export { interpolate, interpolateMany, type InterpolateOptions } from './interpolate/interp.js';
export { interpolateVideo, type VideoOptions as InterpolateVideoOptions, type VideoReport } from './interpolate/video.js';
