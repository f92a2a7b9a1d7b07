import type { Hover, Position } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { labelAt, type LeafAtOffset } from "../labeler/labeler";
import { describeLabel, type Label } from "../labeler/labels";
import type { DocumentTrees, TreeUnavailable } from "../documents/documentTrees";
import { describeContent } from "../documents/binary";
import type { ModelAnswer } from "./modelTokenTypes";

/**
 * Hover: the token type (TTC label) of the token under the cursor, from the syntax tree, and
 * its enclosing definition ("parameter of function `load_config`"). Only the hovered leaf is
 * labelled, so the work does not grow with the file. When a model with NER adapters is
 * installed, `model` adds its prediction (see modelTokenTypes.ts); inside a syntax error the
 * model's answer stands alone.
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

/** hoverAt plus the model's answer for the same token (asked only when there is a token). */
export async function hoverWithModel(
  trees: DocumentTrees,
  document: TextDocument,
  position: Position,
  model: (offset: number) => Promise<ModelAnswer | undefined>,
): Promise<Hover | null> {
  const found = trees.lookup(document.uri);
  if ("reason" in found) return unavailableHover(found);
  const offset = document.offsetAt(position);
  const leaf = labelAt(found.tree, found.language, offset);
  if (!leaf) return null;
  const range = { start: document.positionAt(leaf.start), end: document.positionAt(leaf.end) };
  let answer: ModelAnswer | undefined;
  try {
    answer = await model(offset);
  } catch {
    answer = undefined; // the model never breaks the syntax tree's answer
  }
  return { contents: { kind: "markdown", value: hoverMarkdown(leaf, answer) }, range };
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

export function hoverMarkdown(leaf: LeafAtOffset, model?: ModelAnswer): string {
  const token = leaf.text.length > 60 ? `${leaf.text.slice(0, 57)}...` : leaf.text;
  const shown = `\`${token.replace(/`/g, "'").replace(/\s+/g, " ")}\``;
  if (leaf.inError && model?.kind === "prediction") {
    // The syntax tree cannot be trusted here: the model's answer stands alone.
    return [
      `**${describeLabel(model.label)}** ${shown}`,
      "",
      `model: ${describeLabel(model.label)} (${percent(model.confidence)})`,
      "",
      "_CodeAdapt token type predicted by the model: the code does not parse here, so the syntax tree has no reliable answer._",
    ].join("\n");
  }
  const lines = [`**${describeLabel(leaf.label)}** ${shown}`, "", relationText(leaf), ""];
  if (model) lines.push(modelLine(leaf.label, model), "");
  lines.push(`_CodeAdapt token type from the syntax tree${leaf.inError ? " (inside a syntax error; best effort)" : ""}._`);
  return lines.join("\n");
}

/** "model: parameter (97%)", the disagreement marked, or "model prediction pending". */
export function modelLine(astLabel: Label, model: ModelAnswer): string {
  if (model.kind === "pending") return "model prediction pending";
  const text = `model: ${describeLabel(model.label)} (${percent(model.confidence)})`;
  return model.label === astLabel ? text : `⚠ ${text}: **disagrees** with the syntax tree (${describeLabel(astLabel)})`;
}

function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
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
