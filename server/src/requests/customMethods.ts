import {
  LSPErrorCodes,
  ResponseError,
  type CancellationToken,
  type Connection,
  type TextDocuments,
  type WorkDoneProgressReporter,
} from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  BuildWorkspaceAdapterRequest,
  ErrorCodes,
  type BuildWorkspaceAdapterParams,
  type BuildWorkspaceAdapterResult,
  RefineRequest,
  StatusRequest,
  SummarizeRequest,
  type CodeAdaptErrorData,
  type ModelStatus,
  type RefineParams,
  type RefineResult,
  type StatusResult,
  type SummarizeParams,
  type SummarizeResult,
} from "../../../common/src/protocol";
import { isLanguageEnabled, type CodeAdaptSettings } from "../../../common/src/settings";
import type { DocumentTrees } from "../documents/documentTrees";
import { unavailableText } from "../hover/hover";
import { TaskDisabledError, type CodeModel, type GenerationResult } from "../engine/codeModel";
import { SupersededError, type HostOptions, type ModelHost } from "../engine/modelHost";
import { CancelledError } from "../engine/search";
import { docCommentFor } from "../functions/docComment";
import { functionAt, reindent, type FunctionSpan } from "../functions/functionAt";
import type { LanguageId } from "../parsing/languages";

/** What the custom methods need from the server, so they can be tested without one. */
export interface MethodContext {
  documents: TextDocuments<TextDocument>;
  trees: DocumentTrees;
  /** Resolves once the grammars have loaded (or failed to). */
  ready: Promise<void>;
  settings(): Promise<CodeAdaptSettings>;
  /** Verifies the model (cached by the caller); never throws. */
  model(settings: CodeAdaptSettings): Promise<ModelStatus>;
  isTrusted(): boolean;
  status(): Promise<StatusResult>;
  /** The loaded model (lazily) and its one request queue. */
  engine: ModelHost;
  hostOptions(settings: CodeAdaptSettings): HostOptions;
  /** The active workspace adapter's deltas, if one is built. */
  workspaceDeltas?(): import("../engine/adapters").Deltas | undefined;
  /** The active workspace memory or output-layer adapter (the setting's kind), if one is built (summarize only). */
  workspaceMemory?(kind: import("../../../common/src/settings").WorkspaceAdapterKind): import("../engine/search").LogitMemory | undefined;
  /** Builds the workspace adapter (server/src/workspace); absent: workspace adapters are unavailable. */
  buildWorkspaceAdapter?(
    params: BuildWorkspaceAdapterParams,
    report: (message: string) => void,
    token: CancellationToken,
  ): Promise<BuildWorkspaceAdapterResult>;
}

export function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, "Request cancelled");
}

function throwIfCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw cancelled();
}

function fail(code: number, message: string, data?: CodeAdaptErrorData): never {
  throw new ResponseError<CodeAdaptErrorData>(code, message, data);
}

/**
 * The model-backed requests stop at the first missing piece and say which; they never return
 * invented text.
 */
async function requireModel(context: MethodContext, settings: CodeAdaptSettings, token: CancellationToken): Promise<void> {
  const model = await context.model(settings);
  throwIfCancelled(token);
  if (model.state === "missing") fail(ErrorCodes.ModelMissing, model.message, { detail: "manifest not found", path: model.manifestPath });
  if (model.state === "invalid") fail(ErrorCodes.ModelInvalid, model.message, { path: model.manifestPath });
}

/** Checks that a document request can be served at all (open, supported, enabled, text). */
function requireCodeDocument(context: MethodContext, settings: CodeAdaptSettings, uri: string): TextDocument {
  const document = context.documents.get(uri);
  if (!document) fail(ErrorCodes.DocumentNotOpen, `CodeAdapt has no open document ${uri} (it was closed, or never opened).`);
  const lookup = context.trees.lookup(uri);
  if ("reason" in lookup) {
    const message = unavailableText(lookup) ?? `CodeAdapt has no open document ${uri}.`;
    if (lookup.reason === "unsupported" || lookup.reason === "grammar-failed") fail(ErrorCodes.UnsupportedLanguage, message);
    if (lookup.reason === "content") fail(ErrorCodes.BinaryContent, message);
    if (lookup.reason === "not-open") fail(ErrorCodes.DocumentNotOpen, message);
    // too-large documents can still be summarized from the selection once a runtime exists.
  }
  if (!isLanguageEnabled(settings, document.languageId)) {
    fail(ErrorCodes.UnsupportedLanguage, `CodeAdapt is disabled for ${document.languageId} documents (setting codeadapt.languages).`);
  }
  return document;
}

/** The code a request works on: the selection when there is one, else the function around the cursor. */
interface Target {
  code: string;
  start: number;
  end: number;
  span?: FunctionSpan;
  language: LanguageId;
}

function targetOf(context: MethodContext, document: TextDocument, params: SummarizeParams | RefineParams): Target {
  const lookup = context.trees.lookup(document.uri);
  if ("reason" in lookup) fail(ErrorCodes.UnsupportedLanguage, unavailableText(lookup) ?? `CodeAdapt cannot read ${document.uri}.`);
  const text = document.getText();
  if (params.range) {
    const start = document.offsetAt(params.range.start);
    const end = document.offsetAt(params.range.end);
    if (end > start && text.slice(start, end).trim()) {
      return { code: text.slice(start, end), start, end, language: lookup.language };
    }
  }
  const span = functionAt(lookup.tree, text, document.offsetAt(params.position));
  if (!span) {
    fail(ErrorCodes.NothingSelected, "Nothing to work on: select some code, or put the cursor inside a function or method.");
  }
  return { code: span.code, start: span.start, end: span.end, span, language: lookup.language };
}

