import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A minimal LSP client for protocol tests and the hover benchmark: it starts the real server
 * (the bundled dist/server.js) over stdio and frames JSON-RPC by hand, so tests can also send
 * several messages in one write (a request and its $/cancelRequest together) and read the
 * server's own requests (workspace/configuration) and notifications.
 */
export const REPO = resolve(__dirname, "..", "..");
export const SERVER = join(REPO, "dist", "server.js");
export const FIXTURES = join(REPO, "test", "fixtures");

export interface ResponseMessage {
  id: number;
  result?: any;
  error?: { code: number; message: string; data?: any };
}

type ServerRequestHandler = (params: any) => unknown | Promise<unknown>;

export class LspTestClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (response: ResponseMessage) => void>();
  private readonly handlers = new Map<string, ServerRequestHandler>();
  readonly notifications: { method: string; params: any }[] = [];
  /** Responses to no request of ours, or a second answer to one (a protocol error). */
  readonly unexpectedResponses: ResponseMessage[] = [];
  private readonly notificationWaiters: { method: string; resolve: (params: any) => void }[] = [];
  stderr = "";
  exitCode: Promise<number | null>;
  /** Settings answered to workspace/configuration (null = the editor's defaults). */
  settings: unknown = null;

  constructor(args: string[] = [], env: NodeJS.ProcessEnv = {}, server = SERVER) {
    if (!existsSync(server)) throw new Error(`${server} not built: run \`npm run build\` first`);
    this.child = spawn(process.execPath, [server, "--stdio", ...args], { env: { ...process.env, ...env }, stdio: "pipe" });
    this.child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exitCode = new Promise((done) => this.child.on("exit", (code) => done(code)));
    this.onRequest("workspace/configuration", (params) => params.items.map(() => this.settings));
    this.onRequest("client/registerCapability", () => null);
    this.onRequest("window/workDoneProgress/create", () => null);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resident memory of the server process, from /proc (bytes). */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : NaN;
  }

  onRequest(method: string, handler: ServerRequestHandler): void {
    this.handlers.set(method, handler);
  }

  /** Builds a request message without sending it (for batched writes). */
  request(method: string, params: unknown): { message: object; response: Promise<ResponseMessage>; id: number } {
    const id = this.nextId++;
    const response = new Promise<ResponseMessage>((done) => this.pending.set(id, done));
    return { message: { jsonrpc: "2.0", id, method, params }, response, id };
  }

  async send(method: string, params: unknown): Promise<ResponseMessage> {
    const { message, response } = this.request(method, params);
    this.write([message]);
    return response;
  }

  /** Sends a request and returns its result, failing on an error response. */
  async call(method: string, params: unknown): Promise<any> {
    const response = await this.send(method, params);
    if (response.error) throw new Error(`${method} failed: ${response.error.code} ${response.error.message}`);
    return response.result;
  }

  notify(method: string, params: unknown): void {
    this.write([{ jsonrpc: "2.0", method, params }]);
  }

  notification(method: string, params: unknown): object {
    return { jsonrpc: "2.0", method, params };
  }

  /** Writes messages in one chunk, so the server reads them together. */
  write(messages: object[]): void {
    const frames = messages.map((message) => {
      const body = Buffer.from(JSON.stringify(message), "utf8");
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]);
    });
    this.child.stdin.write(Buffer.concat(frames));
  }

  /** Writes raw bytes as one message body (for non-UTF-8 payloads). */
  writeRaw(body: Buffer): void {
    this.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]));
  }

  waitForNotification(method: string): Promise<any> {
    const seen = this.notifications.find((n) => n.method === method);
    if (seen) return Promise.resolve(seen.params);
    return new Promise((done) => this.notificationWaiters.push({ method, resolve: done }));
  }

  /** `root` is the workspace folder (default test/fixtures); `storageDir` the extension's storage. */
  async initialize(options: { trusted?: boolean; configuration?: boolean; root?: string; storageDir?: string; workspaceFolders?: boolean } = {}): Promise<any> {
    const root = options.root ?? FIXTURES;
    const result = await this.call("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(root).toString(),
      workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: "workspace" }],
      capabilities: {
        workspace: { configuration: options.configuration ?? true, didChangeConfiguration: { dynamicRegistration: true }, workspaceFolders: options.workspaceFolders ?? false },
        textDocument: { hover: { contentFormat: ["markdown", "plaintext"] }, synchronization: { dynamicRegistration: false } },
        window: { workDoneProgress: true },
      },
      initializationOptions: { workspaceTrusted: options.trusted ?? true, extensionVersion: "test", storageDir: options.storageDir },
    });
    this.notify("initialized", {});
    return result;
  }

  open(uri: string, languageId: string, text: string, version = 1): void {
    this.notify("textDocument/didOpen", { textDocument: { uri, languageId, version, text } });
  }

  hover(uri: string, line: number, character: number): Promise<any> {
    return this.call("textDocument/hover", { textDocument: { uri }, position: { line, character } });
  }

  async shutdown(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    await this.call("shutdown", null);
    this.notify("exit", null);
    return this.exitCode;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString("ascii"))?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body));
    }
  }

  private dispatch(message: any): void {
    if (message.id !== undefined && message.method) {
      const handler = this.handlers.get(message.method);
      Promise.resolve(handler ? handler(message.params) : null).then((result) =>
        this.write([{ jsonrpc: "2.0", id: message.id, result: result ?? null }]),
      );
    } else if (message.id !== undefined) {
      const done = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (done) done(message);
      else this.unexpectedResponses.push(message);
    } else {
      this.notifications.push({ method: message.method, params: message.params });
      for (let i = this.notificationWaiters.length - 1; i >= 0; i--) {
        if (this.notificationWaiters[i].method === message.method) {
          this.notificationWaiters[i].resolve(message.params);
          this.notificationWaiters.splice(i, 1);
        }
      }
    }
  }
}

export function fixtureUri(name: string): string {
  return pathToFileURL(join(FIXTURES, name)).toString();
}

export function readFixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** LSP position of the n-th occurrence (0-based) of `token` in `text`, plus `offset` characters. */
export function positionOf(text: string, token: string, nth = 0, offset = 0): { line: number; character: number } {
  let index = -1;
  for (let i = 0; i <= nth; i++) {
    index = text.indexOf(token, index + 1);
    if (index < 0) throw new Error(`token ${JSON.stringify(token)} #${nth} not found`);
  }
  index += offset;
  const before = text.slice(0, index);
  const line = before.split("\n").length - 1;
  return { line, character: index - (before.lastIndexOf("\n") + 1) };
}

/** Editor language id per fixture. */
export const FIXTURE_LANGUAGES: Record<string, string> = {
  "sample.py": "python",
  "sample.js": "javascript",
  "sample.ts": "typescript",
  "sample.tsx": "typescriptreact",
  "Sample.java": "java",
  "sample.go": "go",
};
