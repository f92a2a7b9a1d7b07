import assert from "node:assert/strict";
import { test } from "node:test";
import { CodeActionTriggerKind, type CodeActionParams, type Diagnostic, type Range } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { createParser, parseText } from "../parsing/parser";
import { codeActionsFor } from "./codeActions";

const text = "x = 1\n\ndef total(items):\n    t = 0\n    for i in items:\n        t += i\n    return t\n";
const document = TextDocument.create("file:///a.py", "python", 1, text);
const inside: Range = { start: { line: 5, character: 8 }, end: { line: 5, character: 8 } };
const outside: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const diagnostic: Diagnostic = { range: { start: { line: 5, character: 8 }, end: { line: 5, character: 9 } }, message: "bad" };

const params = (range: Range, diagnostics: Diagnostic[], triggerKind?: CodeActionTriggerKind, only?: string[]): CodeActionParams => ({
  textDocument: { uri: document.uri },
  range,
  context: { diagnostics, triggerKind, only },
});

test("Refine with CodeAdapt is offered on functions with diagnostics, and on request", async () => {
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const withDiagnostic = codeActionsFor(tree, document, params(inside, [diagnostic], CodeActionTriggerKind.Automatic));
  assert.equal(withDiagnostic.length, 1);
  assert.equal(withDiagnostic[0].title, "Refine with CodeAdapt");
  assert.equal(withDiagnostic[0].kind, "refactor.rewrite");
  assert.deepEqual(withDiagnostic[0].diagnostics, [diagnostic]);
  assert.deepEqual(withDiagnostic[0].command, {
    title: "Refine with CodeAdapt",
    command: "codeadapt.refine",
    arguments: [document.uri, inside.start],
    tooltip: "CodeAdapt: refine function total",
  });
  assert.deepEqual(codeActionsFor(tree, document, params(inside, [], CodeActionTriggerKind.Automatic)), [], "no lightbulb without a reason");
  assert.equal(codeActionsFor(tree, document, params(inside, [], CodeActionTriggerKind.Invoked)).length, 1);
  assert.equal(codeActionsFor(tree, document, params(inside, [], undefined, ["refactor"])).length, 1);
  assert.deepEqual(codeActionsFor(tree, document, params(inside, [diagnostic], CodeActionTriggerKind.Invoked, ["quickfix"])), []);
  assert.deepEqual(codeActionsFor(tree, document, params(outside, [], CodeActionTriggerKind.Invoked)), [], "no function, no selection");
  const selection: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } };
  const selected = codeActionsFor(tree, document, params(selection, [], CodeActionTriggerKind.Invoked));
  assert.deepEqual(selected[0].command!.arguments, [document.uri, selection.start, selection]);
  tree.delete();
  parser.delete();
});
