import assert from "node:assert/strict";
import { test } from "node:test";
import { createParser, parseText } from "../parsing/parser";
import { lineBounds, windowFor } from "./modelTokenTypes";

/** A stand-in for the model's tokenizer: one token per 4 characters. */
const fakeModel = (maxSrc: number) =>
  ({
    tokenizer: { encodeWithSpans: (text: string) => ({ ids: new Array(Math.ceil(text.length / 4)).fill(0) }) },
    seq2seq: { contract: { max_src: maxSrc } },
  }) as unknown as Parameters<typeof windowFor>[0];

const text = [
  "import os",
  "",
  "def first(a):",
  "    b = a + 1",
  "    return b",
  "",
  "def second(c):",
  "    d = c * 2",
  "    return d",
  "",
].join("\n");

test("the window extends to the whole functions the region cuts through, when that fits", async () => {
  const parser = await createParser("python");
  const tree = parseText(parser, text);
  const from = text.indexOf("b = a"); // inside first()
  const to = text.indexOf("d = c"); // inside second()
  const window = windowFor(fakeModel(512), tree, text, from, to + 2);
  assert.equal(window.start, text.indexOf("def first"));
  assert.equal(window.end, text.indexOf("return d") + "return d".length);
  // Too small a budget: the region's own lines only.
  const lines = windowFor(fakeModel(8), tree, text, from, to + 2);
  assert.equal(lines.start, text.lastIndexOf("\n", from) + 1);
  assert.equal(lines.end, text.indexOf("\n", to));
  // An explicit budget (the hover window) wins over the model's input length.
  assert.deepEqual(windowFor(fakeModel(512), tree, text, from, from + 1, 4), lineBounds(text, from));
  // Outside any function: just the lines.
  assert.deepEqual(windowFor(fakeModel(512), tree, text, 0, 3), { start: 0, end: "import os".length });
  tree.delete();
  parser.delete();
});

test("lineBounds gives the line around an offset", () => {
  assert.deepEqual(lineBounds("ab\ncd\nef", 4), { start: 3, end: 5 });
  assert.deepEqual(lineBounds("ab\ncd\nef", 7), { start: 6, end: 8 });
  assert.deepEqual(lineBounds("ab", 0), { start: 0, end: 2 });
});
