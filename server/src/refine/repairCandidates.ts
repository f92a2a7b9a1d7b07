import type { Parser } from "web-tree-sitter";
import { labelIdsOf } from "../labeler/labeler";
import type { LanguageId } from "../parsing/languages";
import { bodyStartOf, candidates, nodesIn, parseAlone, type BugType, type Wrap } from "./singleEdits";

/**
 * Repair candidates of a function: every single edit of the kinds our synthetic bugs are made
 * of (singleEdits.ts, widened to their inverses), applied to the code, kept when the result still
 * parses. The model ranks them (CodeModel.refine with the "edits" strategy); nothing here
 * decides which one is right.
 */
export interface RepairCandidate {
  code: string;
  bugType: BugType;
  /** What the edit does, e.g. "+ -> -" or "delete statement". */
  operator: string;
  /** The edited range of the original code. */
  start: number;
  end: number;
}

const WRAPS: Wrap[] = ["", "class", "object"];
/** The likeliest fixes first, so that a cap drops the least likely (adding code is rarely the fix). */
const REPAIR_ORDER: BugType[] = ["operator misuse", "value misuse", "function misuse", "variable misuse", "missing logic", "excess logic"];

/** Candidates past this many are dropped (in bug-type order), to bound the ranking's cost. */
export const MAX_REPAIR_CANDIDATES = 96;

/** The first wrapping under which the code parses without errors, or undefined. */
function wrapThatParses(parser: Parser, code: string): Wrap | undefined {
  for (const wrap of WRAPS) {
    const { tree } = parseAlone(parser, code, wrap);
    const ok = !tree.rootNode.hasError;
    tree.delete();
    if (ok) return wrap;
  }
  return undefined;
}

function parsesAlone(parser: Parser, code: string, wrap: Wrap): boolean {
  const { tree } = parseAlone(parser, code, wrap);
  const ok = !tree.rootNode.hasError;
  tree.delete();
  return ok;
}

/** Candidates for `code` (one function); empty when it does not parse, since edits are chosen on its tree. */
export function repairCandidates(parser: Parser, code: string, language: LanguageId, limit = MAX_REPAIR_CANDIDATES): RepairCandidate[] {
  const wrap = wrapThatParses(parser, code);
  if (wrap === undefined) return [];
  const { tree, offset } = parseAlone(parser, code, wrap);
  try {
    const leaves = labelIdsOf(tree, language, offset, offset + code.length);
    const nodes = nodesIn(tree.rootNode, offset, offset + code.length);
    const bodyStart = bodyStartOf(tree.rootNode, offset);
    const seen = new Set<string>([code]);
    const out: RepairCandidate[] = [];
    for (const bugType of REPAIR_ORDER) {
      for (const edit of candidates(bugType, code, language, tree.rootNode, nodes, offset, bodyStart, leaves, true)) {
        const edited = code.slice(0, edit.start) + edit.text + code.slice(edit.end);
        if (seen.has(edited)) continue;
        seen.add(edited);
        if (!parsesAlone(parser, edited, wrap)) continue;
        out.push({ code: edited, bugType, operator: edit.operator, start: edit.start, end: edit.end });
        if (out.length >= limit) return out;
      }
    }
    return out;
  } finally {
    tree.delete();
  }
}
