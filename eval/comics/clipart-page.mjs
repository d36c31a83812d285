// Builds a full-colour comic page from public-domain Open Clip Art Library
// drawings (Debian package openclipart-svg) for a look at panels and
// identities on colour art: `node eval/comics/clipart-page.mjs OUT.png`.
// No real full-colour comic page under a free licence ships in Debian's or
// npm's packages, so this page is composed, and says so.
import sharp from 'sharp';
import { readFileSync, writeFileSync } from 'node:fs';

const ROOT = '/usr/share/openclipart/svg';
const art = {
  girl: `${ROOT}/people/chibi_character_rick_.svg`, // "Chibi Character", Rick, public domain
  kid: `${ROOT}/people/kid_01.svg`, // "kid", Philippe Faes, public domain
  cat: `${ROOT}/animals/mammals/cartoon_cat_gerald_g._01.svg`, // Gerald G., public domain
  tree: `${ROOT}/plants/trees/cartoon_tree_01.svg`,
};
const out = process.argv[2] ?? 'clipart-page.png';
// Head boxes (hair, bows and ears included, ponytails and whiskers not) as fractions of each drawing's visible
// box, measured once by eye on 2x enlargements of the rendered sprites; mirrored with the sprite.
const heads = { girl: [0.222, 0, 0.563, 0.462], kid: [0.405, 0, 0.22, 0.243], cat: [0.699, 0.064, 0.295, 0.318] };

// A sprite fitted into w x h, and the box its visible pixels take there.
async function sprite(name, w, h, flip = false) {
  const trimmed = await sharp(readFileSync(art[name]), { density: 150 }).trim().png().toBuffer();
  let s = sharp(trimmed).resize(w, h, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } });
  if (flip) s = s.flop();
  const png = await s.png().toBuffer();
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) {
    if (data[(y * info.width + x) * 4 + 3] < 128) continue;
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { href: `data:image/png;base64,${png.toString('base64')}`, box: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] };
}
const clip = (b, p) => {
  const xs = p.map((q) => q[0]), ys = p.map((q) => q[1]);
  const x0 = Math.max(b[0], Math.min(...xs)), y0 = Math.max(b[1], Math.min(...ys));
  const x1 = Math.min(b[0] + b[2], Math.max(...xs)), y1 = Math.min(b[1] + b[3], Math.max(...ys));
  return [x0, y0, x1 - x0, y1 - y0];
};

const W = 900, H = 1280;
const panels = [
  { pts: [[40, 40], [440, 40], [440, 440], [40, 440]], fill: '#9fd3f5', cast: [['tree', 30, 120, 200, 300], ['girl', 200, 150, 170, 280], ['cat', 90, 330, 130, 100]] },
  { pts: [[464, 40], [860, 40], [860, 440], [464, 440]], fill: '#fbe7a1', cast: [['kid', 480, 160, 190, 260], ['girl', 680, 170, 150, 250, true]] },
  { pts: [[40, 464], [560, 464], [480, 820], [40, 820]], fill: '#b9e6b0', cast: [['girl', 80, 480, 300, 330], ['cat', 330, 700, 130, 100, true]] },
  { pts: [[584, 464], [860, 464], [860, 820], [504, 820]], fill: '#f7b7c9', cast: [['kid', 600, 520, 240, 290, true]] },
  { pts: [[40, 844], [860, 844], [860, 1240], [40, 1240]], fill: 'url(#sunset)', cast: [['girl', 120, 940, 180, 290], ['kid', 360, 950, 200, 280], ['cat', 600, 1110, 150, 110], ['tree', 640, 880, 200, 300]] },
];
const balloons = [[300, 90, 110, 45], [560, 95, 90, 40], [250, 520, 120, 40], [470, 900, 130, 45]];

let body = '';
const characters = [];
let defs = '<linearGradient id="sunset" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff9a56"/><stop offset="1" stop-color="#ffd86f"/></linearGradient>';
for (const [k, p] of panels.entries()) {
  const pts = p.pts.map((q) => q.join(',')).join(' ');
  defs += `<clipPath id="c${k}"><polygon points="${pts}"/></clipPath>`;
  let inner = `<polygon points="${pts}" fill="${p.fill}"/>`;
  for (const [name, x, y, w, h, flip] of p.cast) {
    const sp = await sprite(name, w, h, flip);
    inner += `<image x="${x}" y="${y}" width="${w}" height="${h}" href="${sp.href}"/>`;
    if (name === 'tree') continue;
    const [fx, fy, fw, fh] = heads[name], vx = x + sp.box[0], vy = y + sp.box[1], [vw, vh] = [sp.box[2], sp.box[3]];
    const face = [Math.round(vx + (flip ? 1 - fx - fw : fx) * vw), Math.round(vy + fy * vh), Math.round(fw * vw), Math.round(fh * vh)];
    characters.push({ panel: k, identity: name, box: clip([vx, vy, vw, vh], p.pts), face: clip(face, p.pts) });
  }
  body += `<g clip-path="url(#c${k})">${inner}</g><polygon points="${pts}" fill="none" stroke="#111" stroke-width="5" stroke-linejoin="miter"/>`;
}
for (const [cx, cy, rx, ry] of balloons) {
  body += `<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="white" stroke="#111" stroke-width="3"/>`;
  for (let l = -1; l <= 1; l++) body += `<line x1="${cx - rx * 0.6}" y1="${cy + l * ry * 0.4}" x2="${cx + rx * (0.6 - Math.abs(l) * 0.2)}" y2="${cy + l * ry * 0.4}" stroke="#333" stroke-width="5" stroke-dasharray="14 6"/>`;
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs>${defs}</defs><rect width="${W}" height="${H}" fill="white"/>${body}</svg>`;
await sharp(Buffer.from(svg)).png().toFile(out);
// Truth beside the page: panel boxes (outline bounds, half the 5 px stroke outside) in reading order, and character boxes.
const name = out.split('/').pop();
const panelBoxes = panels.map((p) => {
  const xs = p.pts.map((q) => q[0]), ys = p.pts.map((q) => q[1]);
  return [Math.min(...xs) - 2, Math.min(...ys) - 2, Math.max(...xs) - Math.min(...xs) + 5, Math.max(...ys) - Math.min(...ys) + 5];
});
const truthFile = out.replace(/\.png$/i, '') + '.truth.json';
writeFileSync(truthFile, JSON.stringify({ pages: [{ image: name, panels: panelBoxes, characters }] }, null, 1));
console.log(out, truthFile);
