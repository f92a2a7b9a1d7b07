import * as vscode from "vscode";
import type { StatusResult } from "../../common/src/protocol";
import { statusBarText, type ServerState } from "./statusText";

/** The status bar item: server state, model and device; a click shows the model status. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("codeadapt.status", vscode.StatusBarAlignment.Right, 100);
  private state: ServerState = "starting";
  status: StatusResult | undefined;

  constructor() {
    this.item.name = "CodeAdapt";
    this.item.command = "codeadapt.showModelStatus";
    this.render();
    this.item.show();
  }

  setServerState(state: ServerState): void {
    this.state = state;
    this.render();
  }

  setStatus(status: StatusResult): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const view = statusBarText(this.state, this.status);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
