import type { Node, Tree } from "web-tree-sitter";
import type { LanguageId } from "../../server/src/parsing/languages";
import { labelLeaves, leafExtents } from "../../server/src/labeler/labeler";
import { labelId } from "../../server/src/labeler/labels";
import { definitionOf } from "../../server/src/labeler/scopes";
import { blockCommentText, lineCommentText, pythonDocstringText } from "./doctext";
import type { DocStyle } from "./summary";

/**
 * Mining one parsed file: every function or method with a body, its documentation, the
 * function's code without that documentation (dedented), and the labeler's leaf labels
 * mapped onto that code.
 */
export type { Wrap } from "../../server/src/refine/singleEdits";
import type { Wrap } from "../../server/src/refine/singleEdits";

export interface Mined {
  name: string;
  code: string;
  /** The raw documentation text (docstring contents, or comment text without markers). */
  doc: string;
  style: DocStyle;
  /** [start, end, labelId] of each leaf of `code`; empty when mined with `labels: false`. */
  leaves: [number, number, number][];
  /** How the code must be wrapped to parse alone (a bare method is not a program in Java/JS). */
  wrap: Wrap;
  /** The function's range in the original file (UTF-16), for raw-text exclusion. */
  range: [number, number];
  line: number;
}

export interface FileResult {
  mined: Mined[];
  functions: number; // functions (with bodies) seen
  dropped: Map<string, number>;
}

export const MAX_CODE_CHARS = 12000;

const FUNCTION_TYPES: Record<string, ReadonlySet<string>> = {
  python: new Set(["function_definition"]),
  java: new Set(["method_declaration", "constructor_declaration", "compact_constructor_declaration"]),
  go: new Set(["function_declaration", "method_declaration"]),
  javascript: new Set(["function_declaration", "generator_function_declaration", "method_definition", "function_expression", "arrow_function", "generator_function", "function"]),
};
FUNCTION_TYPES.typescript = FUNCTION_TYPES.javascript;
FUNCTION_TYPES.tsx = FUNCTION_TYPES.javascript;

const COMMENT_TYPES = new Set(["comment", "block_comment", "line_comment"]);

