import { LABELS, type Label } from "../labeler/labels";
import type { LanguageId } from "../parsing/languages";
import { languageTagId } from "../../../training/tokenizer/bpe";
import type { CodeModel } from "./codeModel";

/**
 * Model-predicted token types (the NER adapters' TTC head) for a window of a document.
 * The input is built as in training (ttc shards): language tag, then the window's tokens,
 * no task token; at most the model's source length. Whitespace-only tokens get no type.
 */
export interface PredictedToken {
  start: number; // UTF-16 offset in the document
  end: number;
  label: Label;
  confidence: number;
}

export interface TokenTypeWindow {
  tokens: PredictedToken[];
  /** The window was longer than the model reads; tokens past `coveredEnd` have no prediction. */
  coveredEnd: number;
}

export async function predictTokenTypes(
  model: CodeModel,
  language: LanguageId,
  text: string,
  windowStart = 0,
  windowEnd = text.length,
): Promise<TokenTypeWindow> {
  const ner = model.adapters.ner;
  if (!ner) throw new Error("the installed model has no NER adapter: model-predicted token types are unavailable");
  const slice = text.slice(windowStart, windowEnd);
  const encoding = model.tokenizer.encodeWithSpans(slice);
  const limit = model.seq2seq.contract.max_src - 1;
  const count = Math.min(encoding.ids.length, limit);
  if (count === 0) return { tokens: [], coveredEnd: windowEnd };
  const ids = [languageTagId(language), ...encoding.ids.slice(0, count)];
  const ttcLogits = await model.seq2seq.tokenTypeLogits(ids, { ner });
  const logits = ttcLogits.data as Float32Array;
  const classes = ttcLogits.dims[2];
  const tokens: PredictedToken[] = [];
  for (let k = 0; k < count; k++) {
    const start = encoding.starts[k];
    const end = encoding.ends[k];
    if (!/\S/.test(slice.slice(start, end))) continue;
    const row = logits.subarray((k + 1) * classes, (k + 2) * classes);
    const [best, confidence] = softmaxArgmax(row);
    tokens.push({ start: windowStart + start, end: windowStart + end, label: LABELS[best], confidence });
  }
  return { tokens, coveredEnd: windowStart + encoding.ends[count - 1] };
}

function softmaxArgmax(row: Float32Array): [number, number] {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - row[best]);
  return [best, 1 / sum];
}

/** The prediction covering a document offset, if any. */
export function predictionAt(window: TokenTypeWindow, offset: number): PredictedToken | undefined {
  let lo = 0;
  let hi = window.tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const token = window.tokens[mid];
    if (offset < token.start) hi = mid - 1;
    else if (offset >= token.end) lo = mid + 1;
    else return token;
  }
  return undefined;
}
