import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LspTestClient, REPO, fixtureUri, positionOf, readFixture } from "./lspClient";

/**
 * The packaged .vsix (from `npm run package`) is self-contained: its bundled server finds the
 * grammars and models inside the extension folder, and onnxruntime-node's native binary loads.
 * Skipped when no .vsix was built (scripts/test packages it before `npm test`).
 */
const VSIX = join(REPO, "codeadapt-linux-x64.vsix");

test("the .vsix runs from its own folder: grammars, models path, hover, onnxruntime-node", { skip: !existsSync(VSIX) && "no codeadapt-linux-x64.vsix; run `npm run package`" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "codeadapt-vsix-"));
  try {
    execFileSync("unzip", ["-q", VSIX, "-d", dir]);
    const extension = join(dir, "extension");
    assert.deepEqual(readdirSync(join(extension, "dist")).sort(), ["client.js", "server.js"]);
    assert.ok(!existsSync(join(extension, "node_modules", "vscode-languageserver")), "JavaScript dependencies are bundled, not shipped");
    const client = new LspTestClient([], { CODEADAPT_GRAMMARS: "", CODEADAPT_MODEL_DIR: "" }, join(extension, "dist", "server.js"));
    try {
      await client.initialize();
      const status = await client.call("codeadapt/status", {});
      assert.equal(status.grammars.folder, join(extension, "grammars"));
      assert.equal(status.grammars.loaded.length, 6);
      assert.equal(status.model.manifestPath, join(extension, "models", "manifest.json"));
      const text = readFixture("sample.go");
      client.open(fixtureUri("sample.go"), "go", text);
      const at = positionOf(text, "path", 1);
      const hover = await client.hover(fixtureUri("sample.go"), at.line, at.character);
      assert.match(hover.contents.value, /parameter of function `LoadConfig`/);
      assert.equal(await client.shutdown(), 0);
    } finally {
      client.kill();
    }
    const ort = execFileSync(process.execPath, ["-e", "const o = require('onnxruntime-node'); console.log(o.env.versions.node)"], { cwd: extension, encoding: "utf8" });
    assert.match(ort.trim(), /^\d+\.\d+\.\d+$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
