/**
 * Golden ids: texts with the ids models/tokenizer.json gives them, written by this (the
 * reference) encoder so that any other encoder path (the server runtime, a bundled build) can
 * be checked against it.
 *
 *   npx tsx training/tokenizer/golden.ts            writes training/tokenizer/golden/golden.jsonl
 *                                                   from this repository's own code + synthetic
 *                                                   whitespace/unicode strings (committed)
 *   npx tsx training/tokenizer/golden.ts --corpus   writes .cache/encoded/golden.corpus.jsonl:
 *                                                   1,000+ corpus functions (id, sha256 of the
 *                                                   code, ids); regenerated with the corpus
 *   npx tsx training/tokenizer/golden.ts --check [file]   compares a golden file with the encoder
 * Line 1 is a header {"tokenizer_sha256","pretokenizer","samples"}; then {"text"|"id","ids"}.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Tokenizer } from "./bpe";
import { fnv1a, jsonlFiles, readJsonl, rowKind } from "./sources";
import { loadTokenizer } from "./tokenizer-file";

const ROOT = resolve(__dirname, "..", "..");
export const GOLDEN = join(__dirname, "golden", "golden.jsonl");
export const CORPUS_GOLDEN = join(ROOT, ".cache", "encoded", "golden.corpus.jsonl");

interface GoldenHeader {
  tokenizer_sha256: string;
  pretokenizer: string;
  samples: number;
}

interface GoldenRow {
  text?: string;
  id?: string;
  sha256?: string;
  ids: number[];
}

/** This repository's own source files (never third-party code), sorted. */
function ownSources(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (name === "node_modules" || name.startsWith(".") || name === "golden") continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|js|mjs|py|go|java|md)$/.test(name) && statSync(p).size < 200_000) out.push(p);
    }
  };
  for (const d of ["server/src", "client/src", "common/src", "training", "docs", "test"]) walk(join(ROOT, d));
  return out;
}

/** Seeded synthetic strings: every kind of whitespace, unicode, escapes, lone surrogates. */
export function syntheticSamples(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pool = [" ", "  ", "    ", "\t", "\n", "\r\n", "\r", "\n    ", "\n\t\t", "\f", "\v", "\u00a0", "\u3000",
    "x", "getValue", "HTTPServer", "snake_case", "_x", "$el", "${", "}", "\\n", "\\x41b", "\\u00e9z", "\"", "'", "`",
    "0", "42", "3.14", "0xFF", "é", "ß", "日本", "🙂", "👍🏽", "\u200d", "\ud800", "\udc00", "\u0000", "=>", "==",
    "(", ")", "[", "]", ":", ";", ",", ".", "#", "//", "/*", "*/", "<s>", "<extra_3>"];
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(rand() * 30);
    let t = "";
    for (let k = 0; k < n; k++) t += pool[Math.floor(rand() * pool.length)];
    return t;
  });
}

/** Windows of 1..16 lines from the repository's own code, chosen by hash (deterministic). */
export function repoSamples(count: number): string[] {
  const windows: { key: number; text: string }[] = [];
  for (const f of ownSources()) {
    const lines = readFileSync(f, "utf8").split(/(?<=\n)/);
    for (let i = 0; i < lines.length; ) {
      const len = 1 + (fnv1a(`${relative(ROOT, f)}:${i}`) % 16);
      const text = lines.slice(i, i + len).join("");
      if (text.trim()) windows.push({ key: fnv1a(text), text });
      i += len;
    }
  }
  windows.sort((a, b) => a.key - b.key || (a.text < b.text ? -1 : 1));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of windows) {
    if (out.length >= count) break;
    if (!seen.has(w.text)) out.push(w.text);
    seen.add(w.text);
  }
  return out;
}

function writeGolden(path: string, header: GoldenHeader, rows: GoldenRow[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, [header, ...rows].map((r) => JSON.stringify(r)).join("\n") + "\n");
}

export function readGolden(path: string): { header: GoldenHeader; rows: GoldenRow[] } {
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  const header = JSON.parse(lines[0]) as GoldenHeader;
  return { header, rows: lines.slice(1).map((l) => JSON.parse(l) as GoldenRow) };
}

