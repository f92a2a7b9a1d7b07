import assert from "node:assert/strict";
import { test } from "node:test";
import { corpusBleu4, exactMatch, nistTokens, smoothedBleu4, splitPunctuation } from "./bleu";

test("identical sentences score 100 and disjoint ones near 0", () => {
  assert.equal(Math.round(smoothedBleu4("returns the sum of two numbers", "Returns the sum of two numbers.")), 84);
  assert.ok(Math.abs(smoothedBleu4("returns the sum", "returns the sum") - 100) < 1e-9);
  assert.ok(smoothedBleu4("returns the sum", "opens a socket") < 1e-6);
});

test("smoothed BLEU matches a hand computation", () => {
  // ref: a b c d e (5), hyp: a b c x (4): p1=3/4, p2=(2+1)/(3+1), p3=(1+1)/(2+1), p4=(0+1)/(1+1)
  const expectedLog = (Math.log(3 / 4) + Math.log(3 / 4) + Math.log(2 / 3) + Math.log(1 / 2)) / 4 + (1 - 6 / 5);
  assert.ok(Math.abs(smoothedBleu4("a b c d e", "a b c x") - Math.exp(expectedLog) * 100) < 1e-9);
});

test("tokenization splits punctuation and folds case", () => {
  assert.equal(splitPunctuation("Get the user's ID."), "get the user ' s id .");
  assert.deepEqual(nistTokens("a,b 3.5"), ["a", ",", "b", "3.5"]);
});

test("corpus BLEU and exact match", () => {
  assert.ok(Math.abs(corpusBleu4(["a b c d e"], ["a b c d e"]) - 100) < 1e-9);
  assert.equal(corpusBleu4(["a b c d e"], ["a b c"]), 0);
  assert.ok(exactMatch("return  x ;", "return x ;\n"));
  assert.ok(!exactMatch("return x ;", "return y ;"));
});
