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

type ClientGetter = () => LanguageClient | undefined;

const REFINED_SCHEME = "codeadapt-refined";

/** Model-related failures offer the status report, which says what is missing and where. */
const MODEL_ERRORS = new Set<number>([ErrorCodes.ModelMissing, ErrorCodes.ModelInvalid, ErrorCodes.RuntimeUnavailable]);

export function registerCommands(context: vscode.ExtensionContext, getClient: ClientGetter, output: vscode.LogOutputChannel, statusBar: StatusBar): void {
  const refinedTexts = new Map<string, string>();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(REFINED_SCHEME, {
      provideTextDocumentContent: (uri) => refinedTexts.get(uri.toString()) ?? "",
    }),
  );

  const running = (): LanguageClient | undefined => {
    const client = getClient();
    if (client?.isRunning()) return client;
    void vscode.window.showErrorMessage("CodeAdapt: the language server is not running. See the CodeAdapt output.");
    return undefined;
  };

  const report = async (what: string, error: unknown): Promise<void> => {
    if (error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled) return;
    if (error instanceof vscode.CancellationError) return;
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

  const withCancellableProgress = <T>(title: string, work: (token: vscode.CancellationToken, progress: vscode.Progress<{ message?: string; increment?: number }>) => Thenable<T>) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => work(token, progress));

  context.subscriptions.push(
    vscode.commands.registerCommand("codeadapt.summarize", async () => {
      const editor = vscode.window.activeTextEditor;
      const client = editor && running();
      if (!editor || !client) return;
      try {
        const result: SummarizeResult = await withCancellableProgress("CodeAdapt: summarizing", (token) =>
          client.sendRequest(SummarizeRequest, editorParams(editor), token),
        );
        const notice = result.truncated ? " (input truncated)" : "";
        const choice = await vscode.window.showInformationMessage(`${result.summary}${notice}`, ...(result.docComment ? ["Insert as comment"] : []));
        if (choice && result.docComment) {
          const edit = new vscode.WorkspaceEdit();
          const { line, character } = result.docComment.position;
          edit.insert(editor.document.uri, new vscode.Position(line, character), result.docComment.text);
          await vscode.workspace.applyEdit(edit);
        }
      } catch (error) {
        await report("summarize", error);
      }
    }),

    vscode.commands.registerCommand("codeadapt.refine", async () => {
      const editor = vscode.window.activeTextEditor;
      const client = editor && running();
      if (!editor || !client) return;
      try {
        const result: RefineResult = await withCancellableProgress("CodeAdapt: refining", (token) =>
          client.sendRequest(RefineRequest, editorParams(editor), token),
        );
        await offerRefinement(editor.document, result, refinedTexts);
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
          `CodeAdapt: workspace adapter ${result.adapterId} built from ${result.files} files (${result.tokens} tokens) in ${(result.millis / 1000).toFixed(1)} s.`,
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

/** Shows original vs. refined in a diff editor; Accept applies one undoable WorkspaceEdit. */
async function offerRefinement(document: vscode.TextDocument, result: RefineResult, refinedTexts: Map<string, string>): Promise<void> {
  const id = randomUUID();
  const original = vscode.Uri.from({ scheme: REFINED_SCHEME, path: `/${id}/original`, query: document.languageId });
  const refined = vscode.Uri.from({ scheme: REFINED_SCHEME, path: `/${id}/refined`, query: document.languageId });
  refinedTexts.set(original.toString(), result.original);
  refinedTexts.set(refined.toString(), result.refined);
  try {
    await vscode.commands.executeCommand("vscode.diff", original, refined, "CodeAdapt: original ↔ refined");
    const choice = await vscode.window.showInformationMessage("CodeAdapt: apply the refinement?", "Accept", "Reject");
    if (choice !== "Accept") return;
    if (document.version !== result.version) {
      void vscode.window.showWarningMessage("CodeAdapt: the document changed since the refinement was computed; nothing was applied.");
      return;
    }
    const { start, end } = result.range;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(start.line, start.character, end.line, end.character), result.refined);
    await vscode.workspace.applyEdit(edit);
  } finally {
    refinedTexts.delete(original.toString());
    refinedTexts.delete(refined.toString());
  }
}
