/**
 * Byte-level BPE over code-aware pretokens: the trainer, the encoder and the decoder.
 * One implementation, used by the encode step (training shards) and by the server runtime.
 *
 * Id layout (the model contract, see /tmp/team-plan.md):
 *   0..113    special tokens (SPECIAL_TOKENS)
 *   114..369  the 256 byte tokens <0x00>..<0xFF> (byte fallback: any text encodes)
 *   370..     merged tokens, in merge order (merge k creates id 370 + k)
 */
import { isWhitespacePiece, pretokenizeBounds, type PretokenizerOptions } from "./pretokenize";
import { utf8Bytes, utf8Decode } from "./utf8";

export const LANGUAGE_TAGS = ["python", "javascript", "typescript", "tsx", "java", "go"] as const;
export type LanguageTag = (typeof LANGUAGE_TAGS)[number];

export const SPECIAL_TOKENS: readonly string[] = [
  "<pad>",
  "<s>",
  "</s>",
  "<unk>",
  "<summarize>",
  "<refine>",
  "<denoise>",
  ...LANGUAGE_TAGS.map((l) => `<${l}>`),
  "<truncated>",
  ...Array.from({ length: 100 }, (_, k) => `<extra_${k}>`),
];

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SUMMARIZE = 4;
export const REFINE = 5;
export const DENOISE = 6;
export const TRUNCATED = 13;
export const FIRST_SENTINEL = 14;
export const BYTE_OFFSET = SPECIAL_TOKENS.length; // 114
export const FIRST_MERGE_ID = BYTE_OFFSET + 256; // 370

export function languageTagId(lang: string): number {
  const k = (LANGUAGE_TAGS as readonly string[]).indexOf(lang);
  if (k < 0) throw new Error(`no language tag token for "${lang}"`);
  return 7 + k;
}

export function sentinelId(k: number): number {
  if (k < 0 || k >= 100) throw new Error(`sentinel <extra_${k}> does not exist (0..99)`);
  return FIRST_SENTINEL + k;
}

const pairKey = (a: number, b: number) => a * 65536 + b;

/** Per-token UTF-16 spans of an encoding; see Tokenizer.encodeWithSpans. */
export interface Encoding {
  ids: number[];
  /** Token k covers text[starts[k], ends[k]); bytes of one non-ASCII char share its span. */
  starts: number[];
  ends: number[];
}

export class Tokenizer {
  readonly vocabSize: number;
  private readonly ranks = new Map<number, number>(); // pair -> merged id
  private readonly bytesOf: Uint8Array[] = [];
  private cache = new Map<string, Int32Array>();
  private static readonly CACHE_LIMIT = 200_000;

  constructor(
    readonly merges: ReadonlyArray<readonly [number, number]>,
    readonly pretokenizer: PretokenizerOptions,
  ) {
    for (let id = 0; id < BYTE_OFFSET; id++) this.bytesOf.push(new Uint8Array(0));
    for (let b = 0; b < 256; b++) this.bytesOf.push(Uint8Array.of(b));
    merges.forEach(([a, b], k) => {
      const id = FIRST_MERGE_ID + k;
      if (a >= id || b >= id || a < BYTE_OFFSET || b < BYTE_OFFSET) {
        throw new Error(`merge ${k} (${a}, ${b}) refers to an id that is not a byte or an earlier merge`);
      }
      if (this.ranks.has(pairKey(a, b))) throw new Error(`merge ${k} (${a}, ${b}) is a duplicate`);
      this.ranks.set(pairKey(a, b), id);
      const x = this.bytesOf[a];
      const y = this.bytesOf[b];
      const z = new Uint8Array(x.length + y.length);
      z.set(x, 0);
      z.set(y, x.length);
      this.bytesOf.push(z);
    });
    this.vocabSize = FIRST_MERGE_ID + merges.length;
    if (this.vocabSize > 65536) throw new Error(`vocabulary of ${this.vocabSize} does not fit uint16 shards`);
  }

  /** Token ids for any string; no special tokens are added or recognised in the text. */
  encode(text: string): number[] {
    const out: number[] = [];
    const bounds = pretokenizeBounds(text, this.pretokenizer);
    for (let k = 0; k + 1 < bounds.length; k++) {
      const piece = this.encodePiece(text.slice(bounds[k], bounds[k + 1]));
      for (let t = 0; t < piece.length; t++) out.push(piece[t]);
    }
    return out;
  }

