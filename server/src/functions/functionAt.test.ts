import assert from "node:assert/strict";
import { test } from "node:test";
import { createParser, parseText } from "../parsing/parser";
import { dedent, functionAt, functionsIn, reindent } from "./functionAt";

test("finds the method around a line, drops its docstring and dedents it", async () => {
  const text = 'class A:\n    def load(self, path):\n        """Loads."""\n        return open(path)\n\n    x = 1\n';
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const span = functionAt(tree, text, text.indexOf("return"))!;
  assert.equal(span.name, "load");
  assert.equal(span.kind, "method");
  assert.equal(span.code, "def load(self, path):\n    return open(path)");
  assert.equal(span.indent, 4);
  assert.deepEqual(text.slice(span.doc!.start, span.doc!.end), '"""Loads."""');
  assert.equal(functionAt(tree, text, text.indexOf("x = 1")), undefined);
  tree.delete();
  parser.delete();
});

test("a Java method keeps its Javadoc range separate from its code", async () => {
  const text = "class A {\n  /** Adds. */\n  int add(int a, int b) {\n    return a + b;\n  }\n}\n";
  const parser = await createParser("java");
  const tree = parseText(parser, text);
  const span = functionAt(tree, text, text.indexOf("a + b"))!;
  assert.equal(span.code, "int add(int a, int b) {\n  return a + b;\n}");
  assert.equal(text.slice(span.doc!.start, span.doc!.end), "/** Adds. */");
  tree.delete();
  parser.delete();
});

test("dedent and reindent are inverse on model output", () => {
  const code = "def f():\n    return 1\n";
  assert.equal(dedent(reindent(code, 4), 4), code);
});

test("functionsIn lists functions and methods (nested too) with a position functionAt resolves", async () => {
  const text = "@cache\ndef outer(a):\n    def inner(b):\n        return b\n    return inner(a)\n\nclass C:\n    def m(self):\n        pass\n\nx = 1\n";
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const marks = functionsIn(tree);
  assert.deepEqual(marks.map((m) => [m.name, m.kind]), [["outer", "function"], ["inner", "function"], ["m", "method"]]);
  assert.equal(marks[0].start, 0, "the lens goes above the decorator");
  for (const mark of marks) assert.equal(functionAt(tree, text, mark.at)!.name, mark.name);
  assert.equal(functionsIn(tree, 1).length, 1);
  tree.delete();
  parser.delete();
});

test("functionsIn finds arrow functions by their variable in TypeScript", async () => {
  const text = "const add = (a: number, b: number) => {\n  return a + b;\n};\nfunction twice(f: () => void) { f(); f(); }\n";
  const parser = await createParser("typescript");
  const tree = parseText(parser, text);
  const marks = functionsIn(tree);
  assert.deepEqual(marks.map((m) => m.name), ["add", "twice"]);
  for (const mark of marks) assert.equal(functionAt(tree, text, mark.at)!.name, mark.name);
  tree.delete();
  parser.delete();
});
