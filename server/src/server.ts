import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DidChangeConfigurationNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  DidChangeTrustNotification,
  PROTOCOL_VERSION,
  StatusChangedNotification,
  VisibleRangesNotification,
  type InitializationOptions,
  type StatusResult,
} from "../../common/src/protocol";
import { DEFAULT_SETTINGS, isLanguageEnabled, normalizeSettings, type CodeAdaptSettings } from "../../common/src/settings";
import { DocumentTrees } from "./documents/documentTrees";
import { ParserPool } from "./documents/parserPool";
import { hoverWithModel } from "./hover/hover";
import { ModelTokenTypes } from "./hover/modelTokenTypes";
import { codeLensesFor } from "./codeLens/codeLens";
import { codeActionsFor } from "./codeActions/codeActions";
import { CodeActionKind, CodeLensRefreshRequest, FileChangeType } from "vscode-languageserver";
import { checkModel, disabledTasksIn, findExtensionRoot, resolveModelDir } from "./model/modelManifest";
import { ModelHost, type HostOptions } from "./engine/modelHost";
import { registerCustomMethods } from "./requests/customMethods";
import { buildForRequest, toPath, WorkspaceAdapters } from "./workspace/workspaceService";

export interface ServerHandle {
  trees: DocumentTrees;
  parsers: ParserPool;
}

