import { CodeActionKind, CodeActionTriggerKind, type CodeAction, type CodeActionParams, type Diagnostic } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Tree } from "web-tree-sitter";
import { functionAt } from "../functions/functionAt";
import { REFINE_COMMAND } from "../codeLens/codeLens";

export const REFINE_TITLE = "Refine with CodeAdapt";

/**
 * "Refine with CodeAdapt" (kind refactor.rewrite) on a function that has diagnostics, and on
 * request (the user opened the refactor menu: triggerKind Invoked, or asked for refactor kinds)
 * on the function at the cursor or the selection. Cheap and model-free: the action only carries
 * the client command with the document, position and selection; the model runs when it is chosen.
 */
export function codeActionsFor(tree: Tree, document: TextDocument, params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  if (only && !only.some((kind) => CodeActionKind.RefactorRewrite === kind || CodeActionKind.RefactorRewrite.startsWith(`${kind}.`) || kind === "")) {
    return [];
  }
  const text = document.getText();
  const start = document.offsetAt(params.range.start);
  const end = document.offsetAt(params.range.end);
  const selection = end > start && text.slice(start, end).trim() ? params.range : undefined;
  const fn = functionAt(tree, text, start);
  const onRequest = params.context.triggerKind === CodeActionTriggerKind.Invoked || (only?.length ?? 0) > 0;
  const target = fn ? { start: fn.start, end: fn.end } : selection ? { start, end } : undefined;
  if (!target) return [];
  const diagnostics = params.context.diagnostics.filter((d) => overlaps(document, d, target.start, target.end));
  if (diagnostics.length === 0 && !onRequest) return [];
  const what = selection ? "the selection" : `${fn!.kind} ${fn!.name}`;
  const args: unknown[] = [document.uri, params.range.start];
  if (selection) args.push(selection);
  return [
    {
      title: REFINE_TITLE,
      kind: CodeActionKind.RefactorRewrite,
      diagnostics: diagnostics.length > 0 ? diagnostics : undefined,
      command: { title: REFINE_TITLE, command: REFINE_COMMAND, arguments: args, tooltip: `CodeAdapt: refine ${what}` },
    },
  ];
}

function overlaps(document: TextDocument, diagnostic: Diagnostic, start: number, end: number): boolean {
  const from = document.offsetAt(diagnostic.range.start);
  const to = document.offsetAt(diagnostic.range.end);
  return from < end && to >= start;
}
