// Self-supervision and the character dictionary: triplets from tracks, a
// trained projection head, constrained clustering, exemplars, collages, and
// the metrics to judge them.
export { sampleTriplets, hasTriplets, coOccurring, type TripletSet, type TripletOptions, type Scope } from './triplets.js';
export { trainHead, Head, type HeadOptions, type HeadWeights, type TrainReport } from './head.js';
export { refineTracks, projectTracks, type RefineResult } from './refine.js';
export { agglomerate, silhouette, cosineDistances, type Clustering, type ClusterOptions } from './cluster.js';
export { buildDictionary, SAME_CHARACTER, SAME_COLOURS, character, trackVector, colourVector, colourView, medoid, detectionLabels, collageMembers, type Character, type Dictionary, type DictionaryOptions, type View } from './dictionary.js';
export { collage, writeCollage, type CollageOptions } from './collage.js';
export { purity, nmi, ari, clusterScores, type ClusterScores } from './metrics.js';
export { rng } from '../core/random.js';
