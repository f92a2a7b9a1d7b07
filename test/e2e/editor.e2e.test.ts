/**
 * End-to-end: the packaged CodeAdapt .vsix in a real editor.
 *
 * code-server (npm, installed by scripts/setup-editor) serves VS Code on 127.0.0.1 with a fresh
 * user-data and extensions dir; the .vsix from `npm run package` is installed with
 * `code-server --install-extension`; Debian's Chromium, driven by playwright-core, opens the
 * example workspace (test/workspace-example, copied to a temp dir, trusted), opens a Python file,
 * hovers a parameter and reads the hover, and runs CodeAdapt commands from the command palette.
 *
 * Run: `npm run test:e2e` (or scripts/test for everything). Artifacts (screenshots on failure,
 * code-server and browser logs) go to test-results/e2e/. CODEADAPT_UPDATE_SCREENSHOT=1 also writes
 * the hover screenshot to media/screenshot.png for the README. CODEADAPT_VSIX picks a .vsix.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import {
  ensureCodeServer,
  ensureVsix,
  installExtension,
  listExtensions,
  makeDirs,
  repoRoot,
  startCodeServer,
  writeUserSettings,
  type RunningCodeServer,
} from "./codeServer";
import {
  clearNotifications,
  editorIsDirty,
  goToLine,
  hoverUntil,
  launchBrowser,
  notificationTexts,
  openFile,
  runCommand,
  saveActiveEditor,
  tokenOnLine,
  undoInEditor,
  waitForNotification,
  waitForWorkbench,
} from "./workbench";

const results = join(repoRoot, "test-results", "e2e");
/**
 * A model is installed when models/manifest.json exists (it is packaged into the .vsix).
 * CODEADAPT_E2E_EXPECT_MODEL=1/0 overrides the detection (e.g. for a .vsix built elsewhere).
 */
const MODEL_INSTALLED =
  process.env.CODEADAPT_E2E_EXPECT_MODEL !== undefined
    ? process.env.CODEADAPT_E2E_EXPECT_MODEL === "1"
    : existsSync(join(repoRoot, "models", "manifest.json"));

/** How the server says that no model is installed ("No CodeAdapt model installed: models/manifest.json not found at ..."). */
const NO_MODEL = /no (\w+ )?model (is )?installed|model.*not found|manifest\.json.*(missing|not found)/i;

const PYTHON_FILE = "src/inventory/config.py";
const DEF_LINE = "def load_config(path: str, defaults: dict | None = None) -> Config:";
/** A fixture with a seeded bug for refine (see the file's module docstring). */
const SEEDED_BUG_FILE = "src/inventory/pricing.py";
const SEEDED_BUG_DEF = "def order_total(";
const skipWithoutModel = MODEL_INSTALLED ? false : "no model in models/ (the no-model path is tested above)";
/** What the installed manifest says: a task it disables (with the reason), and whether it has NER adapters. */
const MANIFEST = MODEL_INSTALLED && existsSync(join(repoRoot, "models", "manifest.json"))
  ? JSON.parse(readFileSync(join(repoRoot, "models", "manifest.json"), "utf8"))
  : undefined;
const REFINE_DISABLED: string | undefined = MANIFEST?.tasks?.refine?.disabled;
const skipWithoutNer = !MODEL_INSTALLED ? skipWithoutModel : MANIFEST && !MANIFEST.adapters?.ner ? "the installed model ships no NER adapter" : false;
/** A workspace build needs a generator or a decoder that returns its states (the workspace memory). */
const skipWithoutWorkspace = !MODEL_INSTALLED ? skipWithoutModel
  : MANIFEST && !MANIFEST.generator && !MANIFEST.onnx?.contract?.decoder_hidden ? "the installed model supports no workspace adapter" : false;

/** 1-based number of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string): number => text.split("\n").findIndex((line) => line.includes(needle)) + 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a file on disk until `ok` holds for its text (saves go through code-server). */
/**
 * The file's text once `ok` holds for it and it reads the same twice in a row: a save truncates the
 * file before writing it, and a read in between sees it empty or half written.
 */
