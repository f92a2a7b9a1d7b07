import { createHash } from "node:crypto";
import type { Node, Parser, Tree } from "web-tree-sitter";
import { FUNCTION_DEFINITIONS, METHOD_DEFINITIONS } from "../labeler/nodeTypes";
import { definitionOf } from "../labeler/scopes";
import { dedent } from "../functions/functionAt";
import type { LanguageId } from "../parsing/languages";
import { parseText } from "../parsing/parser";
import { languageTagId, type Tokenizer } from "../../../training/tokenizer/bpe";

/**
 * A source file cut into the pieces the workspace generator reads:
 * - one chunk per function or method (outermost only: a nested function stays inside its parent),
 *   its text dedented like the function the model summarizes;
 * - the code outside functions (imports, constants, class headers, module statements), and files
 *   without functions, as line-bounded blocks (cut at a blank line once a block has some size,
 *   and at BLOCK_CHARS at most), so an edit in one place changes only the blocks around it.
 * Each chunk is tokenized as the generator was trained (language tag, then code) into windows of
 * at most `maxTokens` tokens; a long function gives several windows, summed into one contribution.
 * A chunk is keyed by sha256 of its language, window size and text: the contribution cache key.
 */
export interface Chunk {
  key: string;
  windows: number[][];
  tokens: number;
}

export const DEFAULT_CHUNK_TOKENS = 256;
const BLOCK_CHARS = 1500;
const BLOCK_SOFT_CHARS = 300;

export interface ChunkText {
  text: string;
  kind: "function" | "block";
}

/** Node types that may be a function chunk (definitionOf decides); others are only walked through. */
const CANDIDATES = new Set([...FUNCTION_DEFINITIONS, ...METHOD_DEFINITIONS, "arrow_function"]);
/** Node types that never hold a function: not descended into. */
const OPAQUE = new Set(["comment", "line_comment", "block_comment", "string", "string_literal", "template_string",
  "interpreted_string_literal", "raw_string_literal", "import_statement", "import_from_statement", "import_declaration"]);

/**
 * The function chunks and the line blocks of what lies outside them, in file order. `tree`: the
 * document's current tree when the caller keeps one (the editor's open documents), else parsed here.
 */
export function chunkTexts(parser: Parser, text: string, tree?: Tree): ChunkText[] {
  const own = tree ? undefined : parseText(parser, text);
  const spans: { start: number; end: number; code: string }[] = [];
  const cursor = (tree ?? own!).walk();
  try {
    // Depth-first over the tree with a cursor (cheap: no Node objects for most nodes).
    let descend = true;
    for (;;) {
      if (descend) {
        const type = cursor.nodeType;
        let taken = false;
        if (CANDIDATES.has(type)) {
          const node = cursor.currentNode;
          const definition = definitionOf(node);
          if (definition && definition.kind !== "class" && node.childForFieldName("body")) {
            spans.push(functionSpan(node, text));
            taken = true;
          }
        }
        if (!taken && !OPAQUE.has(type) && cursor.gotoFirstChild()) continue;
      }
      if (cursor.gotoNextSibling()) {
        descend = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      descend = false;
    }
  } finally {
    cursor.delete();
    own?.delete();
  }
  spans.sort((a, b) => a.start - b.start);
  const out: ChunkText[] = [];
  let rest = "";
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue; // overlapping (should not happen for outermost definitions)
    rest += text.slice(at, span.start) + "\n";
    at = span.end;
    out.push({ text: span.code, kind: "function" });
  }
  rest += text.slice(at);
  for (const block of lineBlocks(rest)) out.push({ text: block, kind: "block" });
  return out.filter((chunk) => chunk.text.trim().length > 0);
}

function functionSpan(node: Node, text: string): { start: number; end: number; code: string } {
  const holder = node.parent?.type === "decorated_definition" ? node.parent : node;
  const lineStart = text.lastIndexOf("\n", holder.startIndex - 1) + 1;
  const indent = holder.startIndex - lineStart;
  // Whole lines: the chunk starts at the line of the definition so the rest has no fragments.
  const onlySpaceBefore = /^[ \t]*$/.test(text.slice(lineStart, holder.startIndex));
  return {
    start: onlySpaceBefore ? lineStart : holder.startIndex,
    end: holder.endIndex,
    code: dedent(text.slice(holder.startIndex, holder.endIndex), indent),
  };
}

/** Non-blank lines grouped into blocks: cut at a blank line past BLOCK_SOFT_CHARS, always by BLOCK_CHARS. */
export function lineBlocks(text: string): string[] {
  const blocks: string[] = [];
  let block: string[] = [];
  let size = 0;
  const flush = () => {
    if (block.length) blocks.push(block.join("\n") + "\n");
    block = [];
    size = 0;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (size >= BLOCK_SOFT_CHARS) flush();
      continue;
    }
    if (size > 0 && size + line.length + 1 > BLOCK_CHARS) flush();
    block.push(line.length > BLOCK_CHARS ? line.slice(0, BLOCK_CHARS) : line);
    size += Math.min(line.length, BLOCK_CHARS) + 1;
  }
  flush();
  return blocks;
}

export function chunkKey(language: LanguageId, maxTokens: number, text: string): string {
  return createHash("sha256").update(`${language}\u0000${maxTokens}\u0000`).update(text).digest("hex");
}

/** Tokenizes one chunk text into windows of `<lang> code...`, each at most maxTokens long. */
export function tokenizeChunk(tokenizer: Tokenizer, language: LanguageId, text: string, maxTokens = DEFAULT_CHUNK_TOKENS): Chunk {
  const ids = tokenizer.encode(text);
  const tag = languageTagId(language);
  const body = maxTokens - 1;
  const windows: number[][] = [];
  for (let pos = 0; pos < ids.length; pos += body) windows.push([tag, ...ids.slice(pos, pos + body)]);
  return { key: chunkKey(language, maxTokens, text), windows, tokens: windows.reduce((n, w) => n + w.length, 0) };
}
