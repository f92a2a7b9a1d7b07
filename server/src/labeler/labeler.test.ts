import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { LanguageId } from "../parsing/languages";
import { createParser, parseText } from "../parsing/parser";
import { labelAt, labelLeaves } from "./labeler";
import { LABELS, type Label } from "./labels";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

async function labelsOf(language: LanguageId, text: string): Promise<[string, Label][]> {
  const parser = await createParser(language);
  const tree = parseText(parser, text);
  try {
    return labelLeaves(tree, language).map((leaf) => [text.slice(leaf.start, leaf.end), leaf.label]);
  } finally {
    tree.delete();
    parser.delete();
  }
}

/** Asserts that the n-th occurrence (0-based) of each token has the expected label. */
function expectLabels(labels: [string, Label][], expected: [string, Label, number?][]): void {
  for (const [token, label, nth = 0] of expected) {
    const hits = labels.filter(([text]) => text === token);
    assert.ok(hits.length > nth, `token ${token} #${nth} not found`);
    assert.equal(hits[nth][1], label, `label of ${token} #${nth}`);
  }
}

test("python identifiers get their roles", async () => {
  const labels = await labelsOf("python", fixture("sample.py"));
  expectLabels(labels, [
    ["json", "module"], ["Config", "type.definition"], ["Base", "type.reference"],
    ["A config.", "docstring"], ["default", "attribute"], ["load_config", "method.definition"],
    ["self", "parameter"], ["path", "parameter", 1], ["str", "type.reference"], ["retries", "parameter"],
    ["DEFAULT", "variable.reference"], ["kw", "parameter"], ["# read it", "comment"],
    ["data", "variable.definition"], ["loads", "function.call"], ["open", "builtin"], ["read", "method.call"],
    ["k", "variable.definition"], ["values", "attribute"], ["split", "method.call"], ["None", "literal"],
    ["3.5", "number"], [" done", "string"], ["helper", "function.call"], ["retries", "parameter", 1],
  ]);
});

test("typescript types, members and destructured parameters", async () => {
  const labels = await labelsOf("typescript", fixture("sample.ts"));
  expectLabels(labels, [
    ["readFile", "module"], ["Cfg", "type.definition"], ["name", "attribute"], ["string", "type.reference"],
    ["Loader", "type.definition"], ["T", "type.definition"], ["Base", "type.reference"], ["cache", "attribute"],
    ["load", "method.definition"], ["p", "parameter"], ["get", "method.call"], ["console", "builtin"],
    ["x", "variable.reference", 1], ["Foo", "type.reference"], ["f", "function.definition"], ["b", "parameter"],
    ["g", "function.definition"], ["rest", "parameter"], ["u", "variable.definition"], ["u", "variable.reference", 1],
  ]);
});

test("javascript, tsx, java and go", async () => {
  expectLabels(await labelsOf("javascript", fixture("sample.js")), [
    ["fs", "variable.definition"], ["/** Reads a file. */", "docstring"], ["readJson", "function.definition"],
    ["file", "parameter"], ["encoding", "parameter"], ["promises", "attribute"], ["readFile", "method.call"],
    ["JSON", "builtin"], ["parse", "method.call"], ["key", "attribute"],
  ]);
  expectLabels(await labelsOf("tsx", fixture("sample.tsx")), [
    ["Greeting", "function.definition"], ["label", "variable.definition"], ["toUpperCase", "method.call"],
  ]);
  expectLabels(await labelsOf("java", fixture("Sample.java")), [
    ["util", "module"], ["Foo", "type.definition"], ["count", "attribute"], ["/** Doc. */", "docstring"],
    ["load", "method.definition"], ["path", "parameter"], ["n", "parameter"], ["int", "type.reference"],
    ["x", "variable.definition", 1], ["true", "literal"], ["System", "type.reference"], ["println", "method.call"],
    ["helper", "method.call"], ["ArrayList", "type.reference"],
  ]);
  expectLabels(await labelsOf("go", fixture("sample.go")), [
    ["main", "module"], ["str", "module"], ["Point", "type.definition"], ["X", "attribute"],
    ["Move", "method.definition"], ["p", "parameter"], ["dx", "parameter"], ["y", "variable.definition"],
    ["fmt", "module", 1], ["Println", "function.call"], ["len", "builtin"], ["nil", "literal"],
  ]);
});

test("every non-whitespace character of a file lies in exactly one labelled leaf", async () => {
  const files: [LanguageId, string][] = [
    ["python", "sample.py"], ["typescript", "sample.ts"], ["javascript", "sample.js"],
    ["tsx", "sample.tsx"], ["java", "Sample.java"], ["go", "sample.go"],
  ];
  for (const [language, name] of files) {
    const text = fixture(name);
    const parser = await createParser(language);
    const tree = parseText(parser, text);
    const leaves = labelLeaves(tree, language);
    const covered = new Uint8Array(text.length);
    for (const leaf of leaves) {
      assert.ok(LABELS.includes(leaf.label));
      for (let i = leaf.start; i < leaf.end; i++) covered[i]++;
    }
    for (let i = 0; i < text.length; i++) {
      if (/\S/.test(text[i])) assert.equal(covered[i], 1, `${name}: char ${i} ${JSON.stringify(text[i])}`);
    }
    tree.delete();
    parser.delete();
  }
});

test("code with syntax errors is still labelled, and hover knows the definition", async () => {
  const text = "def load_config(path):\n    x = open(path\n    return x +\n";
  const labels = await labelsOf("python", text);
  assert.ok(labels.length > 5);
  expectLabels(labels, [["load_config", "function.definition"], ["open", "builtin"]]);
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const hit = labelAt(tree, "python", text.indexOf("path)") + 1)!;
  assert.equal(hit.label, "parameter");
  assert.deepEqual(hit.definition, { kind: "function", name: "load_config" });
  assert.equal(labelAt(tree, "python", text.indexOf(" x =")), undefined);
  tree.delete();
  parser.delete();
});

test("labelling a range visits only the leaves that overlap it", async () => {
  const text = fixture("sample.py");
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const start = text.indexOf("def load_config");
  const leaves = labelLeaves(tree, "python", start, start + 20);
  assert.deepEqual(leaves.map((leaf) => text.slice(leaf.start, leaf.end)), ["def", "load_config", "(", "self"]);
  tree.delete();
  parser.delete();
});

test("python string text around escape sequences is labelled", async () => {
  const text = 'x = "a\\tb\\n"\ny = f"{x}\\t!"\n';
  const labels = await labelsOf("python", text);
  const covered = labels.map(([token]) => token).join("");
  assert.equal(covered.replace(/\s/g, ""), text.replace(/\s/g, ""));
  assert.ok(labels.some(([token, label]) => token.includes("a\\tb") && label === "string"));
  expectLabels(labels, [["x", "variable.reference", 1]]);
});