async function diskText(path: string, ok: (text: string) => boolean, timeout = 30_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let previous: string | undefined;
  let text = readFileSync(path, "utf8");
  while (!(ok(text) && text === previous) && Date.now() < deadline) {
    await sleep(250);
    previous = text;
    text = readFileSync(path, "utf8");
  }
  return text;
}

/**
 * The seeded bug in SEEDED_BUG_FILE's order_total skips the first price; the fix counts from 0.
 * `before` fixed is `after` with the fixed range put back to the buggy one: nothing else changed.
 * (The model fixes 3 of the 8 seeded bugs tried, docs/training.md; the file's other one,
 * apply_discount, is among those it misses.)
 */
const SEEDED_BUG = "range(1, len(prices))";
const onlyTheSeededBugFixed = (before: string, after: string): boolean =>
  after !== before && after.replace(/range\((0, )?len\(prices\)\)/, SEEDED_BUG) === before;

/** What the same engine (the repository's CLI on models/) proposes for the function at LINE. */
function cliRefine(path: string, line: number): string {
  return execFileSync(process.execPath, [join(repoRoot, "dist", "cli.js"), "refine", `${path}:${line}`, "--model", join(repoRoot, "models")], {
    encoding: "utf8",
  });
}

describe("CodeAdapt in code-server (packaged .vsix, Debian Chromium)", { timeout: 15 * 60_000 }, () => {
  let tmpRoot = "";
  let server: RunningCodeServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let failed = false;
  const consoleLines: string[] = [];
  let installedExtensions: string[] = [];
  let workspace = "";

  /** Runs a test body; on failure saves a screenshot and the visible notifications. */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      failed = true;
      const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
      if (page) {
        await page.screenshot({ path: join(results, `FAILED-${slug}.png`) }).catch(() => undefined);
        const toasts = await notificationTexts(page);
        writeFileSync(join(results, `FAILED-${slug}.txt`), `${String(err)}\n\nnotifications:\n${toasts.join("\n---\n")}\n`);
      }
      throw err;
    }
  }

  before(async () => {
    rmSync(results, { recursive: true, force: true });
    mkdirSync(results, { recursive: true });
    const entry = ensureCodeServer();
    const vsix = ensureVsix();
    console.log(`# code-server: ${entry}\n# vsix: ${vsix}\n# model installed: ${MODEL_INSTALLED}`);

    tmpRoot = mkdtempSync(join(tmpdir(), "codeadapt-e2e-"));
    const dirs = makeDirs(tmpRoot);
    writeUserSettings(dirs);
    const installLog = installExtension(entry, dirs, vsix);
    writeFileSync(join(results, "install-extension.log"), installLog);
    installedExtensions = listExtensions(entry, dirs);

    // The editor works on a copy, so whatever the extension writes stays out of the repo.
    workspace = join(tmpRoot, "workspace-example");
    cpSync(join(repoRoot, "test", "workspace-example"), workspace, { recursive: true });

    const serverLog = join(results, "code-server.log");
    rmSync(serverLog, { force: true });
    server = await startCodeServer({ entry, dirs, folder: workspace, logFile: serverLog });

    context = await launchBrowser(tmpRoot);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 });
    await step("workbench loads", () => waitForWorkbench(page));
  });

  after(async () => {
    writeFileSync(join(results, "browser-console.log"), consoleLines.join("\n") + "\n");
    await context?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (tmpRoot) {
      // Keep the extension host and server logs of a failed run.
      const logs = join(tmpRoot, "user-data", "logs");
      if (failed && existsSync(logs)) cpSync(logs, join(results, "code-server-logs"), { recursive: true });
      rmSync(tmpRoot, { recursive: true, force: true });
    }
  });

  it("installs the packaged extension into code-server", () => {
    assert.ok(
      installedExtensions.some((e) => e.startsWith("codeadapt.codeadapt@")),
      `codeadapt.codeadapt not in --list-extensions: ${JSON.stringify(installedExtensions)}`,
    );
  });

  it("hover on a Python parameter shows its token type and enclosing definition", async () => {
    await step("hover", async () => {
      const editor = await openFile(page, PYTHON_FILE, "def load_config(");
      const token = tokenOnLine(editor, "def load_config(", "path");
      await token.span.waitFor({ state: "visible", timeout: 30_000 });
      const text = await hoverUntil(page, token, /load_config/);
      console.log(`# hover: ${JSON.stringify(text)}`);
      assert.match(text, /parameter/i, `hover does not name the token type: ${text}`);
      assert.match(text, /parameter of (function )?`?load_config/i, `hover does not name the enclosing definition: ${text}`);
      // The extension is active: its status bar item is there.
      await page.locator(".part.statusbar .statusbar-item", { hasText: /CodeAdapt/ }).first().waitFor({ state: "visible", timeout: 30_000 });
      await page.screenshot({ path: join(results, "hover.png") });
      if (process.env.CODEADAPT_UPDATE_SCREENSHOT === "1") {
        await page.screenshot({ path: join(repoRoot, "media", "screenshot.png") });
      }
      await page.mouse.move(5, 5);
    });
  });

  it("hover works in the packaged TypeScript, Java and Go grammars too", async () => {
    await step("hover other languages", async () => {
      const cases = [
        { file: "web/cart.ts", line: "export function cartTotal(", token: "discountPercent", expect: /parameter of \w+ `?cartTotal/ },
        { file: "java/com/example/shop/PriceList.java", line: "public void put(", token: "cents", expect: /parameter of \w+ `?put/ },
        { file: "go/ratelimit/bucket.go", line: "func New(", token: "rate", expect: /parameter of \w+ `?New/ },
      ];
      for (const c of cases) {
        const editor = await openFile(page, c.file, c.line);
        const token = tokenOnLine(editor, c.line, c.token);
        await token.span.waitFor({ state: "visible", timeout: 30_000 });
        const text = await hoverUntil(page, token, c.expect, 60_000);
        console.log(`# hover ${c.file} ${c.token}: ${JSON.stringify(text)}`);
        await page.mouse.move(5, 5);
      }
    });
  });

  it('"CodeAdapt: Show Model Status" from the palette shows the model status', async () => {
    await step("model status", async () => {
      await clearNotifications(page);
      await runCommand(page, "CodeAdapt: Show Model Status");
      // The command reports `status.model.message` as a notification and the full report in the
      // CodeAdapt output channel.
      const text = await waitForNotification(page, /CodeAdapt: .*model/i);
      console.log(`# status: ${JSON.stringify(text)}`);
      if (MODEL_INSTALLED) {
        assert.match(text, /verified/i, `a model is installed but the status says: ${text}`);
      } else {
        assert.match(text, NO_MODEL, `the status does not say that no model is installed: ${text}`);
      }
      await page
        .locator(".part.panel .view-lines", { hasText: /model/i })
        .first()
        .waitFor({ state: "visible", timeout: 30_000 });
    });
  });

  it('"CodeAdapt: Summarize" on a Python function', async () => {
    await step("summarize", async () => {
      await clearNotifications(page);
      await openFile(page, PYTHON_FILE, "def load_config(");
      // Inside the body of load_config.
      const lineNo = 19;
      await goToLine(page, lineNo, 5);
      await runCommand(page, "CodeAdapt: Summarize");
      if (!MODEL_INSTALLED) {
        // ---- No model in models/: the command must fail visibly and say what is missing. ----
        const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /summarize/i }).filter({ has: page.locator(".codicon-error") }).first();
        await toast.waitFor({ state: "visible", timeout: 90_000 });
        const text = (await toast.innerText()).trim();
        console.log(`# summarize (no model): ${JSON.stringify(text)}`);
        assert.match(text, NO_MODEL, `no clear "no model installed" error: ${text}`);
        assert.match(text, /manifest\.json/, `the error does not say which file is missing: ${text}`);
      } else {
        // ---- A model is installed (models/manifest.json): expect a real summary, not an error. ----
        // The summary is shown as an information message (with "Insert as comment" when the server
        // offers a doc comment); the progress toast "CodeAdapt: summarizing" comes and goes first.
        const toast = page
          .locator(".notifications-toasts .notification-toast")
          .filter({ has: page.locator(".codicon-info") })
          .filter({ hasNotText: /summarizing/i })
          .first();
        const errorToast = page.locator(".notifications-toasts .notification-toast").filter({ has: page.locator(".codicon-error") });
        await toast.or(errorToast).first().waitFor({ state: "visible", timeout: 180_000 });
        assert.equal(await errorToast.count(), 0, `summarize failed: ${(await notificationTexts(page)).join(" | ")}`);
        const text = (await toast.innerText()).trim();
        console.log(`# summarize (model): ${JSON.stringify(text)}`);
        const summary = text.replace(/Insert as comment/g, "").trim();
        assert.ok(summary.length >= 8 && /[a-z]{3}/i.test(summary), `not a summary: ${JSON.stringify(text)}`);
      }
    });
  });

  it("Summarize → Insert as doc comment writes a docstring, and one undo removes it", { skip: skipWithoutModel }, async () => {
    await step("summarize insert", async () => {
      const path = join(workspace, PYTHON_FILE);
      const before = readFileSync(path, "utf8");
      await clearNotifications(page);
      await openFile(page, PYTHON_FILE, "def load_config(");
      await goToLine(page, lineOf(before, "def merge_tags(") + 2, 5);
      await runCommand(page, "CodeAdapt: Summarize");
      const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /Insert as doc comment/ }).first();
      await toast.waitFor({ state: "visible", timeout: 180_000 });
      const summary = (await toast.locator(".notification-list-item-message").innerText()).replace(/^CodeAdapt:\s*/, "").trim();
      console.log(`# summary of merge_tags: ${JSON.stringify(summary)}`);
      await toast.getByRole("button", { name: "Insert as doc comment" }).click();
      await saveActiveEditor(page, "config.py");
      const firstWords = summary.split(/\s+/).slice(0, 3).join(" ");
      const after = await diskText(path, (text) => text !== before);
      const lines = after.split("\n");
      const def = lines.findIndex((line) => line.startsWith("def merge_tags("));
      assert.match(lines[def + 1], /^    """/, `no docstring under def merge_tags:\n${lines.slice(def, def + 4).join("\n")}`);
      assert.ok(after.includes(firstWords), `the docstring does not hold the summary ${JSON.stringify(summary)}`);
      const single = /^    """.*"""\s*$/.test(lines[def + 1]);
      const end = single ? def + 1 : lines.findIndex((l, i) => i > def + 1 && l.includes('"""'));
      assert.equal([...lines.slice(0, def + 1), ...lines.slice(end + 1)].join("\n"), before, "the edit changed more than the docstring");
      await undoInEditor(page, "config.py");
      await saveActiveEditor(page, "config.py");
      assert.equal(await diskText(path, (text) => text === before), before, "undo did not restore the file");
    });
  });

  it("Refine on a model that disables it says why and changes nothing", { skip: MODEL_INSTALLED && REFINE_DISABLED ? false : "refine is enabled (or no model)" }, async () => {
    await step("refine disabled", async () => {
      const path = join(workspace, SEEDED_BUG_FILE);
      const before = readFileSync(path, "utf8");
      await clearNotifications(page);
      await openFile(page, SEEDED_BUG_FILE, SEEDED_BUG_DEF);
      await goToLine(page, lineOf(before, SEEDED_BUG_DEF) + 1, 5);
      await runCommand(page, "CodeAdapt: Refine");
      const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /does not offer refine/ }).first();
      await toast.waitFor({ state: "visible", timeout: 180_000 });
      const text = (await toast.innerText()).trim();
      console.log(`# refine (disabled by the manifest): ${JSON.stringify(text)}`);
      assert.ok(text.includes(REFINE_DISABLED!.slice(0, 40)), `the error does not give the manifest's reason: ${text}`);
      assert.equal(await page.locator(".tabs-container .tab", { hasText: /original ↔ refined/ }).count(), 0, "a diff opened");
      assert.equal(await editorIsDirty(page, "pricing.py"), false);
      assert.equal(readFileSync(path, "utf8"), before);
    });
  });

  it("Refine shows a diff; Reject or closing the diff leave the file untouched, Accept in the diff's title bar applies the refinement", { skip: MODEL_INSTALLED && REFINE_DISABLED ? "the installed model disables refine" : skipWithoutModel }, async () => {
    await step("refine", async () => {
      const path = join(workspace, SEEDED_BUG_FILE);
      const before = readFileSync(path, "utf8");
      const line = lineOf(before, SEEDED_BUG_DEF) + 1;
      const proposed = cliRefine(path, line).replace(/\n$/, "");
      console.log(`# refine proposes:\n${proposed}`);
      const diffTab = page.locator(".tabs-container .tab", { hasText: /original ↔ refined/ });
      const ask = async () => {
        await clearNotifications(page);
        await openFile(page, SEEDED_BUG_FILE, SEEDED_BUG_DEF);
        await goToLine(page, line, 5);
        await runCommand(page, "CodeAdapt: Refine");
        await diffTab.first().waitFor({ state: "visible", timeout: 180_000 });
        const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /apply the refinement/ }).first();
        await toast.waitFor({ state: "visible", timeout: 60_000 });
        if (MANIFEST?.tasks?.refine?.strategy === "edits") {
          // The prompt names the one edit the model chose among the candidates.
          assert.match(await toast.innerText(), /One edit \(.+\), the likeliest of \d+ the model ranked/);
        }
        return toast;
      };
      // Reject: the diff closes, the document is neither changed nor dirty.
      const first = await ask();
      await first.getByRole("button", { name: "Reject" }).click();
      await diffTab.first().waitFor({ state: "detached", timeout: 30_000 });
      assert.equal(await editorIsDirty(page, "pricing.py"), false, "Reject changed the document");
      assert.equal(readFileSync(path, "utf8"), before);
      // Closing the diff rejects too; the notification's Accept, clicked after, is ignored.
      const closed = await ask();
      await diffTab.first().hover();
      await diffTab.first().getByRole("button", { name: /^Close/ }).click();
      await diffTab.first().waitFor({ state: "detached", timeout: 30_000 });
      if (await closed.isVisible()) {
        await closed.getByRole("button", { name: "Accept" }).click();
        await closed.waitFor({ state: "detached", timeout: 30_000 });
        await page.waitForTimeout(1_000); // an edit wrongly applied would land within this
      }
      assert.equal(await editorIsDirty(page, "pricing.py"), false, "closing the diff changed the document");
      assert.equal(readFileSync(path, "utf8"), before);
      // Accept from the diff editor's title bar (the notification hides itself after a while):
      // one edit replaces the function with the proposal.
      await ask();
      await page.locator(".editor-actions").getByRole("button", { name: "Accept Refinement" }).first().click();
      await diffTab.first().waitFor({ state: "detached", timeout: 30_000 });
      await saveActiveEditor(page, "pricing.py");
      const after = await diskText(path, (text) => text !== before);
      assert.ok(after.includes(proposed), `the file does not hold the proposed function:\n${after}`);
      assert.ok(onlyTheSeededBugFixed(before, after), `the refinement does not fix the seeded bug (${SEEDED_BUG}) alone:\n${after}`);
    });
  });

  it("Cancel while refine runs: no diff opens, the file is untouched", { skip: MODEL_INSTALLED && REFINE_DISABLED ? "the installed model disables refine" : skipWithoutModel }, async () => {
    await step("refine cancel", async () => {
      // Longer than the model reads: refine writes the whole function, which takes seconds.
      const file = "src/inventory/report.py";
      const path = join(workspace, file);
      const before = readFileSync(path, "utf8");
      await clearNotifications(page);
      await openFile(page, file, "def stock_report(");
      await goToLine(page, lineOf(before, "def stock_report(") + 2, 5);
      await runCommand(page, "CodeAdapt: Refine");
      const progress = page.locator(".notifications-toasts .notification-toast", { hasText: /CodeAdapt: refining/ }).first();
      await progress.waitFor({ state: "visible", timeout: 30_000 });
      await progress.hover();
      await progress.getByRole("button", { name: /Cancel/ }).click();
      await page.locator(".statusbar-item", { hasText: /refine cancelled, nothing changed/ }).first().waitFor({ state: "visible", timeout: 30_000 });
      assert.equal(await page.locator(".tabs-container .tab", { hasText: /original ↔ refined/ }).count(), 0, "a diff opened");
      assert.equal(await editorIsDirty(page, "report.py"), false, "Cancel changed the document");
      assert.equal(readFileSync(path, "utf8"), before);
    });
  });

  it("hover shows the model's token type next to the syntax tree's, and alone inside a syntax error", { skip: skipWithoutNer }, async () => {
    await step("model hover", async () => {
      // Earlier steps may have left this editor scrolled to another function: go to the line.
      const editor = await openFile(page, PYTHON_FILE, "");
      await goToLine(page, lineOf(readFileSync(join(workspace, PYTHON_FILE), "utf8"), DEF_LINE), 1);
      const token = tokenOnLine(editor, "def load_config(", "path");
      await token.span.waitFor({ state: "visible", timeout: 30_000 });
      const text = await hoverUntil(page, token, /model: [a-z. ]+ \(\d+%\)/);
      console.log(`# model hover: ${JSON.stringify(text)}`);
      assert.match(text, /parameter/i);
      await page.mouse.move(5, 5);
      const broken = await openFile(page, "src/inventory/draft.py", "def restock_plan(");
      // tree-sitter recovers at the `for` and wraps the `if` condition below it in an ERROR node.
      const inError = tokenOnLine(broken, "if levels[item] < minimum", "minimum");
      await inError.span.waitFor({ state: "visible", timeout: 30_000 });
      const alone = await hoverUntil(page, inError, /predicted by the model/);
      console.log(`# model hover in a syntax error: ${JSON.stringify(alone)}`);
      assert.doesNotMatch(alone, /disagrees/);
      await page.mouse.move(5, 5);
    });
  });

  // Last: the adapter it builds applies to every later request.
  it("Build Workspace Adapter: progress, Cancel keeps none, a full build shows the adapter in the status bar", { skip: skipWithoutWorkspace }, async () => {
    await step("workspace adapter", async () => {
      // Enough code that the first build takes seconds (this repository's own sources), so that
      // Cancel lands while it runs.
      cpSync(join(repoRoot, "server", "src"), join(workspace, "vendor-free", "server-src"), { recursive: true });
      cpSync(join(repoRoot, "training"), join(workspace, "vendor-free", "training"), { recursive: true, filter: (p) => !p.includes("runs") && !p.includes("__pycache__") });
      // The extension's own item, not the transient "CodeAdapt: … cancelled" status-bar message.
      const statusItem = page.locator(".statusbar-item", { hasText: /CodeAdapt/ }).filter({ hasNotText: /cancelled|nothing changed/ }).first();
      await clearNotifications(page);
      await runCommand(page, "CodeAdapt: Build Workspace Adapter");
      const progress = page.locator(".notifications-toasts .notification-toast", { hasText: /building the workspace adapter/i }).first();
      await progress.waitFor({ state: "visible", timeout: 60_000 });
      await statusItem.filter({ hasText: /building adapter/ }).waitFor({ state: "visible", timeout: 30_000 });
      await progress.hover();
      await progress.getByRole("button", { name: /Cancel/ }).click();
      await statusItem.filter({ hasNotText: /building adapter/ }).waitFor({ state: "visible", timeout: 60_000 });
      assert.doesNotMatch(await statusItem.innerText(), /workspace adapter/, "a cancelled first build left an adapter active");
      assert.equal((await notificationTexts(page)).filter((t) => /built from/.test(t)).length, 0, "the cancelled build reported success");

      await clearNotifications(page);
      await runCommand(page, "CodeAdapt: Build Workspace Adapter");
      const done = await waitForNotification(page, /workspace adapter \w+ built from \d+ files/, 600_000);
      console.log(`# workspace adapter: ${JSON.stringify(done)}`);
      await statusItem.filter({ hasText: /workspace adapter/ }).waitFor({ state: "visible", timeout: 30_000 });
    });
  });
});
