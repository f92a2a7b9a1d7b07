/**
 * Code with an injected syntax error, labelled by the clean parse of the same code: one bracket,
 * brace, parenthesis, colon or semicolon leaf is deleted (chosen by a hash of the row id), and
 * every later leaf shifts left by its length. The TTC evaluation on this set asks whether the
 * model still types tokens when the parser cannot (issue 5).
 */
import { fnv32 } from "../corpus/util";

const BREAKABLE = new Set(["(", ")", "[", "]", "{", "}", ":", ";"]);
const PUNCTUATION_LABEL = 2; // "punctuation" in server/src/labeler/labels.ts

export type Leaf = readonly [number, number, number];

export interface Broken {
  code: string;
  leaves: Leaf[];
  removed: string;
}

export function breakSyntax(id: string, code: string, leaves: readonly Leaf[]): Broken | undefined {
  const candidates = leaves.filter(([s, e, l]) => l === PUNCTUATION_LABEL && BREAKABLE.has(code.slice(s, e)));
  if (candidates.length === 0) return undefined;
  const [start, end] = candidates[fnv32(id) % candidates.length];
  const width = end - start;
  const shifted = leaves
    .filter(([s]) => s !== start)
    .map(([s, e, l]): Leaf => (s >= end ? [s - width, e - width, l] : [s, e, l]));
  return { code: code.slice(0, start) + code.slice(end), leaves: shifted, removed: code.slice(start, end) };
}
