import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FIXTURE_LANGUAGES, LspTestClient, fixtureUri, positionOf, readFixture } from "./lspClient";

/** initialize → didOpen → hover in every language → didChange → hover → shutdown/exit, on the bundled server. */
let client: LspTestClient;

before(async () => {
  client = new LspTestClient();
});
after(() => client.kill());

test("initialize announces incremental sync and hover", async () => {
  const result = await client.initialize();
  assert.equal(result.capabilities.textDocumentSync.change, 2);
  assert.equal(result.capabilities.textDocumentSync.openClose, true);
  assert.equal(result.capabilities.hoverProvider, true);
  assert.equal(result.serverInfo.name, "codeadapt-server");
  const status = await client.waitForNotification("codeadapt/statusChanged");
  assert.deepEqual(status.grammars.loaded.sort(), ["go", "java", "javascript", "python", "tsx", "typescript"]);
});

/** [fixture, token, occurrence, label shown, relation line] */
const PROBES: [string, string, number, string, string][] = [
  ["sample.py", "path", 1, "parameter", "parameter of function `load_config`"],
  ["sample.py", "load_config", 0, "function definition", "definition of function `load_config`"],
  ["sample.py", "open", 0, "builtin", "builtin in function `load_config`"],
  ["sample.py", "get(", 0, "method definition", "definition of method `get`"],
  ["sample.js", "argv", 1, "parameter", "parameter of function `parseArgs`"],
  ["sample.js", "exec", 0, "method call", "method call in function `parseArgs`"],
  ["sample.ts", "path", 1, "parameter", "parameter of method `load`"],
  ["sample.ts", "load(", 0, "method definition", "definition of method `load`"],
  ["sample.tsx", "name", 2, "parameter", "parameter of function `Greeting`"],
  ["sample.tsx", "Greeting(", 0, "function definition", "definition of function `Greeting`"],
  ["Sample.java", "left", 1, "parameter", "parameter of method `add`"],
  ["Sample.java", "add(", 0, "method definition", "definition of method `add`"],
  ["sample.go", "path", 1, "parameter", "parameter of function `LoadConfig`"],
  ["sample.go", "LoadConfig(", 0, "function definition", "definition of function `LoadConfig`"],
];

test("hover shows the token type and enclosing definition in all six languages", async () => {
  for (const name of Object.keys(FIXTURE_LANGUAGES)) client.open(fixtureUri(name), FIXTURE_LANGUAGES[name], readFixture(name));
  for (const [name, token, nth, label, relation] of PROBES) {
    const text = readFixture(name);
    const position = positionOf(text, token, nth);
    const hover = await client.hover(fixtureUri(name), position.line, position.character);
    assert.ok(hover, `${name} ${token}: no hover`);
    const word = token.replace("(", "");
    const lines = hover.contents.value.split("\n");
    assert.equal(lines[0], `**${label}** \`${word}\``, `${name} ${token}`);
    assert.equal(lines[2], relation, `${name} ${token}`);
    assert.deepEqual(hover.range.start, position);
    assert.deepEqual(hover.range.end, { line: position.line, character: position.character + word.length });
  }
});

test("hover between tokens and past the end answers null", async () => {
  const uri = fixtureUri("sample.py");
  assert.equal(await client.hover(uri, 3, 0), null); // blank line
  assert.equal(await client.hover(uri, 9999, 0), null);
});

test("didChange edits the tree incrementally and hovers follow the new text", async () => {
  const uri = fixtureUri("sample.go");
  const text = readFixture("sample.go");
  const at = positionOf(text, "path string");
  // Rename the parameter (4 chars -> 8) in its declaration and first use, in one didChange.
  const use = positionOf(text, "path)", 0);
  client.notify("textDocument/didChange", {
    textDocument: { uri, version: 2 },
    contentChanges: [
      { range: { start: use, end: { line: use.line, character: use.character + 4 } }, text: "filename" },
      { range: { start: at, end: { line: at.line, character: at.character + 4 } }, text: "filename" },
    ],
  });
  const hover = await client.hover(uri, use.line, use.character + 6);
  assert.equal(hover.contents.value.split("\n")[0], "**parameter** `filename`");
  // Insert a new function above: every later line moves down by three.
  client.notify("textDocument/didChange", {
    textDocument: { uri, version: 3 },
    contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: "func helper(n int) int {\n\treturn n * 2\n}\n" }],
  });
  const n = await client.hover(uri, 3, 8);
  assert.equal(n.contents.value.split("\n")[2], "parameter of function `helper`");
  const moved = await client.hover(uri, use.line + 3, use.character + 2);
  assert.equal(moved.contents.value.split("\n")[0], "**parameter** `filename`");
});

test("didClose frees the document; hover on it answers null", async () => {
  const uri = fixtureUri("sample.js");
  client.notify("textDocument/didClose", { textDocument: { uri } });
  assert.equal(await client.hover(uri, 6, 10), null);
  const status = await client.call("codeadapt/status", {});
  assert.equal(status.openDocuments, 5);
});

test("shutdown then exit ends the server with code 0", async () => {
  assert.equal(await client.shutdown(), 0);
  assert.doesNotMatch(client.stderr, /Error|uncaught/i);
});
