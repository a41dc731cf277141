// Starts `cipherprune lsp` (the CPL language server, src/lsp/server.ts) for .cpl files.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration('cpl').get('server.command');
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  client = new LanguageClient('cpl', 'CPL', { command, args, options: { cwd } }, { documentSelector: [{ scheme: 'file', language: 'cpl' }] });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
