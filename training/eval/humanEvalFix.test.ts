import assert from "node:assert/strict";
import { test } from "node:test";
import { humanEvalFix } from "./benchmarks";
import { passAt1, runCandidate } from "./humanEvalFix";

for (const language of ["python", "javascript"] as const) {
  test(`HumanEvalFix ${language}: canonical solutions pass and buggy ones fail`, async () => {
    const items = humanEvalFix(language).slice(0, 12);
    assert.equal(items.length, 12);
    const canonical = await passAt1(items, items.map((item) => item.canonical));
    assert.deepEqual(canonical, items.map(() => true));
    const buggy = await passAt1(items, items.map((item) => item.buggy));
    assert.ok(buggy.filter(Boolean).length <= 1, `buggy passes: ${buggy}`);
  });
}

test("a candidate that loops forever is killed, one that does not parse fails", async () => {
  const [item] = humanEvalFix("python");
  const looping = await runCandidate(item, `def ${item.entryPoint}(*a):\n    while True: pass\n`, 1500);
  assert.equal(looping.passed, false);
  const broken = await runCandidate(item, "def (:\n");
  assert.equal(broken.passed, false);
});
