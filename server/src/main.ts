/**
 * Entry point of the CodeAdapt language server (bundled as dist/server.js).
 * Transport comes from the command line as vscode-languageserver expects: --stdio, --node-ipc
 * or --socket=N. A request still queued when its $/cancelRequest arrives is answered with
 * RequestCancelled without running.
 */
import { LSPErrorCodes, ProposedFeatures, createConnection, type ResponseMessage } from "vscode-languageserver/node";
import { startServer } from "./server";

const connection = createConnection(ProposedFeatures.all, {
  connectionStrategy: {
    cancelUndispatched: (message): ResponseMessage | undefined => {
      const id = (message as { id?: number | string }).id;
      if (id === undefined) return undefined;
      return { jsonrpc: "2.0", id, error: { code: LSPErrorCodes.RequestCancelled, message: "Request cancelled before it started" } };
    },
  },
});

// A bug in one request must not take the server (and every open editor's hovers) down.
process.on("uncaughtException", (error) => connection.console.error(`CodeAdapt server: uncaught ${error.stack ?? error}`));
process.on("unhandledRejection", (reason) => connection.console.error(`CodeAdapt server: unhandled rejection ${reason}`));

startServer(connection);