  /** Token ids with the UTF-16 span of each token (for TTC labels). */
  encodeWithSpans(text: string): Encoding {
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const bounds = pretokenizeBounds(text, this.pretokenizer);
    for (let k = 0; k + 1 < bounds.length; k++) {
      const s = bounds[k];
      const e = bounds[k + 1];
      const piece = text.slice(s, e);
      const toks = this.encodePiece(piece);
      const ascii = piece.charCodeAt(0) < 128; // pieces are all-ASCII or one non-ASCII code point
      let pos = s;
      for (let t = 0; t < toks.length; t++) {
        ids.push(toks[t]);
        if (ascii) {
          const len = this.bytesOf[toks[t]].length;
          starts.push(pos);
          ends.push(pos + len);
          pos += len;
        } else {
          starts.push(s);
          ends.push(e);
        }
      }
    }
    return { ids, starts, ends };
  }

  /** BPE over one pretoken (cached). */
  encodePiece(piece: string): Int32Array {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    const bytes = utf8Bytes(piece);
    let sym = bytes.map((b) => b + BYTE_OFFSET);
    while (sym.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < sym.length; i++) {
        const id = this.ranks.get(pairKey(sym[i], sym[i + 1]));
        if (id !== undefined && id < best) best = id;
      }
      if (best === Infinity) break;
      const next: number[] = [];
      for (let i = 0; i < sym.length; i++) {
        if (i + 1 < sym.length && this.ranks.get(pairKey(sym[i], sym[i + 1])) === best) {
          next.push(best);
          i++;
        } else {
          next.push(sym[i]);
        }
      }
      sym = next;
    }
    const result = Int32Array.from(sym);
    if (this.cache.size >= Tokenizer.CACHE_LIMIT) this.cache = new Map();
    this.cache.set(piece, result);
    return result;
  }

  /** The bytes a token stands for (empty for special tokens). */
  tokenBytes(id: number): Uint8Array {
    const b = this.bytesOf[id];
    if (!b) throw new Error(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return b;
  }

  /**
   * Text for ids. Special tokens are dropped unless `specials` is "text", which writes them
   * as their names (e.g. "<truncated>"). Byte tokens that do not form valid UTF-8 become U+FFFD.
   */
  decode(ids: ArrayLike<number>, options: { specials?: "skip" | "text" } = {}): string {
    const keep = options.specials === "text";
    let out = "";
    let buf: number[] = [];
    const flush = () => {
      if (buf.length) out += utf8Decode(Uint8Array.from(buf));
      buf = [];
    };
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (id < BYTE_OFFSET) {
        if (id < 0) throw new Error(`token id ${id} is negative`);
        if (keep) {
          flush();
          out += SPECIAL_TOKENS[id];
        }
        continue;
      }
      const b = this.tokenBytes(id);
      for (let i = 0; i < b.length; i++) buf.push(b[i]);
    }
    flush();
    return out;
  }

  /** Display form of a token: its text when valid UTF-8, else <0xNN> per byte. */
  tokenText(id: number): string {
    if (id < BYTE_OFFSET) return SPECIAL_TOKENS[id];
    const b = this.tokenBytes(id);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      return Array.from(b, (x) => `<0x${x.toString(16).toUpperCase().padStart(2, "0")}>`).join("");
    }
  }
}

/** True when the token's text is whitespace only (TTC label 255). */
export function isWhitespaceSpan(text: string, start: number, end: number): boolean {
  return isWhitespacePiece(text.slice(start, end));
}

// ---------------------------------------------------------------------------------------
// Training

/** Counts pretokens of `text` into `counts`. */
export function countPretokens(text: string, options: PretokenizerOptions, counts: Map<string, number>): void {
  const bounds = pretokenizeBounds(text, options);
  for (let k = 0; k + 1 < bounds.length; k++) {
    const piece = text.slice(bounds[k], bounds[k + 1]);
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  }
}

