import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { LSPErrorCodes, ResponseError, WorkDoneProgress, type LanguageClient } from "vscode-languageclient/node";
import {
  BuildWorkspaceAdapterRequest,
  ErrorCodes,
  RefineRequest,
  StatusRequest,
  SummarizeRequest,
  type RefineResult,
  type SummarizeResult,
} from "../../common/src/protocol";
import type { StatusBar } from "./statusBar";
import { statusReport } from "./statusText";
import { commandTarget, diffSidePath, refinePrompt, stillApplies, summaryMessage } from "./commandArgs";
import { RefinementReviews, type Decision } from "./refinementReviews";

type ClientGetter = () => LanguageClient | undefined;

const REFINED_SCHEME = "codeadapt-refined";

/** Model-related failures offer the status report, which says what is missing and where. */
const MODEL_ERRORS = new Set<number>([ErrorCodes.ModelMissing, ErrorCodes.ModelInvalid, ErrorCodes.RuntimeUnavailable]);

export function registerCommands(context: vscode.ExtensionContext, getClient: ClientGetter, output: vscode.LogOutputChannel, statusBar: StatusBar): void {
  const refinedTexts = new Map<string, string>();
  const reviews = new RefinementReviews();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(REFINED_SCHEME, {
      provideTextDocumentContent: (uri) => refinedTexts.get(uri.toString()) ?? "",
    }),
    // Closing the diff answers its question: the refinement is not applied.
    vscode.window.tabGroups.onDidChangeTabs((event) => {
      for (const tab of event.closed) if (tab.input instanceof vscode.TabInputTextDiff) reviews.decide(tab.input.modified.toString(), "reject");
    }),
    { dispose: () => reviews.rejectAll() },
    vscode.commands.registerCommand("codeadapt.acceptRefinement", (uri?: unknown) => decideFromEditor(reviews, uri, "accept")),
    vscode.commands.registerCommand("codeadapt.rejectRefinement", (uri?: unknown) => decideFromEditor(reviews, uri, "reject")),
  );

  const running = (): LanguageClient | undefined => {
    const client = getClient();
    if (client?.isRunning()) return client;
    void vscode.window.showErrorMessage("CodeAdapt: the language server is not running. See the CodeAdapt output.");
    return undefined;
  };

  const report = async (what: string, error: unknown): Promise<void> => {
    if ((error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled) || error instanceof vscode.CancellationError) {
      // Said briefly where the user looks, so a cancel visibly took effect.
      output.info(`${what} cancelled`);
      vscode.window.setStatusBarMessage(`CodeAdapt: ${what} cancelled, nothing changed`, 5000);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    output.warn(`${what}: ${message}`);
    if (error instanceof ResponseError && MODEL_ERRORS.has(error.code)) {
      const choice = await vscode.window.showErrorMessage(`CodeAdapt ${what}: ${message}`, "Show model status");
      if (choice) await vscode.commands.executeCommand("codeadapt.showModelStatus");
    } else {
      void vscode.window.showErrorMessage(`CodeAdapt ${what}: ${message}`);
    }
  };

  const editorParams = (editor: vscode.TextEditor) => ({
    textDocument: { uri: editor.document.uri.toString() },
    position: editor.selection.active,
    range: editor.selection.isEmpty ? undefined : editor.selection,
  });

  /**
   * What a command works on: the arguments a code lens or code action passed (uri, position,
   * range?), else the active editor's selection or cursor.
   */
  const commandInput = async (args: unknown[]) => {
    const target = commandTarget(args);
    if (!target) {
      const editor = vscode.window.activeTextEditor;
      return editor && { document: editor.document, params: editorParams(editor) };
    }
    const uri = vscode.Uri.parse(target.uri);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.uri) ?? (await vscode.workspace.openTextDocument(uri));
    return { document, params: { textDocument: { uri: target.uri }, position: target.position, range: target.range } };
  };

  const withCancellableProgress = <T>(title: string, work: (token: vscode.CancellationToken, progress: vscode.Progress<{ message?: string; increment?: number }>) => Thenable<T>) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => work(token, progress));

  context.subscriptions.push(
    vscode.commands.registerCommand("codeadapt.summarize", async (...args: unknown[]) => {
      try {
        const input = await commandInput(args);
        const client = input && running();
        if (!input || !client) return;
        const result: SummarizeResult = await withCancellableProgress("CodeAdapt: summarizing", (token) =>
          client.sendRequest(SummarizeRequest, input.params, token),
        );
        await offerSummary(input.document, result);
      } catch (error) {
        await report("summarize", error);
      }
    }),

    vscode.commands.registerCommand("codeadapt.refine", async (...args: unknown[]) => {
      try {
        const input = await commandInput(args);
        const client = input && running();
        if (!input || !client) return;
        const result: RefineResult = await withCancellableProgress("CodeAdapt: refining", (token) =>
          client.sendRequest(RefineRequest, input.params, token),
        );
        await offerRefinement(input.document, result, refinedTexts, reviews);
      } catch (error) {
        await report("refine", error);
      }
    }),

    vscode.commands.registerCommand("codeadapt.buildWorkspaceAdapter", async () => {
      if (!vscode.workspace.isTrusted) {
        const choice = await vscode.window.showWarningMessage(
          "CodeAdapt does not read the code of an untrusted workspace. Trust this workspace to build its adapter.",
          "Manage Workspace Trust",
        );
        if (choice) await vscode.commands.executeCommand("workbench.trust.manage");
        return;
      }
      const client = running();
      if (!client) return;
      try {
        const result = await withCancellableProgress("CodeAdapt: building the workspace adapter", (token, progress) => {
          const workDoneToken = randomUUID();
          const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
            if (value.kind !== "end") progress.report({ message: value.message, increment: undefined });
          });
          return client.sendRequest(BuildWorkspaceAdapterRequest, { workDoneToken }, token).finally(() => listener.dispose());
        });
        void vscode.window.showInformationMessage(
          `CodeAdapt: workspace adapter ${result.adapterId} built from ${result.files} files (${learnedFrom(result)}) in ${(result.millis / 1000).toFixed(1)} s.`,
        );
      } catch (error) {
        await report("workspace adapter", error);
      }
    }),

    vscode.commands.registerCommand("codeadapt.showModelStatus", async () => {
      const client = running();
      if (!client) return;
      try {
        const status = await client.sendRequest(StatusRequest, {});
        statusBar.setStatus(status);
        output.info(statusReport(status));
        output.show(true);
        void vscode.window.showInformationMessage(`CodeAdapt: ${status.model.message}`);
      } catch (error) {
        await report("status", error);
      }
    }),
  );
}

