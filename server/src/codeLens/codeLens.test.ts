import assert from "node:assert/strict";
import { test } from "node:test";
import { TextDocument } from "vscode-languageserver-textdocument";
import { createParser, parseText } from "../parsing/parser";
import { MAX_LENS_CHARS, codeLensesFor } from "./codeLens";

test("a Summarize and a Refine lens above each function, carrying the command and a position inside it", async () => {
  const text = "import os\n\n@wrap\ndef load(path):\n    return open(path)\n\nclass C:\n    def get(self, key):\n        return key\n";
  const document = TextDocument.create("file:///a.py", "python", 1, text);
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const lenses = codeLensesFor(tree, document);
  assert.deepEqual(lenses.map((l) => l.command!.title), ["Summarize", "Refine", "Summarize", "Refine"]);
  assert.deepEqual(lenses.map((l) => l.range.start.line), [2, 2, 7, 7]);
  assert.deepEqual(lenses[0].command!.arguments, ["file:///a.py", { line: 3, character: 0 }]);
  assert.equal(lenses[1].command!.command, "codeadapt.refine");
  assert.equal(lenses[2].command!.command, "codeadapt.summarize");
  assert.ok(lenses.every((l) => l.data === undefined), "nothing left to resolve");
  const summarizeOnly = codeLensesFor(tree, document, { refine: false });
  assert.deepEqual(summarizeOnly.map((l) => l.command!.title), ["Summarize", "Summarize"], "no Refine lens when the model disables refine");
  const huge = TextDocument.create("file:///b.py", "python", 1, "x = 1\n".repeat(MAX_LENS_CHARS / 6 + 1));
  assert.deepEqual(codeLensesFor(tree, huge), []);
  tree.delete();
  parser.delete();
});
