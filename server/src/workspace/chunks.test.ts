import assert from "node:assert/strict";
import { test } from "node:test";
import { createParser } from "../parsing/parser";
import { chunkKey, chunkTexts, lineBlocks, tokenizeChunk } from "./chunks";
import { loadTokenizer } from "../../../training/tokenizer/tokenizer-file";
import { ROOT } from "../engine/tinyModel.testutil";
import { join } from "node:path";
import { languageTagId } from "../../../training/tokenizer/bpe";

test("one chunk per outermost function or method; the rest as line blocks", async () => {
  const parser = await createParser("python");
  const text = [
    "import os",
    "",
    "LIMIT = 3",
    "",
    "class Store:",
    "    \"\"\"Keeps things.\"\"\"",
    "",
    "    def get(self, key):",
    "        def inner(x):",
    "            return x",
    "        return inner(key)",
    "",
    "    @staticmethod",
    "    def make():",
    "        return Store()",
    "",
    "def top(a, b):",
    "    return a + b",
    "",
  ].join("\n");
  const chunks = chunkTexts(parser, text);
  parser.delete();
  const functions = chunks.filter((c) => c.kind === "function").map((c) => c.text);
  assert.deepEqual(functions, [
    "def get(self, key):\n    def inner(x):\n        return x\n    return inner(key)",
    "@staticmethod\ndef make():\n    return Store()",
    "def top(a, b):\n    return a + b",
  ]);
  const rest = chunks.filter((c) => c.kind === "block").map((c) => c.text).join("");
  assert.match(rest, /import os\nLIMIT = 3\nclass Store:\n {4}"""Keeps things."""\n/);
  assert.doesNotMatch(rest, /def /);
});

test("a file without functions becomes line-bounded blocks of bounded size", async () => {
  const parser = await createParser("javascript");
  const text = Array.from({ length: 200 }, (_, i) => `const value${i} = compute(${i});`).join("\n");
  const chunks = chunkTexts(parser, text);
  parser.delete();
  assert.ok(chunks.length > 3 && chunks.every((c) => c.kind === "block" && c.text.length <= 1600));
  assert.equal(chunks.map((c) => c.text).join(""), text + "\n");
  assert.deepEqual(lineBlocks("\n\n  \n"), []);
});

test("chunks tokenize into <lang>-prefixed windows of at most 256 tokens; keys follow language and text", () => {
  const { tokenizer } = loadTokenizer(join(ROOT, "models/tokenizer.json"));
  const long = "def f():\n" + "    total = total + compute(index, value)\n".repeat(120);
  const chunk = tokenizeChunk(tokenizer, "python", long);
  assert.ok(chunk.windows.length > 1);
  assert.ok(chunk.windows.every((w) => w.length <= 256 && w[0] === languageTagId("python")));
  assert.equal(chunk.tokens, tokenizer.encode(long).length + chunk.windows.length);
  assert.notEqual(chunkKey("python", 256, "x"), chunkKey("javascript", 256, "x"));
  assert.equal(chunk.key, chunkKey("python", 256, long));
});

test("functions are found in every language", async () => {
  const samples: [Parameters<typeof createParser>[0], string, number][] = [
    ["javascript", "import x from 'y';\nfunction a() { return 1; }\nconst b = () => 2;\nclass C { m() { return 3; } }\n", 3],
    ["typescript", "export function a(x: number): number { return x; }\nexport class K { get(): string { return ''; } }\n", 2],
    ["tsx", "export const View = (p: { n: string }) => <div>{p.n}</div>;\n", 1],
    ["java", "class A {\n  A() {}\n  int f(int x) { return x; }\n  interface I { void g(); }\n}\n", 2],
    ["go", "package p\n\nfunc F() int { return 1 }\n\nfunc (s *S) M() {}\n\ntype S struct{}\n", 2],
  ];
  for (const [language, text, functions] of samples) {
    const parser = await createParser(language);
    const chunks = chunkTexts(parser, text);
    parser.delete();
    assert.equal(chunks.filter((c) => c.kind === "function").length, functions, `${language}: ${JSON.stringify(chunks)}`);
  }
});
