import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { mineTree } from "../../../training/corpus/extract";
import { mutate } from "../../../training/corpus/mutate";
import { languageFromPath } from "../parsing/languages";
import { createParser, parseText } from "../parsing/parser";
import { repairCandidates } from "./repairCandidates";
import { parseAlone } from "./singleEdits";

const ROOT = join(__dirname, "../../..");

test("the seeded bug of the example workspace has its fix among the candidates, all of which parse", async () => {
  const parser = await createParser("python");
  try {
    const file = readFileSync(join(ROOT, "test/workspace-example/src/inventory/pricing.py"), "utf8");
    const code = file.slice(file.indexOf("def apply_discount"));
    const candidates = repairCandidates(parser, code, "python");
    const fixed = code.replace("(1 + percent / 100)", "(1 - percent / 100)");
    assert.ok(candidates.some((c) => c.code === fixed && c.operator === "+ -> -"), "the fix is not offered");
    assert.equal(new Set(candidates.map((c) => c.code)).size, candidates.length, "duplicates");
    assert.ok(!candidates.some((c) => c.code === code), "the unchanged code is not a repair");
    for (const c of candidates) {
      // The edit touches only its range of the original.
      assert.ok(c.code.startsWith(code.slice(0, c.start)) && c.code.endsWith(code.slice(c.end)), c.operator);
      const { tree } = parseAlone(parser, c.code, "");
      assert.equal(tree.rootNode.hasError, false, c.code);
      tree.delete();
    }
    assert.equal(repairCandidates(parser, code, "python", 3).length, 3);
    assert.deepEqual(repairCandidates(parser, "def broken(:\n    return 1 +\n", "python"), []);
  } finally {
    parser.delete();
  }
});

test("a Java method parses inside a class wrapper and gets candidates", async () => {
  const parser = await createParser("java");
  try {
    const code = "int clamp(int x, int lo, int hi) {\n    if (x < lo) return lo;\n    return x > hi ? hi : x;\n}";
    const candidates = repairCandidates(parser, code, "java");
    assert.ok(candidates.some((c) => c.code.includes("x <= lo")));
    assert.ok(candidates.some((c) => c.operator === "variable swap"));
  } finally {
    parser.delete();
  }
});

// The corpus's synthetic bugs of these kinds are undone by one candidate edit; this keeps the
// runtime's repairs and the training bugs one table (singleEdits.ts).
const INVERTIBLE = new Set(["operator misuse", "value misuse", "variable misuse", "function misuse"]);
const FIXTURE_FILES = ["py-shapes/geometry.py", "py-text/textutil.py", "java-ring/RingBuffer.java", "go-units/units.go", "js-format/format.js", "ts-vector/vector.ts"];

test("every synthetic operator, value, variable or function bug of the fixtures is undone by a candidate", async () => {
  let checked = 0;
  for (const file of FIXTURE_FILES) {
    const lang = languageFromPath(file)!;
    const parser = await createParser(lang);
    const text = readFileSync(join(ROOT, "training/corpus/fixtures", file), "utf8");
    const tree = parseText(parser, text);
    try {
      for (const m of mineTree(tree, text, lang).mined) {
        const mutant = mutate(parser, m.code, lang, m.wrap, m.leaves, `${file}:${m.name}`);
        if ("fail" in mutant || !INVERTIBLE.has(mutant.bug_type)) continue;
        const offered = repairCandidates(parser, mutant.buggy, lang, Infinity).map((c) => c.code);
        assert.ok(offered.includes(m.code), `${file}:${m.name} (${mutant.operator}) is not undone:\n${mutant.buggy}`);
        checked++;
      }
    } finally {
      tree.delete();
      parser.delete();
    }
  }
  assert.ok(checked >= 10, `checked ${checked}`);
});