export function serverVersion(): string {
  const root = findExtensionRoot();
  if (!root) return "unknown";
  try {
    return JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The CodeAdapt language server on an already-created connection: documents with incremental
 * sync and their tree-sitter trees, hover, and the codeadapt/* methods. Nothing here blocks
 * start-up: grammars load in the background and requests wait for them.
 */
export function startServer(connection: Connection): ServerHandle {
  const parsers = new ParserPool();
  // Incremental sync: each change edits the old tree before the text moves on (see DocumentTrees).
  let trees: DocumentTrees;
  const documents = new TextDocuments<TextDocument>({
    create(uri, languageId, version, content) {
      const document = TextDocument.create(uri, languageId, version, content);
      trees.open(document);
      return document;
    },
    update: (document, changes, version) => trees.update(document, changes, version),
  });
  trees = new DocumentTrees(parsers, (uri) => documents.get(uri));
  documents.onDidClose((event) => {
    trees.close(event.document.uri);
    modelTokenTypes.closed(event.document.uri);
  });
  documents.onDidChangeContent((event) => modelTokenTypes.changed(event.document.uri));

  let trusted = false;
  let hasConfigurationCapability = false;
  let codeLensRefresh = false;
  let workspaceFoldersCapability = false;
  let settingsCache: Promise<CodeAdaptSettings> | undefined;

  const settings = (): Promise<CodeAdaptSettings> => {
    if (!hasConfigurationCapability) return Promise.resolve(DEFAULT_SETTINGS);
    settingsCache ??= connection.workspace
      .getConfiguration({ section: "codeadapt" })
      .then(normalizeSettings, (error) => {
        connection.console.warn(`CodeAdapt: could not read settings (${error}); using defaults`);
        settingsCache = undefined;
        return DEFAULT_SETTINGS;
      });
    return settingsCache;
  };

  const extensionRoot = findExtensionRoot() ?? process.cwd();
  const modelStatus = async (current: CodeAdaptSettings) => {
    const checked = await checkModel(resolveModelDir(current.modelPath, extensionRoot));
    return { ...checked, loaded: (await engine.loaded) !== undefined };
  };
  // A model whose manifest disables refine gets no Refine lens or action (a missing model still
  // does: choosing it says what to install).
  const refineOffered = (current: CodeAdaptSettings) => !disabledTasksIn(resolveModelDir(current.modelPath, extensionRoot)).refine;
  const engine = new ModelHost((message) => connection.console.info(`CodeAdapt: ${message}`));
  const hostOptions = (current: CodeAdaptSettings): HostOptions => ({
    dir: resolveModelDir(current.modelPath, extensionRoot),
    providers: current.executionProviders,
    threads: Math.max(1, Math.min(4, availableParallelism())),
    idleMinutes: current.idleUnloadMinutes,
  });

  // Workspace adapters: built on request (or auto-build) in trusted workspaces, updated on save.
  let workspaceFolders: string[] = [];
  let storageDir: string | undefined;
  const workspaceAdapters = new WorkspaceAdapters({
    engine,
    hostOptions: async () => hostOptions(await settings()),
    cacheDir: () => process.env.CODEADAPT_CACHE_DIR ?? (storageDir && join(storageDir, "workspaces")),
    maxTokens: async () => (await settings()).workspaceAdapter.maxTokens,
    log: (message) => connection.console.info(`CodeAdapt: ${message}`),
  });

  // Model token types for hover: visible region in the background, cached per version.
  const modelTokenTypes = new ModelTokenTypes({
    engine,
    trees,
    document: (uri) => documents.get(uri),
    hostOptions: async () => hostOptions(await settings()),
    log: (message) => connection.console.info(`CodeAdapt: ${message}`),
  });

  const status = async (): Promise<StatusResult> => {
    await parsers.ready;
    const current = await settings();
    const model = await modelStatus(current);
    return {
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: serverVersion(),
      grammars: {
        loaded: parsers.loaded(),
        failed: [...parsers.failed].map(([language, error]) => ({ language, error })),
        folder: parsers.folder,
      },
      model,
      device: (await engine.loaded)?.device ?? `none (${model.state === "present" ? "model not loaded yet: it loads on first use" : "no model"})`,
      executionProviders: current.executionProviders,
      workspaceTrusted: trusted,
      workspaceAdapter: workspaceAdapters.status(),
      openDocuments: documents.keys().length,
      rss: process.memoryUsage.rss(),
    };
  };

  const publishStatus = () => {
    status().then(
      (result) => connection.sendNotification(StatusChangedNotification, result),
      (error) => connection.console.error(`CodeAdapt: status failed: ${error}`),
    );
  };

  /** Workspace adapter auto-build: background, trusted workspaces only, never at start-up's expense. */
  const maybeAutoBuild = async () => {
    const current = await settings();
    if (!current.workspaceAdapter.autoBuild) return;
    if (!trusted) {
      connection.console.info("CodeAdapt: workspace adapter auto-build skipped: the workspace is not trusted.");
      return;
    }
    const model = await modelStatus(current);
    if (model.state === "missing" || model.state === "invalid") {
      connection.console.info(`CodeAdapt: workspace adapter auto-build skipped: ${model.message}`);
      return;
    }
    const result = await workspaceAdapters.build(workspaceFolders);
    connection.console.info(`CodeAdapt: workspace adapter auto-build: ${result.kind === "built" ? `${result.files} files, ${result.tokens} tokens` : result.message}`);
    publishStatus();
  };

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as Partial<InitializationOptions>;
    trusted = options.workspaceTrusted === true;
    storageDir = typeof options.storageDir === "string" && options.storageDir ? options.storageDir : undefined;
    workspaceFolders = (params.workspaceFolders ?? []).map((folder) => toPath(folder.uri));
    if (workspaceFolders.length === 0 && params.rootUri) workspaceFolders = [toPath(params.rootUri)];
    hasConfigurationCapability = params.capabilities.workspace?.configuration === true;
    codeLensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    workspaceFoldersCapability = params.capabilities.workspace?.workspaceFolders === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.RefactorRewrite] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: "codeadapt-server", version: serverVersion() },
    };
  });

  connection.onInitialized(() => {
    if (workspaceFoldersCapability) {
      connection.workspace.onDidChangeWorkspaceFolders(async ({ added, removed }) => {
        const gone = removed.map((folder) => toPath(folder.uri));
        workspaceFolders = [...workspaceFolders.filter((root) => !gone.includes(root)), ...added.map((folder) => toPath(folder.uri))];
        await workspaceAdapters.foldersRemoved(gone);
        publishStatus();
        if (added.length > 0 && workspaceAdapters.status().state === "ready") void maybeAutoBuild().catch((error) => connection.console.error(`CodeAdapt: auto-build: ${error}`));
      });
    }
    if (hasConfigurationCapability) {
      connection.client.register(DidChangeConfigurationNotification.type, { section: "codeadapt" }).catch(() => undefined);
    }
    publishStatus();
    // Low priority: after start-up settles, and only if the user asked for it.
    setTimeout(() => void maybeAutoBuild().catch((error) => connection.console.error(`CodeAdapt: auto-build: ${error}`)), 2000).unref();
  });

  connection.onDidChangeConfiguration(() => {
    settingsCache = undefined;
    modelTokenTypes.reset();
    if (codeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    publishStatus();
  });

  connection.onNotification(DidChangeTrustNotification, (params) => {
    trusted = params.trusted === true;
    publishStatus();
    void maybeAutoBuild().catch((error) => connection.console.error(`CodeAdapt: auto-build: ${error}`));
  });

  connection.onHover(async (params, token) => {
    await parsers.ready;
    const current = await settings();
    // The document may have closed or changed language while we waited.
    const document = documents.get(params.textDocument.uri);
    if (!document || token.isCancellationRequested) return null;
    if (!isLanguageEnabled(current, document.languageId)) return null;
    // Large documents parse in slices; wait for it without blocking other requests.
    await trees.ensure(document.uri);
    if (token.isCancellationRequested || !documents.get(document.uri)) return null;
    try {
      return await hoverWithModel(trees, document, params.position, (offset) => modelTokenTypes.at(document, offset));
    } catch (error) {
      connection.console.error(`CodeAdapt: hover failed on ${document.uri}: ${(error as Error).stack ?? error}`);
      return null;
    }
  });

  connection.onNotification(VisibleRangesNotification, (params) => {
    if (Array.isArray(params?.ranges)) modelTokenTypes.setVisible(params.uri, params.ranges);
  });

  /** The document's tree when lenses/actions may be offered (enabled language, parsed, not too large). */
  const treeFor = async (uri: string) => {
    await parsers.ready;
    const current = await settings();
    const document = documents.get(uri);
    if (!document || !isLanguageEnabled(current, document.languageId)) return undefined;
    const found = trees.lookup(uri);
    return "reason" in found ? undefined : { document, tree: found.tree, settings: current };
  };

  connection.onCodeLens(async (params, token) => {
    const found = await treeFor(params.textDocument.uri);
    if (!found || token.isCancellationRequested || !found.settings.codeLens.enabled) return [];
    return codeLensesFor(found.tree, found.document, { refine: refineOffered(found.settings) });
  });

  connection.onCodeAction(async (params, token) => {
    const found = await treeFor(params.textDocument.uri);
    if (!found || token.isCancellationRequested || !refineOffered(found.settings)) return [];
    return codeActionsFor(found.tree, found.document, params);
  });

  registerCustomMethods(connection, {
    documents,
    trees,
    ready: parsers.ready,
    settings,
    model: modelStatus,
    isTrusted: () => trusted,
    status,
    engine,
    hostOptions,
    workspaceDeltas: () => workspaceAdapters.deltas(),
    workspaceMemory: (kind) => workspaceAdapters.forSummaries(kind),
    buildWorkspaceAdapter: async (params, report, token) => {
      const building = buildForRequest(workspaceAdapters, workspaceFolders, params, report, token);
      publishStatus();
      try {
        return await building;
      } finally {
        publishStatus();
      }
    },
  });

  // A saved file updates the workspace adapter (when one is built) from the document's own tree.
  documents.onDidSave((event) => {
    if (!trusted || workspaceAdapters.status().state === "none" || !event.document.uri.startsWith("file:")) return;
    const found = trees.lookup(event.document.uri);
    const tree = "reason" in found ? undefined : found.tree.copy();
    void workspaceAdapters.didSave(toPath(event.document.uri), event.document.getText(), tree).then(publishStatus);
  });

  // Sources changed on disk outside the editor (a checkout, a code generator): the same update,
  // read from disk. An open document's own save event already covers its changes.
  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    if (!trusted || workspaceAdapters.status().state === "none") return;
    for (const change of changes) {
      if (!change.uri.startsWith("file:")) continue;
      if (change.type === FileChangeType.Changed && documents.get(change.uri)) continue;
      await workspaceAdapters.didSave(toPath(change.uri));
    }
    publishStatus();
  });

  connection.onShutdown(async () => {
    await workspaceAdapters.dispose();
    await engine.release();
    trees.dispose();
    parsers.dispose();
  });

  documents.listen(connection);
  connection.listen();
  return { trees, parsers };
}
