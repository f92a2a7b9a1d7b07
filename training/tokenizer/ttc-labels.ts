/**
 * TTC labels per token: each token takes the label of the leaf holding its first
 * non-whitespace char; whitespace-only tokens and chars outside every leaf get NO_LABEL.
 */
import type { Encoding } from "./bpe";
import { coreSpan } from "./leaves";

export const NO_LABEL = 255;

export interface LabelResult {
  labels: Uint8Array;
  /** Tokens whose non-whitespace part runs past the end of the leaf it starts in. */
  crossings: number;
  /** Non-whitespace tokens that start outside every leaf. */
  unlabeled: number;
}

/** `leaves`: [start, end, labelId] over UTF-16 offsets of `text`, non-overlapping. */
export function tokenLabels(text: string, enc: Encoding, leaves: ReadonlyArray<readonly [number, number, number]>): LabelResult {
  const sorted = [...leaves].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [s, e, l] of sorted) {
    if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e >= s && e <= text.length)) {
      throw new Error(`leaf [${s}, ${e}) is outside the text (length ${text.length})`);
    }
    if (!(Number.isInteger(l) && l >= 0 && l < NO_LABEL)) throw new Error(`leaf label ${l} is not in 0..254`);
  }
  const labels = new Uint8Array(enc.ids.length).fill(NO_LABEL);
  let crossings = 0;
  let unlabeled = 0;
  let j = 0;
  for (let k = 0; k < enc.ids.length; k++) {
    const core = coreSpan(text, enc.starts[k], enc.ends[k]);
    if (!core) continue;
    const p = core[0];
    while (j < sorted.length && sorted[j][1] <= p) j++;
    if (j < sorted.length && sorted[j][0] <= p) {
      labels[k] = sorted[j][2];
      if (core[1] > sorted[j][1]) crossings++;
    } else {
      unlabeled++;
    }
  }
  return { labels, crossings, unlabeled };
}