/** Rows whose ids differ from what `tok` gives now (text rows only). */
export function goldenMismatches(tok: Tokenizer, rows: GoldenRow[]): number[] {
  const bad: number[] = [];
  rows.forEach((r, k) => {
    if (r.text === undefined) return;
    const ids = tok.encode(r.text);
    if (ids.length !== r.ids.length || ids.some((id, i) => id !== r.ids[i])) bad.push(k);
  });
  return bad;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      tokenizer: { type: "string", default: join(ROOT, "models", "tokenizer.json") },
      corpus: { type: "boolean", default: false },
      "corpus-dir": { type: "string", default: join(ROOT, ".cache", "corpus") },
      check: { type: "boolean", default: false },
    },
  });
  const { tokenizer, file } = loadTokenizer(values.tokenizer!);
  if (values.check) {
    const path = positionals[0] ?? GOLDEN;
    const { header, rows } = readGolden(path);
    if (header.tokenizer_sha256 !== file.sha256) {
      throw new Error(`${path} was written for tokenizer ${header.tokenizer_sha256}, not ${file.sha256}`);
    }
    const bad = goldenMismatches(tokenizer, rows);
    // Corpus rows carry an id and the code's sha256: find the code in the corpus.
    const want = new Map(rows.filter((r) => r.id !== undefined).map((r) => [r.id!, r]));
    let found = 0;
    if (want.size) {
      for (const f of jsonlFiles(values["corpus-dir"]!)) for await (const row of readJsonl(f)) {
        const g = row.id !== undefined ? want.get(row.id) : undefined;
        if (!g || rowKind(row) !== "function") continue;
        if (createHash("sha256").update(row.code!, "utf8").digest("hex") !== g.sha256) continue;
        found++;
        const ids = tokenizer.encode(row.code!);
        if (ids.length !== g.ids.length || ids.some((id, i) => id !== g.ids[i])) bad.push(rows.indexOf(g));
      }
      if (found < want.size) throw new Error(`${want.size - found} golden rows not found in the corpus (rebuilt?)`);
    }
    console.log(JSON.stringify({ path, samples: rows.length, corpusRowsChecked: found, mismatches: bad.length }));
    if (bad.length) process.exit(1);
    return;
  }
  const header = { tokenizer_sha256: file.sha256, pretokenizer: file.pretokenizer, samples: 0 };
  if (values.corpus) {
    const rows: GoldenRow[] = [];
    const dir = values["corpus-dir"]!;
    const files = jsonlFiles(dir);
    if (!files.length) throw new Error(`no corpus JSONL under ${dir}`);
    const picked: { key: number; id: string; code: string }[] = [];
    for (const f of files) for await (const row of readJsonl(f)) {
      if (rowKind(row) !== "function") continue;
      const id = row.id ?? `${relative(dir, f)}:${picked.length}`;
      picked.push({ key: fnv1a(id), id, code: row.code! });
      if (picked.length > 20_000) {
        picked.sort((a, b) => a.key - b.key);
        picked.length = 1200;
      }
    }
    picked.sort((a, b) => a.key - b.key);
    for (const p of picked.slice(0, 1200)) {
      rows.push({ id: p.id, sha256: createHash("sha256").update(p.code, "utf8").digest("hex"), ids: tokenizer.encode(p.code) });
    }
    header.samples = rows.length;
    writeGolden(CORPUS_GOLDEN, header, rows);
    console.log(JSON.stringify({ out: CORPUS_GOLDEN, samples: rows.length }));
    return;
  }
  const texts = [...repoSamples(1000), ...syntheticSamples(200, 20261127)];
  const rows = texts.map((text) => ({ text, ids: tokenizer.encode(text) }));
  header.samples = rows.length;
  writeGolden(GOLDEN, header, rows);
  console.log(JSON.stringify({ out: relative(ROOT, GOLDEN), samples: rows.length }));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`golden: ${(err as Error).message}`);
    process.exit(1);
  });
}
