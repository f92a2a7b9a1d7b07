import assert from "node:assert/strict";
import { test } from "node:test";
import { commandTarget, diffSidePath, refinePrompt, stillApplies, summaryMessage } from "./commandArgs";

test("lens and action arguments become a request target; palette calls have none", () => {
  const position = { line: 3, character: 0 };
  const range = { start: position, end: { line: 5, character: 2 } };
  assert.deepEqual(commandTarget(["file:///a.py", position]), { uri: "file:///a.py", position, range: undefined });
  assert.deepEqual(commandTarget(["file:///a.py", position, range]), { uri: "file:///a.py", position, range });
  assert.equal(commandTarget([]), undefined);
  assert.equal(commandTarget([{ uri: "x" }]), undefined);
  assert.equal(commandTarget(["file:///a.py", { line: 1.5, character: 0 }]), undefined);
});

test("summary and refine texts carry the truncation notice", () => {
  assert.equal(summaryMessage({ summary: " Loads the config. ", truncated: false }), "Loads the config.");
  assert.match(summaryMessage({ summary: "Loads.", truncated: true }), /^Loads\. — The code was longer than the model reads/);
  assert.match(summaryMessage({ summary: "", truncated: false }), /empty summary/);
  assert.equal(refinePrompt({ truncated: false, original: "a", refined: "b" }), "CodeAdapt: apply the refinement?");
  assert.match(refinePrompt({ truncated: true, original: "a", refined: "b" }), /only its beginning/);
  assert.match(refinePrompt({ truncated: false, original: "a", refined: "a" }), /no change/);
  assert.equal(refinePrompt({ truncated: false, original: "a + b", refined: "a - b", edit: { operator: "+ -> -", candidates: 23 } }),
    "CodeAdapt: apply the refinement? One edit (+ -> -), the likeliest of 23 the model ranked.");
});

test("diff sides keep the file name; edits apply only to the version they were computed for", () => {
  assert.equal(diffSidePath("id", "refined", "/home/u/src/app.ts"), "/id/refined/app.ts");
  assert.equal(stillApplies(4, 4), true);
  assert.equal(stillApplies(5, 4), false);
  assert.equal(stillApplies(5, undefined), true);
});
