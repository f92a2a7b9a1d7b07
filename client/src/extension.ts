import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { DidChangeTrustNotification, StatusChangedNotification, WATCHED_SOURCE_GLOB, type InitializationOptions } from "../../common/src/protocol";
import { EDITOR_LANGUAGES } from "../../common/src/settings";
import { registerCommands } from "./commands";
import { StatusBar } from "./statusBar";
import { trackVisibleRanges } from "./visibleRanges";

let client: LanguageClient | undefined;

/**
 * The CodeAdapt extension: starts the language server (dist/server.js over IPC), registers the
 * commands, and shows state in the status bar. All work happens in the server.
 */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("CodeAdapt", { log: true });
  context.subscriptions.push(output);
  const statusBar = new StatusBar();
  context.subscriptions.push(statusBar);

  const serverModule = context.asAbsolutePath("dist/server.js");
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6019"] } },
  };
  const initializationOptions: InitializationOptions = {
    workspaceTrusted: vscode.workspace.isTrusted,
    extensionVersion: String(context.extension.packageJSON.version ?? "unknown"),
    storageDir: context.globalStorageUri.scheme === "file" ? context.globalStorageUri.fsPath : undefined,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: EDITOR_LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    outputChannel: output,
    initializationOptions,
    // Sources changed outside the editor (checkouts, generators) update the workspace adapter.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher(WATCHED_SOURCE_GLOB) },
    errorHandler: restartingErrorHandler(output),
  };

  client = new LanguageClient("codeadapt", "CodeAdapt", serverOptions, clientOptions);
  const current = client;
  context.subscriptions.push(
    current.onDidChangeState((event) => {
      statusBar.setServerState(event.newState === State.Running ? "running" : event.newState === State.Starting ? "starting" : "stopped");
      if (event.newState === State.Stopped) output.warn("CodeAdapt server stopped.");
    }),
  );
  context.subscriptions.push(current.onNotification(StatusChangedNotification, (status) => statusBar.setStatus(status)));

  // Trust is granted at most once per session; tell the server so it may mine the workspace.
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (current.isRunning()) void current.sendNotification(DidChangeTrustNotification, { trusted: true });
    }),
  );

  registerCommands(context, () => client, output, statusBar);
  // What the user sees, so the server precomputes the model's token types there (debounced).
  const visibleRanges = trackVisibleRanges(() => client);
  context.subscriptions.push(visibleRanges);
  context.subscriptions.push(current.onDidChangeState((event) => event.newState === State.Running && visibleRanges.refresh()));

  statusBar.setServerState("starting");
  try {
    await current.start();
  } catch (error) {
    statusBar.setServerState("stopped");
    output.error(`CodeAdapt server failed to start: ${error}`);
    void vscode.window.showErrorMessage(`CodeAdapt: the language server failed to start (${error}). See the CodeAdapt output.`);
  }
}

/** Restarts a server that died, says so, and gives up after 5 deaths in 3 minutes. */
function restartingErrorHandler(output: vscode.LogOutputChannel) {
  const deaths: number[] = [];
  return {
    error: (_error: Error, _message: unknown, count: number | undefined) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      const now = Date.now();
      deaths.push(now);
      while (deaths.length > 0 && now - deaths[0] > 3 * 60_000) deaths.shift();
      if (deaths.length >= 5) {
        output.error("CodeAdapt server stopped 5 times in 3 minutes; not restarting it.");
        void vscode.window.showErrorMessage("CodeAdapt: the language server keeps stopping and was not restarted. See the CodeAdapt output.");
        return { action: CloseAction.DoNotRestart };
      }
      output.warn("CodeAdapt server stopped unexpectedly; restarting it.");
      void vscode.window.showWarningMessage("CodeAdapt: the language server stopped unexpectedly and was restarted.");
      return { action: CloseAction.Restart };
    },
  };
}

export async function deactivate(): Promise<void> {
  const stopping = client;
  client = undefined;
  if (stopping) await stopping.stop();
}
