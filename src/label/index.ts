// Labelling: a person names dictionary clusters (or merges, splits, rejects
// them); a per-series classifier labels every track of every episode from
// those decisions; exports turn the labels into files people use.
export { listCharacters, episodes, spans, thumbnail, type CharacterCard, type Episode, type Span, type SpanFilter } from './spans.js';
export { nameCharacter, rejectCharacter, resetCharacter, mergeCharacters, splitCharacter, type CharacterStatus } from './edit.js';
export { relabel, labelSummary, restoreNames, type LabelSummary } from './relabel.js';
export { exportLabels, union, onScreen, type Interval, type ExportOptions } from './export.js';
export { classify, fillFromClusters, REJECTED, type TrackLabel, type ClassifyInput, type ClassifyOptions } from './classify.js';
export { unseen, unseenShots, type UnseenShot } from './unseen.js';
export { evalLabels, type LabelEval, type LabelScore } from './evaluate.js';
