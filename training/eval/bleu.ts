/**
 * BLEU as the benchmarks we report against define it.
 *
 * - `smoothedBleu4`: sentence-level BLEU-4 with add-one smoothing on 2..4-grams (Lin & Och 2004),
 *   averaged over items, with the preprocessing of CodeXGLUE's code-to-text evaluator: lower-case,
 *   split words from punctuation, then NIST mteval-style tokenization. Brevity penalty
 *   min(0, 1 - (r+1)/(c+1)) in log space.
 * - `corpusBleu4`: plain corpus-level BLEU-4 (Papineni et al. 2002) over whitespace tokens, used by
 *   CodeXGLUE's refinement task.
 * Written from those definitions; tested on hand-computed cases.
 */
const ORDER = 4;
const TINY = Number.MIN_VALUE;

/** CodeXGLUE's pre-split: `\w+` runs and single non-space, non-word characters. */
export function splitPunctuation(line: string): string {
  return (line.trim().toLowerCase().match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? []).join(" ");
}

/** NIST mteval-v11a normalization and tokenization (case folded). */
export function nistTokens(text: string): string[] {
  let s = text.replace(/<skipped>/g, "").replace(/-\n/g, "").replace(/\n/g, " ");
  s = s.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  s = ` ${s} `.toLowerCase();
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, " $1 ");
  s = s.replace(/([^0-9])([.,])/g, "$1 $2 ");
  s = s.replace(/([.,])([^0-9])/g, " $1 $2");
  s = s.replace(/([0-9])(-)/g, "$1 $2 ");
  return s.split(/\s+/).filter(Boolean);
}

function ngramCounts(words: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      const gram = words.slice(i, i + k).join("\u0001");
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
  }
  return counts;
}

interface Stats {
  testLength: number;
  refLength: number;
  guess: number[];
  correct: number[];
}

function sentenceStats(reference: string[], hypothesis: string[]): Stats {
  const refCounts = ngramCounts(reference, ORDER);
  const correct = new Array<number>(ORDER).fill(0);
  for (const [gram, count] of ngramCounts(hypothesis, ORDER)) {
    const order = gram.split("\u0001").length;
    correct[order - 1] += Math.min(refCounts.get(gram) ?? 0, count);
  }
  const guess = Array.from({ length: ORDER }, (_, k) => Math.max(hypothesis.length - k, 0));
  return { testLength: hypothesis.length, refLength: reference.length, guess, correct };
}

/** Smoothed sentence BLEU-4 in [0, 100] for one pair, CodeXGLUE semantics. */
export function smoothedBleu4(reference: string, hypothesis: string): number {
  const stats = sentenceStats(nistTokens(splitPunctuation(reference)), nistTokens(splitPunctuation(hypothesis)));
  let logBleu = 0;
  for (let k = 0; k < ORDER; k++) {
    const smooth = k > 0 ? 1 : 0;
    logBleu += Math.log(stats.correct[k] + smooth + TINY) - Math.log(stats.guess[k] + smooth + TINY);
  }
  logBleu /= ORDER;
  const brevity = Math.min(0, 1 - (stats.refLength + 1) / (stats.testLength + 1));
  return Math.exp(logBleu + brevity) * 100;
}

/** Corpus BLEU-4 in [0, 100] over whitespace tokens, no smoothing. */
export function corpusBleu4(references: string[], hypotheses: string[]): number {
  const total = { testLength: 0, refLength: 0, guess: new Array(ORDER).fill(0), correct: new Array(ORDER).fill(0) };
  references.forEach((reference, i) => {
    const stats = sentenceStats(reference.split(/\s+/).filter(Boolean), hypotheses[i].split(/\s+/).filter(Boolean));
    total.testLength += stats.testLength;
    total.refLength += stats.refLength;
    for (let k = 0; k < ORDER; k++) {
      total.guess[k] += stats.guess[k];
      total.correct[k] += stats.correct[k];
    }
  });
  if (total.correct.some((c) => c === 0)) return 0;
  const logPrecision = total.correct.reduce((sum, c, k) => sum + Math.log(c / total.guess[k]), 0) / ORDER;
  const ratio = total.testLength / Math.max(total.refLength, 1);
  const brevity = ratio >= 1 ? 0 : 1 - 1 / Math.max(ratio, TINY);
  return Math.exp(logPrecision + brevity) * 100;
}

/** Exact match on whitespace-separated tokens (layout ignored). */
export function exactMatch(reference: string, hypothesis: string): boolean {
  const norm = (s: string) => s.split(/\s+/).filter(Boolean).join(" ");
  return norm(reference) === norm(hypothesis);
}
