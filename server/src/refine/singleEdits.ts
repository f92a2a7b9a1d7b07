import type { Node, Parser, Tree } from "web-tree-sitter";
import type { LanguageId } from "../parsing/languages";
import { parseText } from "../parsing/parser";
import { LABELS } from "../labeler/labels";

/**
 * Single syntax-aware edits of one function, by HumanEvalFix's bug types. The corpus builder
 * draws one of them to make a synthetic bug (training/corpus/mutate.ts); refine enumerates them
 * all, widened to their inverses, as repair candidates the model ranks (repairCandidates.ts).
 * One table of operators serves both, so the fixes offered are the bugs the model was taught.
 */
export const BUG_TYPES = [
  "missing logic", "excess logic", "value misuse", "operator misuse", "variable misuse", "function misuse",
] as const;
export type BugType = (typeof BUG_TYPES)[number];

/** How a function's code is wrapped to parse alone (a bare method is not a program in Java/JS). */
export type Wrap = "" | "class" | "object";

export interface Edit {
  start: number; // offsets in the code (not the wrapped text)
  end: number;
  text: string;
  operator: string;
}

const WRAPPERS: Record<Wrap, [string, string]> = { "": ["", ""], class: ["class _ {\n", "\n}"], object: ["({\n", "\n})"] };

export function wrapCode(code: string, wrap: Wrap): { text: string; offset: number } {
  const [prefix, suffix] = WRAPPERS[wrap];
  return { text: prefix + code + suffix, offset: prefix.length };
}

/** Parses the code alone (wrapped where needed); the caller deletes the tree. */
export function parseAlone(parser: Parser, code: string, wrap: Wrap): { tree: Tree; offset: number } {
  const { text, offset } = wrapCode(code, wrap);
  return { tree: parseText(parser, text), offset };
}

const OPERATOR_SWAPS: Record<string, string> = {
  "+": "-", "-": "+", "*": "/", "/": "*", "//": "/", "%": "/",
  "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "===": "!==", "!==": "===",
  "and": "or", "or": "and", "&&": "||", "||": "&&", "&": "|", "|": "&", "<<": ">>", ">>": "<<",
  "+=": "-=", "-=": "+=", "*=": "/=", "++": "--", "--": "++",
};
const OPERATOR_PARENTS = new Set([
  "binary_expression", "binary_operator", "comparison_operator", "boolean_operator", "augmented_assignment",
  "augmented_assignment_expression", "assignment_statement", "update_expression", "inc_statement", "dec_statement",
]);
const NUMBER_TYPES = new Set(["integer", "number", "decimal_integer_literal", "int_literal"]);
const BOOLEAN_TEXT: Record<string, string> = { True: "False", False: "True", true: "false", false: "true" };
const BLOCK_TYPES = new Set(["block", "statement_block", "constructor_body", "statement_list"]);
const SIMPLE_STATEMENTS = new Set(["expression_statement", "assignment_statement", "inc_statement", "dec_statement", "local_variable_declaration"]);
const COMMENTS = new Set(["comment", "block_comment", "line_comment"]);

/** Names that are easy to confuse: function misuse prefers these swaps. */
const CONFUSABLE: Record<string, string> = {
  min: "max", max: "min", append: "extend", extend: "append", startswith: "endswith", endswith: "startswith",
  startsWith: "endsWith", endsWith: "startsWith", lower: "upper", upper: "lower", toLowerCase: "toUpperCase",
  toUpperCase: "toLowerCase", keys: "values", values: "keys", push: "unshift", unshift: "push", pop: "shift",
  shift: "pop", floor: "ceil", ceil: "floor", any: "all", all: "any", sorted: "reversed", reversed: "sorted",
  lstrip: "rstrip", rstrip: "lstrip", indexOf: "lastIndexOf", lastIndexOf: "indexOf", find: "rfind", rfind: "find",
  index: "rindex", add: "remove", remove: "add", get: "set", set: "get", first: "last", last: "first",
  isEmpty: "isBlank", substring: "subSequence", Min: "Max", Max: "Min", HasPrefix: "HasSuffix", HasSuffix: "HasPrefix",
  TrimLeft: "TrimRight", TrimRight: "TrimLeft", Index: "LastIndex", LastIndex: "Index", ToLower: "ToUpper", ToUpper: "ToLower",
};

