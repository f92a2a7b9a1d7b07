import assert from "node:assert/strict";
import { test } from "node:test";
import { functionName, splitIdentifier } from "./baselines";

test("identifiers split into lower-case words", () => {
  assert.equal(splitIdentifier("hasCloseElements"), "has close elements");
  assert.equal(splitIdentifier("load_config"), "load config");
  assert.equal(splitIdentifier("parseHTTPResponse"), "parse http response");
});

test("the function name is found in every language, tokenized Java included", async () => {
  assert.equal(await functionName("python", "def load_config(path):\n    return 1\n"), "load_config");
  assert.equal(await functionName("javascript", "const hasClose = (a) => {\n  return a;\n}\n"), "hasClose");
  assert.equal(await functionName("java", "public int hashCode ( ) { return value . hashCode ( ) ; }"), "hashCode");
  assert.equal(await functionName("go", "func Max(a, b int) int { return a }"), "Max");
});
