/**
 * Driving the VS Code workbench (as served by code-server) through Debian's Chromium with
 * playwright-core: launching the browser, the command palette and quick open, opening a file,
 * hovering a token and reading notifications. Waits are on selectors with generous timeouts;
 * anything typed into a quick input is checked and retried.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";

export const CHROMIUM = process.env.CODEADAPT_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for Debian's Chromium as root on a machine without network (see DESIGN.md). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

export async function launchBrowser(profileRoot?: string): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (scripts/setup-test-deps)`);
  }
  // A fresh --user-data-dir every run (playwright passes it for a persistent context).
  const userDataDir = mkdtempSync(join(profileRoot ?? tmpdir(), "chromium-profile-"));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", ...CHROMIUM_ARGS],
    viewport: { width: 1360, height: 820 },
    deviceScaleFactor: 1,
    locale: "en-US",
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the workbench is loaded and the explorer shows the workspace folder. */
export async function waitForWorkbench(page: Page, timeout = 120_000): Promise<void> {
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout });
  await page.locator(".part.statusbar").waitFor({ state: "visible", timeout });
  // The explorer lists the workspace's files once the remote file system is connected.
  await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ state: "visible", timeout });
}

const quickInput = (page: Page) => page.locator(".quick-input-widget");
const quickInputBox = (page: Page) => page.locator(".quick-input-widget .quick-input-box input");

export async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) {
    await page.keyboard.press("Escape");
    await quickInput(page).waitFor({ state: "hidden", timeout: 5_000 }).catch(() => undefined);
  }
}

/**
 * Opens the quick input (F1), types `text` and picks the first row whose text matches `row`.
 * Retried as a whole: the palette may open before the workbench takes keys, or lose typed text.
 */
async function pickInQuickInput(page: Page, text: string, row: RegExp, attempts = 4): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await closeQuickInput(page);
      // Focus the workbench first so that F1 reaches it.
      await page.locator(".monaco-workbench").focus().catch(() => undefined);
      await page.keyboard.press("F1");
      const box = quickInputBox(page);
      await box.waitFor({ state: "visible", timeout: 10_000 });
      await box.fill(text);
      const value = await box.inputValue();
      if (value !== text) throw new Error(`quick input holds ${JSON.stringify(value)}, not ${JSON.stringify(text)}`);
      const match = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: row }).first();
      await match.waitFor({ state: "visible", timeout: 20_000 });
      await match.click();
      await quickInput(page).waitFor({ state: "hidden", timeout: 10_000 });
      return;
    } catch (err) {
      lastError = err;
      await page.keyboard.press("Escape").catch(() => undefined);
      await sleep(500 * attempt);
    }
  }
  throw new Error(`could not pick ${row} after typing ${JSON.stringify(text)}: ${String(lastError)}`);
}

/** Runs a command from the command palette by its title, e.g. "CodeAdapt: Show Model Status". */
export async function runCommand(page: Page, title: string): Promise<void> {
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  await pickInQuickInput(page, `>${title}`, new RegExp(escaped, "i"));
}

/** Opens a workspace file through quick open and waits until its text is in the editor. */
export async function openFile(page: Page, relativePath: string, expectText: string): Promise<Locator> {
  const base = relativePath.split("/").pop()!;
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  await pickInQuickInput(page, relativePath, new RegExp(escaped));
  const tab = page.locator(`.tabs-container .tab[aria-label^="${base}"]`);
  await tab.first().waitFor({ state: "visible", timeout: 30_000 });
  const editor = page.locator(".editor-instance .monaco-editor").first();
  await editor.locator(".view-lines", { hasText: expectText }).waitFor({ state: "visible", timeout: 30_000 });
  return editor;
}

/** Moves the cursor to a 1-based line and column with "Go to Line/Column" (Ctrl+G). */
export async function goToLine(page: Page, line: number, column = 1): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await closeQuickInput(page);
      await page.locator(".editor-instance .monaco-editor textarea").first().focus();
      await page.keyboard.press("Control+G");
      const box = quickInputBox(page);
      await box.waitFor({ state: "visible", timeout: 10_000 });
      await box.fill(`:${line}:${column}`);
      if ((await box.inputValue()) !== `:${line}:${column}`) throw new Error("typed text was lost");
      await page.keyboard.press("Enter");
      await quickInput(page).waitFor({ state: "hidden", timeout: 10_000 });
      await page
        .locator(".statusbar-item", { hasText: `Ln ${line}, Col ${column}` })
        .first()
        .waitFor({ state: "visible", timeout: 10_000 });
      return;
    } catch (err) {
      lastError = err;
      await page.keyboard.press("Escape").catch(() => undefined);
      await sleep(500 * attempt);
    }
  }
  throw new Error(`could not go to ${line}:${column}: ${String(lastError)}`);
}