const LABEL_ID = (name: (typeof LABELS)[number]) => LABELS.indexOf(name);

export function nodesIn(root: Node, from: number, to: number): Node[] {
  const out: Node[] = [];
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.endIndex <= from || node.startIndex >= to) continue;
    out.push(node);
    for (let i = node.childCount - 1; i >= 0; i--) stack.push(node.child(i)!);
  }
  return out;
}

function lineBounds(code: string, start: number, end: number): [number, number] | undefined {
  const lineStart = code.lastIndexOf("\n", start - 1) + 1;
  let lineEnd = code.indexOf("\n", end);
  if (lineEnd < 0) lineEnd = code.length;
  if (code.slice(lineStart, start).trim() || code.slice(end, lineEnd).trim()) return undefined;
  return [lineStart, Math.min(lineEnd + 1, code.length)];
}

/** The swaps of an operator: the one a bug makes, and when widened every operator that swaps to it. */
function operatorSwaps(op: string, widen: boolean): string[] {
  const forward = OPERATOR_SWAPS[op] ? [OPERATOR_SWAPS[op]] : [];
  if (!widen) return forward;
  const inverse = Object.keys(OPERATOR_SWAPS).filter((k) => OPERATOR_SWAPS[k] === op);
  return [...new Set([...forward, ...inverse])];
}

function allowedSwap(op: string, swap: string, lang: LanguageId, widen: boolean): boolean {
  if (lang !== "python" && (swap === "and" || swap === "or")) return false;
  if (lang === "python" && (swap === "&&" || swap === "||" || swap === "++" || swap === "--")) return false;
  if (lang !== "python" && (op === "//" || swap === "//")) return false;
  return widen || swap !== "//";
}

/** Small integer changes: the one a bug makes, and when widened both neighbours. */
function numberChanges(v: number, digits: number, widen: boolean): number[] {
  const bug = v === 0 ? 1 : v === 1 ? 0 : v + (digits % 2 ? 1 : -1);
  if (!widen) return [bug];
  return [...new Set([bug, v + 1, v - 1])].filter((x) => x >= 0 && x !== v);
}

/**
 * Candidate edits of one bug type. `leaves` are the labeler's [start,end,labelId] over the code.
 * `widen` (repair) offers every alternative instead of the one deterministic bug per site
 * (corpus): all inverse operator swaps, both integer neighbours, every other name or call.
 */
