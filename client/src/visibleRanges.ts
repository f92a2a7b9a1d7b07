import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { VisibleRangesNotification, type VisibleRangesParams } from "../../common/src/protocol";
import { EDITOR_LANGUAGES } from "../../common/src/settings";
import { Debouncer } from "./debounce";

/**
 * Tells the server what the user sees (codeadapt/visibleRanges), so it can compute the model's
 * token types for that region before the first hover. Debounced: scrolling sends one
 * notification when it settles, not one per frame.
 */
export interface VisibleRangesTracker extends vscode.Disposable {
  /** Sends the active editor's visible ranges again (the server (re)started). */
  refresh(): void;
}

export function trackVisibleRanges(getClient: () => LanguageClient | undefined, delayMs = 200): VisibleRangesTracker {
  const languages = new Set<string>(EDITOR_LANGUAGES);
  let lastSent = "";
  const send = () => {
    const client = getClient();
    const editor = vscode.window.activeTextEditor;
    if (!client?.isRunning() || !editor) return;
    const document = editor.document;
    if (!languages.has(document.languageId) || (document.uri.scheme !== "file" && document.uri.scheme !== "untitled")) return;
    const params: VisibleRangesParams = {
      uri: document.uri.toString(),
      ranges: editor.visibleRanges.map((r) => ({
        start: { line: r.start.line, character: r.start.character },
        end: { line: r.end.line, character: r.end.character },
      })),
    };
    const key = `${document.version}|${JSON.stringify(params)}`;
    if (key === lastSent) return;
    lastSent = key;
    void client.sendNotification(VisibleRangesNotification, params).catch(() => undefined);
  };
  const debouncer = new Debouncer(send, delayMs);
  const subscriptions = vscode.Disposable.from(
    vscode.window.onDidChangeTextEditorVisibleRanges((event) => {
      if (event.textEditor === vscode.window.activeTextEditor) debouncer.trigger();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => debouncer.trigger()),
    { dispose: () => debouncer.dispose() },
  );
  return {
    refresh: () => {
      lastSent = "";
      debouncer.trigger();
    },
    dispose: () => subscriptions.dispose(),
  };
}