function inc(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** Name and the node whose range is the whole definition (with export/const/decorators). */
function anchorOf(node: Node, lang: LanguageId): { name?: string; anchor: Node; wrap: Wrap } {
  if (lang === "python") {
    const parent = node.parent;
    const anchor = parent?.type === "decorated_definition" ? parent : node;
    return { name: node.childForFieldName("name")?.text, anchor, wrap: "" };
  }
  if (lang === "java") return { name: node.childForFieldName("name")?.text, anchor: node, wrap: "class" };
  if (lang === "go") return { name: node.childForFieldName("name")?.text, anchor: node, wrap: "" };
  // JavaScript / TypeScript
  const parent = node.parent;
  if (node.type === "method_definition") return { name: node.childForFieldName("name")?.text, anchor: node, wrap: "class" };
  if (node.type === "function_declaration" || node.type === "generator_function_declaration") {
    const anchor = parent?.type === "export_statement" ? parent : node;
    return { name: node.childForFieldName("name")?.text, anchor, wrap: "" };
  }
  // A function value: named by what holds it.
  if (!parent) return { anchor: node, wrap: "" };
  if (parent.type === "variable_declarator" && parent.childForFieldName("value")?.id === node.id) {
    const declaration = parent.parent;
    if (declaration && (declaration.type === "lexical_declaration" || declaration.type === "variable_declaration") && declaration.namedChildCount === 1) {
      const anchor = declaration.parent?.type === "export_statement" ? declaration.parent : declaration;
      return { name: parent.childForFieldName("name")?.text, anchor, wrap: "" };
    }
    return { anchor: node, wrap: "" };
  }
  if (parent.type === "pair" && parent.childForFieldName("value")?.id === node.id) {
    return { name: parent.childForFieldName("key")?.text.replace(/^["']|["']$/g, ""), anchor: parent, wrap: "object" };
  }
  if ((parent.type === "public_field_definition" || parent.type === "field_definition") && parent.childForFieldName("value")?.id === node.id) {
    const key = parent.childForFieldName("name") ?? parent.childForFieldName("property");
    return { name: key?.text, anchor: parent, wrap: "class" };
  }
  if (parent.type === "assignment_expression" && parent.childForFieldName("right")?.id === node.id && parent.parent?.type === "expression_statement") {
    const left = parent.childForFieldName("left");
    const name = left?.type === "member_expression" ? left.childForFieldName("property")?.text : left?.type === "identifier" ? left.text : undefined;
    return { name, anchor: parent.parent, wrap: "" };
  }
  const definition = definitionOf(node);
  return { name: definition?.name, anchor: node, wrap: "" };
}

/** The doc comment right before `anchor` (no blank line between), as raw text. */
/** A TypeScript overload signature of `name` (`function f(a: A): B;`, a method signature). */
function isOverloadOf(node: Node, name: string | undefined): boolean {
  if (!name) return false;
  const signature = node.type === "export_statement" ? node.childForFieldName("declaration") : node;
  if (!signature || (signature.type !== "function_signature" && signature.type !== "method_signature")) return false;
  return signature.childForFieldName("name")?.text === name;
}

function docCommentBefore(anchor: Node, text: string, lang: LanguageId, name?: string): { raw: string; style: "block" | "go" } | undefined {
  // TypeScript: the doc of an overloaded function sits on the nearest overload signature.
  if (lang === "typescript" || lang === "tsx") {
    for (let before = anchor.previousSibling; before && isOverloadOf(before, name); before = before.previousSibling) anchor = before;
  }
  let previous = anchor.previousSibling;
  if (!previous || !COMMENT_TYPES.has(previous.type)) return undefined;
  const gap = text.slice(previous.endIndex, anchor.startIndex);
  if (!/^[ \t]*(\r?\n)?[ \t]*$/.test(gap)) return undefined;
  if (lang === "go") {
    const lines: string[] = [];
    let next: Node = anchor;
    while (previous && COMMENT_TYPES.has(previous.type) && previous.text.startsWith("//") &&
           previous.endPosition.row >= next.startPosition.row - 1 && previous.startPosition.column === anchor.startPosition.column) {
      lines.unshift(previous.text);
      next = previous;
      previous = previous.previousSibling;
    }
    // Compiler directives live in the comment group but are not documentation.
    const doc = lines.filter((l) => !/^\/\/(go:|line |export |extern |sys |\+build|nolint)/.test(l));
    return doc.length ? { raw: lineCommentText(doc), style: "go" } : undefined;
  }
  const comment = previous.text;
  if (!comment.startsWith("/**") || comment.startsWith("/**/")) return undefined;
  return { raw: blockCommentText(comment), style: "block" };
}

function firstStatement(block: Node): Node | undefined {
  for (let i = 0; i < block.namedChildCount; i++) {
    const child = block.namedChild(i)!;
    if (!COMMENT_TYPES.has(child.type)) return child;
  }
  return undefined;
}

const STUB_STATEMENT = /^(pass|\.\.\.|raise NotImplementedError(\(.*\))?|return NotImplemented)$/;

/**
 * Builds the code text from [start, end) minus `removed`, dedenting continuation lines by
 * `indent` characters (never inside a multi-line token), and returns a map for offsets.
 */
function buildCode(
  text: string, start: number, end: number, removed: [number, number][], indent: number, protectedRanges: [number, number][],
): { code: string; segments: [number, number, number][] } {
  // segments: [origStart, origEnd, codeStart]
  const segments: [number, number, number][] = [];
  const parts: string[] = [];
  let codeLength = 0;
  const cuts: [number, number][] = [...removed];
  // Indentation of each continuation line.
  for (let p = text.indexOf("\n", start); p >= 0 && p < end - 1; p = text.indexOf("\n", p + 1)) {
    const lineStart = p + 1;
    if (protectedRanges.some(([s, e]) => s < lineStart && lineStart < e)) continue;
    let q = lineStart;
    while (q < end && q - lineStart < indent && (text[q] === " " || text[q] === "\t")) q++;
    if (q > lineStart) cuts.push([lineStart, q]);
  }
  cuts.sort((a, b) => a[0] - b[0]);
  let position = start;
  for (const [cutStart, cutEnd] of cuts) {
    if (cutEnd <= position) continue;
    const from = position;
    const to = Math.max(from, cutStart);
    if (to > from) {
      segments.push([from, to, codeLength]);
      parts.push(text.slice(from, to));
      codeLength += to - from;
    }
    position = Math.max(position, cutEnd);
  }
  if (end > position) {
    segments.push([position, end, codeLength]);
    parts.push(text.slice(position, end));
  }
  return { code: parts.join(""), segments };
}

function mapLeaves(
  leaves: { start: number; end: number; label: Parameters<typeof labelId>[0] }[], segments: [number, number, number][],
): [number, number, number][] {
  const out: [number, number, number][] = [];
  let k = 0;
  for (const leaf of leaves) {
    while (k < segments.length && segments[k][1] <= leaf.start) k++;
    if (k >= segments.length) break;
    const [s, e, c] = segments[k];
    if (leaf.start < s || leaf.end > e) continue; // inside removed text (the docstring)
    out.push([c + leaf.start - s, c + leaf.end - s, labelId(leaf.label)]);
  }
  return out;
}

/**
 * Mines one parsed file. `labels: false` leaves out the leaves' labels (most of the cost) for a
 * caller that needs the functions alone; their code, docs and ranges are the same.
 */
export function mineTree(tree: Tree, text: string, lang: LanguageId, options: { labels?: boolean } = {}): FileResult {
  const withLabels = options.labels ?? true;
  const result: FileResult = { mined: [], functions: 0, dropped: new Map() };
  const types = FUNCTION_TYPES[lang];
  const stack: Node[] = [tree.rootNode];
  const found: Node[] = [];
  while (stack.length) {
    const node = stack.pop()!;
    if (types.has(node.type) && node.childForFieldName("body")) found.push(node);
    for (let i = node.namedChildCount - 1; i >= 0; i--) stack.push(node.namedChild(i)!);
  }
  for (const node of found) {
    result.functions++;
    const drop = (reason: string) => inc(result.dropped, reason);
    const { name, anchor, wrap } = anchorOf(node, lang);
    const body = node.childForFieldName("body")!;
    let raw: string | undefined;
    let style: "python" | "block" | "go" = "python";
    const removed: [number, number][] = [];
    if (lang === "python") {
      const first = body.type === "block" ? firstStatement(body) : undefined;
      const literal = first?.type === "expression_statement" && first.namedChildCount === 1 ? first.namedChild(0)! : undefined;
      if (!first || !literal || literal.type !== "string") { drop("no doc"); continue; }
      raw = pythonDocstringText(literal.text);
      if (raw === undefined) { drop("no doc"); continue; }
      // Remove the docstring's whole lines.
      const lineStart = text.lastIndexOf("\n", first.startIndex - 1) + 1;
      let lineEnd = text.indexOf("\n", first.endIndex);
      if (lineEnd < 0) lineEnd = text.length;
      if (text.slice(lineStart, first.startIndex).trim() || text.slice(first.endIndex, lineEnd).trim()) { drop("docstring shares a line"); continue; }
      if (lineStart <= node.startIndex) { drop("docstring shares a line"); continue; }
      removed.push([lineStart, Math.min(lineEnd + 1, anchor.endIndex)]);
      const rest = body.namedChildren.filter((c) => c && c.id !== first.id && !COMMENT_TYPES.has(c.type));
      if (rest.length === 0) { drop("empty body"); continue; }
      if (rest.every((c) => STUB_STATEMENT.test(c!.text.trim()))) { drop("stub body"); continue; }
    } else {
      const doc = docCommentBefore(anchor, text, lang, name);
      if (!doc) { drop("no doc"); continue; }
      raw = doc.raw;
      style = doc.style;
      const statements = body.namedChildren.filter((c) => c && !COMMENT_TYPES.has(c.type));
      if (body.type !== "expression" && /block|statement_block|constructor_body/.test(body.type) && statements.length === 0) { drop("empty body"); continue; }
    }
    if (!name) { drop("anonymous"); continue; }
    if (anchor.hasError) { drop("parse error"); continue; }
    if (anchor.endIndex - anchor.startIndex > MAX_CODE_CHARS) { drop("code too long"); continue; }
    const inside = <T extends { start: number; end: number }>(leaves: T[]) =>
      leaves.filter((leaf) => leaf.start >= anchor.startIndex && leaf.end <= anchor.endIndex);
    const labeled = withLabels ? inside(labelLeaves(tree, lang, anchor.startIndex, anchor.endIndex)) : undefined;
    const extents = labeled ?? inside(leafExtents(tree, anchor.startIndex, anchor.endIndex));
    const protectedRanges: [number, number][] = extents.filter((l) => l.end - l.start > 1 && text.slice(l.start, l.end).includes("\n")).map((l) => [l.start, l.end]);
    const { code, segments } = buildCode(text, anchor.startIndex, anchor.endIndex, removed, anchor.startPosition.column, protectedRanges);
    result.mined.push({
      name,
      code,
      doc: raw,
      style,
      leaves: labeled ? mapLeaves(labeled, segments) : [],
      wrap,
      range: [anchor.startIndex, anchor.endIndex],
      line: anchor.startPosition.row + 1,
    });
  }
  return result;
}
