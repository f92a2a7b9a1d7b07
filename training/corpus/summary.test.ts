import assert from "node:assert/strict";
import { test } from "node:test";
import { blockCommentText, cleanSummary, firstSentence, lineCommentText, pythonDocstringText, stripMarkup } from "./summary";

const summary = (raw: string, style: "python" | "block" | "go") => {
  const result = cleanSummary(raw, style);
  return "summary" in result ? result.summary : `DROP ${result.drop}`;
};

test("python: first sentence, sections and reST markup removed", () => {
  const doc = pythonDocstringText(`"""Return the area of a circle of the given :class:\`Radius\`.

    Args:
        radius: the radius.
    """`)!;
  assert.equal(summary(doc, "python"), "Return the area of a circle of the given Radius.");
  assert.equal(summary("Compute ``x`` for the given e.g. numbers. More text here.", "python"), "Compute x for the given e.g. numbers.");
  assert.equal(summary("Parse the input\n    :param x: the input\n    :returns: y", "python"), "Parse the input");
  assert.equal(summary("Summary line of the function here\n\n    Parameters\n    ----------\n    x : int", "python"), "Summary line of the function here");
});

test("python: numpydoc heading, doctest and signature lines end the description", () => {
  assert.equal(summary("foo(a, b) -> int\n\nAdds a and b together quickly.", "python"), "Adds a and b together quickly.");
  assert.equal(summary("Shout the words twice over\n>>> shout('a')", "python"), "Shout the words twice over");
});

test("javadoc/jsdoc: tags, {@link}, {@code} and HTML removed", () => {
  const raw = blockCommentText(`/**
   * Returns the {@link java.util.List list} of {@code int} values in <b>order</b>.
   * <p>Second paragraph.
   * @param x the thing
   */`);
  assert.equal(summary(raw, "block"), "Returns the list of int values in order.");
  assert.equal(summary(blockCommentText("/** Multiplies by {@link Matrix#times}. Then more. */"), "block"), "Multiplies by Matrix.times.");
  assert.equal(summary(blockCommentText("/** {@inheritDoc} */"), "block"), "DROP inherited doc");
  assert.equal(summary(blockCommentText("/**\n * @param a first\n */"), "block"), "DROP empty doc");
});

test("go: // lines joined, first sentence", () => {
  assert.equal(summary(lineCommentText(["// Push appends v, dropping the", "// oldest item. It never allocates."]), "go"), "Push appends v, dropping the oldest item.");
});

test("licence headers, generated stubs and placeholders are dropped; 3..30 words", () => {
  assert.equal(summary("Copyright (c) 2020 Someone. Licensed under the MIT license.", "python"), "DROP licence header");
  assert.equal(summary("Auto generated wrapper, do not edit.", "python"), "DROP generated doc");
  assert.equal(summary("TODO: write this.", "python"), "DROP placeholder doc");
  assert.equal(summary("Hi.", "python"), "DROP summary < 3 words");
  assert.equal(summary(Array.from({ length: 40 }, () => "word").join(" ") + ".", "python"), "DROP summary > 30 words");
});

test("helpers", () => {
  assert.equal(firstSentence("One two 3.5 four. Next."), "One two 3.5 four.");
  assert.equal(stripMarkup("a **bold** and *em* [link](http://x) `code`"), "a bold and em link code");
  assert.equal(pythonDocstringText("b'bytes'"), undefined);
  assert.equal(pythonDocstringText("r'''raw'''"), "raw");
});
