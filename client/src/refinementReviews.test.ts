import assert from "node:assert/strict";
import { test } from "node:test";
import { RefinementReviews } from "./refinementReviews";

test("the first decision wins; later ones, from anywhere, are ignored", async () => {
  const reviews = new RefinementReviews();
  const decision = reviews.wait("a");
  assert.equal(reviews.isPending("a"), true);
  assert.equal(reviews.decide("a", "accept"), true);
  assert.equal(reviews.decide("a", "reject"), false, "a second answer was taken");
  assert.equal(await decision, "accept");
  assert.equal(reviews.isPending("a"), false);
});

test("reviews are independent, an unknown key is refused, and shutdown rejects what is pending", async () => {
  const reviews = new RefinementReviews();
  const a = reviews.wait("a");
  const b = reviews.wait("b");
  assert.equal(reviews.decide("c", "accept"), false);
  assert.throws(() => reviews.wait("a"), /already pending/);
  reviews.decide("b", "accept");
  reviews.rejectAll();
  assert.deepEqual(await Promise.all([a, b]), ["reject", "accept"]);
  assert.equal(reviews.isPending("a") || reviews.isPending("b"), false);
});
