// Comics: panels, reading order, characters per panel and identities across pages.
export { extractPanels, findPanels, type Panel, type PanelOptions, type PanelResult } from './panels.js';
export { readingOrder } from './order.js';
export { annotate, overlaySvg, identityColour, type Mark, type PanelMark } from './annotate.js';
export { loadTruth, scorePage, type TruthPage, type PageScore } from './evaluate.js';
export { pairFacesBodies, pairScore, type Pair } from './pairing.js';
export { cluster, colourHistogram, distance, features, histDistance, type Features } from './identity.js';
export { analyzeComics, panelCharacters, type ComicCharacter, type ComicPage, type ComicsOptions, type DetectFn } from './pipeline.js';
export { gutterColour, inkMask, type RGB } from './mask.js';
export { iou, type Point } from './geometry.js';
