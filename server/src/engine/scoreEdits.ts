import type * as Ort from "onnxruntime-node";
import { BOS } from "../../../training/tokenizer/bpe";
import { prefixCache } from "./kvCache";
import { logProb } from "./scoreTargets";
import type { NearestSearch } from "./memorySearch";
import { checkCancelled, type BlockFunction, type DecoderOutput, type LogitMemory } from "./search";

/**
 * Log-likelihoods of edited versions of one target (each ending in </s>), computed relative to
 * the unedited target. The unedited target is decoded once, keeping its cache; an edit shares
 * everything before its first changed token, so each edited version starts from a prefix of
 * that cache and decodes only its changed tokens plus `window` tokens after them. Tokens further
 * on are the same text as the original's and are taken to score alike: this is what makes
 * ranking many candidate repairs affordable. With window = Infinity the scores are exact.
 * Each decode is one call of a block decoder (several tokens per row); `onStep` counts the
 * positions decoded per row. With a workspace memory, every scored position's distribution is
 * the memory's mixture (as in decoding), so candidates are ranked by the mixed likelihood.
 */
export interface EditScoreOptions {
  window?: number;
  batch?: number;
  isCancelled?: () => boolean;
  onStep?: (steps: number) => void;
  memory?: LogitMemory;
  memorySearch?: NearestSearch;
}

type Scorer = (out: DecoderOutput, position: number, vocab: number, token: number) => Promise<number>;

/** log p(token) at one position of a block's output, with the memory mixed in when there is one. */
function scorer(options: EditScoreOptions): Scorer {
  const { memory, memorySearch } = options;
  if (!memory) return async (out, position, vocab, token) => logProb(out.logits, position, vocab, token);
  return async (out, position, vocab, token) => {
    if (!out.hidden) throw new Error("the workspace memory needs a model whose decoder returns its hidden states: re-export it");
    const d = out.hidden.length / (out.logits.length / vocab);
    const row = out.logits.subarray(position * vocab, (position + 1) * vocab); // each position is scored once: mixed in place
    await memory.mix(row, out.hidden.subarray(position * d, (position + 1) * d), memorySearch);
    return logProb(row, 0, vocab, token);
  };
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

/** Per-token log-probabilities of `target` (one decoder call) and the cache after its last input token. */
async function decodeOnce(block: BlockFunction, target: number[], score: Scorer): Promise<{ logp: number[]; cache: Ort.Tensor }> {
  const out = await block([[BOS, ...target.slice(0, -1)]], undefined);
  const vocab = out.logits.length / target.length;
  const logp: number[] = [];
  for (const [t, token] of target.entries()) logp.push(await score(out, t, vocab, token));
  return { logp, cache: out.cache as Ort.Tensor };
}

interface EditJob {
  index: number;
  target: number[];
  /** Decode target[start .. end); the original's own tokens there score `originalPart`. */
  start: number;
  end: number;
  originalPart: number;
}

/**
 * Log-likelihood of each job's target[start .. end), all sharing one start, in one decoder call;
 * `width` is the positions decoded per row.
 */
async function decodeFrom(block: BlockFunction, base: Ort.Tensor, start: number, rows: EditJob[], score: Scorer): Promise<{ parts: number[]; width: number }> {
  const width = Math.max(...rows.map((r) => r.end)) - start;
  // Causal: a row padded past its end (with its last token) never changes what came before.
  const inputs = rows.map((r) => Array.from({ length: width }, (_, i) => {
    const t = start + i;
    return t === 0 ? BOS : r.target[Math.min(t, r.target.length) - 1];
  }));
  const cache = start > 0 ? prefixCache(base, start, rows.length) : undefined;
  const out = await block(inputs, cache);
  const vocab = out.logits.length / (rows.length * width);
  const parts: number[] = [];
  for (const [i, r] of rows.entries()) {
    let part = 0;
    for (let t = start; t < r.end; t++) part += await score(out, i * width + (t - start), vocab, r.target[t]);
    parts.push(part);
  }
  return { parts, width };
}

export async function scoreEdits(
  block: BlockFunction, original: number[], edited: number[][], options: EditScoreOptions = {},
): Promise<{ original: number; edited: number[] }> {
  if (original.length === 0 || edited.some((t) => t.length === 0)) throw new Error("cannot score an empty target");
  let steps = 0;
  const decoded = (positions: number) => options.onStep?.((steps += positions));
  checkCancelled(options);
  const score = scorer(options);
  const base = await decodeOnce(block, original, score);
  decoded(original.length);
  const total = sum(base.logp, 0, base.logp.length);
  const window = options.window ?? 16;
  // Each edit: decode target[head .. end) from the original's cache at `head`.
  const jobs: EditJob[] = edited.map((target, index) => {
    const { head, tail } = sharedEnds(original, target);
    const start = Math.min(head, target.length - 1, original.length - 1);
    const end = Math.min(target.length, target.length - tail + window);
    const originalEnd = Math.min(original.length, original.length - tail + window);
    return { index, target, start, end, originalPart: sum(base.logp, start, originalEnd) };
  });
  const scores = new Array<number>(edited.length).fill(total);
  const byStart = new Map<number, EditJob[]>();
  for (const job of jobs) byStart.set(job.start, [...(byStart.get(job.start) ?? []), job]);
  const width = Math.max(1, options.batch ?? 16);
  for (const [start, group] of byStart) {
    for (let from = 0; from < group.length; from += width) {
      checkCancelled(options);
      const rows = group.slice(from, from + width);
      const { parts, width: positions } = await decodeFrom(block, base.cache, start, rows, score);
      rows.forEach((r, i) => (scores[r.index] = total - r.originalPart + parts[i]));
      decoded(positions);
    }
  }
  return { original: total, edited: scores };
}
