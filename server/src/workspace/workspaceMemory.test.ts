import assert from "node:assert/strict";
import { readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CodeModel } from "../engine/codeModel";
import { createParser, parseText } from "../parsing/parser";
import { exportTinyModel, writeManifest } from "../engine/tinyModel.testutil";
import { manifestSha256 } from "./generator";
import { WorkspaceMemory } from "./memory";
import { TempFolders } from "./tempFolders.testutil";
import { loadMemorySearch } from "../engine/memorySearch";
import { CancelledBuildError } from "./workspaceAdapter";
import { WorkspaceMemoryIndex, type MemoryModel, type WorkspaceMemoryOptions } from "./workspaceMemory";

let modelDir: string;
let model: CodeModel;
let memoryModel: MemoryModel;
let calls = 0;
const folders = new TempFolders();

before(async () => {
  modelDir = exportTinyModel();
  writeManifest(modelDir);
  model = await CodeModel.load(modelDir, ["cpu"], 1);
  memoryModel = {
    d: model.seq2seq.contract.d_model,
    summaryStates: (language, code, summary) => {
      calls++;
      return model.summaryStates(language, code, summary);
    },
  };
});

after(async () => {
  await model?.release();
  rmSync(modelDir, { recursive: true, force: true });
  folders.removeAll();
});

const PROJECT: Record<string, string> = {
  "src/store.py": 'class Store:\n    def get(self, key):\n        """Return the item stored under the key."""\n        return self.items[key]\n\n    def put(self, key, value):\n        """Store the value under the given key."""\n        self.items[key] = value\n',
  "src/util.ts": "/** Clamp a number between two bounds. */\nexport function clamp(x: number, lo: number, hi: number): number {\n  return Math.min(hi, Math.max(lo, x));\n}\n",
  "src/copy.py": 'def get(self, key):\n    """Return the item stored under the key."""\n    return self.items[key]\n',
  "Main.java": "class Main {\n  /** Returns twice the given number. */\n  static int twice(int x) { return 2 * x; }\n}\n",
  "notes/plain.py": "def undocumented(x):\n    return x\n",
};

function project(files: Record<string, string> = PROJECT): string {
  return folders.project("codeadapt-mem-", files);
}

function open(root: string, cacheDir = folders.make("codeadapt-memcache-"), extra: Partial<WorkspaceMemoryOptions> = {}) {
  return new WorkspaceMemoryIndex(root, memoryModel, { cacheDir, manifestSha256: manifestSha256(modelDir), ...extra });
}

function snapshot(index: WorkspaceMemoryIndex): Map<string, { keys: number[]; values: number[] }> {
  const memory = index.memory!;
  return new Map([...memory.keys()].sort().map((key) => [key, { keys: [...memory.get(key)!.keys], values: [...memory.get(key)!.values] }]));
}

test("a build keeps one record per documented function, and summaries decode with it", async () => {
  const root = project();
  const index = open(root);
  const progress: number[] = [];
  const result = await index.build({ onProgress: (p) => progress.push(p.functions), progressEveryMs: 0 });
  assert.equal(result.kind, "built");
  if (result.kind !== "built") return;
  // store.py's get and copy.py's get are the same function: one record, two references.
  assert.equal(result.functions, 5);
  assert.equal(index.memory!.functions, 4);
  assert.equal(result.encodedFunctions, 4);
  assert.ok(progress.length > 0);
  assert.ok(index.memory!.size > 4 * 3, "a record per summary token");
  const request = { code: "def fetch(self, key):\n    return self.items[key]\n", language: "python" as const };
  const plain = await model.summarize(request);
  const withMemory = await model.summarize({ ...request, memory: index.memory });
  assert.equal(typeof withMemory.text, "string");
  // With all weight on the memory, every token comes from the workspace's summaries.
  const only = new WorkspaceMemory(index.memory!.d, { k: 4, temperature: 0.05, lambda: 1 });
  for (const key of index.memory!.keys()) only.add(key, index.memory!.get(key)!);
  const stored = new Set<number>();
  for (const key of only.keys()) for (const v of only.get(key)!.values) stored.add(v);
  const ids = model.tokenizer.encode((await model.summarize({ ...request, memory: only })).text);
  assert.ok(ids.length > 0 && ids.every((id) => stored.has(id)), "lambda = 1 decodes from the memory alone");
  assert.equal(typeof plain.text, "string");
  await index.close();
});

test("the model's search graph finds the neighbours the JavaScript loop finds", async () => {
  const index = open(project());
  await index.build();
  const memory = index.memory!;
  const kernel = (await loadMemorySearch(modelDir, model.seq2seq.contract))!;
  assert.ok(kernel, "the tiny export ships memory-search.onnx");
  const d = memory.d;
  for (let seed = 1; seed <= 5; seed++) {
    const query = Float32Array.from({ length: d }, (_, j) => Math.sin(seed * 7.1 + j * 1.3));
    const expected = memory.nearest(query);
    const flat = new WorkspaceMemory(d);
    for (const key of memory.keys()) flat.add(key, memory.get(key)!);
    const logitsLoop = new Float32Array(model.seq2seq.contract.vocab_size);
    const logitsGraph = new Float32Array(model.seq2seq.contract.vocab_size);
    await flat.mix(logitsLoop, query);
    await flat.mix(logitsGraph, query, kernel.search);
    // The graph quantizes the query too: the same neighbours, similarities within int8 rounding.
    let diff = 0;
    for (let i = 0; i < logitsLoop.length; i++) diff = Math.max(diff, Math.abs(Math.exp(logitsLoop[i]) - Math.exp(logitsGraph[i])));
    assert.ok(diff < 0.02, `distributions differ by ${diff}`);
    assert.ok(expected.length > 0);
  }
  await kernel.release();
  await index.close();
});

