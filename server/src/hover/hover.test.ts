import { test } from "node:test";
import assert from "node:assert/strict";
import { hoverMarkdown, modelLine, relationText, unavailableText } from "./hover";

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

test("the model's prediction joins the syntax tree's label; disagreements and pending are marked", () => {
  const leaf = { start: 0, end: 4, label: "parameter" as const, text: "path", definition: { kind: "function" as const, name: "load" }, inError: false };
  const plain = hoverMarkdown(leaf);
  assert.doesNotMatch(plain, /model/);
  const agree = hoverMarkdown(leaf, { kind: "prediction", label: "parameter", confidence: 0.974 }).split("\n");
  assert.equal(agree[0], "**parameter** `path`");
  assert.equal(agree[2], "parameter of function `load`");
  assert.equal(agree[4], "model: parameter (97%)");
  const disagree = hoverMarkdown(leaf, { kind: "prediction", label: "variable.reference", confidence: 0.61 }).split("\n");
  assert.equal(disagree[4], "⚠ model: variable reference (61%): **disagrees** with the syntax tree (parameter)");
  const pending = hoverMarkdown(leaf, { kind: "pending" }).split("\n");
  assert.equal(pending[4], "model prediction pending");
  assert.equal(modelLine("keyword", { kind: "prediction", label: "keyword", confidence: 1 }), "model: keyword (100%)");
});

test("inside a syntax error the model's answer stands alone", () => {
  const leaf = { start: 0, end: 5, label: "variable.reference" as const, text: "items", inError: true };
  const lines = hoverMarkdown(leaf, { kind: "prediction", label: "parameter", confidence: 0.5 }).split("\n");
  assert.equal(lines[0], "**parameter** `items`");
  assert.equal(lines[2], "model: parameter (50%)");
  assert.doesNotMatch(lines.join("\n"), /variable reference|disagrees/);
  assert.match(lines[4], /does not parse/);
  // Pending inside an error: the tree's best effort, marked, and the pending line.
  const pending = hoverMarkdown(leaf, { kind: "pending" });
  assert.match(pending, /^\*\*variable reference\*\* `items`/);
  assert.match(pending, /model prediction pending/);
  assert.match(pending, /inside a syntax error; best effort/);
});
