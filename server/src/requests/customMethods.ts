import {
  LSPErrorCodes,
  ResponseError,
  type CancellationToken,
  type Connection,
  type TextDocuments,
} from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  BuildWorkspaceAdapterRequest,
  ErrorCodes,
  RefineRequest,
  StatusRequest,
  SummarizeRequest,
  type CodeAdaptErrorData,
  type ModelStatus,
  type RefineParams,
  type StatusResult,
  type SummarizeParams,
} from "../../../common/src/protocol";
import { isLanguageEnabled, type CodeAdaptSettings } from "../../../common/src/settings";
import type { DocumentTrees } from "../documents/documentTrees";
import { unavailableText } from "../hover/hover";

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
 * The model-backed requests stop at the first missing piece and say which: this server has no
 * inference runtime yet, so even a verified model ends in RuntimeUnavailable. They never
 * return invented text.
 */
async function requireModel(context: MethodContext, settings: CodeAdaptSettings, token: CancellationToken): Promise<never> {
  const model = await context.model(settings);
  throwIfCancelled(token);
  if (model.state === "missing") fail(ErrorCodes.ModelMissing, model.message, { detail: "manifest not found", path: model.manifestPath });
  if (model.state === "invalid") fail(ErrorCodes.ModelInvalid, model.message, { path: model.manifestPath });
  fail(
    ErrorCodes.RuntimeUnavailable,
    `${model.message}, but this CodeAdapt server has no inference runtime yet: summarize, refine and workspace adapters are not available in this build.`,
    { path: model.manifestPath },
  );
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

async function documentRequest(
  context: MethodContext,
  params: SummarizeParams | RefineParams,
  token: CancellationToken,
): Promise<never> {
  throwIfCancelled(token);
  await context.ready;
  await context.trees.ensure(params.textDocument.uri);
  const settings = await context.settings();
  throwIfCancelled(token);
  requireCodeDocument(context, settings, params.textDocument.uri);
  return requireModel(context, settings, token);
}

export function registerCustomMethods(connection: Connection, context: MethodContext): void {
  connection.onRequest(SummarizeRequest, (params, token) => documentRequest(context, params, token));
  connection.onRequest(RefineRequest, (params, token) => documentRequest(context, params, token));

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
      return await requireModel(context, settings, token);
    } finally {
      progress?.done();
    }
  });

  connection.onRequest(StatusRequest, async (_params, token) => {
    throwIfCancelled(token);
    return context.status();
  });
}
