import { after, test } from "node:test";
import assert from "node:assert/strict";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Tree } from "web-tree-sitter";
import { DocumentTrees } from "./documentTrees";
import { ParserPool } from "./parserPool";

const pool = new ParserPool(["python", "javascript"]);
after(() => pool.dispose());

function store(maxChars?: number) {
  const docs = new Map<string, TextDocument>();
  const trees = new DocumentTrees(pool, (uri) => docs.get(uri), { reparseDelayMs: -1, ...(maxChars ? { maxParseChars: maxChars } : {}) });
  const open = (uri: string, languageId: string, text: string) => {
    const document = TextDocument.create(uri, languageId, 1, text);
    docs.set(uri, document);
    trees.open(document);
    return document;
  };
  const close = (uri: string) => {
    docs.delete(uri);
    trees.close(uri);
  };
  return { trees, open, close };
}

function treeOf(lookup: ReturnType<DocumentTrees["lookup"]>): Tree {
  assert.ok("tree" in lookup, `no tree: ${JSON.stringify(lookup)}`);
  return lookup.tree;
}

async function fresh(text: string): Promise<string> {
  const parser = pool.get("python")!;
  const tree = parser.parse(text)!;
  try {
    return tree.rootNode.toString();
  } finally {
    tree.delete();
  }
}

test("incremental edits give the same tree as parsing from scratch, one parse per burst", async () => {
  await pool.ready;
  const { trees, open } = store();
  const doc = open("file:///a.py", "python", "def f(a):\n    return a\n");
  treeOf(trees.lookup(doc.uri));
  assert.equal(trees.stats.fullParses, 1);
  // A burst of three edits: rename the parameter, insert a line, delete a character.
  trees.update(doc, [{ range: { start: { line: 0, character: 6 }, end: { line: 0, character: 7 } }, text: "value" }], 2);
  trees.update(doc, [{ range: { start: { line: 1, character: 11 }, end: { line: 1, character: 12 } }, text: "value" }], 3);
  trees.update(doc, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: "\nx = f(1)\ny = 'é€😀'\n" }], 4);
  trees.update(doc, [{ range: { start: { line: 4, character: 5 }, end: { line: 4, character: 7 } }, text: "" }], 5);
  const tree = treeOf(trees.lookup(doc.uri));
  assert.equal(trees.stats.incrementalParses, 1);
  assert.equal(doc.getText(), "def f(value):\n    return value\n\nx = f(1)\ny = '😀'\n");
  assert.equal(tree.rootNode.toString(), await fresh(doc.getText()));
  assert.equal(tree.rootNode.endIndex, doc.getText().length);
  // Lookups without edits reuse the tree.
  assert.equal(treeOf(trees.lookup(doc.uri)), tree);
  assert.equal(trees.stats.incrementalParses, 1);
});

test("full-text changes re-parse from scratch", async () => {
  await pool.ready;
  const { trees, open } = store();
  const doc = open("file:///b.py", "python", "x = 1\n");
  treeOf(trees.lookup(doc.uri));
  trees.update(doc, [{ text: "class A:\n    pass\n" }], 2);
  const tree = treeOf(trees.lookup(doc.uri));
  assert.equal(tree.rootNode.toString(), await fresh("class A:\n    pass\n"));
  assert.equal(trees.stats.fullParses, 2);
});

test("close frees the tree; unknown documents are not open", async () => {
  await pool.ready;
  const { trees, open, close } = store();
  open("file:///c.py", "python", "pass\n");
  treeOf(trees.lookup("file:///c.py"));
  assert.deepEqual(trees.counts(), { documents: 1, trees: 1 });
  close("file:///c.py");
  assert.deepEqual(trees.counts(), { documents: 0, trees: 0 });
  assert.deepEqual(trees.lookup("file:///c.py"), { reason: "not-open" });
});

test("unsupported languages, binary content and oversized text are reported, not parsed", async () => {
  await pool.ready;
  const { trees, open } = store(1000);
  assert.deepEqual(trees.lookup(open("file:///r.rs", "rust", "fn main() {}").uri), { reason: "unsupported", editorLanguage: "rust" });
  // A .py opened as plain text still gets its grammar from the file name.
  assert.ok("tree" in trees.lookup(open("file:///p.py", "plaintext", "x = 1").uri));
  assert.deepEqual(trees.lookup(open("file:///go.go", "go", "package main").uri), {
    reason: "grammar-failed",
    language: "go",
    error: "grammar not loaded yet",
  });
  const binary = open("file:///bin.py", "python", "x = '\u0000\u0001'");
  assert.deepEqual(trees.lookup(binary.uri), { reason: "content", content: "binary" });
  trees.update(binary, [{ range: { start: { line: 0, character: 5 }, end: { line: 0, character: 7 } }, text: "" }], 2);
  assert.ok("tree" in trees.lookup(binary.uri), "text again once the NUL is gone");
  assert.deepEqual(trees.lookup(open("file:///big.js", "javascript", "x;".repeat(600)).uri), { reason: "too-large", chars: 1200 });
});

test("large documents parse in slices, restart when edited mid-parse, and stop when closed", async () => {
  await pool.ready;
  const docs = new Map<string, TextDocument>();
  const trees = new DocumentTrees(pool, (uri) => docs.get(uri), { reparseDelayMs: -1, sliceAboveChars: 1000, sliceMs: 0 });
  const body = Array.from({ length: 400 }, (_, i) => `def f${i}(a, b):\n    return a + b * ${i}\n`).join("");
  const doc = TextDocument.create("file:///big.py", "python", 1, body);
  docs.set(doc.uri, doc);
  trees.open(doc);
  assert.deepEqual(trees.lookup(doc.uri), { reason: "parsing", chars: body.length });
  await trees.ensure(doc.uri);
  assert.equal(treeOf(trees.lookup(doc.uri)).rootNode.toString(), await fresh(body));
  assert.equal(trees.stats.fullParses, 1);

  // Edit while a sliced re-parse is suspended: it is abandoned and redone on the new text.
  trees.update(doc, [{ range: { start: { line: 0, character: 4 }, end: { line: 0, character: 6 } }, text: "first" }], 2);
  const pending = trees.ensure(doc.uri);
  await new Promise((resume) => setImmediate(resume));
  trees.update(doc, [{ range: { start: { line: 2, character: 4 }, end: { line: 2, character: 6 } }, text: "second" }], 3);
  await pending;
  await trees.ensure(doc.uri);
  const tree = treeOf(trees.lookup(doc.uri));
  assert.match(doc.getText(), /^def first\(a, b\):\n.*\ndef second\(/);
  assert.equal(tree.rootNode.toString(), await fresh(doc.getText()));

  // Close in the middle of a sliced parse: nothing left behind, nothing thrown.
  trees.update(doc, [{ text: body }], 4);
  const abandoned = trees.ensure(doc.uri);
  docs.delete(doc.uri);
  trees.close(doc.uri);
  await abandoned;
  assert.deepEqual(trees.counts(), { documents: 0, trees: 0 });
});
