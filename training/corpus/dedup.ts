import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fnv32, lexicalTokens } from "./util";

/**
 * Near-duplicate detection inside the corpus on normalized lexical tokens (layout, comments
 * and string contents ignored): an exact hash of the token sequence, and MinHash over
 * 5-token shingles with LSH banding for near duplicates (estimated Jaccard >= NEAR_THRESHOLD).
 */
export const SHINGLE = 5;
export const PERMUTATIONS = 32;
export const BANDS = 8; // 8 bands x 4 rows
export const NEAR_THRESHOLD = 0.8;

const A = Array.from({ length: PERMUTATIONS }, (_, i) => (fnv32(`a${i}`) | 1) >>> 0);
const B = Array.from({ length: PERMUTATIONS }, (_, i) => fnv32(`b${i}`));

export interface Fingerprint {
  exact: string; // hex of two 32-bit hashes of the token sequence
  minhash: number[];
}

export function fingerprint(code: string): Fingerprint {
  const tokens = lexicalTokens(code);
  const hashes = tokens.map((t) => fnv32(t));
  const joined = tokens.join("\u001f");
  const exact = fnv32(joined).toString(16).padStart(8, "0") + fnv32(joined, 0x9747b28c).toString(16).padStart(8, "0");
  const minhash = new Array<number>(PERMUTATIONS).fill(0xffffffff);
  const count = Math.max(hashes.length - SHINGLE + 1, 1);
  for (let i = 0; i < count; i++) {
    let h = 0x811c9dc5;
    for (let j = i; j < Math.min(i + SHINGLE, hashes.length); j++) h = Math.imul(h ^ hashes[j], 0x01000193) >>> 0;
    for (let k = 0; k < PERMUTATIONS; k++) {
      const v = (Math.imul(h ^ B[k], A[k]) ^ (h >>> 13)) >>> 0;
      const mixed = Math.imul(v ^ (v >>> 16), 0x85ebca6b) >>> 0;
      if (mixed < minhash[k]) minhash[k] = mixed;
    }
  }
  return { exact, minhash };
}

export function estimatedJaccard(a: number[], b: number[]): number {
  let same = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === b[k]) same++;
  return same / a.length;
}

/** Streaming deduplicator: feed items in priority order; returns why an item is a duplicate. */
export class Deduplicator {
  private exact = new Set<string>();
  private bands: Map<string, number>[] = Array.from({ length: BANDS }, () => new Map());
  private kept: number[][] = [];

  check(fp: Fingerprint): "duplicate" | "near-duplicate" | undefined {
    if (this.exact.has(fp.exact)) return "duplicate";
    const rows = PERMUTATIONS / BANDS;
    const keys: string[] = [];
    const candidates = new Set<number>();
    for (let b = 0; b < BANDS; b++) {
      const key = fp.minhash.slice(b * rows, (b + 1) * rows).join(",");
      keys.push(key);
      const hit = this.bands[b].get(key);
      if (hit !== undefined) candidates.add(hit);
    }
    for (const c of candidates) {
      if (estimatedJaccard(fp.minhash, this.kept[c]) >= NEAR_THRESHOLD) return "near-duplicate";
    }
    const index = this.kept.length;
    this.kept.push(fp.minhash);
    this.exact.add(fp.exact);
    keys.forEach((key, b) => {
      if (!this.bands[b].has(key)) this.bands[b].set(key, index);
    });
    return undefined;
  }
}

/** ../shared/dedup/fingerprint.py, found relative to the repository root (CI has shared/ beside it). */
export function findHeldOutChecker(repoRoot: string): string | undefined {
  const candidates = [
    process.env.CODEADAPT_FINGERPRINT,
    join(dirname(repoRoot), "shared", "dedup", "fingerprint.py"),
    join(repoRoot, "shared", "dedup", "fingerprint.py"),
    "/work/shared/dedup/fingerprint.py",
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** 0-based indexes of rows in a JSONL file whose `code` the held-out checker flags. */
export function heldOutFlags(checker: string, jsonl: string): Set<number> {
  const out = execFileSync("python3", [resolve(checker), "check", jsonl, "--field", "code"], {
    encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"],
  });
  return new Set(out.split("\n").filter((l) => /^\d+$/.test(l.trim())).map((l) => Number(l) - 1));
}
