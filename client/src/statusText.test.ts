import { test } from "node:test";
import assert from "node:assert/strict";
import type { StatusResult } from "../../common/src/protocol";
import { statusBarText, statusReport } from "./statusText";

const status: StatusResult = {
  protocolVersion: 1,
  serverVersion: "0.1.0",
  grammars: { loaded: ["python", "go"], failed: [], folder: "/x/grammars" },
  model: { state: "missing", manifestPath: "/x/models/manifest.json", message: "No CodeAdapt model installed: models/manifest.json not found at /x/models/manifest.json", loaded: false },
  device: "none (no model)",
  executionProviders: ["cpu"],
  workspaceTrusted: false,
  workspaceAdapter: { state: "none" },
  openDocuments: 2,
  rss: 50 * 1048576,
};

test("status bar shows server state, model and device", () => {
  assert.match(statusBarText("starting", undefined).text, /CodeAdapt/);
  assert.equal(statusBarText("stopped", undefined).warning, true);
  const missing = statusBarText("running", status);
  assert.equal(missing.text, "$(symbol-misc) CodeAdapt: no model");
  assert.equal(missing.warning, true);
  assert.match(missing.tooltip, /manifest\.json not found/);
  const present = statusBarText("running", { ...status, device: "cpu", model: { ...status.model, state: "present", name: "codeadapt-small 1" } });
  assert.equal(present.text, "$(symbol-misc) CodeAdapt: codeadapt-small 1 · cpu");
  assert.equal(present.warning, false);
});

test("status report names what is missing and where", () => {
  const report = statusReport(status);
  assert.match(report, /Model: missing — No CodeAdapt model installed/);
  assert.match(report, /Manifest: \/x\/models\/manifest\.json/);
  assert.match(report, /Workspace trusted: no/);
});

test("status report names the tasks the model's manifest disables, with the reason", () => {
  const model = { ...status.model, state: "present" as const, message: "Model small verified", disabledTasks: { refine: "repairs below the copy baseline" } };
  assert.match(statusReport({ ...status, model }), /Not offered by this model: refine \(repairs below the copy baseline\)/);
  assert.doesNotMatch(statusReport(status), /Not offered/);
});
