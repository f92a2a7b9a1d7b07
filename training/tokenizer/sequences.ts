/**
 * How corpus rows become token sequences (the encode step; the runtime builds its inputs the
 * same way through these functions).
 *   source  = <lang> code...            cut to maxLen with <truncated> as the last token
 *   target  = text... </s>              cut to maxLen as  text... <truncated> </s>
 *   ttc     = source ids + one label per token (255 for <lang>, <truncated>, whitespace)
 *   pretrain= <lang> code... chunks of at most maxLen tokens, cut after a line break when one
 *             lies in the second half of the window
 */
import { EOS, languageTagId, TRUNCATED, type Tokenizer } from "./bpe";
import { NO_LABEL, tokenLabels } from "./ttc-labels";

/**
 * Default source length: the model reads 512 tokens and training/data.py adds a task token and
 * </s> around each source sequence, so the encoded source keeps 510.
 */
export const DEFAULT_MAX_SOURCE = 510;
export const DEFAULT_MAX_TARGET = 512;

export interface Sequence {
  ids: number[];
  truncated: boolean;
}

export function sourceSequence(tok: Tokenizer, lang: string, code: string, maxLen = DEFAULT_MAX_SOURCE): Sequence {
  const ids = [languageTagId(lang), ...tok.encode(code)];
  if (ids.length <= maxLen) return { ids, truncated: false };
  ids.length = maxLen - 1;
  ids.push(TRUNCATED);
  return { ids, truncated: true };
}

export function targetSequence(tok: Tokenizer, text: string, maxLen = DEFAULT_MAX_TARGET): Sequence {
  const ids = tok.encode(text);
  if (ids.length + 1 <= maxLen) return { ids: [...ids, EOS], truncated: false };
  ids.length = maxLen - 2;
  ids.push(TRUNCATED, EOS);
  return { ids, truncated: true };
}

export interface TtcSequence extends Sequence {
  labels: Uint8Array;
  crossings: number;
  unlabeled: number;
}

export function ttcSequence(
  tok: Tokenizer,
  lang: string,
  code: string,
  leaves: ReadonlyArray<readonly [number, number, number]>,
  maxLen = DEFAULT_MAX_SOURCE,
): TtcSequence {
  const enc = tok.encodeWithSpans(code);
  const { labels, crossings, unlabeled } = tokenLabels(code, enc, leaves);
  const truncated = enc.ids.length + 1 > maxLen;
  const keep = truncated ? maxLen - 2 : enc.ids.length;
  const ids = [languageTagId(lang), ...enc.ids.slice(0, keep)];
  const lab = new Uint8Array(ids.length + (truncated ? 1 : 0)).fill(NO_LABEL);
  lab.set(labels.subarray(0, keep), 1);
  if (truncated) ids.push(TRUNCATED);
  return { ids, labels: lab, truncated, crossings, unlabeled };
}

/** Raw text cut into <lang>-prefixed chunks of at most maxLen tokens. */
export function pretrainChunks(tok: Tokenizer, lang: string, text: string, maxLen = 512, minTokens = 8): number[][] {
  const ids = tok.encode(text);
  const body = maxLen - 1;
  const tag = languageTagId(lang);
  const out: number[][] = [];
  let pos = 0;
  while (pos < ids.length) {
    let end = Math.min(ids.length, pos + body);
    if (end < ids.length) {
      // Prefer to cut right before a token that starts a new line.
      for (let k = end; k > pos + body / 2; k--) {
        const first = tok.tokenBytes(ids[k])[0];
        if (first === 10 || first === 13) {
          end = k;
          break;
        }
      }
    }
    if (end - pos >= minTokens) out.push([tag, ...ids.slice(pos, end)]);
    pos = end;
  }
  return out;
}