export function candidates(
  type: BugType, code: string, lang: LanguageId, root: Node, nodes: Node[], offset: number, bodyStart: number, leaves: [number, number, number][],
  widen = false,
): Edit[] {
  const edits: Edit[] = [];
  const at = (n: Node) => [n.startIndex - offset, n.endIndex - offset] as const;
  switch (type) {
    case "operator misuse":
      for (const n of nodes) {
        if (n.isNamed || n.childCount || !n.parent || !OPERATOR_PARENTS.has(n.parent.type)) continue;
        const [s, e] = at(n);
        if (s < bodyStart) continue;
        for (const swap of operatorSwaps(n.text, widen)) {
          if (allowedSwap(n.text, swap, lang, widen)) edits.push({ start: s, end: e, text: swap, operator: `${n.text} -> ${swap}` });
        }
      }
      break;
    case "value misuse":
      for (const n of nodes) {
        const [s, e] = at(n);
        if (s < bodyStart) continue;
        if (NUMBER_TYPES.has(n.type) && /^\d+$/.test(n.text) && n.text.length < 10) {
          const v = Number(n.text);
          for (const next of numberChanges(v, n.text.length, widen)) edits.push({ start: s, end: e, text: String(next), operator: "number +-1" });
        } else if (!n.childCount && BOOLEAN_TEXT[n.text] && (n.type === "true" || n.type === "false")) {
          edits.push({ start: s, end: e, text: BOOLEAN_TEXT[n.text], operator: "boolean flip" });
        }
      }
      break;
    case "variable misuse": {
      const variable = LABEL_ID("variable.reference");
      const parameter = LABEL_ID("parameter");
      const definition = LABEL_ID("variable.definition");
      const names = new Set<string>();
      // The pool: parameters (in the parameter list, before the body) and locals defined in the function.
      for (const [s, e, l] of leaves) if ((l === parameter && s < bodyStart) || l === definition) names.add(code.slice(s, e));
      const pool = [...names].filter((n) => /^[A-Za-z_]\w*$/.test(n) && n !== "self" && n !== "this" && n !== "_").sort();
      if (pool.length < 2) break;
      for (const [s, e, l] of leaves) {
        if (s < bodyStart || (l !== variable && l !== parameter)) continue;
        const name = code.slice(s, e);
        if (!pool.includes(name)) continue;
        if (isKeyPosition(root.descendantForIndex(s + offset, e + offset))) continue;
        const others = widen ? pool : [pool[(pool.indexOf(name) + 1 + (s % (pool.length - 1))) % pool.length]];
        for (const other of others) if (other !== name) edits.push({ start: s, end: e, text: other, operator: "variable swap" });
      }
      break;
    }
    case "function misuse": {
      const calls = [LABEL_ID("function.call"), LABEL_ID("method.call")];
      const byLabel = new Map<number, string[]>();
      for (const [s, e, l] of leaves) if (calls.includes(l)) byLabel.set(l, [...(byLabel.get(l) ?? []), code.slice(s, e)]);
      for (const [s, e, l] of leaves) {
        if (s < bodyStart || !calls.includes(l)) continue;
        const name = code.slice(s, e);
        const confusable = CONFUSABLE[name];
        if (confusable) {
          edits.push({ start: s, end: e, text: confusable, operator: "confusable call" });
          continue;
        }
        const others = [...new Set(byLabel.get(l)!)].filter((n) => n !== name).sort();
        for (const other of widen ? others : others.slice(s % Math.max(others.length, 1)).slice(0, 1)) {
          edits.push({ start: s, end: e, text: other, operator: "other call" });
        }
      }
      break;
    }
    case "missing logic":
      for (const n of nodes) {
        const [s, e] = at(n);
        if (s < bodyStart) continue;
        if (BLOCK_TYPES.has(n.type)) {
          const statements = n.namedChildren.filter((c) => c && !COMMENTS.has(c.type)) as Node[];
          if (statements.length < 2) continue;
          for (const st of statements) {
            const [a, b] = at(st);
            // Small deletions, like HumanEvalFix's: a statement of at most two lines, not an import.
            if (st.endPosition.row - st.startPosition.row > 1 || /import/.test(st.type)) continue;
            const bounds = lineBounds(code, a, b);
            if (bounds) edits.push({ start: bounds[0], end: bounds[1], text: "", operator: "delete statement" });
          }
        } else if ((n.type === "boolean_operator" || (n.type === "binary_expression" && /^(&&|\|\|)$/.test(n.childForFieldName("operator")?.text ?? ""))) && n.childForFieldName("left")) {
          edits.push({ start: s, end: e, text: n.childForFieldName("left")!.text, operator: "drop condition" });
        } else if (n.type === "not_operator" || n.type === "unary_operator" || n.type === "unary_expression") {
          // Drop a negation: `not x` / `!x` / `-x` becomes `x`.
          const operand = n.childForFieldName("argument") ?? n.childForFieldName("operand") ?? n.namedChild(n.namedChildCount - 1);
          const op = n.child(0)?.text;
          if (operand && (op === "not" || op === "!" || op === "-")) edits.push({ start: s, end: e, text: operand.text, operator: "drop negation" });
        } else if (n.type === "if_statement") {
          const alternative = n.childForFieldName("alternative");
          const consequence = n.childForFieldName("consequence");
          if (lang === "python") {
            const clause = n.namedChildren.find((c) => c && (c.type === "else_clause" || c.type === "elif_clause"));
            if (clause) {
              const bounds = lineBounds(code, clause.startIndex - offset, clause.endIndex - offset);
              if (bounds) edits.push({ start: bounds[0], end: bounds[1], text: "", operator: "drop else/elif" });
            }
          } else if (alternative && consequence) {
            edits.push({ start: consequence.endIndex - offset, end: alternative.endIndex - offset, text: "", operator: "drop else" });
          }
        }
      }
      break;
    case "excess logic":
      for (const n of nodes) {
        const [s, e] = at(n);
        if (s < bodyStart) continue;
        if (SIMPLE_STATEMENTS.has(n.type) && n.parent && BLOCK_TYPES.has(n.parent.type) && !code.slice(s, e).includes("\n") && hasEffect(n)) {
          const bounds = lineBounds(code, s, e);
          if (!bounds) continue;
          const indent = code.slice(bounds[0], s);
          if (/^(return|yield|raise|throw)\b/.test(n.text)) continue;
          edits.push({ start: e, end: e, text: `\n${indent}${n.text}`, operator: "duplicate statement" });
        } else if ((lang === "python" || lang === "javascript" || lang === "typescript" || lang === "tsx") &&
                   (n.type === "if_statement" || n.type === "while_statement")) {
          const condition = n.childForFieldName("condition");
          const names = leaves.filter(([ls, , l]) => l === LABEL_ID("parameter") && ls >= bodyStart).map(([ls, le]) => code.slice(ls, le));
          if (!condition || !names.length) continue;
          const [cs, ce] = at(condition);
          const name = names[cs % names.length];
          if (lang === "python") edits.push({ start: cs, end: ce, text: `${condition.text} and not ${name}`, operator: "extra condition" });
          else if (condition.type === "parenthesized_expression") {
            edits.push({ start: cs + 1, end: ce - 1, text: `${condition.text.slice(1, -1)} && !${name}`, operator: "extra condition" });
          }
        }
      }
      break;
  }
  return edits;
}

