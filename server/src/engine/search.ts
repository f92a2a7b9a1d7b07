import { BOS, EOS } from "../../../training/tokenizer/bpe";
import { selectBatchRows } from "./kvCache";
import type * as Ort from "onnxruntime-node";
import type { NearestSearch } from "./memorySearch";

/**
 * Greedy and beam search over a decoder step function, in TypeScript. Cancellation is checked
 * between steps; repetition is controlled by forbidding repeated n-grams and an optional
 * penalty on tokens already produced.
 */
export interface SearchOptions {
  maxTokens: number;
  beams?: number;
  /** Forbid any n-gram of this size from appearing twice (0 = off). */
  noRepeatNgram?: number;
  /** Divide positive logits (multiply negative ones) of already-produced tokens by this. */
  repetitionPenalty?: number;
  /** Beam scores are divided by length^lengthPenalty. */
  lengthPenalty?: number;
  /** Tokens that may never be produced (special tokens such as sentinels). */
  banned?: number[];
  isCancelled?: () => boolean;
  /** Called after each decoding step with the number of steps taken so far. */
  onStep?: (steps: number) => void;
  /** Mixes a workspace memory's next-token distribution into each row (needs the decoder's hidden states). */
  memory?: LogitMemory;
  /** The memory's nearest-neighbour kernel (the model's search graph); default: the memory's own loop. */
  memorySearch?: NearestSearch;
}

/** Rewrites one row of logits in place, given the decoder's final state for that row. */
export interface LogitMemory {
  mix(row: Float32Array, hidden: Float32Array, search?: NearestSearch): Promise<void>;
}

export class CancelledError extends Error {
  constructor() {
    super("request cancelled");
  }
}

/** A decoder call's result; `hidden` ([rows, T, d]) only from exports whose contract says `decoder_hidden`. */
export interface DecoderOutput {
  logits: Float32Array;
  cache: unknown;
  hidden?: Float32Array;
}

export type StepFunction = (tokens: number[], cache: unknown) => Promise<DecoderOutput>;
/**
 * T tokens per row at once after the cache (every row the same length): logits [rows, T, V] and
 * the cache grown by T. Position t sees the cache and the row's tokens up to t (causal).
 */
export type BlockFunction = (tokens: number[][], cache: unknown) => Promise<DecoderOutput>;

export function checkCancelled(options: Pick<SearchOptions, "isCancelled">): void {
  if (options.isCancelled?.()) throw new CancelledError();
}

/** Adjusts one row of logits in place for the history produced so far. */
export function constrain(row: Float32Array, history: number[], options: SearchOptions): void {
  for (const id of options.banned ?? []) row[id] = -Infinity;
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    for (const id of new Set(history)) row[id] = row[id] > 0 ? row[id] / penalty : row[id] * penalty;
  }
  const n = options.noRepeatNgram ?? 0;
  if (n > 0 && history.length >= n - 1) {
    const prefix = history.slice(history.length - (n - 1)).join(",");
    for (let i = 0; i + n <= history.length; i++) {
      if (history.slice(i, i + n - 1).join(",") === prefix) row[history[i + n - 1]] = -Infinity;
    }
  }
}

/** Row `r` of a step's logits with the memory (if any) mixed in; the row is a view, changed in place. */
async function memoryRow(result: DecoderOutput, r: number, rows: number, options: SearchOptions): Promise<Float32Array> {
  const vocab = result.logits.length / rows;
  const row = result.logits.subarray(r * vocab, (r + 1) * vocab);
  if (options.memory) {
    if (!result.hidden) throw new Error("the workspace memory needs a model whose decoder returns its hidden states: re-export it");
    const d = result.hidden.length / rows;
    await options.memory.mix(row, result.hidden.subarray(r * d, (r + 1) * d), options.memorySearch);
  }
  return row;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export async function searchGreedy(step: StepFunction, options: SearchOptions): Promise<number[]> {
  const out: number[] = [];
  let token = BOS;
  let cache: unknown;
  for (let t = 0; t < options.maxTokens; t++) {
    checkCancelled(options);
    const result = await step([token], cache);
    cache = result.cache;
    const row = await memoryRow(result, 0, 1, options);
    constrain(row, out, options);
    token = argmax(row);
    if (token === EOS) break;
    out.push(token);
    options.onStep?.(t + 1);
  }
  return out;
}

function logSoftmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const log = Math.log(sum) + max;
  return row.map((x) => x - log);
}

interface Hypothesis {
  tokens: number[];
  score: number;
}

export async function searchBeam(step: StepFunction, options: SearchOptions): Promise<number[]> {
  const width = options.beams ?? 4;
  const alpha = options.lengthPenalty ?? 1;
  const normalized = (h: Hypothesis) => h.score / Math.pow(Math.max(h.tokens.length, 1), alpha);
  let live: Hypothesis[] = [{ tokens: [], score: 0 }];
  const finished: Hypothesis[] = [];
  let cache: unknown;
  for (let t = 0; t < options.maxTokens && live.length > 0; t++) {
    checkCancelled(options);
    const last = live.map((h) => (h.tokens.length ? h.tokens[h.tokens.length - 1] : BOS));
    const result = await step(last, cache);
    const vocab = result.logits.length / live.length;
    const candidates: { from: number; token: number; score: number }[] = [];
    for (const [b, h] of live.entries()) {
      const row = (await memoryRow(result, b, live.length, options)).slice();
      constrain(row, h.tokens, options);
      const logp = logSoftmax(row);
      for (const token of topK(logp, width * 2)) candidates.push({ from: b, token, score: h.score + logp[token] });
    }
    candidates.sort((a, b) => b.score - a.score);
    const next: Hypothesis[] = [];
    const rows: number[] = [];
    for (const c of candidates) {
      if (!Number.isFinite(c.score)) continue;
      const tokens = c.token === EOS ? live[c.from].tokens : [...live[c.from].tokens, c.token];
      if (c.token === EOS) finished.push({ tokens, score: c.score });
      else if (next.length < width) {
        next.push({ tokens, score: c.score });
        rows.push(c.from);
      }
      if (next.length >= width && finished.length >= width) break;
    }
    const bestFinished = Math.max(...finished.map(normalized), -Infinity);
    const bestLive = Math.max(...next.map(normalized), -Infinity);
    live = bestFinished >= bestLive && finished.length >= width ? [] : next;
    cache = live.length ? selectBatchRows(result.cache as Ort.Tensor, rows) : undefined;
    options.onStep?.(t + 1);
  }
  const pool = finished.length ? finished : live;
  pool.sort((a, b) => normalized(b) - normalized(a));
  return pool[0]?.tokens ?? [];
}

function topK(row: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (best.length < k) {
      best.push(i);
      if (best.length === k) best.sort((a, b) => row[b] - row[a]);
    } else if (row[i] > row[best[k - 1]]) {
      let j = k - 1;
      while (j > 0 && row[best[j - 1]] < row[i]) j--;
      best.splice(j, 0, i);
      best.pop();
    }
  }
  return best.length < k ? best.sort((a, b) => row[b] - row[a]) : best;
}
