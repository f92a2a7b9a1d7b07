/**
 * The tokenizer's public API, for the server runtime and the TypeScript tools:
 *   const { tokenizer } = loadTokenizer("models/tokenizer.json");
 *   const src = sourceSequence(tokenizer, "python", code);   // <python> ... [<truncated>]
 *   tokenizer.decode(outputIds);
 */
export {
  BOS, BYTE_OFFSET, DENOISE, EOS, FIRST_MERGE_ID, FIRST_SENTINEL, LANGUAGE_TAGS, languageTagId, PAD, REFINE,
  sentinelId, SPECIAL_TOKENS, SUMMARIZE, Tokenizer, TRUNCATED, UNK, type Encoding, type LanguageTag,
} from "./bpe";
export { DEFAULT_PRETOKENIZER, pretokenize, pretokenizerOptions } from "./pretokenize";
export {
  DEFAULT_MAX_SOURCE, DEFAULT_MAX_TARGET, pretrainChunks, sourceSequence, targetSequence, ttcSequence,
} from "./sequences";
export { loadTokenizer, readTokenizerFile, type TokenizerFile } from "./tokenizer-file";
export { NO_LABEL, tokenLabels } from "./ttc-labels";
