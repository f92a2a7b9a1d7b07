import type { StatusResult } from "../../common/src/protocol";

/**
 * Text of the status bar item and the "Show model status" report, kept free of the vscode API
 * so it is unit-tested directly.
 */
export type ServerState = "starting" | "running" | "stopped";

export interface StatusBarText {
  text: string;
  tooltip: string;
  warning: boolean;
}

export function statusBarText(state: ServerState, status: StatusResult | undefined): StatusBarText {
  if (state === "starting") return { text: "$(loading~spin) CodeAdapt", tooltip: "CodeAdapt: starting the language server", warning: false };
  if (state === "stopped") return { text: "$(error) CodeAdapt: stopped", tooltip: "CodeAdapt: the language server is not running", warning: true };
  if (!status) return { text: "$(symbol-misc) CodeAdapt", tooltip: "CodeAdapt: server running", warning: false };
  const model =
    status.model.state === "present" ? status.model.name ?? "model" : status.model.state === "missing" ? "no model" : "model invalid";
  const device = status.device.startsWith("none") ? "" : ` · ${status.device}`;
  const adapter = status.workspaceAdapter.state === "ready" ? " · workspace adapter" : status.workspaceAdapter.state === "building" ? " · building adapter" : "";
  return {
    text: `$(symbol-misc) CodeAdapt: ${model}${device}${adapter}`,
    tooltip: [
      `CodeAdapt server ${status.serverVersion}: running`,
      `Model: ${status.model.message}`,
      `Device: ${status.device}`,
      `Grammars: ${status.grammars.loaded.join(", ") || "none"}`,
      "Click for the full model status.",
    ].join("\n"),
    warning: status.model.state !== "present",
  };
}

export function statusReport(status: StatusResult): string {
  const lines = [
    `CodeAdapt server ${status.serverVersion} (protocol ${status.protocolVersion})`,
    `Model: ${status.model.state} — ${status.model.message}`,
    `Manifest: ${status.model.manifestPath}`,
    ...Object.entries(status.model.disabledTasks ?? {}).map(([task, reason]) => `Not offered by this model: ${task} (${reason})`),
    `Device: ${status.device} (providers tried in order: ${status.executionProviders.join(", ")})`,
    `Grammars loaded: ${status.grammars.loaded.join(", ") || "none"} from ${status.grammars.folder || "(not found)"}`,
  ];
  for (const failure of status.grammars.failed) lines.push(`Grammar ${failure.language} failed: ${failure.error}`);
  lines.push(
    `Workspace trusted: ${status.workspaceTrusted ? "yes" : "no (nothing is mined or generated automatically)"}`,
    `Workspace adapter: ${status.workspaceAdapter.state}`,
    `Open documents: ${status.openDocuments}; server memory ${(status.rss / 1048576).toFixed(0)} MB`,
  );
  return lines.join("\n");
}