/** A token on an editor line: the span that shows it, and the token's own text. */
export interface LineToken {
  span: Locator;
  text: string;
}

/** The token `token` on the editor line that contains `lineText`. */
export function tokenOnLine(editor: Locator, lineText: string, token: string): LineToken {
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const span = editor
    .locator(".view-line", { hasText: lineText })
    .first()
    // Adjacent tokens of one colour share a span (e.g. "< minimum:"), so match the token as a word in it.
    .locator("span > span", { hasText: new RegExp(`(^|[^\\w$])${escaped}([^\\w$]|$)`) })
    .first();
  return { span, text: token };
}

/** The on-screen box of the token's own characters inside its span (a DOM Range over the text node). */
async function tokenBox(target: LineToken): Promise<{ x: number; y: number; width: number; height: number } | null> {
  return target.span.evaluate((el, text) => {
    const node = el.firstChild;
    const content = node?.textContent ?? "";
    const word = new RegExp(`(^|[^\\w$])(${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})([^\\w$]|$)`).exec(content);
    if (!node || !word) return null;
    const start = word.index + word[1].length;
    const range = el.ownerDocument.createRange();
    range.setStart(node, start);
    range.setEnd(node, start + text.length);
    const r = range.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }, target.text);
}

/**
 * Hovers the mouse over `target` until a hover whose text matches `expect` is shown, moving away and
 * back between tries (the language server may still be starting). Returns the hover's text.
 */
export async function hoverUntil(page: Page, target: LineToken, expect: RegExp, timeout = 120_000): Promise<string> {
  const deadline = Date.now() + timeout;
  const hover = page.locator(".monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents");
  let lastText = "";
  while (Date.now() < deadline) {
    await page.mouse.move(5, 5);
    await hover.first().waitFor({ state: "hidden", timeout: 5_000 }).catch(() => undefined);
    const box = await tokenBox(target);
    if (!box) throw new Error("hover target has no box on screen");
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    try {
      const shown = page.locator(".monaco-hover:not(.hidden)", { hasText: expect }).first();
      await shown.waitFor({ state: "visible", timeout: 8_000 });
      return (await shown.innerText()).trim();
    } catch {
      lastText = (await hover.allInnerTexts().catch(() => [])).join(" | ");
    }
  }
  throw new Error(`no hover matching ${expect} within ${timeout} ms; last hover text: ${JSON.stringify(lastText)}`);
}

/** Waits for a notification toast whose text matches `pattern` and returns its text. */
export async function waitForNotification(page: Page, pattern: RegExp, timeout = 60_000): Promise<string> {
  const toast = page.locator(".notifications-toasts .notification-toast", { hasText: pattern }).first();
  await toast.waitFor({ state: "visible", timeout });
  return (await toast.innerText()).trim();
}

/** All visible notification toasts' texts (for error messages). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.locator(".notifications-toasts .notification-toast").allInnerTexts().catch(() => []);
}

/** Clears every notification (so a later wait sees only new ones), through the palette command. */
export async function clearNotifications(page: Page): Promise<void> {
  const toasts = page.locator(".notifications-toasts .notification-toast");
  if ((await toasts.count()) === 0) return;
  await runCommand(page, "Notifications: Clear All Notifications");
  await toasts.first().waitFor({ state: "detached", timeout: 15_000 }).catch(() => undefined);
}

/** Whether the editor tab of the file named `base` shows unsaved changes. */
export async function editorIsDirty(page: Page, base: string): Promise<boolean> {
  return (await page.locator(`.tabs-container .tab.dirty[aria-label^="${base}"]`).count()) > 0;
}

/** Focuses the editor of the file named `base` (its tab) and presses the key there. */
async function pressInEditor(page: Page, base: string, key: string): Promise<void> {
  await page.locator(`.tabs-container .tab[aria-label^="${base}"]`).first().click();
  await page.locator(".editor-instance .monaco-editor textarea").first().focus();
  await page.keyboard.press(key);
}

/** Saves the file named `base` (Ctrl+S in its editor) and waits until its tab is clean. */
export async function saveActiveEditor(page: Page, base: string): Promise<void> {
  await pressInEditor(page, base, "Control+S");
  await page.locator(`.tabs-container .tab.dirty[aria-label^="${base}"]`).first().waitFor({ state: "detached", timeout: 15_000 });
}

/** One Undo (Ctrl+Z) in the editor of the file named `base`. */
export async function undoInEditor(page: Page, base = ""): Promise<void> {
  if (base) await pressInEditor(page, base, "Control+Z");
  else {
    await page.locator(".editor-instance .monaco-editor textarea").first().focus();
    await page.keyboard.press("Control+Z");
  }
}
