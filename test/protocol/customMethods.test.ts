import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCodes } from "../../common/src/protocol";
import { ROOT } from "../../server/src/engine/tinyModel.testutil";
import { generatorFiles } from "../../server/src/workspace/generator";
import { LspTestClient, fixtureUri, readFixture } from "./lspClient";

/** codeadapt/* methods with no model installed, a corrupt model, and cancellation. */
const REQUEST_CANCELLED = -32800;
let client: LspTestClient;
let corruptModel: string;
let emptyModels: string;
const py = fixtureUri("sample.py");

before(async () => {
  // An empty model folder, so these tests hold whether or not the repository ships a model.
  emptyModels = mkdtempSync(join(tmpdir(), "codeadapt-nomodel-"));
  corruptModel = mkdtempSync(join(tmpdir(), "codeadapt-corrupt-"));
  writeFileSync(join(corruptModel, "encoder.onnx"), "not the bytes the manifest promised");
  writeFileSync(join(corruptModel, "manifest.json"), JSON.stringify({ files: [{ path: "encoder.onnx", sha256: "0".repeat(64) }] }));
  client = new LspTestClient([], { CODEADAPT_MODEL_DIR: emptyModels });
  await client.initialize({ trusted: true });
  client.open(py, "python", readFixture("sample.py"));
});

after(() => {
  client.kill();
  rmSync(corruptModel, { recursive: true, force: true });
  rmSync(emptyModels, { recursive: true, force: true });
});

const atCursor = (uri = py) => ({ textDocument: { uri }, position: { line: 10, character: 8 } });

test("summarize, refine and buildWorkspaceAdapter name the missing manifest; no text is invented", async () => {
  const manifest = join(emptyModels, "manifest.json");
  for (const [method, params] of [
    ["codeadapt/summarize", atCursor()],
    ["codeadapt/refine", { ...atCursor(), range: { start: { line: 9, character: 0 }, end: { line: 17, character: 0 } } }],
    ["codeadapt/buildWorkspaceAdapter", {}],
  ] as const) {
    const response = await client.send(method, params);
    assert.equal(response.result, undefined, `${method} returned a result`);
    assert.equal(response.error?.code, ErrorCodes.ModelMissing, method);
    assert.equal(response.error?.message, `No CodeAdapt model installed: models/manifest.json not found at ${manifest}`);
    assert.equal(response.error?.data.path, manifest);
  }
});

test("status reports version, grammars, model state and device", async () => {
  const status = await client.call("codeadapt/status", {});
  assert.equal(status.protocolVersion, 1);
  assert.match(status.serverVersion, /^\d+\.\d+\.\d+/);
  assert.equal(status.grammars.loaded.length, 6);
  assert.equal(status.model.state, "missing");
  assert.equal(status.device, "none (no model)");
  assert.deepEqual(status.executionProviders, ["cpu"]);
  assert.equal(status.workspaceTrusted, true);
  assert.ok(status.rss > 0);
});

test("a corrupt model is named as such, through the modelPath setting", async () => {
  client.settings = { modelPath: corruptModel };
  client.notify("workspace/didChangeConfiguration", { settings: null });
  const response = await client.send("codeadapt/summarize", atCursor());
  assert.equal(response.error?.code, ErrorCodes.ModelInvalid);
  assert.match(response.error!.message, /encoder\.onnx is corrupt or replaced/);
  const status = await client.call("codeadapt/status", {});
  assert.equal(status.model.state, "invalid");
  client.settings = null;
  client.notify("workspace/didChangeConfiguration", { settings: null });
});

