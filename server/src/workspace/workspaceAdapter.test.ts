import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CodeModel } from "../engine/codeModel";
import { manifestSha256, WorkspaceGenerator } from "./generator";
import { TempFolders } from "./tempFolders.testutil";
import { exportTinyGeneratorModel } from "./tinyGenerator.testutil";
import { CancelledBuildError, WorkspaceAdapter, type BuildProgress, type WorkspaceAdapterOptions } from "./workspaceAdapter";

let modelDir: string;
let model: CodeModel;
let generator: WorkspaceGenerator;
let manifestSha: string;
const folders = new TempFolders();

before(async () => {
  modelDir = exportTinyGeneratorModel();
  model = await CodeModel.load(modelDir, ["cpu"], 1);
  generator = (await WorkspaceGenerator.fromModelDir(modelDir, model.seq2seq.contract, ["cpu"], 1))!;
  manifestSha = manifestSha256(modelDir);
});

after(async () => {
  await model?.release();
  await generator?.release();
  rmSync(modelDir, { recursive: true, force: true });
  folders.removeAll();
});

const PROJECT: Record<string, string> = {
  "src/store.py": "import os\n\nclass Store:\n    def get(self, key):\n        return self.items[key]\n\n    def put(self, key, value):\n        self.items[key] = value\n\ndef open_store(path):\n    return Store()\n",
  "src/util.ts": "export function clamp(x: number, lo: number, hi: number): number {\n  return Math.min(hi, Math.max(lo, x));\n}\n\nexport const add = (a: number, b: number) => a + b;\n",
  "web/app.js": "function render(node) {\n  return node.children.map(render).join('');\n}\n",
  "cfg/settings.py": "DEBUG = False\nNAMES = ['a', 'b']\n",
  "Main.java": "class Main {\n  static int twice(int x) { return 2 * x; }\n}\n",
};

function project(files: Record<string, string> = PROJECT): string {
  return folders.project("codeadapt-ws-", files);
}

