import type * as Ort from "onnxruntime-node";
import { BOS } from "../../../training/tokenizer/bpe";
import { selectBatchRows } from "./kvCache";
import { checkCancelled, type StepFunction } from "./search";

/**
 * Teacher-forced log-likelihood of several target sequences (each ending in </s>) under one
 * source, through the decoder-step function. The targets of a repair ranking differ from each
 * other in one place, so their shared prefix is decoded once in a single row and only the rest
 * runs as a batch, `batch` rows at a time.
 */
export interface ScoreOptions {
  batch?: number;
  isCancelled?: () => boolean;
  /** Called after each decoding step with the steps taken so far. */
  onStep?: (steps: number) => void;
}

export function sharedPrefixLength(targets: number[][]): number {
  const shortest = Math.min(...targets.map((t) => t.length));
  let n = 0;
  while (n < shortest - 1 && targets.every((t) => t[n] === targets[0][n])) n++;
  return n;
}

/** log softmax(logits row `row` of width `vocab`)[token]. */
export function logProb(logits: Float32Array, row: number, vocab: number, token: number): number {
  let max = -Infinity;
  for (let i = row * vocab; i < (row + 1) * vocab; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = row * vocab; i < (row + 1) * vocab; i++) sum += Math.exp(logits[i] - max);
  return logits[row * vocab + token] - max - Math.log(sum);
}

export async function scoreTargets(step: StepFunction, targets: number[][], options: ScoreOptions = {}): Promise<number[]> {
  if (targets.length === 0) return [];
  if (targets.some((t) => t.length === 0)) throw new Error("cannot score an empty target");
  let steps = 0;
  const prefix = sharedPrefixLength(targets);
  // Steps 0..prefix in one row: inputs BOS, t0..t(prefix-1) are shared; the last of these
  // steps predicts each target's first differing token.
  let shared = 0;
  let cache: unknown;
  let logits: Float32Array = new Float32Array(0);
  for (let t = 0; t <= prefix; t++) {
    checkCancelled(options);
    const result = await step([t === 0 ? BOS : targets[0][t - 1]], cache);
    cache = result.cache;
    logits = result.logits;
    if (t < prefix) shared += logProb(logits, 0, logits.length, targets[0][t]);
    options.onStep?.(++steps);
  }
  const vocab = logits.length;
  const scores = targets.map((target) => shared + logProb(logits, 0, vocab, target[prefix]));
  const width = Math.max(1, options.batch ?? 16);
  for (let from = 0; from < targets.length; from += width) {
    const rows = targets.slice(from, from + width);
    const longest = Math.max(...rows.map((r) => r.length));
    let rowCache: unknown = selectBatchRows(cache as Ort.Tensor, rows.map(() => 0));
    for (let t = prefix + 1; t < longest; t++) {
      checkCancelled(options);
      // Rows already past their </s> are fed it again; their logits are ignored.
      const inputs = rows.map((r) => r[Math.min(t - 1, r.length - 1)]);
      const result = await step(inputs, rowCache);
      rowCache = result.cache;
      rows.forEach((r, i) => {
        if (t < r.length) scores[from + i] += logProb(result.logits, i, vocab, r[t]);
      });
      options.onStep?.(++steps);
    }
  }
  return scores;
}
