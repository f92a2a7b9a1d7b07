import { after, test } from "node:test";
import assert from "node:assert/strict";
import { CancellationTokenSource, LSPErrorCodes, ResponseError, TextDocuments, type Connection } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { ErrorCodes, type ModelStatus, type StatusResult } from "../../../common/src/protocol";
import { DEFAULT_SETTINGS, normalizeSettings, type CodeAdaptSettings } from "../../../common/src/settings";
import { DocumentTrees } from "../documents/documentTrees";
import { ParserPool } from "../documents/parserPool";
import { registerCustomMethods, type MethodContext } from "./customMethods";

/** The codeadapt/* handlers on a mock connection: which error wins, in which order. */
const pool = new ParserPool(["python"]);
after(() => pool.dispose());

function harness(options: { model?: ModelStatus; trusted?: boolean; settings?: CodeAdaptSettings } = {}) {
  const handlers = new Map<string, (params: any, token: any) => Promise<any>>();
  const progress: string[] = [];
  const connection = {
    onRequest: (type: { method: string }, handler: any) => handlers.set(type.method, handler),
    window: {
      attachWorkDoneProgress: () => ({
        begin: () => progress.push("begin"),
        report: () => progress.push("report"),
        done: () => progress.push("done"),
      }),
    },
  } as unknown as Connection;
  const docs = new Map<string, TextDocument>();
  const documents = { get: (uri: string) => docs.get(uri) } as unknown as TextDocuments<TextDocument>;
  const trees = new DocumentTrees(pool, (uri) => docs.get(uri), { reparseDelayMs: -1 });
  const model: ModelStatus = options.model ?? { state: "missing", manifestPath: "/m/manifest.json", message: "No CodeAdapt model installed: models/manifest.json not found at /m/manifest.json", loaded: false };
  const context: MethodContext = {
    documents,
    trees,
    ready: pool.ready,
    settings: async () => options.settings ?? DEFAULT_SETTINGS,
    model: async () => model,
    isTrusted: () => options.trusted ?? true,
    status: async () => ({ model }) as StatusResult,
  };
  registerCustomMethods(connection, context);
  const open = (uri: string, languageId: string, text: string) => {
    const document = TextDocument.create(uri, languageId, 1, text);
    docs.set(uri, document);
    trees.open(document);
  };
  const call = async (method: string, params: any, token = new CancellationTokenSource().token) => {
    try {
      return { result: await handlers.get(method)!(params, token) };
    } catch (error) {
      assert.ok(error instanceof ResponseError, `${method} threw ${error}`);
      return { error };
    }
  };
  return { open, call, progress, handlers };
}

const at = (uri: string) => ({ textDocument: { uri }, position: { line: 0, character: 0 } });

test("all four methods are registered", () => {
  const { handlers } = harness();
  assert.deepEqual([...handlers.keys()].sort(), ["codeadapt/buildWorkspaceAdapter", "codeadapt/refine", "codeadapt/status", "codeadapt/summarize"]);
});

test("document problems are reported before the model", async () => {
  const { open, call } = harness();
  assert.equal((await call("codeadapt/summarize", at("file:///none.py"))).error?.code, ErrorCodes.DocumentNotOpen);
  open("file:///a.rb", "ruby", "puts 1");
  assert.equal((await call("codeadapt/summarize", at("file:///a.rb"))).error?.code, ErrorCodes.UnsupportedLanguage);
  open("file:///b.py", "python", "x = '\u0000'");
  assert.equal((await call("codeadapt/refine", at("file:///b.py"))).error?.code, ErrorCodes.BinaryContent);
  open("file:///c.py", "python", "def f():\n    pass\n");
  const missing = await call("codeadapt/summarize", at("file:///c.py"));
  assert.equal(missing.error?.code, ErrorCodes.ModelMissing);
  assert.equal(missing.error?.message, "No CodeAdapt model installed: models/manifest.json not found at /m/manifest.json");
  assert.deepEqual(missing.error?.data, { detail: "manifest not found", path: "/m/manifest.json" });
});

test("a disabled language is refused even with a grammar", async () => {
  const { open, call } = harness({ settings: normalizeSettings({ languages: { python: false } }) });
  open("file:///c.py", "python", "pass\n");
  const refused = await call("codeadapt/summarize", at("file:///c.py"));
  assert.equal(refused.error?.code, ErrorCodes.UnsupportedLanguage);
  assert.match(refused.error!.message, /disabled for python/);
});

test("a verified model without a runtime says so instead of inventing output", async () => {
  const { open, call } = harness({ model: { state: "present", manifestPath: "/m/manifest.json", message: "Model small 1 verified: 3 files", loaded: false } });
  open("file:///c.py", "python", "def f():\n    pass\n");
  const response = await call("codeadapt/refine", at("file:///c.py"));
  assert.equal(response.result, undefined);
  assert.equal(response.error?.code, ErrorCodes.RuntimeUnavailable);
  assert.match(response.error!.message, /verified.*no inference runtime yet/);
});

test("cancelled requests answer RequestCancelled", async () => {
  const { open, call } = harness();
  open("file:///c.py", "python", "pass\n");
  const source = new CancellationTokenSource();
  source.cancel();
  for (const method of ["codeadapt/summarize", "codeadapt/refine", "codeadapt/buildWorkspaceAdapter", "codeadapt/status"]) {
    assert.equal((await call(method, at("file:///c.py"), source.token)).error?.code, LSPErrorCodes.RequestCancelled, method);
  }
});

test("workspace builds: refused when untrusted, progress begins and ends otherwise", async () => {
  const untrusted = harness({ trusted: false });
  assert.equal((await untrusted.call("codeadapt/buildWorkspaceAdapter", {})).error?.code, ErrorCodes.WorkspaceUntrusted);
  assert.deepEqual(untrusted.progress, []);
  const trusted = harness();
  assert.equal((await trusted.call("codeadapt/buildWorkspaceAdapter", { workDoneToken: "t" })).error?.code, ErrorCodes.ModelMissing);
  assert.deepEqual(trusted.progress, ["begin", "done"]);
});
