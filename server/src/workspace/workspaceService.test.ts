import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ModelHost } from "../engine/modelHost";
import { writeManifest } from "../engine/tinyModel.testutil";
import { exportTinyGeneratorModel } from "./tinyGenerator.testutil";
import { CancelledBuildError } from "./workspaceAdapter";
import { buildForRequest, WorkspaceAdapters } from "./workspaceService";
import { pathToFileURL } from "node:url";
import { LSPErrorCodes, ResponseError } from "vscode-languageserver";
import { ErrorCodes } from "../../../common/src/protocol";

/** The server-side service over a real ModelHost and the tiny random model with a generator. */
let modelDir: string;
const temps: string[] = [];
const engine = new ModelHost();

before(() => {
  modelDir = exportTinyGeneratorModel();
});

after(async () => {
  await engine.release();
  for (const dir of [modelDir, ...temps]) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "codeadapt-svc-"));
  temps.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const host = (dir: string) => async () => ({ dir, providers: ["cpu"], threads: 1, idleMinutes: 0 });

test("build, status, save and a second folder: one adapter over the workspace", async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "codeadapt-svc-cache-"));
  temps.push(cacheDir);
  const service = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => cacheDir });
  assert.deepEqual(service.status(), { state: "none" });
  const a = folder({ "a.py": "def one():\n    return 1\n\ndef two():\n    return 2\n" });
  const messages: string[] = [];
  const first = await service.build([a], { onProgress: (p) => messages.push(p.message) });
  assert.equal(first.kind, "built");
  assert.equal(service.status().state, "ready");
  const id = service.status().id;
  assert.ok(service.deltas());
  // Saving an edited file updates the active adapter.
  writeFileSync(join(a, "a.py"), "def one():\n    return 11\n\ndef two():\n    return 2\n");
  await service.didSave(join(a, "a.py"));
  assert.notEqual(service.status().id, id);
  // Two folders: their states are summed into one adapter.
  const b = folder({ "b.js": "function three() { return 3; }\n" });
  const both = await service.build([a, b]);
  assert.ok(both.kind === "built" && both.files === 2, JSON.stringify(both));
  // Cancelled: the adapter in use stays.
  const before = service.status().id;
  writeFileSync(join(b, "c.js"), "function four() { return 4; }\n");
  await assert.rejects(service.build([a, b], { force: true, isCancelled: () => true }), CancelledBuildError);
  assert.equal(service.status().id, before);
  assert.equal(service.status().state, "ready");
  // A folder removed from the window stops contributing: the adapter is a's alone again.
  const aloneService = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => cacheDir });
  await aloneService.build([a]);
  const aloneId = aloneService.status().id;
  await aloneService.dispose();
  assert.notEqual(service.status().id, aloneId);
  await service.foldersRemoved([b]);
  assert.equal(service.status().id, aloneId);
  // A build names the whole set of folders: one left out stops contributing.
  await service.build([a, b]);
  assert.notEqual(service.status().id, aloneId);
  await service.build([a]);
  assert.equal(service.status().id, aloneId);
  await service.foldersRemoved([a]);
  assert.deepEqual(service.status(), { state: "none" });
  assert.equal(service.deltas(), undefined);
  // An empty folder alone has nothing to learn from.
  const emptyService = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => cacheDir });
  const empty = await emptyService.build([folder({ "notes.txt": "hello" })]);
  assert.equal(empty.kind, "empty");
  assert.match((empty as { message: string }).message, /Nothing to learn from/);
  await service.dispose();
  await emptyService.dispose();
});

test("a model with neither a generator nor decoder states says so", async () => {
  const path = join(modelDir, "manifest.json");
  const contractPath = join(modelDir, "onnx-contract.json");
  const original = readFileSync(path, "utf8");
  const originalContract = readFileSync(contractPath, "utf8");
  const contract = JSON.parse(originalContract);
  delete contract.decoder_hidden;
  writeFileSync(contractPath, JSON.stringify(contract));
  writeManifest(modelDir); // without the generator
  await engine.release(); // the host reloads when told the model changed (the server's file watcher does)
  try {
    const service = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => join(modelDir, "cache") });
    const result = await service.build([folder({ "a.py": "def f():\n    pass\n" })]);
    assert.equal(result.kind, "no-generator");
    assert.match((result as { message: string }).message, /no workspace generator, and its decoder does not return the states/);
    await service.dispose();
  } finally {
    writeFileSync(path, original);
    writeFileSync(contractPath, originalContract);
    await engine.release();
  }
});