/** $/progress of one request, when the client gave a workDoneToken. */
type Reporter = Pick<WorkDoneProgressReporter, "begin" | "report" | "done">;

async function generate(
  context: MethodContext,
  task: "summarize" | "refine",
  params: SummarizeParams | RefineParams,
  token: CancellationToken,
  progress?: Reporter,
): Promise<{ document: TextDocument; target: Target; result: GenerationResult; version: number }> {
  throwIfCancelled(token);
  await context.ready;
  await context.trees.ensure(params.textDocument.uri);
  const settings = await context.settings();
  throwIfCancelled(token);
  const document = requireCodeDocument(context, settings, params.textDocument.uri);
  await requireModel(context, settings, token);
  const target = targetOf(context, document, params);
  const version = document.version;
  // Stops between decode steps when cancelled, when the document changes, or when a newer
  // request for the same document and task arrives (the older one is dropped).
  let superseded = () => false;
  const request = {
    code: target.code,
    language: target.language,
    maxTokens: task === "summarize" ? settings.maxSummaryTokens : undefined,
    workspace: context.workspaceDeltas?.(),
    memory: task === "summarize" ? context.workspaceMemory?.(settings.workspaceAdapter.kind) : undefined,
    isCancelled: () => token.isCancellationRequested || superseded() || context.documents.get(document.uri)?.version !== version,
    // Every 8 steps: cheap, and enough for a progress bar and for tests to know decoding began.
    onStep: (steps: number) => (steps === 1 || steps % 8 === 0) && progress?.report(`${task}: ${steps} tokens`),
  };
  progress?.begin(`CodeAdapt: ${task}`, undefined, "waiting for the model", true);
  try {
    const result = await context.engine.run(`${document.uri}|${task}`, context.hostOptions(settings), (model: CodeModel, newer) => {
      superseded = newer;
      return task === "summarize" ? model.summarize(request) : model.refine(request);
    });
    return { document, target, result, version };
  } catch (error) {
    if (error instanceof CancelledError || error instanceof SupersededError) throw cancelled();
    if (error instanceof ResponseError) throw error;
    if (error instanceof TaskDisabledError) return fail(ErrorCodes.TaskDisabled, error.message);
    return fail(ErrorCodes.ModelInvalid, `The CodeAdapt model could not run: ${(error as Error).message}`);
  } finally {
    progress?.done();
  }
}

async function summarize(context: MethodContext, params: SummarizeParams, token: CancellationToken, progress?: Reporter): Promise<SummarizeResult> {
  const { document, target, result, version } = await generate(context, "summarize", params, token, progress);
  const range = { start: document.positionAt(target.start), end: document.positionAt(target.end) };
  const summary = result.text.trim();
  const doc = target.span && summary ? docCommentFor(target.language, target.span, summary, document.getText()) : undefined;
  return {
    summary,
    range,
    truncated: result.truncated,
    docComment: doc && {
      position: document.positionAt(doc.offset),
      text: doc.text,
      replace: doc.end !== undefined ? { start: document.positionAt(doc.offset), end: document.positionAt(doc.end) } : undefined,
    },
    version,
  };
}

async function refine(context: MethodContext, params: RefineParams, token: CancellationToken, progress?: Reporter): Promise<RefineResult> {
  const { document, target, result, version } = await generate(context, "refine", params, token, progress);
  const original = document.getText().slice(target.start, target.end);
  const refined = target.span ? reindent(result.text, target.span.indent) : result.text;
  return {
    range: { start: document.positionAt(target.start), end: document.positionAt(target.end) },
    version,
    original,
    refined,
    truncated: result.truncated,
    edit: result.edit && { operator: result.edit.operator, candidates: result.edit.candidates },
  };
}

export function registerCustomMethods(connection: Connection, context: MethodContext): void {
  const reporter = (params: { workDoneToken?: string | number }) =>
    params.workDoneToken !== undefined ? connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
  connection.onRequest(SummarizeRequest, (params, token) => summarize(context, params, token, reporter(params)));
  connection.onRequest(RefineRequest, (params, token) => refine(context, params, token, reporter(params)));

  connection.onRequest(BuildWorkspaceAdapterRequest, async (params, token) => {
    throwIfCancelled(token);
    if (!context.isTrusted()) {
      fail(ErrorCodes.WorkspaceUntrusted, "CodeAdapt does not read the code of an untrusted workspace. Trust the workspace to build its adapter.");
    }
    const progress = params.workDoneToken !== undefined ? connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
    progress?.begin("CodeAdapt: workspace adapter", undefined, "checking the model", true);
    try {
      const settings = await context.settings();
      throwIfCancelled(token);
      await requireModel(context, settings, token);
      if (!context.buildWorkspaceAdapter) {
        fail(ErrorCodes.RuntimeUnavailable, "Workspace adapters are not available in this build yet: the installed model has no workspace generator.");
      }
      return await context.buildWorkspaceAdapter(params, (message) => progress?.report(message), token);
    } finally {
      progress?.done();
    }
  });

  connection.onRequest(StatusRequest, async (_params, token) => {
    throwIfCancelled(token);
    return context.status();
  });
}
