import type { Parser } from "web-tree-sitter";
import type { LanguageId } from "../../server/src/parsing/languages";
import { BUG_TYPES, bodyStartOf, candidates, nodesIn, parseAlone, type BugType, type Wrap } from "../../server/src/refine/singleEdits";
import { lexicalTokens, rngFor, shuffled } from "./util";

/**
 * Synthetic bugs for repair pairs, one per mutant, after HumanEvalFix's bug types.
 * Every mutation is a text edit chosen on the tree-sitter tree of the function; the mutant
 * must re-parse without ERROR/MISSING nodes and differ from the original in its tokens.
 * docs/corpus.md lists the operators; server/src/refine/singleEdits.ts holds them.
 */
export { BUG_TYPES, parseAlone, wrapCode } from "../../server/src/refine/singleEdits";
export type { BugType } from "../../server/src/refine/singleEdits";

export interface Mutant {
  buggy: string;
  bug_type: BugType;
  operator: string;
}

/**
 * One verified mutant of `code`, or a reason why none was made. The bug type order and the
 * edit are drawn from a generator seeded by `seed`, so the result is deterministic.
 */
export function mutate(
  parser: Parser, code: string, lang: LanguageId, wrap: Wrap, leaves: [number, number, number][], seed: string,
  exclude?: BugType,
): Mutant | { fail: string } {
  const { tree, offset } = parseAlone(parser, code, wrap);
  try {
    if (tree.rootNode.hasError) return { fail: "does not parse alone" };
    const rng = rngFor(seed);
    const nodes = nodesIn(tree.rootNode, offset, offset + code.length);
    const bodyStart = bodyStartOf(tree.rootNode, offset);
    const original = lexicalTokens(code).join(" ");
    for (const type of shuffled(BUG_TYPES, rng)) {
      if (type === exclude) continue;
      const edits = shuffled(candidates(type, code, lang, tree.rootNode, nodes, offset, bodyStart, leaves), rng);
      for (const edit of edits.slice(0, 4)) {
        const buggy = code.slice(0, edit.start) + edit.text + code.slice(edit.end);
        if (buggy === code || lexicalTokens(buggy).join(" ") === original) continue;
        const check = parseAlone(parser, buggy, wrap);
        const ok = !check.tree.rootNode.hasError;
        check.tree.delete();
        if (ok) return { buggy, bug_type: type, operator: edit.operator };
      }
    }
    return { fail: "no valid mutation" };
  } finally {
    tree.delete();
  }
}
