import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorCodes } from "../../common/src/protocol";
import { exportTinyGeneratorModel } from "../../server/src/workspace/tinyGenerator.testutil";
import { LspTestClient, fixtureUri, readFixture } from "./lspClient";

/**
 * codeadapt/buildWorkspaceAdapter against the real server over stdio, with the tiny random model
 * and a random workspace generator (CODEADAPT_MODEL_DIR) and a temporary cache
 * (CODEADAPT_CACHE_DIR): the workspace is test/fixtures (six languages).
 */
const REQUEST_CANCELLED = -32800;
let modelDir: string;
let cacheDir: string;
let client: LspTestClient;

before(async () => {
  modelDir = exportTinyGeneratorModel();
  cacheDir = mkdtempSync(join(tmpdir(), "codeadapt-lsp-cache-"));
  client = new LspTestClient([], { CODEADAPT_MODEL_DIR: modelDir, CODEADAPT_CACHE_DIR: cacheDir });
  await client.initialize({ trusted: true });
});

after(() => {
  client?.kill();
  rmSync(modelDir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

test("a build reports progress, becomes the status's active adapter, and summarize runs with it", async () => {
  assert.deepEqual((await client.call("codeadapt/status", {})).workspaceAdapter, { state: "none" });
  const result = await client.call("codeadapt/buildWorkspaceAdapter", { workDoneToken: "ws-1" });
  assert.ok(result.files >= 6 && result.tokens > 0 && typeof result.adapterId === "string", JSON.stringify(result));
  const progress = client.notifications.filter((n) => n.method === "$/progress" && n.params.token === "ws-1").map((n) => n.params.value.kind);
  assert.equal(progress[0], "begin");
  assert.equal(progress.at(-1), "end");
  assert.ok(progress.includes("report"));
  const status = await client.call("codeadapt/status", {});
  assert.deepEqual(status.workspaceAdapter, { state: "ready", id: result.adapterId });
  const py = fixtureUri("sample.py");
  const text = readFixture("sample.py");
  client.open(py, "python", text);
  const line = text.split("\n").findIndex((l) => /^\s*def /.test(l));
  const summary = await client.call("codeadapt/summarize", { textDocument: { uri: py }, position: { line: line + 1, character: 4 } });
  assert.equal(typeof summary.summary, "string");
  // The same build's output-layer adapter, when the setting asks for weights.
  client.settings = { workspaceAdapter: { kind: "weights" } };
  client.notify("workspace/didChangeConfiguration", { settings: null });
  const weighted = await client.call("codeadapt/summarize", { textDocument: { uri: py }, position: { line: line + 1, character: 4 } });
  assert.equal(typeof weighted.summary, "string");
  client.settings = null;
  client.notify("workspace/didChangeConfiguration", { settings: null });
  // Saving an unchanged file keeps the adapter; a cancelled forced rebuild keeps it too.
  client.notify("textDocument/didSave", { textDocument: { uri: py } });
  const rebuild = client.request("codeadapt/buildWorkspaceAdapter", { force: true });
  client.write([rebuild.message]);
  client.notify("$/cancelRequest", { id: rebuild.id });
  const cancelled = await rebuild.response;
  if (cancelled.error) assert.equal(cancelled.error.code, REQUEST_CANCELLED);
  assert.equal((await client.call("codeadapt/status", {})).workspaceAdapter.state, "ready");
});

test("an untrusted workspace is never read", async () => {
  const untrusted = new LspTestClient([], { CODEADAPT_MODEL_DIR: modelDir, CODEADAPT_CACHE_DIR: cacheDir });
  try {
    await untrusted.initialize({ trusted: false });
    const refused = await untrusted.send("codeadapt/buildWorkspaceAdapter", {});
    assert.equal(refused.error?.code, ErrorCodes.WorkspaceUntrusted);
    assert.equal((await untrusted.call("codeadapt/status", {})).workspaceAdapter.state, "none");
    assert.equal(await untrusted.shutdown(), 0);
  } finally {
    untrusted.kill();
  }
});

test("files changed on disk (didChangeWatchedFiles) update the adapter; caches go to the extension's storage", async () => {
  const root = mkdtempSync(join(tmpdir(), "codeadapt-lsp-ws-"));
  const storage = mkdtempSync(join(tmpdir(), "codeadapt-lsp-storage-"));
  writeFileSync(join(root, "a.py"), "def one(x):\n    return x + 1\n");
  const watcher = new LspTestClient([], { CODEADAPT_MODEL_DIR: modelDir });
  const idNow = async () => (await watcher.call("codeadapt/status", {})).workspaceAdapter.id as string;
  const changedFrom = async (id: string) => {
    for (let i = 0; i < 100 && (await idNow()) === id; i++) await new Promise((r) => setTimeout(r, 100));
    return idNow();
  };
  try {
    await watcher.initialize({ trusted: true, root, storageDir: storage });
    const built = await watcher.call("codeadapt/buildWorkspaceAdapter", {});
    assert.equal(built.files, 1);
    assert.ok(existsSync(join(storage, "workspaces")) && readdirSync(join(storage, "workspaces")).length > 0, "no cache in the storage folder");
    const b = join(root, "b.py");
    writeFileSync(b, "def two(y):\n    return y * 2\n");
    watcher.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: pathToFileURL(b).toString(), type: 1 }] });
    const afterCreate = await changedFrom(built.adapterId);
    assert.notEqual(afterCreate, built.adapterId, "a created file did not change the adapter");
    unlinkSync(b);
    watcher.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: pathToFileURL(b).toString(), type: 3 }] });
    assert.notEqual(await changedFrom(afterCreate), afterCreate, "a deleted file did not change the adapter");
    assert.equal(await watcher.shutdown(), 0);
  } finally {
    watcher.kill();
    rmSync(root, { recursive: true, force: true });
    rmSync(storage, { recursive: true, force: true });
  }
});