/** Max-heap of (count, pair) ordered by count, then by smaller pair key (deterministic ties). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size() {
    return this.counts.length;
  }
  private above(i: number, j: number): boolean {
    const a = this.counts[i];
    const b = this.counts[j];
    return a > b || (a === b && this.keys[i] < this.keys[j]);
  }
  private swap(i: number, j: number) {
    const c = this.counts[i];
    this.counts[i] = this.counts[j];
    this.counts[j] = c;
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
  }
  push(count: number, key: number) {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] | undefined {
    const n = this.counts.length;
    if (n === 0) return undefined;
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastC = this.counts.pop()!;
    const lastK = this.keys.pop()!;
    if (n > 1) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      const m = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < m && this.above(l, best)) best = l;
        if (r < m && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

export interface TrainStats {
  merges: number;
  distinctPretokens: number;
  pretokenOccurrences: number;
  seconds: number;
  stoppedEarly: boolean;
}

/**
 * Learns `numMerges` merges from pretoken counts with incremental pair counts: each merge
 * rewrites only the words that contain its pair and adjusts the counts of their pairs.
 * Ties in pair frequency go to the smaller (left id, right id), so training is deterministic.
 * Stops early when no pair occurs at least `minCount` times.
 */
export function trainBpe(
  counts: Map<string, number>,
  numMerges: number,
  options: { minCount?: number; onProgress?: (done: number, count: number) => void } = {},
): { merges: [number, number][]; stats: TrainStats } {
  const t0 = performance.now();
  const minCount = options.minCount ?? 2;
  // Deterministic word order regardless of Map insertion order.
  const pieces = [...counts.keys()].sort();
  const words: Int32Array[] = [];
  const lens: number[] = [];
  const freqs: number[] = [];
  let occurrences = 0;
  for (const p of pieces) {
    const f = counts.get(p)!;
    occurrences += f;
    const bytes = utf8Bytes(p);
    if (bytes.length < 2) continue;
    words.push(Int32Array.from(bytes, (b) => b + BYTE_OFFSET));
    lens.push(bytes.length);
    freqs.push(f);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addWhere = (key: number, w: number) => {
    const list = where.get(key);
    if (list) {
      if (list[list.length - 1] !== w) list.push(w);
    } else where.set(key, [w]);
  };
  for (let w = 0; w < words.length; w++) {
    const s = words[w];
    const f = freqs[w];
    for (let i = 0; i + 1 < lens[w]; i++) {
      const key = pairKey(s[i], s[i + 1]);
      pairCount.set(key, (pairCount.get(key) ?? 0) + f);
      addWhere(key, w);
    }
  }
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  const merges: [number, number][] = [];
  const seen = new Int32Array(words.length).fill(-1);
  let stoppedEarly = false;
  while (merges.length < numMerges) {
    const top = heap.pop();
    if (!top) {
      stoppedEarly = true;
      break;
    }
    const [c, key] = top;
    const current = pairCount.get(key) ?? 0;
    if (current !== c) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (c < minCount) {
      stoppedEarly = true;
      break;
    }
    const a = Math.floor(key / 65536);
    const b = key % 65536;
    const z = FIRST_MERGE_ID + merges.length;
    merges.push([a, b]);
    const touched = new Set<number>();
    const list = where.get(key) ?? [];
    where.delete(key);
    const stamp = merges.length;
    for (const w of list) {
      if (seen[w] === stamp) continue;
      seen[w] = stamp;
      const s = words[w];
      const n = lens[w];
      let has = false;
      for (let i = 0; i + 1 < n; i++) {
        if (s[i] === a && s[i + 1] === b) {
          has = true;
          break;
        }
      }
      if (!has) continue;
      const f = freqs[w];
      for (let i = 0; i + 1 < n; i++) {
        const k = pairKey(s[i], s[i + 1]);
        pairCount.set(k, pairCount.get(k)! - f);
      }
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && s[i] === a && s[i + 1] === b) {
          s[m++] = z;
          i++;
        } else s[m++] = s[i];
      }
      lens[w] = m;
      for (let i = 0; i + 1 < m; i++) {
        const k = pairKey(s[i], s[i + 1]);
        pairCount.set(k, (pairCount.get(k) ?? 0) + f);
        if (s[i] === z || s[i + 1] === z) {
          addWhere(k, w);
          touched.add(k);
        }
      }
    }
    pairCount.delete(key);
    for (const k of touched) {
      const v = pairCount.get(k)!;
      if (v > 0) heap.push(v, k);
    }
    options.onProgress?.(merges.length, c);
  }
  return {
    merges,
    stats: {
      merges: merges.length,
      distinctPretokens: counts.size,
      pretokenOccurrences: occurrences,
      seconds: (performance.now() - t0) / 1000,
      stoppedEarly,
    },
  };
}