test("a workspace memory over documented functions: built, used, updated on save, dropped with its folder", async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "codeadapt-svc-cache-"));
  temps.push(cacheDir);
  const service = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => cacheDir });
  const doc = (name: string, summary: string) => `def ${name}(x):\n    """${summary}"""\n    return x\n`;
  const a = folder({ "a.py": doc("first", "Return the first item given.") + "\n" + doc("second", "Return the second item given.") });
  const messages: string[] = [];
  const built = await service.build([a], { onProgress: (p) => messages.push(p.message) });
  assert.ok(built.kind === "built" && built.functions === 2, JSON.stringify(built));
  assert.ok(messages.some((m) => /documented functions/.test(m)), messages.join("; "));
  assert.equal(service.memory()?.functions, 2);
  assert.equal(service.forSummaries("memory"), service.memory());
  assert.equal(service.forSummaries("weights"), service.memory()?.adapter);
  assert.equal(service.memory()?.adapter?.size, service.memory()?.size, "the output-layer adapter holds the memory's states");
  const id = service.status().id;
  writeFileSync(join(a, "a.py"), doc("first", "Give back the first item given."));
  await service.didSave(join(a, "a.py"));
  assert.equal(service.memory()?.functions, 1);
  assert.notEqual(service.status().id, id);
  const b = folder({ "b.py": doc("third", "Return the third item given.") });
  await service.build([a, b]);
  assert.equal(service.memory()?.functions, 2, "two folders: one memory holding both");
  assert.equal(service.memory()?.adapter?.size, service.memory()?.size, "and one output-layer adapter");
  await service.foldersRemoved([b]);
  assert.equal(service.memory()?.functions, 1);
  await service.dispose();
  assert.equal(service.memory(), undefined);
});

test("the build request: protocol result, progress messages, and clear errors", async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "codeadapt-svc-cache-"));
  temps.push(cacheDir);
  const service = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => cacheDir });
  const token = (cancelled = false) => ({ isCancellationRequested: cancelled, onCancellationRequested: () => ({ dispose() {} }) });
  const root = folder({ "m.go": "package m\n\nfunc Add(a, b int) int { return a + b }\n" });
  const reports: string[] = [];
  const result = await buildForRequest(service, [root], { folders: [pathToFileURL(root).href] }, (m) => reports.push(m), token());
  assert.deepEqual(Object.keys(result).sort(), ["adapterId", "files", "functions", "millis", "skippedFiles", "tokens"]);
  assert.equal(result.files, 1);
  assert.ok(reports.length >= 1);
  const code = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof ResponseError);
      return { code: error.code, message: error.message };
    }
    assert.fail("expected an error");
  };
  assert.equal((await code(buildForRequest(service, [root], { force: true }, () => {}, token(true)))).code, LSPErrorCodes.RequestCancelled);
  assert.equal(service.status().id, result.adapterId, "the cancelled build left the adapter in use");
  const empty = await code(buildForRequest(service, [folder({})], {}, () => {}, token()));
  assert.equal(empty.code, ErrorCodes.NothingSelected);
  assert.match(empty.message, /Nothing to learn from/);
  assert.equal((await code(buildForRequest(service, [], {}, () => {}, token()))).code, ErrorCodes.NothingSelected);
  await service.dispose();
});

test("the token cap setting and the cache folder are asked at each build", async () => {
  const first = mkdtempSync(join(tmpdir(), "codeadapt-svc-cache-"));
  temps.push(first);
  let cacheDir = first;
  let cap: number | undefined;
  const service = new WorkspaceAdapters({ engine, hostOptions: host(modelDir), cacheDir: () => cacheDir, maxTokens: async () => cap });
  const body = (n: number) => Array.from({ length: 40 }, (_, i) => `def f${n}_${i}(x):\n    return x + ${i}\n`).join("\n");
  const root = folder({ "a.py": body(1), "b.py": body(2), "c.py": body(3) });
  const full = await service.build([root]);
  assert.ok(full.kind === "built" && full.files === 3 && !full.capped, JSON.stringify(full));
  assert.ok(readdirSync(first).length > 0, "nothing cached in the configured folder");
  cap = Math.ceil(full.tokens / 2);
  const second = mkdtempSync(join(tmpdir(), "codeadapt-svc-cache-"));
  temps.push(second);
  cacheDir = second;
  const capped = await service.build([root], { force: true });
  assert.ok(capped.kind === "built" && capped.capped && capped.tokens <= cap && capped.files < 3, JSON.stringify(capped));
  assert.ok(readdirSync(second).length > 0, "the new cache folder was not used");
});
