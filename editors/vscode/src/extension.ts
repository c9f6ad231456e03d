// The VS Code face of `kube-immutable lsp`: it starts the language server
// (from PATH, or the `kube-immutable.path` setting) for YAML and JSON files
// and lets vscode-languageclient do the rest. The server decides which
// files are manifests (others get nothing), finds the settings file, and
// holds every rule: this file only launches it.

import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const configured = vscode.workspace
    .getConfiguration("kube-immutable")
    .get<string>("path", "");
  const command = configured.trim() === "" ? "kube-immutable" : configured;
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

function lang(): string {
  const configured = vscode.workspace
    .getConfiguration("kube-immutable")
    .get<string>("lang", "");
  return configured !== "" ? configured : vscode.env.language;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "untitled", language: "yaml" },
      { scheme: "untitled", language: "json" },
    ],
    initializationOptions: { lang: lang() },
    synchronize: {
      // Settings files: the server reads them again when they change.
      fileEvents: vscode.workspace.createFileSystemWatcher(
        "**/{.kube-immutable,kube-immutable}.yaml",
      ),
    },
  };
  client = new LanguageClient(
    "kube-immutable",
    "kube-immutable",
    serverOptions(),
    clientOptions,
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!client) {
        return;
      }
      if (event.affectsConfiguration("kube-immutable.path")) {
        await client.stop();
        client = new LanguageClient("kube-immutable", "kube-immutable", serverOptions(), clientOptions);
        await client.start();
      } else if (event.affectsConfiguration("kube-immutable.lang")) {
        await client.sendNotification("workspace/didChangeConfiguration", {
          settings: { "kube-immutable": { lang: lang() } },
        });
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