test("workspace folders added and removed (didChangeWorkspaceFolders): the next build reads the new set; a removed folder stops contributing", async () => {
  const a = mkdtempSync(join(tmpdir(), "codeadapt-lsp-wsa-"));
  const b = mkdtempSync(join(tmpdir(), "codeadapt-lsp-wsb-"));
  writeFileSync(join(a, "a.py"), "def one(x):\n    return x + 1\n");
  writeFileSync(join(b, "b.js"), "function two(y) { return y * 2; }\n");
  const folders = new LspTestClient([], { CODEADAPT_MODEL_DIR: modelDir, CODEADAPT_CACHE_DIR: cacheDir });
  const folder = (root: string) => ({ uri: pathToFileURL(root).toString(), name: root });
  try {
    const init = await folders.initialize({ trusted: true, root: a, workspaceFolders: true });
    assert.deepEqual(init.capabilities.workspace?.workspaceFolders, { supported: true, changeNotifications: true });
    const alone = await folders.call("codeadapt/buildWorkspaceAdapter", {});
    assert.equal(alone.files, 1);
    folders.notify("workspace/didChangeWorkspaceFolders", { event: { added: [folder(b)], removed: [] } });
    const both = await folders.call("codeadapt/buildWorkspaceAdapter", {});
    assert.equal(both.files, 2, "the added folder is read by the next build");
    assert.notEqual(both.adapterId, alone.adapterId);
    folders.notify("workspace/didChangeWorkspaceFolders", { event: { added: [], removed: [folder(b)] } });
    let id = both.adapterId;
    for (let i = 0; i < 100 && id === both.adapterId; i++) {
      await new Promise((r) => setTimeout(r, 50));
      id = (await folders.call("codeadapt/status", {})).workspaceAdapter.id;
    }
    assert.equal(id, alone.adapterId, "the removed folder still contributes");
    assert.equal(await folders.shutdown(), 0);
  } finally {
    folders.kill();
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("the server shuts down cleanly with an adapter built", async () => {
  assert.equal(await client.shutdown(), 0);
});
