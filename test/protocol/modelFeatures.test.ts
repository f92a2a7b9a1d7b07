import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LABELS } from "../../server/src/labeler/labels";
import { describeLabel } from "../../server/src/labeler/labels";
import { exportTinyModel, writeManifest } from "../../server/src/engine/tinyModel.testutil";
import { LspTestClient, fixtureUri, positionOf, readFixture } from "./lspClient";

/**
 * The model-backed editor features against the real server, with a randomly initialised tiny
 * model (real graphs, random weights: labels and text are meaningless, the plumbing is tested)
 * installed into a temporary folder through CODEADAPT_MODEL_DIR:
 * hover with the model's token type (visible region, pending, version invalidation, syntax
 * errors), code lenses, code actions, summarize/refine result shapes, cancellation
 * mid-generation and two requests racing on one document.
 */
const REQUEST_CANCELLED = -32800;
const LABEL_TEXTS = LABELS.map(describeLabel);
const MODEL_LINE = /^(⚠ )?model: ([a-z ]+) \((\d{1,3})%\)(: \*\*disagrees\*\* with the syntax tree \(([a-z ]+)\))?$/;

let modelDir: string;
let noNerDir: string;
let client: LspTestClient;
const py = fixtureUri("sample.py");
const pyText = readFixture("sample.py");

before(async () => {
  modelDir = exportTinyModel(["--random-adapters"]);
  noNerDir = mkdtempSync(join(tmpdir(), "codeadapt-noner-"));
  cpSync(modelDir, noNerDir, { recursive: true });
  writeManifest(modelDir, { task: { path: "adapters/lora.json" }, ner: { path: "adapters/ner.json" } });
  unlinkSync(join(noNerDir, "adapters", "ner.json"));
  unlinkSync(join(noNerDir, "adapters", "ner.bin"));
  writeManifest(noNerDir, { task: { path: "adapters/lora.json" } });
  client = new LspTestClient([], { CODEADAPT_MODEL_DIR: modelDir });
  await client.initialize({ trusted: true });
  client.open(py, "python", pyText);
});

