/**
 * CodeAdapt settings: the one description of `codeadapt.*` shared by the client and the server.
 * package.json `contributes.configuration` declares the same keys with the same defaults;
 * settings.test.ts checks that the two agree.
 */

/** Editor language ids CodeAdapt serves (VS Code ids, not grammar ids). */
export const EDITOR_LANGUAGES = [
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
  "java",
  "go",
] as const;

export type EditorLanguage = (typeof EDITOR_LANGUAGES)[number];

export type ExecutionProvider = "cuda" | "webgpu" | "dml" | "coreml" | "cpu";

export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ["cuda", "webgpu", "dml", "coreml", "cpu"];

export type TraceLevel = "off" | "messages" | "verbose";

export const WORKSPACE_ADAPTER_KINDS = ["memory", "weights"] as const;
export type WorkspaceAdapterKind = (typeof WORKSPACE_ADAPTER_KINDS)[number];

export interface CodeAdaptSettings {
  /** Folder holding manifest.json and the model files; empty = the `models/` folder shipped with the extension. */
  modelPath: string;
  /** Execution providers to try, in order, one at a time. */
  executionProviders: ExecutionProvider[];
  /** Inputs longer than this many tokens are truncated with a visible notice. */
  maxInputTokens: number;
  /** Upper bound on generated summary length, in tokens. */
  maxSummaryTokens: number;
  workspaceAdapter: {
    /** Build the workspace adapter in the background when a trusted workspace opens. */
    autoBuild: boolean;
    /** Stop reading the workspace after this many tokens (whole files only). */
    maxTokens: number;
    /**
     * How summaries use the workspace: "memory", its nearest-neighbour memory mixed into decoding;
     * "weights", the output-layer adapter made from the same states (server/src/workspace/outputAdapter.ts).
     */
    kind: WorkspaceAdapterKind;
  };
  /** Per-language enablement, keyed by VS Code language id. */
  languages: Record<EditorLanguage, boolean>;
  /** Release the model after this many idle minutes (0 = never). */
  idleUnloadMinutes: number;
  codeLens: {
    /** Show "Summarize" / "Refine" code lenses above functions and methods. */
    enabled: boolean;
  };
  trace: { server: TraceLevel };
}

export const DEFAULT_SETTINGS: CodeAdaptSettings = {
  modelPath: "",
  executionProviders: ["cpu"],
  maxInputTokens: 512,
  maxSummaryTokens: 48,
  workspaceAdapter: { autoBuild: false, maxTokens: 2_000_000, kind: "memory" },
  languages: {
    python: true,
    javascript: true,
    javascriptreact: true,
    typescript: true,
    typescriptreact: true,
    java: true,
    go: true,
  },
  idleUnloadMinutes: 10,
  codeLens: { enabled: true },
  trace: { server: "off" },
};

/** Settings a workspace may not set while it is untrusted (package.json restrictedConfigurations). */
export const RESTRICTED_SETTINGS = ["codeadapt.modelPath", "codeadapt.executionProviders", "codeadapt.workspaceAdapter.autoBuild"];

const clampInt = (value: unknown, min: number, max: number, fallback: number): number =>
  typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;

/**
 * Turns whatever `workspace/configuration` returned (possibly null, partial or mistyped) into
 * complete settings: unknown values fall back to the defaults instead of failing.
 */
export function normalizeSettings(raw: unknown): CodeAdaptSettings {
  const input = (raw && typeof raw === "object" ? raw : {}) as Record<string, any>;
  const d = DEFAULT_SETTINGS;
  const providers = Array.isArray(input.executionProviders)
    ? input.executionProviders.filter((p: unknown): p is ExecutionProvider =>
        typeof p === "string" && (EXECUTION_PROVIDERS as readonly string[]).includes(p))
    : [];
  const languages = { ...d.languages };
  if (input.languages && typeof input.languages === "object") {
    for (const id of EDITOR_LANGUAGES) {
      if (typeof input.languages[id] === "boolean") languages[id] = input.languages[id];
    }
  }
  const trace = input.trace?.server;
  return {
    modelPath: typeof input.modelPath === "string" ? input.modelPath.trim() : d.modelPath,
    executionProviders: providers.length > 0 ? [...new Set(providers)] : [...d.executionProviders],
    maxInputTokens: clampInt(input.maxInputTokens, 16, 4096, d.maxInputTokens),
    maxSummaryTokens: clampInt(input.maxSummaryTokens, 4, 512, d.maxSummaryTokens),
    workspaceAdapter: {
      autoBuild: typeof input.workspaceAdapter?.autoBuild === "boolean" ? input.workspaceAdapter.autoBuild : d.workspaceAdapter.autoBuild,
      maxTokens: clampInt(input.workspaceAdapter?.maxTokens, 10_000, 50_000_000, d.workspaceAdapter.maxTokens),
      kind: WORKSPACE_ADAPTER_KINDS.includes(input.workspaceAdapter?.kind as WorkspaceAdapterKind) ? input.workspaceAdapter!.kind! : d.workspaceAdapter.kind,
    },
    languages,
    idleUnloadMinutes: clampInt(input.idleUnloadMinutes, 0, 24 * 60, d.idleUnloadMinutes),
    codeLens: { enabled: typeof input.codeLens?.enabled === "boolean" ? input.codeLens.enabled : d.codeLens.enabled },
    trace: { server: trace === "messages" || trace === "verbose" ? trace : "off" },
  };
}

/** Languages outside the setting (a `.py` file opened as plain text) follow their grammar: enabled. */
export function isLanguageEnabled(settings: CodeAdaptSettings, editorLanguageId: string): boolean {
  return (settings.languages as Record<string, boolean>)[editorLanguageId] ?? true;
}
