import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Node } from "web-tree-sitter";
import { languageFromPath } from "../../server/src/parsing/languages";
import { createParser, parseText } from "../../server/src/parsing/parser";
import { LABELS } from "../../server/src/labeler/labels";
import { mineTree, type Mined } from "./extract";
import { cleanSummary } from "./summary";

const summaryOf = (m: Mined) => {
  const result = cleanSummary(m.doc, m.style);
  return "summary" in result ? result.summary : `DROP ${result.drop}`;
};
import { parseAlone } from "./mutate";
import { BUG_TYPES, mutate } from "./mutate";

const FIXTURES = join(__dirname, "fixtures");
const FILES = [
  "py-shapes/geometry.py", "py-text/textutil.py", "java-ring/RingBuffer.java", "java-matrix/Matrix.java",
  "go-ring/ring.go", "go-units/units.go", "js-format/format.js", "js-emitter/emitter.js", "ts-vector/vector.ts", "ts-queue/queue.ts",
];

async function mine(file: string, options: { labels?: boolean } = {}): Promise<{ mined: Mined[]; dropped: Map<string, number>; functions: number }> {
  const lang = languageFromPath(file)!;
  const parser = await createParser(lang);
  const text = readFileSync(join(FIXTURES, file), "utf8");
  const tree = parseText(parser, text);
  try {
    return mineTree(tree, text, lang, options);
  } finally {
    tree.delete();
    parser.delete();
  }
}

test("mining without labels finds the same functions with the same code, only without leaves", async () => {
  for (const file of FILES) {
    const labelled = await mine(file);
    const bare = await mine(file, { labels: false });
    assert.ok(labelled.mined.length > 0, file);
    assert.deepEqual(bare.mined.map(({ leaves, ...rest }) => rest), labelled.mined.map(({ leaves, ...rest }) => rest), file);
    assert.ok(bare.mined.every((m) => m.leaves.length === 0) && labelled.mined.every((m) => m.leaves.length > 0), file);
    assert.deepEqual(bare.dropped, labelled.dropped, file);
  }
});

test("python: docstrings removed from code, methods dedented, names kept", async () => {
  const { mined, dropped } = await mine("py-shapes/geometry.py");
  const names = mined.map((m) => m.name);
  assert.deepEqual(names, ["circle_area", "area", "is_square", "scaled", "clamp", "distance"]);
  assert.equal(summaryOf(mined.find((m) => m.name === "clamp")!), "DROP licence header");
  const isSquare = mined.find((m) => m.name === "is_square")!;
  assert.equal(isSquare.code, "@property\ndef is_square(self):\n    return self.width == self.height");
  assert.equal(summaryOf(isSquare), "Tell whether both sides of the rectangle are equal.");
  for (const m of mined) assert.ok(!m.code.includes('"""') && !m.code.includes("'''"), m.code);
  assert.equal(dropped.get("stub body"), 1);
});

test("python: multi-line strings inside a function keep their indentation", async () => {
  const { mined } = await mine("py-text/textutil.py");
  assert.equal(summaryOf(mined.find((m) => m.name === "tiny")!), "DROP summary < 3 words");
  assert.equal(summaryOf(mined.find((m) => m.name === "auto_stub")!), "DROP generated doc");
  const indent = mined.find((m) => m.name === "indent_block")!;
  assert.ok(indent.code.startsWith("def indent_block(text, prefix=\"    \"):\n    lines = []"), indent.code);
});

test("java, go, js, ts: doc comment right before, code without it", async () => {
  const ring = await mine("java-ring/RingBuffer.java");
  assert.deepEqual(ring.mined.map((m) => m.name), ["RingBuffer", "push", "sum", "toString"]);
  assert.equal(summaryOf(ring.mined[3]), "DROP inherited doc");
  assert.ok(ring.mined[1].code.startsWith("public void push(int value) {\n    int tail"));
  assert.equal(summaryOf(ring.mined[0]), "Creates an empty buffer that holds at most capacity items.");
  const go = await mine("go-ring/ring.go");
  assert.deepEqual(go.mined.map((m) => m.name), ["New", "Push", "Len"]);
  assert.equal(summaryOf(go.mined[1]), "Push appends v, dropping the oldest item when the ring is full.");
  const js = await mine("js-format/format.js");
  assert.deepEqual(js.mined.map((m) => m.name).sort(), ["formatDuration", "fullName", "truncate", "zeroPad"]);
  assert.equal(summaryOf(js.mined.find((m) => m.name === "formatDuration")!), "Formats a duration given in milliseconds as mm:ss.");
  const ts = await mine("ts-queue/queue.ts");
  assert.deepEqual(ts.mined.map((m) => m.name), ["enqueue", "dequeue", "size"]);
});

function leavesOf(root: Node, from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  const visit = (node: Node) => {
    if (node.endIndex <= from || node.startIndex >= to) return;
    if (node.childCount === 0) {
      if (node.endIndex > node.startIndex) out.push([node.startIndex - from, node.endIndex - from]);
      return;
    }
    for (let i = 0; i < node.childCount; i++) visit(node.child(i)!);
  };
  visit(root);
  return out;
}

test("labels align with the code: leaf spans equal a fresh parse of the stripped code", async () => {
  for (const file of FILES) {
    const lang = languageFromPath(file)!;
    const parser = await createParser(lang);
    const { mined } = await mine(file);
    assert.ok(mined.length > 0, file);
    for (const m of mined) {
      const { tree, offset } = parseAlone(parser, m.code, m.wrap);
      assert.equal(tree.rootNode.hasError, false, `${file} ${m.name} parses alone`);
      const expected = leavesOf(tree.rootNode, offset, offset + m.code.length);
      assert.deepEqual(m.leaves.map(([s, e]) => [s, e]), expected, `${file} ${m.name}`);
      for (const [, , label] of m.leaves) assert.ok(label >= 0 && label < LABELS.length);
      tree.delete();
    }
    parser.delete();
  }
});

test("mutations: one bug each, re-parses without errors, differs, all bug types occur", async () => {
  const types = new Set<string>();
  let made = 0;
  for (const file of FILES) {
    const lang = languageFromPath(file)!;
    const parser = await createParser(lang);
    const { mined } = await mine(file);
    for (const m of mined) {
      const mutant = mutate(parser, m.code, lang, m.wrap, m.leaves, `${file}:${m.name}`);
      if ("fail" in mutant) continue;
      made++;
      assert.ok((BUG_TYPES as readonly string[]).includes(mutant.bug_type));
      assert.notEqual(mutant.buggy, m.code);
      const { tree } = parseAlone(parser, mutant.buggy, m.wrap);
      assert.equal(tree.rootNode.hasError, false, mutant.buggy);
      tree.delete();
      types.add(mutant.bug_type);
      // Deterministic: the same seed gives the same mutant.
      assert.deepEqual(mutate(parser, m.code, lang, m.wrap, m.leaves, `${file}:${m.name}`), mutant);
    }
    parser.delete();
  }
  assert.ok(made >= 25, `made ${made}`);
  assert.ok(types.size >= 5, [...types].join(", "));
});
