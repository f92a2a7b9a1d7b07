/**
 * CodeAdapt's custom LSP methods: names, params, results, error codes and progress, defined once
 * and used by both the client and the server. docs/protocol.md documents each method.
 *
 * Every request takes the standard LSP cancellation ($/cancelRequest); a cancelled request
 * answers with LSP's RequestCancelled (-32800). Long requests accept a `workDoneToken` and
 * report `$/progress` with the standard WorkDoneProgress begin/report/end values.
 */
import {
  NotificationType,
  ProgressType,
  RequestType,
  type Position,
  type Range,
  type TextDocumentIdentifier,
  type WorkDoneProgressParams,
  type WorkDoneProgressBegin,
  type WorkDoneProgressReport,
  type WorkDoneProgressEnd,
} from "vscode-languageserver-protocol";

/** Version of this protocol; the client compares it with the server's status. */
export const PROTOCOL_VERSION = 1;

/**
 * Error codes of CodeAdapt requests (ResponseError.code). They sit outside JSON-RPC's and
 * LSP's reserved ranges. `data` carries a {@link CodeAdaptErrorData}.
 */
export const ErrorCodes = {
  /** No model is installed: models/manifest.json (or the configured modelPath) does not exist. */
  ModelMissing: 1001,
  /** A manifest exists but does not verify (unreadable, a file missing, a sha256 or label-set mismatch). */
  ModelInvalid: 1002,
  /** The model verifies but this server has no inference runtime for it yet. */
  RuntimeUnavailable: 1003,
  /** The request names a document the server does not have open. */
  DocumentNotOpen: 1004,
  /** The document's language has no CodeAdapt grammar, or it is disabled in settings. */
  UnsupportedLanguage: 1005,
  /** The action mines workspace code and the workspace is not trusted. */
  WorkspaceUntrusted: 1006,
  /** Nothing to work on: empty selection and no function at the cursor. */
  NothingSelected: 1007,
  /** The document looks binary (NUL bytes or undecodable text). */
  BinaryContent: 1008,
  /** The installed model does not offer this task (its manifest disables it, with the reason). */
  TaskDisabled: 1009,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface CodeAdaptErrorData {
  /** What is missing or wrong, for logs and the status view (e.g. the manifest path). */
  detail?: string;
  /** A path the user can act on. */
  path?: string;
}

// ---------------------------------------------------------------- codeadapt/summarize

export interface SummarizeParams extends WorkDoneProgressParams {
  textDocument: TextDocumentIdentifier;
  /** The selection; when empty or absent, the function around `position` is summarized. */
  range?: Range;
  position: Position;
}

export interface SummarizeResult {
  summary: string;
  /** The code that was summarized. */
  range: Range;
  /** True when the input was cut to `codeadapt.maxInputTokens`. */
  truncated: boolean;
  /**
   * The summary formatted as the language's doc comment, ready to insert at `position`; when the
   * function already has a docstring/doc comment, `replace` is its range and `text` replaces it.
   */
  docComment?: { position: Position; text: string; replace?: Range };
  /** The document version `range` and `docComment.position` refer to. */
  version: number;
}

export const SummarizeRequest = new RequestType<SummarizeParams, SummarizeResult, CodeAdaptErrorData>("codeadapt/summarize");

// ---------------------------------------------------------------- codeadapt/refine

export interface RefineParams extends WorkDoneProgressParams {
  textDocument: TextDocumentIdentifier;
  range?: Range;
  position: Position;
}

export interface RefineResult {
  /** The range the refined code replaces, in the document version `version`. */
  range: Range;
  version: number;
  original: string;
  refined: string;
  truncated: boolean;
  /**
   * Present when the model chose one edit among candidates (the "edits" refine strategy) rather
   * than writing the function: what the edit does and how many candidates it was ranked against.
   */
  edit?: { operator: string; candidates: number };
}

export const RefineRequest = new RequestType<RefineParams, RefineResult, CodeAdaptErrorData>("codeadapt/refine");

// ---------------------------------------------------------------- codeadapt/buildWorkspaceAdapter

export interface BuildWorkspaceAdapterParams extends WorkDoneProgressParams {
  /** Workspace folder URIs to mine; empty = all folders the server was initialized with. */
  folders?: string[];
  /** Rebuild from scratch instead of updating cached per-function contributions. */
  force?: boolean;
}

export interface BuildWorkspaceAdapterResult {
  adapterId: string;
  files: number;
  /** Tokens the generated adapter read (0 when the model has no generator). */
  tokens: number;
  /** Documented functions in the workspace memory (0 when the model's decoder cannot key one). */
  functions: number;
  skippedFiles: number;
  millis: number;
}

export const BuildWorkspaceAdapterRequest = new RequestType<BuildWorkspaceAdapterParams, BuildWorkspaceAdapterResult, CodeAdaptErrorData>(
  "codeadapt/buildWorkspaceAdapter",
);

/** The $/progress values of a workspace build (standard WorkDoneProgress shapes). */
export const BuildProgress = new ProgressType<WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd>();

// ---------------------------------------------------------------- codeadapt/status

export type ModelState = "missing" | "invalid" | "present";

export interface ModelStatus {
  state: ModelState;
  /** The manifest the server looked for. */
  manifestPath: string;
  /** Why the model is not usable, in one sentence. */
  message: string;
  /** Name/version from the manifest when present. */
  name?: string;
  labelSet?: string;
  /** Tasks the manifest disables (the model does not do them well enough), with the reason. */
  disabledTasks?: Partial<Record<"summarize" | "refine", string>>;
  loaded: boolean;
}

export interface StatusParams {}

export interface StatusResult {
  protocolVersion: number;
  serverVersion: string;
  /** Grammar ids whose .wasm loaded, and the folder they came from. */
  grammars: { loaded: string[]; failed: { language: string; error: string }[]; folder: string };
  model: ModelStatus;
  /** The device inference runs on, or why none: "none (no model)". */
  device: string;
  /** Providers configured, in order. */
  executionProviders: string[];
  workspaceTrusted: boolean;
  workspaceAdapter: { state: "none" | "building" | "ready"; id?: string };
  openDocuments: number;
  /** Server process memory (RSS) in bytes. */
  rss: number;
}

export const StatusRequest = new RequestType<StatusParams, StatusResult, CodeAdaptErrorData>("codeadapt/status");

/** Server → client: the status changed (model found/lost, settings changed, build finished). */
export const StatusChangedNotification = new NotificationType<StatusResult>("codeadapt/statusChanged");

// ---------------------------------------------------------------- codeadapt/visibleRanges

export interface VisibleRangesParams {
  /** The document shown in the active editor. */
  uri: string;
  /** Its visible ranges (folded regions split them). Empty: the document is no longer visible. */
  ranges: Range[];
}

/**
 * Client → server (debounced, on scroll and active-editor changes): what the user sees. The
 * server computes the model's token types for that region in the background, so hovers there
 * answer from a cache.
 */
export const VisibleRangesNotification = new NotificationType<VisibleRangesParams>("codeadapt/visibleRanges");

// ---------------------------------------------------------------- workspace trust

export interface DidChangeTrustParams {
  trusted: boolean;
}

/** Client → server: the workspace was trusted (VS Code never revokes trust within a session). */
export const DidChangeTrustNotification = new NotificationType<DidChangeTrustParams>("codeadapt/didChangeTrust");

/**
 * Files the client watches on disk for the server (workspace/didChangeWatchedFiles): the source
 * files a workspace adapter reads (server/src/parsing/languages.ts SOURCE_EXTENSIONS; a test
 * keeps the two equal).
 */
export const WATCHED_SOURCE_GLOB = "**/*.{py,js,mjs,cjs,jsx,ts,mts,cts,tsx,java,go}";

/** Sent as `initializationOptions`. */
export interface InitializationOptions {
  workspaceTrusted: boolean;
  extensionVersion: string;
  /** Where the server keeps per-workspace adapter caches (the extension's global storage). */
  storageDir?: string;
}
