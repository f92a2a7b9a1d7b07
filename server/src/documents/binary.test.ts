import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyContent } from "./binary";

test("plain source is text, including a stray replacement character", () => {
  assert.equal(classifyContent("def f(x):\n    return x\n"), "text");
  assert.equal(classifyContent("s = '\uFFFD'\n".repeat(3)), "text");
  assert.equal(classifyContent(""), "text");
});

test("NUL bytes mean binary", () => {
  assert.equal(classifyContent("\x7fELF\u0000\u0001\u0002"), "binary");
});

test("many replacement characters mean undecodable", () => {
  assert.equal(classifyContent("ab\uFFFD\uFFFD".repeat(50)), "undecodable");
});
