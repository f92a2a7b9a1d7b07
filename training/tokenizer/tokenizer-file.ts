/**
 * models/tokenizer.json: the tokenizer as data.
 *
 *   version       file format version (1)
 *   type          "byte-bpe"
 *   pretokenizer  pretokenizer id (training/tokenizer/pretokenize.ts, PRETOKENIZERS)
 *   specials      special token names; id = index (0..113)
 *   byteOffset    id of byte token <0x00> (114); byte b has id byteOffset + b
 *   vocabSize     byteOffset + 256 + merges.length
 *   merges        [left id, right id] in rank order; merge k creates id byteOffset + 256 + k.
 *                 This is the whole model: a token's bytes are its parts' bytes concatenated.
 *   vocab         display string of every id (informative: the text when the bytes are valid
 *                 UTF-8, else <0xNN> per byte; ambiguous by design, never parse it)
 *   training      how it was trained (data, sizes, time); informative
 *   sha256        hex sha256 of the canonical content: JSON.stringify of the object without
 *                 the "sha256" key, keys in the order above, no whitespace (UTF-8)
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { BYTE_OFFSET, SPECIAL_TOKENS, Tokenizer } from "./bpe";
import { pretokenizerOptions } from "./pretokenize";

export const TOKENIZER_FORMAT_VERSION = 1;

export interface TokenizerFile {
  version: number;
  type: "byte-bpe";
  pretokenizer: string;
  specials: string[];
  byteOffset: number;
  vocabSize: number;
  merges: [number, number][];
  vocab: string[];
  training: Record<string, unknown>;
  sha256: string;
}

export function canonicalHash(file: Omit<TokenizerFile, "sha256"> | TokenizerFile): string {
  const { sha256: _ignored, ...rest } = file as TokenizerFile;
  return createHash("sha256").update(JSON.stringify(rest), "utf8").digest("hex");
}

export function buildTokenizerFile(
  merges: [number, number][],
  pretokenizer: string,
  training: Record<string, unknown>,
): TokenizerFile {
  const tok = new Tokenizer(merges, pretokenizerOptions(pretokenizer));
  const vocab: string[] = [];
  for (let id = 0; id < tok.vocabSize; id++) vocab.push(tok.tokenText(id));
  const body = {
    version: TOKENIZER_FORMAT_VERSION,
    type: "byte-bpe" as const,
    pretokenizer,
    specials: [...SPECIAL_TOKENS],
    byteOffset: BYTE_OFFSET,
    vocabSize: tok.vocabSize,
    merges,
    vocab,
    training,
  };
  return { ...body, sha256: canonicalHash(body) };
}

/** Writes one top-level key per line (merges one per line) so diffs stay readable. */
export function writeTokenizerFile(path: string, file: TokenizerFile): void {
  const lines: string[] = [];
  const entries = Object.entries(file);
  entries.forEach(([key, value], k) => {
    const comma = k + 1 < entries.length ? "," : "";
    if (key === "merges" || key === "vocab" || key === "specials") {
      const items = (value as unknown[]).map((v) => "    " + JSON.stringify(v));
      lines.push(`  ${JSON.stringify(key)}: [\n${items.join(",\n")}\n  ]${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
    }
  });
  writeFileSync(path, `{\n${lines.join("\n")}\n}\n`);
}

/** Reads and checks a tokenizer file; throws with a clear message when it is not usable. */
export function readTokenizerFile(path: string): TokenizerFile {
  let file: TokenizerFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as TokenizerFile;
  } catch (err) {
    throw new Error(`cannot read tokenizer ${path}: ${(err as Error).message}`);
  }
  if (file.version !== TOKENIZER_FORMAT_VERSION || file.type !== "byte-bpe") {
    throw new Error(`tokenizer ${path}: unsupported version/type ${file.version}/${file.type}`);
  }
  const expected = canonicalHash(file);
  if (file.sha256 !== expected) {
    throw new Error(`tokenizer ${path}: sha256 mismatch (file says ${file.sha256}, content is ${expected})`);
  }
  if (JSON.stringify(file.specials) !== JSON.stringify(SPECIAL_TOKENS) || file.byteOffset !== BYTE_OFFSET) {
    throw new Error(`tokenizer ${path}: special tokens differ from this code's SPECIAL_TOKENS`);
  }
  return file;
}

export function loadTokenizer(path: string): { tokenizer: Tokenizer; file: TokenizerFile } {
  const file = readTokenizerFile(path);
  const tokenizer = new Tokenizer(file.merges, pretokenizerOptions(file.pretokenizer));
  if (tokenizer.vocabSize !== file.vocabSize) {
    throw new Error(`tokenizer ${path}: vocabSize ${file.vocabSize} but ${tokenizer.vocabSize} ids from merges`);
  }
  return { tokenizer, file };
}
