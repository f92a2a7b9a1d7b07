/**
 * The extension-host test suite: runs inside VS Code's extension host, next to the installed
 * CodeAdapt extension, and talks to it through the `vscode` API (no UI).
 *
 * Entry point: `run()`, as VS Code's `--extensionTestsPath` expects. Here it runs in code-server's
 * remote extension host (test/e2e/extensionHost.e2e.test.ts bundles it with esbuild and passes it
 * in the workbench's `payload`). Where VS Code can be downloaded, @vscode/test-electron runs the
 * same bundle: `runTests({ extensionDevelopmentPath: <repo>, extensionTestsPath: <bundle>,
 * launchArgs: [<workspace>] })`.
 *
 * A small sequential runner (node:assert, no mocha): every test runs even when an earlier one
 * fails; `run()` rejects when any failed, which makes VS Code exit with a non-zero code.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";

const EXTENSION_ID = "codeadapt.codeadapt";
const tests: { name: string; fn: () => Promise<void> }[] = [];
const test = (name: string, fn: () => Promise<void>) => tests.push({ name, fn });
const log = (line: string) => console.log(`[codeadapt-suite] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "no workspace folder is open");
  return vscode.Uri.joinPath(folder.uri, relative);
}

async function openDocument(relative: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(relative));
  await vscode.window.showTextDocument(document);
  return document;
}

/** The position of the first `token` on the first line that contains `lineText`. */
function positionOf(document: vscode.TextDocument, lineText: string, token: string): vscode.Position {
  for (let line = 0; line < document.lineCount; line++) {
    const text = document.lineAt(line).text;
    if (!text.includes(lineText)) continue;
    const start = text.indexOf(lineText);
    const at = text.indexOf(token, start);
    assert.ok(at >= 0, `${token} not on the line with ${lineText}`);
    return new vscode.Position(line, at + 1);
  }
  throw new Error(`no line with ${JSON.stringify(lineText)} in ${document.uri.fsPath}`);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === "string" ? c : "value" in c ? c.value : ""))
    .join("\n---\n");
}

/** Asks every hover provider until one answers with text matching `expect` (the server may be starting). */
async function hoverUntil(document: vscode.TextDocument, position: vscode.Position, expect: RegExp, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", document.uri, position)) ?? [];
    last = hoverText(hovers);
    if (expect.test(last)) return last;
    await sleep(500);
  }
  throw new Error(`no hover matching ${expect} at ${position.line + 1}:${position.character + 1} of ${document.uri.fsPath}; last: ${JSON.stringify(last)}`);
}

test("the extension is installed and activates", async () => {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  assert.equal(extension.isActive, true);
  log(`extension ${extension.packageJSON.version} at ${extension.extensionPath}`);
});

test("every command it declares is registered", async () => {
  const commands = await vscode.commands.getCommands(true);
  const declared: string[] = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands.map((c: { command: string }) => c.command);
  assert.ok(declared.includes("codeadapt.acceptRefinement") && declared.length >= 6, `declared: ${declared.join(", ")}`);
  for (const id of declared) {
    assert.ok(commands.includes(id), `command ${id} is not registered`);
  }
});

test("settings have their declared defaults", async () => {
  const config = vscode.workspace.getConfiguration("codeadapt");
  assert.equal(config.get("maxInputTokens"), 512);
  assert.equal(config.get("maxSummaryTokens"), 48);
  assert.equal(config.get("workspaceAdapter.autoBuild"), false);
  assert.deepEqual(config.get("executionProviders"), ["cpu"]);
});

test("hover gives the token type and enclosing definition in every example language", async () => {
  const cases = [
    { file: "src/inventory/config.py", line: "def load_config(", token: "path", expect: /parameter of function `load_config`/ },
    { file: "src/inventory/stock.py", line: "def take(", token: "take", expect: /definition of method `take`/ },
    { file: "web/cart.ts", line: "export function cartTotal(", token: "discountPercent", expect: /parameter of function `cartTotal`/ },
    { file: "java/com/example/shop/PriceList.java", line: "public void put(", token: "cents", expect: /parameter of method `put`/ },
    { file: "go/ratelimit/bucket.go", line: "func New(", token: "rate", expect: /parameter of function `New`/ },
  ];
  for (const c of cases) {
    const document = await openDocument(c.file);
    const text = await hoverUntil(document, positionOf(document, c.line, c.token), c.expect);
    log(`hover ${c.file} ${c.token}: ${JSON.stringify(text.split("\n").filter(Boolean).slice(0, 2).join(" / "))}`);
  }
});

test("hover follows an edit of the open document (incremental sync)", async () => {
  const document = await openDocument("src/inventory/config.py");
  const editor = await vscode.window.showTextDocument(document);
  const at = positionOf(document, "def merge_tags(", "first");
  const range = new vscode.Range(at.translate(0, -1), at.translate(0, -1 + "first".length));
  assert.equal(document.getText(range), "first");
  // Rename the parameter in the buffer (not on disk) and hover the new name.
  assert.ok(await editor.edit((b) => b.replace(range, "head_tags")));
  try {
    const text = await hoverUntil(document, range.start.translate(0, 1), /parameter of function `merge_tags`/, 30_000);
    assert.match(text, /head_tags/);
    // A new function typed above merge_tags is seen too.
    const insertAt = new vscode.Position(positionOf(document, "def merge_tags(", "def").line, 0);
    assert.ok(await editor.edit((b) => b.insert(insertAt, "def freshly_typed(alpha, beta):\n    return alpha\n\n\n")));
    const alpha = positionOf(document, "def freshly_typed(", "alpha");
    await hoverUntil(document, alpha, /parameter of function `freshly_typed`/, 30_000);
  } finally {
    await vscode.commands.executeCommand("workbench.action.files.revert");
  }
  assert.equal(document.isDirty, false);
});

/** The reason the installed extension's model manifest gives for disabling refine, if it does. */
function refineDisabledReason(): string | undefined {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  const path = extension && join(extension.extensionPath, "models", "manifest.json");
  if (!path || !existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8"))?.tasks?.refine?.disabled;
}

test("code lenses offer Summarize above functions, and Refine unless the model disables it", async () => {
  const document = await openDocument("src/inventory/config.py");
  const deadline = Date.now() + 60_000;
  let titles: string[] = [];
  while (Date.now() < deadline) {
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", document.uri, 10)) ?? [];
    titles = lenses.map((l) => `${l.range.start.line + 1}:${l.command?.title ?? "?"}`);
    if (titles.some((t) => /Summarize/.test(t))) break;
    await sleep(500);
  }
  const defLine = positionOf(document, "def load_config(", "def").line + 1;
  assert.ok(titles.some((t) => t.startsWith(`${defLine}:`) && /Summarize/.test(t)), `no Summarize lens on line ${defLine}: ${titles.join(", ")}`);
  if (refineDisabledReason()) {
    assert.ok(!titles.some((t) => /Refine/.test(t)), `a Refine lens although the model disables refine: ${titles.join(", ")}`);
  } else {
    assert.ok(titles.some((t) => /Refine/.test(t)), `no Refine lens: ${titles.join(", ")}`);
  }
});

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const t of tests) {
    const started = Date.now();
    try {
      await t.fn();
      log(`ok - ${t.name} (${Date.now() - started} ms)`);
    } catch (error) {
      failures.push(t.name);
      log(`not ok - ${t.name} (${Date.now() - started} ms): ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
  log(`${tests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`extension-host suite: ${failures.length} failed: ${failures.join("; ")}`);
}
