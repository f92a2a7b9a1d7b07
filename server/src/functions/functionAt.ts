import type { Node, Tree } from "web-tree-sitter";
import { definitionOf } from "../labeler/scopes";

/**
 * The function or method around a position, as the model sees it: its source text with the
 * docstring (Python) left out and continuation lines dedented to the def's column, plus the
 * range it covers in the document (for inserting a docstring or replacing the function).
 */
export interface FunctionSpan {
  name: string;
  kind: "function" | "method";
  /** UTF-16 range of the whole definition in the document. */
  start: number;
  end: number;
  /** The code the model reads. */
  code: string;
  /** Column of the definition's first line (to re-indent model output). */
  indent: number;
  /** Range of an existing docstring/doc comment, if any. */
  doc?: { start: number; end: number };
}

export function functionAt(tree: Tree, text: string, offset: number): FunctionSpan | undefined {
  let node: Node | null = tree.rootNode.descendantForIndex(offset, offset);
  for (; node; node = node.parent) {
    const definition = definitionOf(node);
    if (definition && definition.kind !== "class" && node.childForFieldName("body")) {
      return spanOf(node, definition.name, definition.kind, text);
    }
  }
  return undefined;
}

function spanOf(node: Node, name: string, kind: "function" | "method", text: string): FunctionSpan {
  const holder = node.parent?.type === "decorated_definition" ? node.parent : node;
  const lineStart = text.lastIndexOf("\n", holder.startIndex - 1) + 1;
  const indent = holder.startIndex - lineStart;
  const doc = pythonDocstring(node) ?? docCommentBefore(holder);
  let code = text.slice(holder.startIndex, holder.endIndex);
  if (doc && doc.start >= holder.startIndex) {
    const lineOfDoc = text.lastIndexOf("\n", doc.start - 1) + 1;
    const afterDoc = text.indexOf("\n", doc.end);
    const cutEnd = afterDoc < 0 ? doc.end : afterDoc + 1;
    code = text.slice(holder.startIndex, lineOfDoc) + text.slice(cutEnd, holder.endIndex);
  }
  return { name, kind, start: holder.startIndex, end: holder.endIndex, code: dedent(code, indent), indent, doc };
}

function pythonDocstring(fn: Node): { start: number; end: number } | undefined {
  if (fn.type !== "function_definition") return undefined;
  const first = fn.childForFieldName("body")?.namedChild(0);
  if (first?.type === "expression_statement" && first.namedChild(0)?.type === "string") {
    return { start: first.startIndex, end: first.endIndex };
  }
  return undefined;
}

function docCommentBefore(holder: Node): { start: number; end: number } | undefined {
  const previous = holder.previousSibling;
  if (!previous || !/comment/.test(previous.type)) return undefined;
  if (holder.startPosition.row - previous.endPosition.row > 1) return undefined;
  return { start: previous.startIndex, end: previous.endIndex };
}

/** Removes up to `indent` leading spaces/tabs from every line after the first. */
export function dedent(code: string, indent: number): string {
  if (indent === 0) return code;
  const pattern = new RegExp(`\\n[ \\t]{0,${indent}}`, "g");
  return code.replace(pattern, "\n");
}

/** Re-indents model output to sit at `indent` columns (first line excluded: it follows the insertion point). */
export function reindent(code: string, indent: number): string {
  if (indent === 0) return code;
  const pad = " ".repeat(indent);
  return code.replace(/\n(?=[^\n])/g, `\n${pad}`);
}

/** A function or method found in a document, for code lenses and code actions. */
export interface FunctionMark {
  name: string;
  kind: "function" | "method";
  /** Start of the definition including decorators/annotations (where a lens goes). */
  start: number;
  /** Start of the function node itself: `functionAt(tree, text, at)` finds this function. */
  at: number;
  end: number;
}

/**
 * Every function and method with a body, in document order (nested ones too), at most `limit`.
 * One cursor walk over the tree; no labelling.
 */
export function functionsIn(tree: Tree, limit = 2000): FunctionMark[] {
  const marks: FunctionMark[] = [];
  const cursor = tree.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      const definition = definitionOf(node);
      if (definition && definition.kind !== "class" && node.childForFieldName("body")) {
        const holder = node.parent?.type === "decorated_definition" ? node.parent : node;
        marks.push({ name: definition.name, kind: definition.kind, start: holder.startIndex, at: node.startIndex, end: node.endIndex });
        if (marks.length >= limit) break;
      }
      if (node.childCount > 0 && cursor.gotoFirstChild()) continue;
      let moved = false;
      while (!moved) {
        if (cursor.gotoNextSibling()) moved = true;
        else if (!cursor.gotoParent()) return marks;
      }
    }
  } finally {
    cursor.delete();
  }
  return marks;
}
