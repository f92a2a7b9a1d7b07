import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkModel, disabledTasksIn, parseManifestFiles, resolveModelDir } from "./modelManifest";
import { LABEL_SET_ID } from "../labeler/labels";

const sha = (data: string) => createHash("sha256").update(data).digest("hex");

function modelDir(files: Record<string, string>, manifest?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-model-"));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  if (manifest !== undefined) writeFileSync(join(dir, "manifest.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  return dir;
}

test("a missing manifest names the path it looked for", async () => {
  const dir = modelDir({});
  try {
    const status = await checkModel(dir);
    assert.equal(status.state, "missing");
    assert.equal(status.message, `No CodeAdapt model installed: models/manifest.json not found at ${join(dir, "manifest.json")}`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("a verified manifest is present; corrupt, missing or mislabelled files are invalid", async () => {
  const files = { "encoder.onnx": "encoder-bytes", "decoder.onnx": "decoder-bytes" };
  const entries = Object.entries(files).map(([path, data]) => ({ path, sha256: sha(data), bytes: data.length }));
  const good = modelDir(files, { name: "codeadapt-small", version: "1", labelSet: LABEL_SET_ID, files: entries });
  const corrupt = modelDir({ ...files, "decoder.onnx": "decoder-BYTES" }, { labelSet: LABEL_SET_ID, files: entries });
  const missing = modelDir({ "encoder.onnx": files["encoder.onnx"] }, { files: entries });
  const otherLabels = modelDir(files, { labelSet: "ttc-v0", files: entries });
  const notJson = modelDir(files, "{ nope");
  const escapes = modelDir(files, { files: [{ path: "../etc/passwd", sha256: sha("x") }] });
  try {
    const status = await checkModel(good);
    assert.equal(status.state, "present", status.message);
    assert.equal(status.name, "codeadapt-small 1");
    assert.match((await checkModel(corrupt)).message, /decoder\.onnx is corrupt or replaced/);
    assert.match((await checkModel(missing)).message, /Model file missing: .*decoder\.onnx/);
    assert.match((await checkModel(otherLabels)).message, /label set ttc-v0/);
    assert.match((await checkModel(notJson)).message, /not readable JSON/);
    assert.match((await checkModel(escapes)).message, /outside/);
    for (const dir of [corrupt, missing, otherLabels, notJson, escapes]) assert.equal((await checkModel(dir)).state, "invalid");
  } finally {
    for (const dir of [good, corrupt, missing, otherLabels, notJson, escapes]) rmSync(dir, { recursive: true });
  }
});

test("manifest file lists come as an array or an object", () => {
  const hash = sha("a");
  assert.deepEqual(parseManifestFiles([{ path: "a", sha256: hash, bytes: 1 }]), [{ path: "a", sha256: hash, bytes: 1 }]);
  assert.deepEqual(parseManifestFiles({ a: { sha256: hash, size: 1 } }), [{ path: "a", sha256: hash, bytes: 1 }]);
  assert.equal(parseManifestFiles([]), "it lists no files");
  assert.equal(parseManifestFiles([{ path: "a", sha256: "short" }]), "a has no valid sha256");
});

test("modelPath resolves against the extension root", () => {
  assert.equal(resolveModelDir("", "/ext"), "/ext/models");
  assert.equal(resolveModelDir("custom", "/ext"), "/ext/custom");
  assert.equal(resolveModelDir("/abs/models", "/ext"), "/abs/models");
});

test("disabledTasksIn reads the manifest's disabled tasks, follows a rewrite, and is empty when there is no manifest", () => {
  const dir = modelDir({}, { files: [], tasks: { refine: { disabled: "below the copy baseline" } } });
  try {
    assert.deepEqual(disabledTasksIn(dir), { refine: "below the copy baseline" });
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ files: [], tasks: { summarize: { disabled: "too short" }, refine: {} } }) + " ".repeat(8));
    assert.deepEqual(disabledTasksIn(dir), { summarize: "too short" });
    writeFileSync(join(dir, "manifest.json"), "{ not json");
    assert.deepEqual(disabledTasksIn(dir), {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(disabledTasksIn(join(tmpdir(), "codeadapt-no-such-model")), {});
});
