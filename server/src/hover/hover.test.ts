import { test } from "node:test";
import assert from "node:assert/strict";
import { hoverMarkdown, relationText, unavailableText } from "./hover";

test("relation text names the enclosing definition", () => {
  assert.equal(relationText({ label: "parameter", text: "path", definition: { kind: "function", name: "load_config" } }), "parameter of function `load_config`");
  assert.equal(relationText({ label: "function.definition", text: "load_config", definition: { kind: "function", name: "load_config" } }), "definition of function `load_config`");
  assert.equal(relationText({ label: "method.call", text: "get", definition: { kind: "method", name: "run" } }), "method call in method `run`");
  assert.equal(relationText({ label: "keyword", text: "import", definition: undefined }), "keyword at top level");
});

test("hover markdown marks tokens inside syntax errors and shortens long tokens", () => {
  const text = hoverMarkdown({ start: 0, end: 100, label: "string", text: `"${"x".repeat(100)}"`, inError: true });
  assert.match(text, /^\*\*string\*\* `"x{56}\.\.\.`/);
  assert.match(text, /inside a syntax error/);
});

test("unavailable documents get a clear sentence", () => {
  assert.match(unavailableText({ reason: "unsupported", editorLanguage: "rust" })!, /no grammar for `rust`/);
  assert.match(unavailableText({ reason: "content", content: "binary" })!, /NUL bytes/);
  assert.match(unavailableText({ reason: "too-large", chars: 30 * 1048576 })!, /30\.0 MB/);
  assert.equal(unavailableText({ reason: "not-open" }), undefined);
});
