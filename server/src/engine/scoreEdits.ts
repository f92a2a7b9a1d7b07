import type * as Ort from "onnxruntime-node";
import { BOS } from "../../../training/tokenizer/bpe";
import { prefixCache } from "./kvCache";
import { logProb } from "./scoreTargets";
import { checkCancelled, type StepFunction } from "./search";

/**
 * Log-likelihoods of edited versions of one target (each ending in </s>), computed relative to
 * the unedited target. The unedited target is decoded once, keeping its cache; an edit shares
 * everything before its first changed token, so each edited version starts from a prefix of
 * that cache and decodes only its changed tokens plus `window` tokens after them. Tokens further
 * on are the same text as the original's and are taken to score alike: this is what makes
 * ranking many candidate repairs affordable. With window = Infinity the scores are exact.
 */
export interface EditScoreOptions {
  window?: number;
  batch?: number;
  isCancelled?: () => boolean;
  onStep?: (steps: number) => void;
}

/** Tokens shared at the start and at the end of two sequences (never overlapping). */
export function sharedEnds(a: number[], b: number[]): { head: number; tail: number } {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { head, tail };
}

const sum = (xs: number[], from: number, to: number) => xs.slice(from, to).reduce((s, x) => s + x, 0);

/** Per-token log-probabilities of `target` and the cache after its last input token. */
async function decodeOnce(step: StepFunction, target: number[], check: () => void, count: () => void): Promise<{ logp: number[]; cache: Ort.Tensor }> {
  const logp: number[] = [];
  let cache: unknown;
  for (let t = 0; t < target.length; t++) {
    check();
    const out = await step([t === 0 ? BOS : target[t - 1]], cache);
    cache = out.cache;
    logp.push(logProb(out.logits, 0, out.logits.length, target[t]));
    count();
  }
  return { logp, cache: cache as Ort.Tensor };
}

export async function scoreEdits(
  step: StepFunction, original: number[], edited: number[][], options: EditScoreOptions = {},
): Promise<{ original: number; edited: number[] }> {
  if (original.length === 0 || edited.some((t) => t.length === 0)) throw new Error("cannot score an empty target");
  const check = () => checkCancelled(options);
  let steps = 0;
  const count = () => options.onStep?.(++steps);
  const base = await decodeOnce(step, original, check, count);
  const total = sum(base.logp, 0, base.logp.length);
  const window = options.window ?? 16;
  // Each edit: decode target[head .. end) from the original's cache at `head`.
  const jobs = edited.map((target, index) => {
    const { head, tail } = sharedEnds(original, target);
    const start = Math.min(head, target.length - 1, original.length - 1);
    const end = Math.min(target.length, target.length - tail + window);
    const originalEnd = Math.min(original.length, original.length - tail + window);
    return { index, target, start, end, originalPart: sum(base.logp, start, originalEnd) };
  });
  const scores = new Array<number>(edited.length).fill(total);
  const byStart = new Map<number, typeof jobs>();
  for (const job of jobs) byStart.set(job.start, [...(byStart.get(job.start) ?? []), job]);
  const width = Math.max(1, options.batch ?? 16);
  for (const [start, group] of byStart) {
    for (let from = 0; from < group.length; from += width) {
      const rows = group.slice(from, from + width);
      let cache: unknown = start > 0 ? prefixCache(base.cache, start, rows.length) : undefined;
      const parts = rows.map(() => 0);
      const longest = Math.max(...rows.map((r) => r.end));
      for (let t = start; t < longest; t++) {
        check();
        const inputs = rows.map((r) => (t === 0 ? BOS : r.target[Math.min(t, r.target.length) - 1]));
        const out = await step(inputs, cache);
        cache = out.cache;
        const vocab = out.logits.length / rows.length;
        rows.forEach((r, i) => {
          if (t < r.end) parts[i] += logProb(out.logits, i, vocab, r.target[t]);
        });
        count();
      }
      rows.forEach((r, i) => (scores[r.index] = total - r.originalPart + parts[i]));
    }
  }
  return { original: total, edited: scores };
}
