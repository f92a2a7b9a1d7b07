/**
 * Checks that tokens respect tree-sitter leaves: the non-whitespace part of every token lies
 * inside one leaf (no leaf start/end falls strictly inside it), and TTC labels per token.
 * Uses the grammars through server/src/parsing (web-tree-sitter; offsets are UTF-16 units).
 */
import type { Node, Tree } from "web-tree-sitter";
import type { Encoding } from "./bpe";

/** Sorted, de-duplicated start/end offsets of every non-empty leaf of the tree. */
export function leafBoundaries(tree: Tree): Int32Array {
  const set = new Set<number>();
  const cursor = tree.walk();
  for (;;) {
    const node = cursor.currentNode;
    if (node.childCount === 0) {
      if (node.endIndex > node.startIndex) {
        set.add(node.startIndex);
        set.add(node.endIndex);
      }
    } else if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        cursor.delete();
        return Int32Array.from([...set].sort((a, b) => a - b));
      }
    }
  }
}

const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;

/** The token's span without leading/trailing ASCII whitespace; undefined when all whitespace. */
export function coreSpan(text: string, start: number, end: number): [number, number] | undefined {
  let s = start;
  let e = end;
  while (s < e && isWs(text.charCodeAt(s))) s++;
  while (e > s && isWs(text.charCodeAt(e - 1))) e--;
  return s < e ? [s, e] : undefined;
}

/** Indices of tokens whose non-whitespace part contains a leaf boundary strictly inside. */
export function crossingTokens(text: string, enc: Encoding, boundaries: ArrayLike<number>): number[] {
  const bad: number[] = [];
  let b = 0;
  for (let k = 0; k < enc.ids.length; k++) {
    const core = coreSpan(text, enc.starts[k], enc.ends[k]);
    if (!core) continue;
    while (b < boundaries.length && boundaries[b] <= core[0]) b++;
    if (b < boundaries.length && boundaries[b] < core[1]) bad.push(k);
  }
  return bad;
}

export type { Node };