function open(root: string, cacheDir = folders.make("codeadapt-cache-"), extra: Partial<WorkspaceAdapterOptions> = {}) {
  return WorkspaceAdapter.open(root, model, generator, { cacheDir, manifestSha256: manifestSha, ...extra });
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

test("a build streams the workspace into an adapter that summarize and refine accept", async () => {
  const root = project();
  const adapter = await open(root);
  const reports: BuildProgress[] = [];
  const result = await adapter.build({ onProgress: (p) => reports.push(p), progressEveryMs: 0 });
  assert.equal(result.kind, "built");
  if (result.kind !== "built") return;
  assert.equal(result.files, 5);
  assert.ok(result.chunks >= 8 && result.tokens > 50, `${result.chunks} chunks, ${result.tokens} tokens`);
  assert.equal(result.encodedChunks, result.chunks);
  assert.ok(reports.length >= 2 && reports.at(-1)!.tokens === result.tokens);
  const deltas = adapter.deltas!;
  assert.equal(deltas.rank, generator.r2);
  assert.equal(deltas.A.length, model.seq2seq.contract.slots.length * generator.r2 * model.seq2seq.contract.d_model);
  const code = "def add(a, b):\n    return a + b\n";
  const plain = await model.summarize({ code, language: "python", maxTokens: 8 });
  const adapted = await model.summarize({ code, language: "python", maxTokens: 8, workspace: deltas });
  assert.ok(adapted.outputTokens > 0);
  assert.notEqual(adapted.text, plain.text, "the random generator's adapter changes the output");
  assert.ok((await model.refine({ code, language: "python", maxTokens: 4, workspace: deltas })).outputTokens > 0);
  // A second build reuses every cached contribution and gives the same adapter.
  const again = await adapter.build();
  assert.ok(again.kind === "built" && again.encodedChunks === 0 && again.cachedChunks === result.chunks);
  assert.equal(adapter.info!.id, result.adapter.id);
  await adapter.close();
});

test("an incremental update after an edit equals a full rebuild, and costs one chunk", async () => {
  const root = project();
  const adapter = await open(root);
  await adapter.build();
  // Edit one function, add one, delete a file, add a file.
  const store = join(root, "src/store.py");
  writeFileSync(store, readFileSync(store, "utf8").replace("return self.items[key]", "return self.items.get(key, None)") + "\ndef close_store(store):\n    store.items.clear()\n");
  let update = await adapter.update(store);
  assert.equal(update.kind, "updated");
  if (update.kind === "updated") assert.deepEqual([update.removed, update.added, update.encoded], [1, 2, 2]);
  unlinkSync(join(root, "web/app.js"));
  update = await adapter.update(join(root, "web/app.js"));
  assert.ok(update.kind === "updated" && update.removed === 1 && update.added === 0);
  writeFileSync(join(root, "web/new.js"), "function hello(name) {\n  return 'hi ' + name;\n}\n");
  assert.equal((await adapter.update(join(root, "web/new.js"))).kind, "updated");
  assert.equal((await adapter.update(store)).kind, "unchanged");
  assert.equal((await adapter.update(join(root, "README.md"))).kind, "not-included");
  const outside = project({ "secret.py": "def secret():\n    return 42\n" });
  symlinkSync(join(outside, "secret.py"), join(root, "link.py"));
  assert.deepEqual(await adapter.update(join(root, "link.py")), { kind: "not-included", reason: "outside" });

  const fresh = await open(root);
  const full = await fresh.build({ force: true });
  assert.equal(full.kind, "built");
  const a = adapter.stateSnapshot()!;
  const b = fresh.stateSnapshot()!;
  assert.ok(maxRelDiff(a, b) < 1e-5, `state differs by ${maxRelDiff(a, b)}`);
  assert.ok(maxRelDiff(adapter.deltas!.A, fresh.deltas!.A) < 1e-4, `deltas differ by ${maxRelDiff(adapter.deltas!.A, fresh.deltas!.A)}`);
  assert.equal(adapter.info!.chunks, fresh.info!.chunks);
  assert.equal(adapter.info!.tokens, fresh.info!.tokens);
  assert.equal(adapter.info!.files, fresh.info!.files);
  // The updated state is saved: a new session opens it as the active adapter.
  await adapter.flush();
  const reopened = await WorkspaceAdapter.open(root, model, generator, { cacheDir: (adapter as any).options.cacheDir, manifestSha256: manifestSha });
  assert.ok(maxRelDiff(reopened.stateSnapshot()!, a) === 0);
  for (const x of [adapter, fresh, reopened]) await x.close();
});

test("an empty workspace, or one holding only a huge generated file and binaries, has nothing to learn from", async () => {
  const empty = await open(project({}));
  const result = await empty.build();
  assert.equal(result.kind, "empty");
  assert.match((result as { message: string }).message, /Nothing to learn from/);
  assert.equal(empty.deltas, undefined);
  await empty.close();

  const generated = "// Code generated by a tool. DO NOT EDIT.\n" + "export const table = [1, 2, 3];\n".repeat(5000);
  const root = project({ "gen/table.ts": generated, "big.js": "x = 1;\n".repeat(200_000), "data.py": "def f():\n\u0000\u0001\n" });
  const junk = await open(root);
  const out = await junk.build();
  assert.equal(out.kind, "empty");
  assert.deepEqual(out.skipped, { generated: 1, "too-large": 1, binary: 1 });
  assert.match((out as { message: string }).message, /3 skipped/);
  await junk.close();
});

test("a symlink loop and a file that changes during the build do not break it", async () => {
  const root = project();
  symlinkSync("..", join(root, "src/loop"));
  const adapter = await open(root);
  let edits = 0;
  const result = await adapter.build({
    progressEveryMs: 0,
    onProgress: () => {
      if (edits++ < 3) appendFileSync(join(root, "web/app.js"), `function extra${edits}() { return ${edits}; }\n`);
    },
  });
  assert.equal(result.kind, "built");
  assert.equal(result.files, 5);
  assert.equal(result.skipped.loop, 1);
  // The save of the changed file brings the adapter to what a full build of the final files gives.
  await adapter.update(join(root, "web/app.js"));
  const fresh = await open(root);
  await fresh.build({ force: true });
  assert.ok(maxRelDiff(adapter.stateSnapshot()!, fresh.stateSnapshot()!) < 1e-5);
  await adapter.close();
  await fresh.close();
});

test("a cancelled build keeps the previous adapter, in memory and on disk", async () => {
  const root = project();
  const cacheDir = folders.make("codeadapt-cache-");
  const adapter = await open(root, cacheDir, { batchTokens: 16, batchWindows: 1 });
  const first = await adapter.build();
  assert.equal(first.kind, "built");
  const id = adapter.info!.id;
  mkdirSync(join(root, "more"));
  for (let i = 0; i < 20; i++) writeFileSync(join(root, `more/m${i}.py`), `def f${i}(x):\n    return x * ${i}\n`);
  let calls = 0;
  await assert.rejects(adapter.build({ isCancelled: () => ++calls > 12 }), CancelledBuildError);
  assert.equal(adapter.info!.id, id, "the previous adapter stays active");
  const reopened = await open(root, cacheDir);
  assert.equal(reopened.info!.id, id, "the saved state is the previous complete build");
  // What the cancelled build computed is reused, and nothing half-written is used.
  const done = await reopened.build();
  assert.ok(done.kind === "built" && done.files === 25 && done.cachedChunks > 0);
  await adapter.close();
  await reopened.close();
});

test("a state from another model version, another format or a corrupt file is rebuilt, never loaded", async () => {
  const root = project();
  const cacheDir = folders.make("codeadapt-cache-");
  const adapter = await open(root, cacheDir);
  await adapter.build();
  await adapter.close();
  const other = await WorkspaceAdapter.open(root, model, generator, { cacheDir, manifestSha256: "0".repeat(64) });
  assert.equal(other.deltas, undefined);
  assert.match(other.stateProblem ?? "", /another model/);
  const rebuilt = await other.build();
  assert.ok(rebuilt.kind === "built" && rebuilt.cachedChunks === 0, "the foreign pack was discarded too");
  await other.close();

  const folder = (other as any).folder as string;
  const state = join(folder, "state.bin");
  const bytes = readFileSync(state);
  bytes[bytes.length - 100] ^= 0xff;
  writeFileSync(state, bytes);
  const corrupt = await WorkspaceAdapter.open(root, model, generator, { cacheDir, manifestSha256: "0".repeat(64) });
  assert.equal(corrupt.deltas, undefined);
  assert.match(corrupt.stateProblem ?? "", /corrupt/);
  await corrupt.close();
  bytes[bytes.length - 100] ^= 0xff;
  bytes.writeUInt32LE(99, 8);
  writeFileSync(state, bytes);
  const future = await WorkspaceAdapter.open(root, model, generator, { cacheDir, manifestSha256: "0".repeat(64) });
  assert.match(future.stateProblem ?? "", /format version 99/);
  await future.close();
  assert.ok(existsSync(join(folder, "contributions.pack")));
  assert.deepEqual(readFileSync(state).length, bytes.length);
});

test("the token cap stops the walk early and says so", async () => {
  const adapter = await open(project(), undefined, { maxTokens: 40 });
  const result = await adapter.build();
  assert.ok(result.kind === "built" && result.capped && result.files < 5);
  await adapter.close();
});
