import assert from "node:assert/strict";
import { test } from "node:test";
import { SOURCE_EXTENSIONS } from "../../server/src/parsing/languages";
import { WATCHED_SOURCE_GLOB } from "./protocol";

test("the client watches exactly the source files the server reads", () => {
  const listed = WATCHED_SOURCE_GLOB.match(/^\*\*\/\*\.\{([a-z,]+)\}$/)?.[1].split(",").map((ext) => `.${ext}`);
  assert.ok(listed, WATCHED_SOURCE_GLOB);
  assert.deepEqual([...listed].sort(), [...SOURCE_EXTENSIONS].sort());
});
