import type { Hover, Position } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { labelAt, type LeafAtOffset } from "../labeler/labeler";
import { describeLabel, type Label } from "../labeler/labels";
import type { DocumentTrees, TreeUnavailable } from "../documents/documentTrees";
import { describeContent } from "../documents/binary";

/**
 * Hover: the token type (TTC label) of the token under the cursor, from the syntax tree, and
 * its enclosing definition ("parameter of function `load_config`"). Only the hovered leaf is
 * labelled, so the work does not grow with the file. The model's own prediction joins this
 * answer once a model is installed.
 */
export function hoverAt(trees: DocumentTrees, document: TextDocument, position: Position): Hover | null {
  const found = trees.lookup(document.uri);
  if ("reason" in found) return unavailableHover(found);
  const offset = document.offsetAt(position);
  const leaf = labelAt(found.tree, found.language, offset);
  if (!leaf) return null;
  return {
    contents: { kind: "markdown", value: hoverMarkdown(leaf) },
    range: { start: document.positionAt(leaf.start), end: document.positionAt(leaf.end) },
  };
}

const DEFINITION_LABELS = new Set<Label>(["function.definition", "method.definition", "type.definition"]);

/** "parameter of function `load_config`", "definition of class `Config`", "keyword at top level". */
export function relationText(leaf: Pick<LeafAtOffset, "label" | "text" | "definition">): string {
  const label = describeLabel(leaf.label);
  const def = leaf.definition;
  if (!def) return `${label} at top level`;
  const owner = `${def.kind} \`${def.name}\``;
  if (DEFINITION_LABELS.has(leaf.label) && def.name === leaf.text) return `definition of ${owner}`;
  if (leaf.label === "parameter") return `parameter of ${owner}`;
  return `${label} in ${owner}`;
}

export function hoverMarkdown(leaf: LeafAtOffset): string {
  const token = leaf.text.length > 60 ? `${leaf.text.slice(0, 57)}...` : leaf.text;
  const lines = [
    `**${describeLabel(leaf.label)}** \`${token.replace(/`/g, "'").replace(/\s+/g, " ")}\``,
    "",
    relationText(leaf),
    "",
    `_CodeAdapt token type from the syntax tree${leaf.inError ? " (inside a syntax error; best effort)" : ""}._`,
  ];
  return lines.join("\n");
}

export function unavailableText(why: TreeUnavailable): string | undefined {
  switch (why.reason) {
    case "unsupported":
      return `CodeAdapt has no grammar for \`${why.editorLanguage}\` documents (it supports Python, JavaScript, TypeScript, TSX, Java and Go).`;
    case "grammar-failed":
      return `CodeAdapt could not load the ${why.language} grammar: ${why.error}`;
    case "content":
      return `CodeAdapt shows no token types here: ${describeContent(why.content)}.`;
    case "too-large":
      return `CodeAdapt does not parse this document: ${(why.chars / 1048576).toFixed(1)} MB of text is over its limit.`;
    case "parsing":
      return `CodeAdapt is still parsing this ${(why.chars / 1048576).toFixed(1)} MB document.`;
    case "not-open":
      return undefined;
  }
}

function unavailableHover(why: TreeUnavailable): Hover | null {
  const text = unavailableText(why);
  return text ? { contents: { kind: "markdown", value: text } } : null;
}
