import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SETTINGS, EDITOR_LANGUAGES, RESTRICTED_SETTINGS, WORKSPACE_ADAPTER_KINDS, isLanguageEnabled, normalizeSettings } from "./settings";

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
const properties: Record<string, any> = manifest.contributes.configuration.properties;

test("package.json declares every setting with the shared defaults", () => {
  const flat: Record<string, unknown> = {
    "codeadapt.modelPath": DEFAULT_SETTINGS.modelPath,
    "codeadapt.executionProviders": DEFAULT_SETTINGS.executionProviders,
    "codeadapt.maxInputTokens": DEFAULT_SETTINGS.maxInputTokens,
    "codeadapt.maxSummaryTokens": DEFAULT_SETTINGS.maxSummaryTokens,
    "codeadapt.workspaceAdapter.autoBuild": DEFAULT_SETTINGS.workspaceAdapter.autoBuild,
    "codeadapt.workspaceAdapter.maxTokens": DEFAULT_SETTINGS.workspaceAdapter.maxTokens,
    "codeadapt.workspaceAdapter.kind": DEFAULT_SETTINGS.workspaceAdapter.kind,
    "codeadapt.languages": DEFAULT_SETTINGS.languages,
    "codeadapt.idleUnloadMinutes": DEFAULT_SETTINGS.idleUnloadMinutes,
    "codeadapt.codeLens.enabled": DEFAULT_SETTINGS.codeLens.enabled,
    "codeadapt.trace.server": DEFAULT_SETTINGS.trace.server,
  };
  assert.deepEqual(Object.keys(properties).sort(), Object.keys(flat).sort());
  for (const [key, value] of Object.entries(flat)) assert.deepEqual(properties[key].default, value, key);
});

test("activation events and the restricted settings match the shared lists", () => {
  assert.deepEqual(manifest.activationEvents, EDITOR_LANGUAGES.map((id) => `onLanguage:${id}`));
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, RESTRICTED_SETTINGS);
  for (const command of ["codeadapt.summarize", "codeadapt.refine", "codeadapt.buildWorkspaceAdapter", "codeadapt.showModelStatus"]) {
    assert.ok(manifest.contributes.commands.some((c: any) => c.command === command), command);
  }
});

test("normalizeSettings fills gaps and rejects bad values", () => {
  assert.deepEqual(normalizeSettings(null), DEFAULT_SETTINGS);
  assert.deepEqual(normalizeSettings(undefined), DEFAULT_SETTINGS);
  const settings = normalizeSettings({
    modelPath: " /models ",
    executionProviders: ["cuda", "bogus", "cuda", "cpu"],
    maxInputTokens: 1e9,
    maxSummaryTokens: "many",
    workspaceAdapter: { autoBuild: true, maxTokens: 5 },
    languages: { go: false, rust: true },
    trace: { server: "verbose" },
  });
  assert.equal(settings.modelPath, "/models");
  assert.deepEqual(settings.executionProviders, ["cuda", "cpu"]);
  assert.equal(settings.maxInputTokens, 4096);
  assert.equal(settings.maxSummaryTokens, 48);
  assert.equal(settings.workspaceAdapter.autoBuild, true);
  assert.equal(settings.workspaceAdapter.maxTokens, 10_000);
  assert.equal(settings.languages.go, false);
  assert.equal(settings.languages.python, true);
  assert.equal(settings.trace.server, "verbose");
  assert.equal(settings.codeLens.enabled, true);
  assert.equal(normalizeSettings({ codeLens: { enabled: false } }).codeLens.enabled, false);
  assert.equal(normalizeSettings({ codeLens: { enabled: "no" } }).codeLens.enabled, true);
  assert.deepEqual(normalizeSettings({ executionProviders: [] }).executionProviders, ["cpu"]);
  assert.equal(normalizeSettings({ workspaceAdapter: { kind: "weights" } }).workspaceAdapter.kind, "weights");
  assert.equal(normalizeSettings({ workspaceAdapter: { kind: "lora" } }).workspaceAdapter.kind, DEFAULT_SETTINGS.workspaceAdapter.kind);
  assert.deepEqual(properties["codeadapt.workspaceAdapter.kind"].enum, [...WORKSPACE_ADAPTER_KINDS]);
});

test("isLanguageEnabled follows the per-language setting", () => {
  const settings = normalizeSettings({ languages: { go: false } });
  assert.equal(isLanguageEnabled(settings, "go"), false);
  assert.equal(isLanguageEnabled(settings, "python"), true);
});