/** A statement whose repetition changes behaviour: an update (+=, ++) or a call. */
function hasEffect(statement: Node): boolean {
  if (statement.type === "inc_statement" || statement.type === "dec_statement") return true;
  if (statement.type === "assignment_statement") return /^[-+*/|&^%]=|<<=|>>=/.test(statement.childForFieldName("operator")?.text ?? "");
  const inner = statement.namedChild(0);
  if (!inner) return false;
  if (["augmented_assignment", "augmented_assignment_expression", "update_expression", "call", "call_expression", "method_invocation"].includes(inner.type)) return true;
  return inner.type === "assignment_expression" && /^[-+*/|&^%]=/.test(inner.childForFieldName("operator")?.text ?? "");
}

/** Identifiers that are keys or field names, where a swap would not be a variable misuse. */
function isKeyPosition(node: Node | null): boolean {
  const parent = node?.parent;
  if (!node || !parent) return true;
  if (parent.type === "literal_element" && parent.parent?.type === "keyed_element" && parent.parent.namedChild(0)?.id === parent.id) return true;
  if (parent.type === "keyword_argument" && parent.childForFieldName("name")?.id === node.id) return true;
  return parent.type === "pair" && parent.childForFieldName("key")?.id === node.id;
}

export function bodyStartOf(root: Node, offset: number): number {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    const body = node.childForFieldName("body");
    if (body && node.startIndex >= offset && node.type !== "class_declaration" && node.type !== "class" &&
        node.type !== "program" && node.type !== "module" && node.type !== "class_body" && node.type !== "object") {
      return body.startIndex - offset;
    }
    for (let i = node.namedChildCount - 1; i >= 0; i--) stack.push(node.namedChild(i)!);
  }
  return 0;
}
