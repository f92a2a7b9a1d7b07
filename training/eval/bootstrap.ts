import { rngFor } from "../corpus/util";

/** Percentile bootstrap confidence intervals over test items, with a seeded generator. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
  n: number;
}

/** The corpus pipeline's seeded generator, so both sides draw from one implementation. */
export function seededRandom(seed: number): () => number {
  return rngFor(`bootstrap:${seed}`);
}

/**
 * 95% interval of `statistic` over items resampled with replacement.
 * `statistic` receives the resampled indices, so corpus-level metrics (corpus BLEU) work too.
 */
export function bootstrap(
  n: number,
  statistic: (indices: number[]) => number,
  { resamples = 1000, seed = 13, level = 0.95 } = {},
): Estimate {
  const all = Array.from({ length: n }, (_, i) => i);
  const value = n ? statistic(all) : NaN;
  if (n === 0) return { value, low: NaN, high: NaN, n };
  const random = seededRandom(seed);
  const samples: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const indices = Array.from({ length: n }, () => Math.floor(random() * n));
    samples.push(statistic(indices));
  }
  samples.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.max(0, Math.round(q * (samples.length - 1))))];
  return { value, low: at(tail), high: at(1 - tail), n };
}

/** Bootstrap of the mean of per-item scores. */
export function bootstrapMean(scores: number[], options?: Parameters<typeof bootstrap>[2]): Estimate {
  return bootstrap(scores.length, (idx) => idx.reduce((sum, i) => sum + scores[i], 0) / idx.length, options);
}

export function formatEstimate(estimate: Estimate, digits = 2): string {
  if (!Number.isFinite(estimate.value)) return "n/a";
  return `${estimate.value.toFixed(digits)} [${estimate.low.toFixed(digits)}, ${estimate.high.toFixed(digits)}]`;
}
