import { test } from "node:test";
import assert from "node:assert/strict";
import { LspTestClient, fixtureUri, positionOf, readFixture } from "./lspClient";

/**
 * 10k edits and 10k hovers on one document: the server's RSS must stay flat once warm
 * (trees replaced by re-parses are deleted, nothing accumulates per request).
 */
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 10_000);
const BATCH = 100;
const WARMUP = 2_000;
const MAX_GROWTH = 30 * 1048576;

test(`RSS stays flat over ${ROUNDS} edits and hovers`, { timeout: 120_000 }, async () => {
  const client = new LspTestClient();
  try {
    await client.initialize();
    const uri = fixtureUri("sample.ts");
    const text = readFixture("sample.ts");
    client.open(uri, "typescript", text);
    const at = positionOf(text, "cached)", 0); // `if (cached)`: hovered after every edit
    const edit = positionOf(text, "return Math"); // edits happen on another line
    let version = 1;
    let baseline = 0;
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS; round += BATCH) {
      const messages: object[] = [];
      const hovers: Promise<any>[] = [];
      for (let i = 0; i < BATCH; i++) {
        // Alternately insert and delete a character so the document keeps its size.
        const insert = (round + i) % 2 === 0;
        const change = insert
          ? { range: { start: edit, end: edit }, text: "x" }
          : { range: { start: edit, end: { line: edit.line, character: edit.character + 1 } }, text: "" };
        messages.push(client.notification("textDocument/didChange", { textDocument: { uri, version: ++version }, contentChanges: [change] }));
        const hover = client.request("textDocument/hover", { textDocument: { uri }, position: at });
        messages.push(hover.message);
        hovers.push(hover.response);
      }
      client.write(messages);
      const responses = await Promise.all(hovers);
      for (const response of responses) assert.match(response.result?.contents.value ?? "", /^\*\*variable reference\*\* `cached`/);
      if (round + BATCH === WARMUP) baseline = client.rss();
      if (round + BATCH > WARMUP && (round + BATCH) % 1000 === 0) samples.push(client.rss());
    }
    // A leak keeps every later sample high; garbage not yet collected only raises some of them.
    const settled = Math.min(...samples.slice(-3));
    const growth = settled - baseline;
    console.log(`# RSS samples every 1000 rounds (MB): ${samples.map((s) => (s / 1048576).toFixed(0)).join(" ")}`);
    console.log(`# RSS after warm-up ${(baseline / 1048576).toFixed(1)} MB, settled at the end ${(settled / 1048576).toFixed(1)} MB, growth ${(growth / 1048576).toFixed(1)} MB`);
    assert.ok(growth < MAX_GROWTH, `RSS grew ${(growth / 1048576).toFixed(1)} MB after warm-up`);
    const status = await client.call("codeadapt/status", {});
    assert.equal(status.openDocuments, 1);
    assert.equal(await client.shutdown(), 0);
  } finally {
    client.kill();
  }
});