after(() => {
  client?.kill();
  rmSync(modelDir, { recursive: true, force: true });
  rmSync(noNerDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const lines = (hover: any): string[] => hover.contents.value.split("\n");
const modelLineOf = (hover: any) => lines(hover).find((line) => line.startsWith("model") || line.startsWith("⚠ model"));

/** Hovers until the model line is a prediction (the first ones may be pending while the model loads). */
async function hoverWithPrediction(c: LspTestClient, uri: string, at: { line: number; character: number }, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hover = await c.hover(uri, at.line, at.character);
    const line = modelLineOf(hover);
    // No line at all only while the model folder is still being verified (hover never waits on it).
    if (line && line !== "model prediction pending") return hover;
    if (Date.now() > deadline) assert.fail(`still no prediction after ${timeoutMs} ms: ${JSON.stringify(hover.contents.value)}`);
    await sleep(100);
  }
}

function checkModelLine(hover: any): { label: string; disagrees: boolean } {
  const [headline] = lines(hover);
  const line = modelLineOf(hover)!;
  const match = MODEL_LINE.exec(line);
  assert.ok(match, `model line: ${line}`);
  const [, warn, label, percent, disagreement, astLabel] = match;
  assert.ok(LABEL_TEXTS.includes(label), `label ${label} not in the label set`);
  assert.ok(Number(percent) >= 0 && Number(percent) <= 100);
  const ast = /^\*\*([a-z ]+)\*\*/.exec(headline)![1];
  if (label === ast) {
    assert.equal(warn, undefined, "agreement marked as a disagreement");
  } else {
    assert.equal(warn, "⚠ ", `disagreement not marked: ${line}`);
    assert.ok(disagreement);
    assert.equal(astLabel, ast);
  }
  return { label, disagrees: label !== ast };
}

test("hover adds the model's token type with a confidence, and marks disagreements", async () => {
  client.notify("codeadapt/visibleRanges", { uri: py, ranges: [{ start: { line: 0, character: 0 }, end: { line: 26, character: 0 } }] });
  const path = positionOf(pyText, "path", 1);
  const first = await hoverWithPrediction(client, py, path);
  assert.equal(lines(first)[0], "**parameter** `path`", "the syntax tree's label stays the headline");
  assert.equal(lines(first)[2], "parameter of function `load_config`");
  let disagreements = 0;
  let predictions = 0;
  for (const token of ["load_config", "retries", "attempt", "range", "open", "json", "handle", "error", "ConfigError", "values", "get", "key", "default"]) {
    const at = positionOf(pyText, token, 0, 1);
    const hover = await hoverWithPrediction(client, py, at);
    const { disagrees } = checkModelLine(hover);
    predictions++;
    if (disagrees) disagreements++;
  }
  console.log(`# random tiny model: ${disagreements}/${predictions} hovers disagree with the syntax tree`);
  assert.ok(disagreements > 0, "a random model should disagree with the syntax tree somewhere");
  const status = await client.call("codeadapt/status", {});
  assert.equal(status.model.loaded, true);
});

test("a warm hover (same version, visible region computed) answers from the cache at once", async () => {
  const at = positionOf(pyText, "values", 2);
  await hoverWithPrediction(client, py, at);
  const started = performance.now();
  const hover = await client.hover(py, at.line, at.character);
  const ms = performance.now() - started;
  checkModelLine(hover);
  assert.ok(ms < 2000, `warm hover took ${ms.toFixed(0)} ms`); // generous: 2 shared cores
});

test("code that does not parse: inside the error the model's answer stands alone", async () => {
  const uri = fixtureUri("broken.py");
  const text = readFixture("broken.py");
  client.open(uri, "python", text);
  client.notify("codeadapt/visibleRanges", { uri, ranges: [{ start: { line: 0, character: 0 }, end: { line: 5, character: 0 } }] });
  let alone = 0;
  for (const token of ["items", "total", "item", "+="]) {
    const at = positionOf(text, token);
    const hover = await hoverWithPrediction(client, uri, at);
    const value = hover.contents.value as string;
    if (/the code does not parse here/.test(value)) {
      alone++;
      const [headline, , modelLine] = lines(hover);
      const label = MODEL_LINE.exec(modelLine)![2];
      assert.ok(LABEL_TEXTS.includes(label));
      assert.equal(headline.replace(/`.*$/, "").trim(), `**${label}**`, "the model's label is the headline");
      assert.doesNotMatch(value, /disagrees|from the syntax tree/);
    } else {
      checkModelLine(hover);
    }
  }
  assert.ok(alone > 0, "no token inside the syntax error got the model-only hover");
});

test("code lenses: Summarize and Refine above each function and method, commands only", async () => {
  const lenses = await client.call("textDocument/codeLens", { textDocument: { uri: py } });
  const byLine = new Map<number, string[]>();
  for (const lens of lenses) {
    assert.ok(lens.command, "lenses come resolved");
    assert.equal(lens.command.arguments[0], py);
    byLine.set(lens.range.start.line, [...(byLine.get(lens.range.start.line) ?? []), `${lens.command.title}:${lens.command.command}`]);
  }
  const expected = ["Summarize:codeadapt.summarize", "Refine:codeadapt.refine"];
  assert.deepEqual([...byLine.keys()], [9, 21, 24], "load_config, __init__, get");
  for (const titles of byLine.values()) assert.deepEqual(titles, expected);
  // The lens's position finds its function on the server: summarize from it works.
  const result = await client.call("codeadapt/summarize", { textDocument: { uri: py }, position: lenses[4].command.arguments[1] });
  assert.deepEqual(result.range.start, { line: 24, character: 4 });
  client.settings = { codeLens: { enabled: false } };
  client.notify("workspace/didChangeConfiguration", { settings: null });
  assert.deepEqual(await client.call("textDocument/codeLens", { textDocument: { uri: py } }), []);
  client.settings = null;
  client.notify("workspace/didChangeConfiguration", { settings: null });
});

test("code actions: Refine with CodeAdapt on a function with diagnostics or on request", async () => {
  const inside = { start: { line: 14, character: 20 }, end: { line: 14, character: 20 } };
  const diagnostic = { range: { start: { line: 14, character: 16 }, end: { line: 14, character: 20 } }, message: "undefined name", severity: 1 };
  const withDiagnostic = await client.call("textDocument/codeAction", { textDocument: { uri: py }, range: inside, context: { diagnostics: [diagnostic], triggerKind: 2 } });
  assert.equal(withDiagnostic.length, 1);
  assert.equal(withDiagnostic[0].title, "Refine with CodeAdapt");
  assert.equal(withDiagnostic[0].kind, "refactor.rewrite");
  assert.deepEqual(withDiagnostic[0].command.arguments, [py, inside.start]);
  assert.deepEqual(await client.call("textDocument/codeAction", { textDocument: { uri: py }, range: inside, context: { diagnostics: [], triggerKind: 2 } }), []);
  const onRequest = await client.call("textDocument/codeAction", { textDocument: { uri: py }, range: inside, context: { diagnostics: [], triggerKind: 1 } });
  assert.equal(onRequest.length, 1);
  const atTop = { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } };
  assert.deepEqual(await client.call("textDocument/codeAction", { textDocument: { uri: py }, range: atTop, context: { diagnostics: [], triggerKind: 1 } }), []);
});

test("summarize and refine from the real engine have the documented shape", async () => {
  const summary = await client.call("codeadapt/summarize", { textDocument: { uri: py }, position: { line: 12, character: 8 } });
  assert.equal(typeof summary.summary, "string");
  assert.equal(summary.truncated, false);
  assert.equal(summary.version, 1);
  assert.deepEqual(summary.range, { start: { line: 9, character: 0 }, end: { line: 17, character: 52 } });
  if (summary.summary) {
    // load_config has a docstring: the new one replaces it.
    const docstring = { start: { line: 10, character: 4 }, end: { line: 10, character: 71 } };
    assert.deepEqual(summary.docComment.replace, docstring);
    assert.deepEqual(summary.docComment.position, docstring.start);
    assert.match(summary.docComment.text, /^""".*"""$/s);
  }
  const refine = await client.call("codeadapt/refine", { textDocument: { uri: py }, position: { line: 25, character: 10 } });
  assert.equal(refine.version, 1);
  assert.deepEqual(refine.range, { start: { line: 24, character: 4 }, end: { line: 25, character: 44 } });
  assert.equal(refine.original, "def get(self, key, default=None):\n        return self.values.get(key, default)");
  assert.equal(typeof refine.refined, "string");
  assert.equal(refine.truncated, false);
  // A 5,000-line function is cut to the model's input with the notice set, and still answers.
  const long = "def long_one(x):\n" + "    x = x + 1\n".repeat(5000) + "    return x\n";
  const uri = "file:///mem/long.py";
  client.open(uri, "python", long);
  const cut = await client.call("codeadapt/summarize", { textDocument: { uri }, position: { line: 1, character: 6 } });
  assert.equal(cut.truncated, true);
  client.notify("textDocument/didClose", { textDocument: { uri } });
});

test("the client's edits apply cleanly: the doc comment parses as a docstring; a refinement replaces its range", async () => {
  const uri = "file:///mem/accept.py";
  client.open(uri, "python", pyText);
  // A function without a docstring gets one inserted after its header.
  const summary = await client.call("codeadapt/summarize", { textDocument: { uri }, position: { line: 25, character: 10 } });
  assert.ok(summary.summary && summary.docComment, "the random model gave no summary to insert");
  assert.equal(summary.docComment.replace, undefined);
  assert.deepEqual(summary.docComment.position, { line: 24, character: 37 }, "after the def's colon");
  // "Insert as doc comment": the client inserts docComment.text at docComment.position (one WorkspaceEdit).
  const at = summary.docComment.position;
  client.notify("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: at, end: at }, text: summary.docComment.text }] });
  const hover = await client.hover(uri, 25, 10);
  assert.match(lines(hover)[0], /^\*\*docstring\*\* /, `the inserted comment is not a docstring: ${JSON.stringify(summary.docComment.text)}`);
  // Summarizing it again offers to replace that docstring instead of adding a second one.
  const again = await client.call("codeadapt/summarize", { textDocument: { uri }, position: { line: 26, character: 10 } });
  assert.deepEqual(again.range.start, { line: 24, character: 4 });
  assert.equal(again.version, 2);
  assert.equal(again.docComment.replace.start.line, 25);
  // "Accept": the client replaces result.range with result.refined when the version still matches.
  const refine = await client.call("codeadapt/refine", { textDocument: { uri }, position: { line: 12, character: 8 } });
  assert.equal(refine.version, 2);
  assert.deepEqual(refine.range.start, { line: 9, character: 0 });
  client.notify("textDocument/didChange", {
    textDocument: { uri, version: 3 },
    contentChanges: [{ range: refine.range, text: "def load_config(path):\n    return json.load(open(path))" }],
  });
  const lenses = await client.call("textDocument/codeLens", { textDocument: { uri } });
  assert.deepEqual([...new Set(lenses.map((l: any) => l.range.start.line))], [9, 14, 17]);
  assert.match(lines(await client.hover(uri, 10, 27))[0], /^\*\*parameter\*\* `path`/);
  client.notify("textDocument/didClose", { textDocument: { uri } });
});

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting for the server");
    await sleep(5);
  }
}

test("a request cancelled mid-generation answers -32800 and nothing else happens", async () => {
  // Warm: the model is loaded, the queue is empty, so refine starts decoding at once.
  const params = { textDocument: { uri: py }, position: { line: 12, character: 8 }, workDoneToken: "refine-cancel" };
  const started = performance.now();
  const refine = client.request("codeadapt/refine", params);
  client.write([refine.message]);
  // Cancel once the server reports its first decoded token: mid-generation, whatever the load.
  await waitFor(() => client.notifications.some((n) => n.method === "$/progress" && n.params.token === "refine-cancel" && n.params.value.kind === "report"));
  client.notify("$/cancelRequest", { id: refine.id });
  const response = await refine.response;
  const ms = performance.now() - started;
  assert.equal(response.error?.code, REQUEST_CANCELLED);
  assert.equal(response.result, undefined);
  await sleep(300);
  assert.deepEqual(client.unexpectedResponses, [], "a second answer arrived");
  // The same request uncancelled takes longer than the cancelled one did: it was stopped mid-way.
  const full = performance.now();
  await client.call("codeadapt/refine", { textDocument: { uri: py }, position: { line: 12, character: 8 } });
  console.log(`# cancelled after ${ms.toFixed(0)} ms; the full refine takes ${(performance.now() - full).toFixed(0)} ms`);
  const hover = await client.hover(py, 9, 5);
  assert.match(lines(hover)[0], /^\*\*function definition\*\* `load_config`/, "the document is untouched and the server healthy");
});

test("two requests racing on the same document: the older is dropped", async () => {
  const params = { textDocument: { uri: py }, position: { line: 12, character: 8 } };
  const older = client.request("codeadapt/summarize", params);
  const newer = client.request("codeadapt/summarize", { ...params, position: { line: 25, character: 10 } });
  client.write([older.message, newer.message]);
  const [a, b] = await Promise.all([older.response, newer.response]);
  assert.equal(a.error?.code, REQUEST_CANCELLED, "the older request was not dropped");
  assert.ok(b.result, `the newer request failed: ${JSON.stringify(b.error)}`);
  assert.deepEqual(b.result.range.start, { line: 24, character: 4 });
  // Different tasks on the same document do not drop each other.
  const summarize = client.request("codeadapt/summarize", params);
  const refine = client.request("codeadapt/refine", params);
  client.write([summarize.message, refine.message]);
  const [s, r] = await Promise.all([summarize.response, refine.response]);
  assert.ok(s.result && r.result);
});

test("pending and version invalidation: an edit drops the cached predictions", async () => {
  // A server that never waits for the model, so what is cached is all a hover can show.
  const impatient = new LspTestClient([], { CODEADAPT_MODEL_DIR: modelDir, CODEADAPT_HOVER_MODEL_WAIT_MS: "0" });
  try {
    await impatient.initialize({ trusted: true });
    impatient.open(py, "python", pyText);
    const at = positionOf(pyText, "retries", 1);
    const cold = await impatient.hover(py, at.line, at.character);
    assert.ok([undefined, "model prediction pending"].includes(modelLineOf(cold)), "nothing can be ready before the model loads");
    assert.equal(lines(cold)[0], "**parameter** `retries`", "pending still shows the syntax tree's label");
    checkModelLine(await hoverWithPrediction(impatient, py, at));
    // Keep the model busy with a refine of another document (normal priority: token types wait
    // behind it), then type a character elsewhere in the function: version 2 has nothing cached.
    const js = fixtureUri("sample.js");
    impatient.open(js, "javascript", readFixture("sample.js"));
    const busy = impatient.request("codeadapt/refine", { textDocument: { uri: js }, position: positionOf(readFixture("sample.js"), "argv", 1) });
    impatient.write([busy.message]);
    await sleep(50);
    impatient.write([
      impatient.notification("textDocument/didChange", {
        textDocument: { uri: py, version: 2 },
        contentChanges: [{ range: { start: { line: 16, character: 18 }, end: { line: 16, character: 18 } }, text: "s" }],
      }),
    ]);
    const edited = await impatient.hover(py, at.line, at.character);
    assert.equal(modelLineOf(edited), "model prediction pending", "a prediction of the old version was served");
    assert.ok((await busy.response).result, "the refine behind which token types waited failed");
    checkModelLine(await hoverWithPrediction(impatient, py, at));
    assert.equal(await impatient.shutdown(), 0);
  } finally {
    impatient.kill();
  }
});

test("a model without an NER adapter: AST-only hover, silently, and the model is not loaded for it", async () => {
  const plain = new LspTestClient([], { CODEADAPT_MODEL_DIR: noNerDir });
  try {
    await plain.initialize({ trusted: true });
    plain.open(py, "python", pyText);
    plain.notify("codeadapt/visibleRanges", { uri: py, ranges: [{ start: { line: 0, character: 0 }, end: { line: 26, character: 0 } }] });
    const at = positionOf(pyText, "path", 1);
    const hover = await plain.hover(py, at.line, at.character);
    assert.doesNotMatch(hover.contents.value, /model/);
    await sleep(300);
    const status = await plain.call("codeadapt/status", {});
    assert.equal(status.model.state, "present");
    assert.equal(status.model.loaded, false, "the model was loaded for hover");
    assert.equal(await plain.shutdown(), 0);
  } finally {
    plain.kill();
  }
});

test("a model whose manifest disables refine: no Refine lens or action, the request says why, summarize still works", async () => {
  const reason = "repairs measured below the copy baseline";
  writeManifest(noNerDir, { task: { path: "adapters/lora.json" } }, { tasks: { refine: { disabled: reason } } });
  const limited = new LspTestClient([], { CODEADAPT_MODEL_DIR: noNerDir });
  try {
    await limited.initialize({ trusted: true });
    limited.open(py, "python", pyText);
    const lenses = await limited.call("textDocument/codeLens", { textDocument: { uri: py } });
    assert.deepEqual([...new Set(lenses.map((l: any) => l.command.title))], ["Summarize"]);
    const inside = { start: { line: 14, character: 20 }, end: { line: 14, character: 20 } };
    assert.deepEqual(await limited.call("textDocument/codeAction", { textDocument: { uri: py }, range: inside, context: { diagnostics: [], triggerKind: 1 } }), []);
    const refused = await limited.send("codeadapt/refine", { textDocument: { uri: py }, position: { line: 25, character: 10 } });
    assert.equal(refused.error?.code, 1009);
    assert.match(refused.error!.message, new RegExp(reason));
    const status = await limited.call("codeadapt/status", {});
    assert.deepEqual(status.model.disabledTasks, { refine: reason });
    const summary = await limited.call("codeadapt/summarize", { textDocument: { uri: py }, position: { line: 25, character: 10 } });
    assert.equal(typeof summary.summary, "string");
    assert.equal(await limited.shutdown(), 0);
  } finally {
    limited.kill();
  }
});

test("the server is still healthy after all of it", async () => {
  assert.ok(await client.hover(py, 9, 5));
  assert.equal(await client.shutdown(), 0);
  assert.doesNotMatch(client.stderr, /uncaught|unhandled/i);
});

test("refine by edits (the manifest's strategy) answers one edit of the function and names it", async () => {
  const editsDir = mkdtempSync(join(tmpdir(), "codeadapt-edits-"));
  cpSync(modelDir, editsDir, { recursive: true });
  writeManifest(editsDir, { task: { path: "adapters/lora.json" }, ner: { path: "adapters/ner.json" } }, { tasks: { refine: { strategy: "edits" } } });
  const edits = new LspTestClient([], { CODEADAPT_MODEL_DIR: editsDir });
  try {
    await edits.initialize({ trusted: true });
    edits.open(py, "python", pyText);
    const refine = await edits.call("codeadapt/refine", { textDocument: { uri: py }, position: { line: 25, character: 10 } });
    assert.equal(refine.original, "def get(self, key, default=None):\n        return self.values.get(key, default)");
    assert.notEqual(refine.refined, refine.original);
    assert.ok(Number.isInteger(refine.edit.candidates) && refine.edit.candidates >= 1, JSON.stringify(refine.edit));
    assert.equal(typeof refine.edit.operator, "string");
    // One edit: what precedes and follows the edited range is the original's.
    const head = [...refine.original].findIndex((ch, i) => refine.refined[i] !== ch);
    const tail = [...refine.original].reverse().findIndex((ch, i) => refine.refined[refine.refined.length - 1 - i] !== ch);
    assert.ok(head + tail <= refine.original.length, "more than one region changed");
  } finally {
    edits.kill();
    rmSync(editsDir, { recursive: true, force: true });
  }
});
