// Draws media/icon.png (128x128 RGBA) with no dependencies: shapes as signed distance
// functions, 4x4 supersampling, and a minimal PNG encoder (zlib from node, CRC32 by hand).
// The picture: a rounded tile, code brackets < >, and three nodes joined like an adapter.
//   node media/make-icon.mjs
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const SIZE = 128;
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

const segment = (px, py, ax, ay, bx, by) => {
  const [dx, dy] = [bx - ax, by - ay];
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
};
const polyline = (points, width) => (x, y) =>
  Math.min(...points.slice(1).map((p, i) => segment(x, y, ...points[i], ...p))) - width / 2;
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  const [cx, cy, hx, hy] = [(x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - r, (y1 - y0) / 2 - r];
  const [qx, qy] = [Math.abs(x - cx) - hx, Math.abs(y - cy) - hy];
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};

// Painted in order, later shapes over earlier ones.
const layers = [
  [roundRect(4, 4, 124, 124, 24), hex("#1e3a5f")],
  [polyline([[46, 36], [20, 64], [46, 92]], 10), hex("#7fd1ff")],
  [polyline([[82, 36], [108, 64], [82, 92]], 10), hex("#7fd1ff")],
  [polyline([[64, 38], [64, 90]], 4), hex("#ffd166")],
  [circle(64, 38, 9), hex("#ffd166")],
  [circle(64, 90, 9), hex("#ffd166")],
  [circle(64, 64, 8), hex("#ef476f")],
];

const pixels = Buffer.alloc(SIZE * SIZE * 4);
const SS = 4;
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    let [r, g, b, a] = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const [px, py] = [x + (sx + 0.5) / SS, y + (sy + 0.5) / SS];
        let color = null;
        for (const [shape, fill] of layers) if (shape(px, py) <= 0) color = fill;
        if (color) {
          r += color[0];
          g += color[1];
          b += color[2];
          a += 1;
        }
      }
    }
    const i = (y * SIZE + x) * 4;
    if (a > 0) pixels.set([Math.round(r / a), Math.round(g / a), Math.round(b / a), Math.round((255 * a) / (SS * SS))], i);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buffer) => {
  let c = 0xffffffff;
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
};
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
const rows = Buffer.concat(Array.from({ length: SIZE }, (_, y) => Buffer.concat([Buffer.from([0]), pixels.subarray(y * SIZE * 4, (y + 1) * SIZE * 4)])));
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk("IHDR", header),
  chunk("IDAT", deflateSync(rows, { level: 9 })),
  chunk("IEND", Buffer.alloc(0)),
]);
const out = new URL("icon.png", import.meta.url);
writeFileSync(out, png);
console.log(`wrote ${out.pathname} (${png.length} bytes)`);
