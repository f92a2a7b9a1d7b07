import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, writeSync } from "node:fs";

/** sha256 of a string or buffer, hex. */
export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Stable 32-bit FNV-1a hash of a string (UTF-16 code units). */
export function fnv32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A number in [0, 1) derived from a string, stable across runs and platforms. */
export function unitInterval(text: string): number {
  return parseInt(sha256(text).slice(0, 12), 16) / 2 ** 48;
}

/** Deterministic PRNG (mulberry32) seeded from a string. */
export function rngFor(seed: string): () => number {
  let a = fnv32(seed);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Buffered JSONL writer (synchronous, so output order is exactly call order). */
export class JsonlWriter {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  count = 0;
  constructor(path: string) {
    this.fd = openSync(path, "w");
  }
  write(row: unknown): void {
    const line = JSON.stringify(row) + "\n";
    this.parts.push(line);
    this.size += line.length;
    this.count++;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(""));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Reads a JSONL file line by line without loading it whole. */
export function* readJsonl<T = any>(path: string): Generator<T> {
  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(1 << 22);
  let rest: Buffer = Buffer.alloc(0);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      const data = rest.length ? Buffer.concat([rest, buffer.subarray(0, n)]) : buffer.subarray(0, n);
      const last = data.lastIndexOf(10);
      if (last < 0) {
        rest = Buffer.from(data);
        continue;
      }
      // Cut at the last newline byte so no UTF-8 sequence is split.
      const lines = data.toString("utf8", 0, last).split("\n");
      rest = Buffer.from(data.subarray(last + 1));
      for (const line of lines) if (line) yield JSON.parse(line) as T;
    }
    const tail = rest.toString("utf8");
    if (tail.trim()) yield JSON.parse(tail) as T;
  } finally {
    closeSync(fd);
  }
}

/** Lexical tokens as ../shared/dedup/fingerprint.py defines them (comments dropped, strings alike). */
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d[\d_.]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\S/g;
const COMMENT = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|#[^\n]*/g;

export function lexicalTokens(code: string): string[] {
  const out = code.replace(COMMENT, " ").match(TOKEN) ?? [];
  return out.map((t) => ((t[0] === '"' || t[0] === "'") && t.length > 1 ? '"S"' : t));
}

/** Approximate token count (lexical tokens) without building the token list. */
export function countTokens(text: string): number {
  let n = 0;
  const re = /[A-Za-z_][A-Za-z0-9_]*|\d[\d_.]*|\S/g;
  while (re.exec(text)) n++;
  return n;
}
