import assert from "node:assert/strict";
import { test } from "node:test";
import { Debouncer } from "./debounce";

test("a burst of triggers runs the action once, after the quiet period", async () => {
  let runs = 0;
  const debouncer = new Debouncer(() => runs++, 30);
  for (let i = 0; i < 10; i++) debouncer.trigger();
  assert.equal(runs, 0);
  await new Promise((done) => setTimeout(done, 80));
  assert.equal(runs, 1);
  debouncer.trigger();
  debouncer.flush();
  assert.equal(runs, 2);
  debouncer.trigger();
  debouncer.dispose();
  await new Promise((done) => setTimeout(done, 60));
  assert.equal(runs, 2, "disposed: nothing runs");
});
