#!/bin/sh
# Reproduce the character evaluation: build the Ren'Py truth folder (seed 1,
# 60 composites), then score the default chain, the segmenter alone (oracle
# faces) and, if ISNET=path/to/isnet.onnx is set, the opt-in ISNet backend.
set -e
cd "$(dirname "$0")/.."
TRUTH=${TRUTH:-/tmp/toonscope-characters-truth}
WS=${WS:-/tmp/toonscope-characters-eval}
if [ ! -d /usr/share/games/renpy/the_question ] || [ ! -d /usr/share/games/renpy/demo ]; then
  echo "needs Ren'Py art: sudo apt-get install -y renpy-demo renpy-thequestion" >&2
  exit 1
fi
npx tsc -p .
node dist/src/cli/main.js characters make-truth --out "$TRUTH" --count 60 --seed 1 -q -w "$WS"
node dist/src/cli/main.js eval characters --truth "$TRUTH" -w "$WS/default" -q
node dist/src/cli/main.js eval characters --truth "$TRUTH" -w "$WS/oracle" -q --oracle-faces
if [ -n "$ISNET" ]; then
  node dist/src/cli/main.js eval characters --truth "$TRUTH" -w "$WS/isnet" -q --detectors "cascade,salient=$ISNET"
fi
