import { after, test } from "node:test";
import assert from "node:assert/strict";
import { CancellationTokenSource, LSPErrorCodes, ResponseError, TextDocuments, type Connection } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { rmSync } from "node:fs";
import { ErrorCodes, type ModelStatus, type RefineResult, type StatusResult, type SummarizeResult } from "../../../common/src/protocol";
import { DEFAULT_SETTINGS, normalizeSettings, type CodeAdaptSettings } from "../../../common/src/settings";
import { DocumentTrees } from "../documents/documentTrees";
import { ParserPool } from "../documents/parserPool";
import { registerCustomMethods, type MethodContext } from "./customMethods";
import { ModelHost } from "../engine/modelHost";
import { exportTinyModel, writeManifest } from "../engine/tinyModel.testutil";

/** The codeadapt/* handlers on a mock connection: which error wins, in which order. */
const pool = new ParserPool(["python"]);
after(() => pool.dispose());

function harness(options: { model?: ModelStatus; trusted?: boolean; settings?: CodeAdaptSettings; engine?: ModelHost; dir?: string } = {}) {
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
    engine: options.engine ?? new ModelHost(),
    hostOptions: () => ({ dir: options.dir ?? "/nonexistent", providers: ["cpu"], threads: 1, idleMinutes: 0 }),
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

test("with a real (tiny, random) model, refine and summarize answer for the function at the cursor", async () => {
  const dir = exportTinyModel();
  writeManifest(dir);
  const engine = new ModelHost();
  try {
    const { open, call } = harness({
      model: { state: "present", manifestPath: `${dir}/manifest.json`, message: "verified", loaded: false },
      engine,
      dir,
    });
    const text = "x = 1\n\ndef add(a, b):\n    return a + b\n";
    open("file:///c.py", "python", text);
    const refined = await call("codeadapt/refine", { textDocument: { uri: "file:///c.py" }, position: { line: 3, character: 6 } });
    assert.equal(refined.error, undefined);
    const result = refined.result as RefineResult;
    assert.equal(result.original, "def add(a, b):\n    return a + b");
    assert.deepEqual(result.range, { start: { line: 2, character: 0 }, end: { line: 3, character: 16 } });
    assert.equal(typeof result.refined, "string");
    const summary = (await call("codeadapt/summarize", { textDocument: { uri: "file:///c.py" }, position: { line: 3, character: 6 } })).result as SummarizeResult;
    assert.equal(typeof summary.summary, "string");
    if (summary.summary) assert.match(summary.docComment!.text, /^\n    """/);
    const outside = await call("codeadapt/summarize", { textDocument: { uri: "file:///c.py" }, position: { line: 0, character: 0 } });
    assert.equal(outside.error?.code, ErrorCodes.NothingSelected);
  } finally {
    await engine.release();
    rmSync(dir, { recursive: true, force: true });
  }
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
