import assert from "node:assert/strict";
import { test } from "node:test";
import type { LanguageId } from "../parsing/languages";
import { createParser, parseText } from "../parsing/parser";
import { docCommentFor } from "./docComment";
import { functionAt } from "./functionAt";

async function insert(language: LanguageId, text: string, at: string, summary: string): Promise<string> {
  const parser = await createParser(language);
  const tree = parseText(parser, text);
  const span = functionAt(tree, text, text.indexOf(at))!;
  const doc = docCommentFor(language, span, summary, text);
  tree.delete();
  parser.delete();
  return text.slice(0, doc.offset) + doc.text + text.slice(doc.end ?? doc.offset);
}

test("python gets a docstring as the first statement, indented like the body", async () => {
  const text = "class A:\n    def load(self, path: str) -> dict:\n        return read(path)\n";
  assert.equal(await insert("python", text, "return", "load the config"),
    'class A:\n    def load(self, path: str) -> dict:\n        """Load the config."""\n        return read(path)\n');
});

test("java, typescript and go get their comment above the function", async () => {
  assert.equal(await insert("java", "class A {\n  int add(int a) {\n    return a;\n  }\n}\n", "return", "adds one."),
    "class A {\n  /** Adds one. */\n  int add(int a) {\n    return a;\n  }\n}\n");
  assert.equal(await insert("typescript", "function f(x: number) {\n  return x */ 2;\n}\n", "return", "doubles */ x"),
    "/** Doubles * / x. */\nfunction f(x: number) {\n  return x */ 2;\n}\n");
  assert.equal(await insert("go", "func Max(a, b int) int {\n\treturn a\n}\n", "return", "returns the larger"),
    "// Max returns the larger.\nfunc Max(a, b int) int {\n\treturn a\n}\n");
});

test("an existing docstring or doc comment is replaced, not doubled; a plain comment above stays", async () => {
  assert.equal(await insert("python", 'def f(x):\n    """Old."""\n    return x\n', "return", "returns x"),
    'def f(x):\n    """Returns x."""\n    return x\n');
  assert.equal(await insert("python", "# helper\ndef f(x):\n    return x\n", "return", "returns x"),
    '# helper\ndef f(x):\n    """Returns x."""\n    return x\n');
  assert.equal(await insert("java", "class A {\n  /** Old. */\n  int add(int a) {\n    return a;\n  }\n}\n", "return", "adds one"),
    "class A {\n  /** Adds one. */\n  int add(int a) {\n    return a;\n  }\n}\n");
  assert.equal(await insert("javascript", "// note\nfunction f(x) {\n  return x;\n}\n", "return", "returns x"),
    "// note\n/** Returns x. */\nfunction f(x) {\n  return x;\n}\n");
  assert.equal(await insert("go", "// Max old text\nfunc Max(a, b int) int {\n\treturn a\n}\n", "return", "returns the larger"),
    "// Max returns the larger.\nfunc Max(a, b int) int {\n\treturn a\n}\n");
});
