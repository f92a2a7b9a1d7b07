import type { CodeLens } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Tree } from "web-tree-sitter";
import { functionsIn } from "../functions/functionAt";

/**
 * "Summarize" and "Refine" code lenses above every function and method, from the syntax tree
 * alone: nothing here (nor any resolve step) runs the model. Each lens carries its command with
 * the document and a position inside the function; the client's command sends the request.
 */
export const SUMMARIZE_COMMAND = "codeadapt.summarize";
export const REFINE_COMMAND = "codeadapt.refine";

/** Above this size a document gets no lenses (walking a multi-MB tree per request is not cheap). */
export const MAX_LENS_CHARS = 1024 * 1024;
export const MAX_LENSES = 2000;

export interface LensOptions {
  /** The installed model's manifest disables refine: offer no Refine lens that can only fail. */
  refine: boolean;
}

export function codeLensesFor(tree: Tree, document: TextDocument, options: LensOptions = { refine: true }): CodeLens[] {
  if (document.getText().length > MAX_LENS_CHARS) return [];
  const lenses: CodeLens[] = [];
  for (const fn of functionsIn(tree, MAX_LENSES / 2)) {
    const at = document.positionAt(fn.start);
    const range = { start: at, end: at };
    const inside = document.positionAt(fn.at);
    const args = [document.uri, inside];
    lenses.push({ range, command: { title: "Summarize", command: SUMMARIZE_COMMAND, arguments: args, tooltip: `CodeAdapt: summarize ${fn.kind} ${fn.name}` } });
    if (options.refine) {
      lenses.push({ range, command: { title: "Refine", command: REFINE_COMMAND, arguments: args, tooltip: `CodeAdapt: refine ${fn.kind} ${fn.name}` } });
    }
  }
  return lenses;
}