/** Shows the summary; "Insert as doc comment" applies it with one undoable WorkspaceEdit. */
async function offerSummary(document: vscode.TextDocument, result: SummarizeResult): Promise<void> {
  const insert = result.docComment?.replace ? "Replace doc comment" : "Insert as doc comment";
  const actions = result.docComment && result.summary.trim() ? [insert] : [];
  const message = `CodeAdapt: ${summaryMessage(result)}`;
  const choice = result.truncated
    ? await vscode.window.showWarningMessage(message, ...actions)
    : await vscode.window.showInformationMessage(message, ...actions);
  if (choice !== insert || !result.docComment) return;
  if (!stillApplies(document.version, result.version)) {
    void vscode.window.showWarningMessage("CodeAdapt: the document changed since the summary was computed; summarize again to insert it.");
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  const { position, replace, text } = result.docComment;
  if (replace) edit.replace(document.uri, new vscode.Range(replace.start.line, replace.start.character, replace.end.line, replace.end.character), text);
  else edit.insert(document.uri, new vscode.Position(position.line, position.character), text);
  if (!(await vscode.workspace.applyEdit(edit))) void vscode.window.showErrorMessage("CodeAdapt: the doc comment could not be inserted.");
}

/**
 * Shows original vs. refined in a diff editor and asks: Accept applies one undoable WorkspaceEdit
 * if the document is still at the version the refinement was computed for; Reject, dismissing the
 * question, closing the diff or a changed document leave it untouched. The answer may come from
 * the notification or from the diff editor's title bar, since the notification hides itself after
 * a while. The diff editor closes either way.
 */
async function offerRefinement(document: vscode.TextDocument, result: RefineResult, refinedTexts: Map<string, string>, reviews: RefinementReviews): Promise<void> {
  const id = randomUUID();
  const original = vscode.Uri.from({ scheme: REFINED_SCHEME, path: diffSidePath(id, "original", document.uri.path) });
  const refined = vscode.Uri.from({ scheme: REFINED_SCHEME, path: diffSidePath(id, "refined", document.uri.path) });
  refinedTexts.set(original.toString(), result.original);
  refinedTexts.set(refined.toString(), result.refined);
  try {
    const prompt = refinePrompt(result);
    if (result.original === result.refined) {
      void vscode.window.showInformationMessage(prompt);
      return;
    }
    const decision = reviews.wait(refined.toString());
    await vscode.commands.executeCommand("vscode.diff", original, refined, "CodeAdapt: original ↔ refined");
    void (result.truncated ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(prompt, "Accept", "Reject").then((choice) =>
      reviews.decide(refined.toString(), choice === "Accept" ? "accept" : "reject"),
    );
    if ((await decision) !== "accept") return;
    if (!stillApplies(document.version, result.version)) {
      void vscode.window.showWarningMessage("CodeAdapt: the document changed since the refinement was computed; nothing was applied.");
      return;
    }
    const { start, end } = result.range;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(start.line, start.character, end.line, end.character), result.refined);
    if (!(await vscode.workspace.applyEdit(edit))) void vscode.window.showErrorMessage("CodeAdapt: the refinement could not be applied.");
  } finally {
    reviews.decide(refined.toString(), "reject");
    await closeDiff(refined);
    refinedTexts.delete(original.toString());
    refinedTexts.delete(refined.toString());
  }
}

/**
 * Accept/Reject from the diff editor's title bar: VS Code passes the diff's refined side; from the
 * palette there is no argument, and the active tab's diff is meant.
 */
function decideFromEditor(reviews: RefinementReviews, uri: unknown, decision: Decision): void {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const activeDiff = input instanceof vscode.TabInputTextDiff ? input.modified.toString() : undefined;
  const key = uri instanceof vscode.Uri && reviews.isPending(uri.toString()) ? uri.toString() : activeDiff;
  if (!key || !reviews.decide(key, decision)) void vscode.window.showInformationMessage("CodeAdapt: no refinement is awaiting an answer here.");
}

async function closeDiff(refined: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === refined.toString());
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
}

/** What a workspace build learned from, in words: the memory's functions, the generator's tokens. */
export function learnedFrom(result: { functions?: number; tokens: number }): string {
  const parts = [];
  if (result.functions) parts.push(`${result.functions} documented functions`);
  if (result.tokens) parts.push(`${result.tokens} tokens`);
  return parts.join(", ") || "nothing";
}
