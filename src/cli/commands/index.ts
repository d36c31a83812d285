// Every CLI command, in help order: name, one-line summary and the module
// that implements it. Modules are imported only when their command runs, so
// `toonscope --help` or `toonscope shots` never loads tfjs, onnxruntime,
// opencv-js or sharp unless the command needs them (tfjs alone costs about
// 1.7 s of start-up). test/cli.test.ts checks each entry against its module.
// Each capability adds one line.
import type { CommandEntry } from '../command.js';

const entry = (name: string, summary: string, file: string): CommandEntry => ({ name, summary, file });

export const commands: CommandEntry[] = [
  entry('sample', 'generate a 10 s synthetic clip with known cuts, a flash, a fade and a dissolve (plus its truth file)', './sample.js'),
  entry('shots', 'find hard cuts, fades and dissolves; write shot lists (CSV, JSON, EDL, OTIO), a contact sheet, and on request split files, stills and per-frame stats', './shots.js'),
  entry('eval shots', 'precision / recall / F1 of shot boundaries against truth files (JSON cuts or PySceneDetect CSV)', './eval-shots.js'),
  entry('analyze', 'shots, characters, tracks, self-supervised refinement and the character dictionary (resumable)', './analyze.js'),
  entry('eval tracks', "MOTA and IDF1 of analyze's tracks against cast truth files (on the sampled frames)", './eval-cast.js'),
  entry('eval clusters', 'purity, NMI and ARI of the character dictionary against cast truth files, vanilla vs refined', './eval-cast.js'),
  entry('eval appearances', 'does analyze find every character of real footage, each in a cluster of her own (hand-drawn truth)', './eval-appearances.js'),
  entry('make-truth cast', 'render a video with known characters (boxes, identities, tracks, cuts) for eval tracks / clusters', './eval-cast.js'),
  entry('label', 'list the character dictionary with names and labels (relabels every track)', './label.js'),
  entry('label name', 'name a dictionary cluster (all its tracks; the classifier labels the rest)', './label.js'),
  entry('label merge', 'merge dictionary clusters into the first one', './label.js'),
  entry('label split', 'split a dictionary cluster in two (both parts come back unnamed)', './label.js'),
  entry('label reject', 'mark a dictionary cluster as not a character', './label.js'),
  entry('label reset', "forget a cluster's name or rejection", './label.js'),
  entry('label unseen', 'shots of a video where nobody was found (or only what is not a character): where to teach one', './label.js'),
  entry('label teach', 'teach a character nobody found: one box on one frame; the next analyze finds her in every episode', './label.js'),
  entry('export', 'labelled appearances as JSON/CSV, a WebVTT "who is on screen" track per episode, clip lists per character', './label.js'),
  entry('eval labels', 'share of appearances labelled correctly after naming each cluster once (cast truth files)', './label.js'),
  entry('app', 'web app on localhost: name, merge, split and reject characters; timelines of who is on screen', './app.js'),
  entry('comics', 'panels (reading order), characters and identities on comic pages', './comics.js'),
  entry('eval panels', 'score panel extraction against truth boxes (precision/recall at IoU 0.5 and 0.9)', './eval-panels.js'),
  entry('characters make-truth', "build an evaluation folder from Ren'Py sprites (apt-get install renpy-demo renpy-thequestion) composited over backgrounds", './characters.js'),
  entry('characters', 'find characters in images or videos: body boxes + instance masks, face boxes, scores (COCO JSON, mask PNGs, overlays)', './characters.js'),
  entry('eval characters', 'score character masks, boxes and faces against a folder of image + instance-mask PNG pairs', './eval-characters.js'),
  entry('interpolate', 'Synthesize in-between frames of animation (held drawings and cuts are never interpolated across)', './interpolate.js'),
  entry('eval interpolate', 'PSNR/SSIM of in-betweens vs truth: toonscope, blend, ffmpeg minterpolate', './eval-interpolate.js'),
  entry('models', 'learned models on demand: list | pull NAME | verify | remove NAME | path', './models.js'),
  entry('models list', 'learned models toonscope knows, and which are installed', './models.js'),
  entry('models pull', 'download (or --from FILE install) a learned model into the cache', './models.js'),
  entry('models verify', 're-check the sha256 of every installed model', './models.js'),
  entry('models remove', 'delete a model from the cache', './models.js'),
  entry('models path', "print the model cache folder (or one model's file)", './models.js'),
  entry('worker', 'take analyze / shots episodes and interpolate parts from a Redis queue (BullMQ) and run them on this machine', './worker.js'),
  entry('queue status', 'jobs, their states and errors, and the workers connected to a Redis queue', './queue-status.js'),
];