test("document errors: not open, unsupported language, disabled language", async () => {
  const notOpen = await client.send("codeadapt/summarize", atCursor("file:///nowhere/x.py"));
  assert.equal(notOpen.error?.code, ErrorCodes.DocumentNotOpen);
  client.open("file:///x/main.rs", "rust", "fn main() {}\n");
  const rust = await client.send("codeadapt/refine", atCursor("file:///x/main.rs"));
  assert.equal(rust.error?.code, ErrorCodes.UnsupportedLanguage);
  assert.match(rust.error!.message, /no grammar for `rust`/);
  client.settings = { languages: { python: false } };
  client.notify("workspace/didChangeConfiguration", { settings: null });
  const disabled = await client.send("codeadapt/summarize", atCursor());
  assert.equal(disabled.error?.code, ErrorCodes.UnsupportedLanguage);
  assert.match(disabled.error!.message, /disabled for python/);
  assert.equal(await client.hover(py, 9, 5), null, "no hover for a disabled language");
  client.settings = null;
  client.notify("workspace/didChangeConfiguration", { settings: null });
  assert.ok(await client.hover(py, 9, 5));
});

test("a request cancelled while still queued is answered RequestCancelled without running", async () => {
  const summarize = client.request("codeadapt/summarize", atCursor());
  client.write([summarize.message, client.notification("$/cancelRequest", { id: summarize.id })]);
  const response = await summarize.response;
  assert.equal(response.error?.code, REQUEST_CANCELLED);
});

test("a request cancelled while it waits on the client is answered RequestCancelled", async () => {
  // Settings are re-read after didChangeConfiguration: hold that workspace/configuration request.
  let release!: () => void;
  const held = new Promise<void>((done) => (release = done));
  let asked!: () => void;
  const configurationAsked = new Promise<void>((done) => (asked = done));
  client.onRequest("workspace/configuration", async (params) => {
    asked();
    await held;
    return params.items.map(() => null);
  });
  client.notify("workspace/didChangeConfiguration", { settings: null });
  const refine = client.request("codeadapt/refine", atCursor());
  client.write([refine.message]);
  await configurationAsked;
  client.notify("$/cancelRequest", { id: refine.id });
  await new Promise((done) => setTimeout(done, 50));
  release();
  const response = await refine.response;
  assert.equal(response.error?.code, REQUEST_CANCELLED);
  client.onRequest("workspace/configuration", (params) => params.items.map(() => client.settings));
});

test("building the adapter of an untrusted workspace is refused until trust is granted", async () => {
  // The server uses models/: when that model supports a workspace adapter (a generator, or a decoder
  // that returns the states a workspace memory needs) the build succeeds; otherwise it is an error.
  const installed = existsSync(join(ROOT, "models", "manifest.json"));
  const supportsAdapter = installed && (generatorFiles(join(ROOT, "models")) !== undefined ||
    JSON.parse(readFileSync(join(ROOT, "models", "onnx-contract.json"), "utf8")).decoder_hidden === true);
  const cache = mkdtempSync(join(tmpdir(), "codeadapt-trust-cache-"));
  const untrusted = new LspTestClient([], { CODEADAPT_CACHE_DIR: cache });
  try {
    await untrusted.initialize({ trusted: false });
    const refused = await untrusted.send("codeadapt/buildWorkspaceAdapter", {});
    assert.equal(refused.error?.code, ErrorCodes.WorkspaceUntrusted);
    assert.equal((await untrusted.call("codeadapt/status", {})).workspaceTrusted, false);
    untrusted.notify("codeadapt/didChangeTrust", { trusted: true });
    const allowed = await untrusted.send("codeadapt/buildWorkspaceAdapter", { workDoneToken: "build-1" });
    assert.notEqual(allowed.error?.code, ErrorCodes.WorkspaceUntrusted);
    if (supportsAdapter) assert.ok(!allowed.error && allowed.result.files > 0, `the build failed: ${JSON.stringify(allowed.error)}`);
    else assert.ok(allowed.error, "no model, or a model that supports no workspace adapter: still an error");
    const progress = untrusted.notifications.filter((n) => n.method === "$/progress" && n.params.token === "build-1").map((n) => n.params.value.kind);
    assert.equal(progress[0], "begin");
    assert.equal(progress.at(-1), "end");
    assert.equal(await untrusted.shutdown(), 0);
  } finally {
    untrusted.kill();
    rmSync(cache, { recursive: true, force: true });
  }
});

test("the server is still healthy after all of it", async () => {
  assert.ok(await client.hover(py, 9, 5));
  assert.equal(await client.shutdown(), 0);
});
