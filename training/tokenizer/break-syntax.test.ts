import assert from "node:assert/strict";
import { test } from "node:test";
import { labelIdsOf } from "../../server/src/labeler/labeler";
import { createParser, parseText } from "../../server/src/parsing/parser";
import { breakSyntax } from "./break-syntax";

test("a deleted bracket breaks the parse and the clean labels follow the text", async () => {
  const code = "def load(path):\n    return open(path).read()\n";
  const parser = await createParser("python");
  const clean = parseText(parser, code);
  const leaves = labelIdsOf(clean, "python");
  clean.delete();
  for (const id of ["a", "b", "c", "d", "e"]) {
    const broken = breakSyntax(id, code, leaves)!;
    assert.equal(broken.code.length, code.length - broken.removed.length);
    assert.match(broken.removed, /^[()[\]{}:;]$/);
    const tree = parseText(parser, broken.code);
    assert.ok(tree.rootNode.hasError, `${JSON.stringify(broken.code)} still parses`);
    tree.delete();
    // every remaining leaf covers the same text, with the same label, as in the clean code
    const clean = leaves.map(([s, e, l]) => `${code.slice(s, e)}/${l}`);
    const after = broken.leaves.map(([s, e, l]) => `${broken.code.slice(s, e)}/${l}`);
    assert.equal(after.length, clean.length - 1);
    const index = after.findIndex((leaf, i) => leaf !== clean[i]);
    const removedAt = index < 0 ? clean.length - 1 : index;
    assert.equal(clean[removedAt], `${broken.removed}/2`);
    assert.deepEqual(after, [...clean.slice(0, removedAt), ...clean.slice(removedAt + 1)]);
  }
  parser.delete();
  assert.equal(breakSyntax("x", "x = 1", [[0, 1, 12], [2, 3, 1], [4, 5, 6]]), undefined);
});
