// The netspec extension: starts `netspec lsp` (setting netspec.server.command) for .net files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("netspec");
  const [command, ...args] = settings.get("server.command");
  client = new LanguageClient(
    "netspec",
    "netspec",
    { command, args },
    {
      documentSelector: [{ scheme: "file", language: "netspec" }, { scheme: "untitled", language: "netspec" }],
      initializationOptions: { inlayHints: { cost: settings.get("inlayHints.cost") } },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