test("an update after an edit equals a full rebuild and encodes only the changed function", async () => {
  const root = project();
  const index = open(root);
  await index.build();
  const edited = PROJECT["src/store.py"].replace("Store the value under the given key.", "Keep the value for later lookups.");
  writeFileSync(join(root, "src/store.py"), edited);
  calls = 0;
  const update = await index.update(join(root, "src/store.py"));
  assert.equal(update.kind, "updated");
  if (update.kind === "updated") assert.deepEqual([update.removed, update.added, update.encoded], [1, 1, 1]);
  assert.equal(calls, 1);
  const fresh = open(root);
  await fresh.build();
  assert.deepEqual(snapshot(index), snapshot(fresh));
  // The output-layer adapter follows the same records: updated, it equals the rebuilt one.
  const hidden = Float32Array.from({ length: memoryModel.d }, (_, j) => Math.sin(j + 1));
  const delta = async (memory: WorkspaceMemory) => {
    const row = new Float32Array(model.seq2seq.contract.vocab_size);
    await memory.adapter!.mix(row, hidden);
    return row;
  };
  const [updated, rebuilt] = [await delta(index.memory!), await delta(fresh.memory!)];
  assert.ok(updated.some((x) => x !== 0));
  assert.ok(updated.every((x, i) => Math.abs(x - rebuilt[i]) < 1e-4 * (1 + Math.abs(x))), "within float32 rounding");
  // Deleting copy.py keeps the shared get (store.py still has it); deleting store.py too drops it.
  unlinkSync(join(root, "src/copy.py"));
  await index.update(join(root, "src/copy.py"));
  assert.equal(index.memory!.functions, 4);
  unlinkSync(join(root, "src/store.py"));
  await index.update(join(root, "src/store.py"));
  assert.equal(index.memory!.functions, 2);
  // A link leading out of the folder is never read, as in the build's walk.
  const outside = project({ "secret.py": 'def secret():\n    """Return the secret."""\n    return 42\n' });
  symlinkSync(join(outside, "secret.py"), join(root, "src/link.py"));
  assert.deepEqual(await index.update(join(root, "src/link.py")), { kind: "not-included", reason: "outside" });
  await index.close();
  await fresh.close();
});

test("an edit keeps the file's unchanged functions; with the saved text and tree, or from disk, it equals a rebuild", async () => {
  const { ["src/copy.py"]: _shared, ...files } = PROJECT; // get() is then in store.py alone
  const root = project(files);
  const index = open(root);
  await index.build();
  const before = snapshot(index);
  const parser = await createParser("python");
  const path = join(root, "src/store.py");
  const edited = PROJECT["src/store.py"].replace("Store the value under the given key.", "Keep the value for later lookups.");
  writeFileSync(path, edited);
  const tree = parseText(parser, edited);
  const update = await index.update(path, edited, tree);
  tree.delete();
  assert.equal(update.kind, "updated");
  if (update.kind === "updated") assert.deepEqual([update.removed, update.added], [1, 1]);
  const fresh = open(root);
  await fresh.build();
  assert.deepEqual(snapshot(index), snapshot(fresh));
  await fresh.close();
  writeFileSync(path, PROJECT["src/store.py"]);
  await index.update(path);
  assert.deepEqual(snapshot(index), before);
  parser.delete();
  await index.close();
});

test("a saved memory is reused on reopen; a damaged or foreign one is rebuilt, never loaded", async () => {
  const root = project();
  const cacheDir = folders.make("codeadapt-memcache-");
  const first = open(root, cacheDir);
  await first.build();
  const before = snapshot(first);
  await first.close();
  calls = 0;
  const again = open(root, cacheDir);
  const result = await again.build();
  assert.equal(calls, 0, "every record came from the saved file");
  assert.equal(result.kind === "built" && result.reusedFunctions, 5);
  assert.deepEqual(snapshot(again), before);
  await again.close();
  const [folder] = readdirSync(cacheDir);
  writeFileSync(join(cacheDir, folder, "memory.bin"), "not a memory");
  const damaged = open(root, cacheDir);
  assert.match(damaged.stateProblem ?? "", /not a workspace memory/);
  await damaged.build();
  assert.deepEqual(snapshot(damaged), before);
  await damaged.close();
  const foreign = new WorkspaceMemoryIndex(root, memoryModel, { cacheDir, manifestSha256: "another-model" });
  assert.match(foreign.stateProblem ?? "", /another model/);
  await foreign.close();
});

test("a cancelled build keeps the previous memory; a workspace without documented functions has none", async () => {
  const root = project();
  const index = open(root);
  await index.build();
  const before = snapshot(index);
  writeFileSync(join(root, "src/more.py"), 'def more(x):\n    """Add one more item to the list."""\n    return x\n');
  let checks = 0;
  await assert.rejects(index.build({ isCancelled: () => ++checks > 3 }), CancelledBuildError);
  assert.deepEqual(snapshot(index), before);
  const empty = open(project({ "a.py": "x = 1\n", "data.bin": "\u0000\u0001" }));
  const result = await empty.build();
  assert.equal(result.kind, "empty");
  assert.match(result.kind === "empty" ? result.message : "", /no documented functions/);
  assert.equal(empty.memory, undefined);
  await index.close();
  await empty.close();
});

test("the entry cap stops at a file boundary and says so", async () => {
  const index = open(project(), undefined, { maxEntries: 10 });
  const result = await index.build();
  assert.equal(result.kind === "built" && result.capped, true);
  assert.ok(index.memory!.functions >= 1 && index.memory!.functions < 4);
  await index.close();
});
