//! `kube-immutable lsp` over stdio, driven by a scripted client: what an
//! editor sends, and what it must get back. The Neovim test
//! (`tests/neovim.rs`) covers the same server through a real editor.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

mod common;

use std::io::{BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};

use common::root;

const TIMEOUT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Message>,
    /// Notifications and server requests not yet looked at.
    pending: Vec<Message>,
    next_id: i32,
}

impl Client {
    /// Starts the server and initializes it with `capabilities` and more
    /// `initialize` parameters.
    fn start(capabilities: Value, extra: Value) -> (Self, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kube-immutable"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(message)) = Message::read(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages: rx,
            pending: Vec::new(),
            next_id: 0,
        };
        let mut params =
            json!({ "processId": null, "rootUri": null, "capabilities": capabilities });
        if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
            params.extend(extra.clone());
        }
        let result = client.request("initialize", params).unwrap();
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn default() -> Self {
        Self::start(json!({}), json!({})).0
    }

    fn send(&mut self, message: Message) {
        let stdin = self.stdin.as_mut().unwrap();
        message.write(stdin).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Notification::new(method.to_owned(), params).into());
    }

    fn next(&mut self, deadline: Instant) -> Message {
        match self
            .messages
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("no answer from the server in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// The result, or the error object.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Request::new(id.clone(), method.to_owned(), params).into());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next(deadline) {
                Message::Response(r) if r.id == id => {
                    return match r.error {
                        Some(e) => Err(serde_json::to_value(e).unwrap()),
                        None => Ok(r.result.unwrap_or(Value::Null)),
                    };
                }
                other => self.pending.push(other),
            }
        }
    }

    /// The next `publishDiagnostics` for `uri` (earlier ones kept are
    /// skipped: the latest wins).
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_for = |m: &Message| {
            matches!(m, Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
        };
        if let Some(i) = self.pending.iter().rposition(is_for) {
            let Message::Notification(n) = self.pending.remove(i) else {
                unreachable!()
            };
            self.pending.retain(|m| !is_for(m));
            return n.params["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let m = self.next(deadline);
            if is_for(&m) {
                let Message::Notification(n) = m else {
                    unreachable!()
                };
                return n.params["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push(m);
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    /// `shutdown`, `exit`, and the exit code.
    fn stop(mut self) -> i32 {
        assert_eq!(self.request("shutdown", Value::Null), Ok(Value::Null));
        self.notify("exit", Value::Null);
        self.wait()
    }

    fn wait(&mut self) -> i32 {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn file_uri(path: &Path) -> String {
    lsp_types::Url::from_file_path(path).unwrap().to_string()
}

fn tutorial() -> (String, String) {
    let path = root().join("examples/mutable-pod.yaml");
    (
        file_uri(&path.canonicalize().unwrap()),
        std::fs::read_to_string(path).unwrap(),
    )
}

/// (rule, 1-based line) of diagnostics with a rule code, sorted.
fn rules_and_lines(diagnostics: &[Value]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["range"]["start"]["line"].as_u64().unwrap() + 1,
            )
        })
        .collect();
    out.sort();
    out
}

/// Applies LSP text edits (UTF-16 positions) to a text, as an editor does.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let (line, character) = (
            p["line"].as_u64().unwrap(),
            p["character"].as_u64().unwrap(),
        );
        let mut at = 0;
        for _ in 0..line {
            at += text[at..].find('\n').map_or(text.len() - at, |i| i + 1);
        }
        let mut units = 0;
        for (i, c) in text[at..].char_indices() {
            if units >= character || c == '\n' {
                return at + i;
            }
            units += c.len_utf16() as u64;
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    // From the last to the first (stable: inserts at one place keep order).
    let mut out = text.to_owned();
    spans.reverse();
    for (start, end, new) in spans {
        out.replace_range(start..end, new);
    }
    out
}

#[test]
fn findings_are_diagnostics_on_their_lines_as_check_reports_them() {
    let (uri, text) = tutorial();
    let (mut client, init) = Client::start(json!({}), json!({}));
    assert_eq!(init["serverInfo"]["name"], "kube-immutable");
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(
        init["capabilities"]["textDocumentSync"]["change"], 2,
        "incremental"
    );
    client.open(&uri, &text);
    let diagnostics = client.diagnostics(&uri);

    let expected = common::check_rules_and_lines("examples/mutable-pod.yaml");
    assert_eq!(rules_and_lines(&diagnostics), expected);

    let privileged = diagnostics
        .iter()
        .find(|d| d["code"] == "privileged")
        .unwrap();
    assert_eq!(privileged["severity"], 1, "error");
    assert_eq!(privileged["source"], "kube-immutable");
    assert_eq!(
        privileged["range"],
        json!({"start": {"line": 12, "character": 8}, "end": {"line": 12, "character": 24}})
    );
    assert!(privileged["message"]
        .as_str()
        .unwrap()
        .contains("privileged"));
    assert!(privileged["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("privileged.md"));
    let warning = diagnostics
        .iter()
        .find(|d| d["code"] == "may-run-as-root")
        .unwrap();
    assert_eq!(warning["severity"], 2, "warning");
    assert_eq!(client.stop(), 0);
}

#[test]
fn incremental_edits_are_checked_and_utf16_columns_count_after_non_ascii_text() {
    let uri = "untitled:pod.yaml";
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {name: c, image: nginx:1.27, securityContext: {privileged: true}}\n";
    let mut client = Client::default();
    client.open(uri, text);
    let first = client.diagnostics(uri);
    let column = |ds: &[Value]| {
        ds.iter().find(|d| d["code"] == "privileged").unwrap()["range"]["start"]["character"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(column(&first), 51);
    // The name becomes `é😀`: 3 UTF-16 units (5 UTF-8 bytes) more than `c`.
    client.change(
        uri,
        2,
        json!([{"range": {"start": {"line": 5, "character": 11}, "end": {"line": 5, "character": 12}}, "text": "é😀"}]),
    );
    let second = client.diagnostics(uri);
    assert_eq!(column(&second), 53);
    // `true` → `false`, right after the emoji (its position in UTF-16).
    client.change(
        uri,
        3,
        json!([{"range": {"start": {"line": 5, "character": 65}, "end": {"line": 5, "character": 69}}, "text": "false"}]),
    );
    let third = client.diagnostics(uri);
    assert!(
        !third.iter().any(|d| d["code"] == "privileged"),
        "{third:#?}"
    );
    // Two changes in one notification, the second on the first's result,
    // then a whole-text change.
    client.change(
        uri,
        4,
        json!([
            {"range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}}, "text": "# é\n"},
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# first\n"},
        ]),
    );
    let fourth = client.diagnostics(uri);
    let lines: Vec<u64> = fourth
        .iter()
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert!(lines.iter().all(|&l| l == 7), "{fourth:#?}");
    client.change(uri, 5, json!([{"text": "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}\n"}]));
    let fifth = client.diagnostics(uri);
    assert!(fifth
        .iter()
        .any(|d| d["code"] == "privileged" && d["range"]["start"]["line"] == 2));
    assert_eq!(client.stop(), 0);
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let (mut client, init) = Client::start(
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
        json!({}),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let uri = "untitled:pod.yaml";
    client.open(
        uri,
        "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: é😀, image: nginx:1.27, securityContext: {privileged: true}}]}\n",
    );
    let d = client.diagnostics(uri);
    let privileged = d.iter().find(|d| d["code"] == "privileged").unwrap();
    let line = "spec: {containers: [{name: é😀, image: nginx:1.27, securityContext: {";
    assert_eq!(privileged["range"]["start"]["character"], line.len());
    assert_eq!(client.stop(), 0);
}

#[test]
fn pull_diagnostics_for_clients_that_ask() {
    let (uri, text) = tutorial();
    let (mut client, init) = Client::start(
        json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}}}),
        json!({}),
    );
    assert_eq!(
        init["capabilities"]["diagnosticProvider"]["identifier"],
        "kube-immutable"
    );
    client.open(&uri, &text);
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .unwrap();
    assert_eq!(report["kind"], "full");
    let items = report["items"].as_array().unwrap();
    assert_eq!(
        items.iter().filter(|d| d["severity"] == 1).count(),
        4,
        "{items:#?}"
    );
    // Nothing is pushed to a client that pulls.
    assert!(!client.pending.iter().any(
        |m| matches!(m, Message::Notification(n) if n.method == "textDocument/publishDiagnostics")
    ));
    assert_eq!(client.stop(), 0);
}

#[test]
fn an_inherited_finding_has_related_information() {
    let uri = "untitled:pod.yaml";
    let mut client = Client::default();
    client.open(uri, "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: false\n  containers:\n  - name: c\n    image: nginx:1.27\n");
    let d = client.diagnostics(uri);
    let inherited = d
        .iter()
        .find(|d| d["code"] == "may-run-as-root" && d["range"]["start"]["line"] == 6)
        .unwrap();
    let related = &inherited["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri);
    assert_eq!(
        related["location"]["range"]["start"],
        json!({"line": 4, "character": 4})
    );
    assert!(related["message"].as_str().unwrap().contains("inherits"));
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_shows_the_rule_page_in_the_client_language() {
    let (uri, text) = tutorial();
    for (locale, heading, link) in [
        ("en-US", "## What it checks", "Try it in the playground"),
        ("fr-FR", "## Ce qu", "Essayez-la dans le bac à sable"),
    ] {
        let (mut client, _) = Client::start(json!({}), json!({ "locale": locale }));
        client.open(&uri, &text);
        let diagnostics = client.diagnostics(&uri);
        let privileged = diagnostics
            .iter()
            .find(|d| d["code"] == "privileged")
            .unwrap();
        let hover = client
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri}, "position": {"line": 12, "character": 14}}),
            )
            .unwrap();
        let page = hover["contents"]["value"].as_str().unwrap();
        assert_eq!(hover["contents"]["kind"], "markdown");
        assert!(page.starts_with("# `privileged`"), "{page}");
        assert!(page.contains(heading), "{locale}: {page}");
        assert!(page.contains(link), "{page}");
        assert!(page.contains("#v1="), "a playground link: {page}");
        assert_eq!(hover["range"], privileged["range"]);
        if locale.starts_with("fr") {
            assert!(
                privileged["message"]
                    .as_str()
                    .unwrap()
                    .contains("conteneur"),
                "{privileged}"
            );
        }
        // Off a finding: nothing.
        let none = client
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}),
            )
            .unwrap();
        assert_eq!(none, Value::Null);
        assert_eq!(client.stop(), 0);
    }
}

#[test]
fn the_language_is_also_a_setting() {
    let (uri, text) = tutorial();
    let (mut client, _) =
        Client::start(json!({}), json!({"initializationOptions": {"lang": "fr"}}));
    client.open(&uri, &text);
    let d = client.diagnostics(&uri);
    assert!(d
        .iter()
        .any(|d| d["message"].as_str().unwrap().contains("conteneur")));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kube-immutable": {"lang": "en"}}}),
    );
    let d = client.diagnostics(&uri);
    assert!(
        d.iter().any(|d| d["message"]
            .as_str()
            .unwrap()
            .contains("container \"nginx\"")),
        "{d:#?}"
    );
    assert_eq!(client.stop(), 0);
}

fn code_actions(client: &mut Client, uri: &str, line: u32, only: Option<&str>) -> Vec<Value> {
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = json!([only]);
    }
    client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri},
                   "range": {"start": {"line": line, "character": 10}, "end": {"line": line, "character": 10}},
                   "context": context}),
        )
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn edits_of(action: &Value, uri: &str) -> Vec<Value> {
    action["edit"]["changes"][uri].as_array().unwrap().clone()
}

#[test]
fn quick_fixes_ignore_and_fix_all_make_what_fix_makes() {
    let (uri, text) = tutorial();
    let mut client = Client::default();
    client.open(&uri, &text);
    client.diagnostics(&uri);

    // On `privileged: true`: its safe fix, preferred, and "ignore".
    let actions = code_actions(&mut client, &uri, 12, Some("quickfix"));
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Set `privileged: false`",
            "Ignore privileged for this object (Pod/nginx-mutable)"
        ]
    );
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["diagnostics"][0]["code"], "privileged");
    let fixed = apply(&text, &edits_of(&actions[0], &uri));
    assert_eq!(fixed, text.replace("privileged: true", "privileged: false"));
    let ignored = apply(&text, &edits_of(&actions[1], &uri));
    assert!(
        ignored.contains("  name: nginx-mutable\n  annotations:\n    kube-immutable.io/ignore: \"privileged: TODO: say why\"\n"),
        "{ignored}"
    );

    // On `runAsUser: 0`: an unsafe fix says so, and is not preferred.
    let actions = code_actions(&mut client, &uri, 14, Some("quickfix"));
    let unsafe_fix = &actions[0];
    assert!(
        unsafe_fix["title"].as_str().unwrap().contains("unsafe"),
        "{unsafe_fix}"
    );
    assert_eq!(unsafe_fix["isPreferred"], false);

    // Fix all, asked for by kind: exactly `kube-immutable fix`'s output.
    let actions = code_actions(&mut client, &uri, 0, Some("source.fixAll"));
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["kind"], "source.fixAll.kube-immutable");
    let all = apply(&text, &edits_of(&actions[0], &uri));
    let fix = common::run_in(&root(), &["fix", "examples/mutable-pod.yaml"], None);
    assert_eq!(all, fix.stdout);

    // Without `only`: the quick fixes and fix all (computed at once for a
    // client that cannot resolve).
    let actions = code_actions(&mut client, &uri, 12, None);
    assert_eq!(actions.len(), 3);
    assert!(actions[2]["edit"].is_object());
    assert_eq!(client.stop(), 0);
}

#[test]
fn fix_all_is_resolved_lazily_for_clients_that_can() {
    let (uri, text) = tutorial();
    let (mut client, _) = Client::start(
        json!({"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}),
        json!({}),
    );
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let actions = code_actions(&mut client, &uri, 12, None);
    let fix_all = actions
        .iter()
        .find(|a| a["kind"] == "source.fixAll.kube-immutable")
        .unwrap();
    assert!(fix_all.get("edit").is_none(), "{fix_all}");
    let resolved = client
        .request("codeAction/resolve", fix_all.clone())
        .unwrap();
    let fix = common::run_in(&root(), &["fix", "examples/mutable-pod.yaml"], None);
    assert_eq!(apply(&text, &edits_of(&resolved, &uri)), fix.stdout);
    assert_eq!(client.stop(), 0);
}

/// A folder that is a repository, holding `files`.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn settings_are_discovered_reloaded_and_an_invalid_file_is_shown() {
    let (_, text) = tutorial();
    let repo = repository(&[
        (".kube-immutable.yaml", "rules:\n  privileged: off\n"),
        ("apps/web/pod.yaml", &text),
    ]);
    let root_dir = repo.path().canonicalize().unwrap();
    let pod = file_uri(&root_dir.join("apps/web/pod.yaml"));
    let config = root_dir.join(".kube-immutable.yaml");
    let config_uri = file_uri(&config);
    let (mut client, _) = Client::start(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        json!({"workspaceFolders": [{"uri": file_uri(&root_dir), "name": "repo"}]}),
    );
    client.open(&pod, &text);
    let d = client.diagnostics(&pod);
    assert!(!codes(&d).contains(&"privileged".to_owned()), "{d:#?}");
    assert!(codes(&d).contains(&"run-as-root".to_owned()));
    // The server asked to watch settings files.
    assert!(client.pending.iter().any(|m| matches!(m, Message::Request(r)
        if r.method == "client/registerCapability"
            && r.params["registrations"][0]["registerOptions"]["watchers"][0]["globPattern"] == "**/.kube-immutable.yaml")));

    // An invalid edit: shown on the settings file, at the faulty key; the
    // last valid settings stay in force.
    std::fs::write(&config, "rules:\n  privileged: off\n  run-as-root: loud\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    let on_config = client.diagnostics(&config_uri);
    assert_eq!(on_config.len(), 1, "{on_config:#?}");
    assert_eq!(
        on_config[0]["range"]["start"],
        json!({"line": 2, "character": 2})
    );
    assert!(on_config[0]["message"]
        .as_str()
        .unwrap()
        .contains("rules.run-as-root"));
    let d = client.diagnostics(&pod);
    assert!(!codes(&d).contains(&"privileged".to_owned()), "{d:#?}");

    // Fixed: the error goes, the new settings apply.
    std::fs::write(&config, "rules:\n  run-as-root: off\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    let d = client.diagnostics(&pod);
    assert!(codes(&d).contains(&"privileged".to_owned()), "{d:#?}");
    assert!(!codes(&d).contains(&"run-as-root".to_owned()), "{d:#?}");
    assert_eq!(client.diagnostics(&config_uri), Vec::<Value>::new());

    // A nearer settings file, created: found after a save of it.
    let nearer = root_dir.join("apps/kube-immutable.yaml");
    std::fs::write(&nearer, "rules:\n  may-run-as-root: error\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file_uri(&nearer)}}),
    );
    let d = client.diagnostics(&pod);
    let may = d.iter().find(|d| d["code"] == "may-run-as-root").unwrap();
    assert_eq!(may["severity"], 1, "{may}");
    assert!(
        codes(&d).contains(&"run-as-root".to_owned()),
        "the nearest file alone applies"
    );

    // A settings file open in the editor: checked as typed.
    client.open(&file_uri(&nearer), "rules:\n  nope: error\n");
    let d = client.diagnostics(&file_uri(&nearer));
    assert_eq!(d[0]["range"]["start"]["line"], 1, "{d:#?}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn files_that_are_not_manifests_get_nothing() {
    let repo = repository(&[]);
    let dir = repo.path().canonicalize().unwrap();
    let mut client = Client::default();
    let cases = [
        ("values.yaml", "replicaCount: 2\nimage:\n  repository: nginx\n  tag: latest\nsecurityContext:\n  privileged: true\n"),
        (".github/workflows/ci.yaml", "on: [push]\njobs:\n  build: {runs-on: ubuntu-latest, steps: [{run: make}]}\n"),
        ("broken.yaml", "a: [\n"),
        ("chart/templates/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n  - name: c\n    image: {{ .Values.image }}\n"),
    ];
    for (name, text) in cases {
        let uri = file_uri(&dir.join(name));
        client.open(&uri, text);
        assert_eq!(client.diagnostics(&uri), Vec::<Value>::new(), "{name}");
    }
    // A manifest being typed, broken: its syntax error is shown.
    let uri = file_uri(&dir.join("pod.yaml"));
    client.open(&uri, "apiVersion: v1\nkind: Pod\nspec: [\n");
    let d = client.diagnostics(&uri);
    assert_eq!(codes(&d), ["syntax"]);
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(client.stop(), 0);
}

/// About 1 MB: the examples repeated as one stream.
fn one_megabyte() -> String {
    let examples: Vec<String> = [
        "examples/mutable-pod.yaml",
        "web/examples/deployment.yaml",
        "web/examples/cronjob.yaml",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(root().join(f)).unwrap())
    .collect();
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1024 * 1024 {
        text.push_str("---\n");
        text.push_str(&examples[i % examples.len()]);
        i += 1;
    }
    text
}

#[test]
fn a_one_megabyte_stream_is_checked_and_an_edit_rechecked() {
    let text = one_megabyte();
    let uri = "untitled:big.yaml";
    let mut client = Client::default();
    client.open(uri, &text);
    let d = client.diagnostics(uri);
    let report = kube_immutable_core::check_text_with_limits(
        &text,
        &kube_immutable_core::Settings::default(),
        &kube_immutable_core::Limits::browser(),
    );
    assert_eq!(d.len(), report.findings.len() + report.errors.len());
    assert!(d.len() > 5_000, "{}", d.len());
    // `privileged: true` → `false` in the first document.
    let line = text
        .lines()
        .position(|l| l.contains("privileged: true"))
        .unwrap() as u64;
    client.change(
        uri,
        2,
        json!([{"range": {"start": {"line": line, "character": 20}, "end": {"line": line, "character": 24}}, "text": "false"}]),
    );
    let after = client.diagnostics(uri);
    assert_eq!(
        after.len(),
        d.len() - 1,
        "the privileged finding of the first pod is gone"
    );
    assert_eq!(client.stop(), 0);
}

/// The client's position of a byte offset: UTF-16 code units, or bytes.
fn position_of(text: &str, offset: usize, utf16: bool) -> Value {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = &before[line_start..];
    let character = if utf16 {
        column.encode_utf16().count()
    } else {
        column.len()
    };
    json!({"line": before.matches('\n').count(), "character": character})
}

/// The byte offset of the `n`th (0-based) `needle` in `text`.
fn nth(text: &str, needle: &str, n: usize) -> usize {
    text.match_indices(needle).nth(n).unwrap().0
}

#[test]
fn diagnostics_after_edits_that_move_lines_are_those_of_the_text_checked_afresh() {
    // About 40 documents: the server re-reads only the edited ones, keeps
    // the index of lines up to date edit by edit, and writes the
    // diagnostics of all the others moved.
    let examples = ["examples/mutable-pod.yaml", "web/examples/deployment.yaml"]
        .map(|f| std::fs::read_to_string(root().join(f)).unwrap());
    let mut start = String::new();
    for i in 0..40 {
        start.push_str("---\n");
        start.push_str(&examples[i % 2]);
    }
    // Each edit: the byte range it replaces in the current text, and the
    // new text there.
    type Edit = fn(&str) -> (usize, usize, String);
    let edits: [Edit; 9] = [
        // A comment line at the start of the third document.
        |t| {
            (
                nth(t, "---\n", 2) + 4,
                nth(t, "---\n", 2) + 4,
                "# a comment\n".into(),
            )
        },
        // Two non-ASCII lines inside a document, before its findings.
        |t| {
            let at = nth(t, "containers:", 5);
            (at, at, "# é😀 one\n# two\n".into())
        },
        // A line removed: the first pod's privileged finding goes.
        |t| {
            let at = nth(t, "privileged: true", 0);
            let start = t[..at].rfind('\n').unwrap() + 1;
            (start, at + t[at..].find('\n').unwrap() + 1, String::new())
        },
        // A document split in two, then two merged.
        |t| (nth(t, "kind:", 7), nth(t, "kind:", 7), "---\n".into()),
        |t| (nth(t, "---\n", 12), nth(t, "---\n", 12) + 4, String::new()),
        // Non-ASCII text before a finding on its line.
        |t| {
            let at = nth(t, "privileged: true", 3);
            let start = t[..at].rfind('\n').unwrap() + 1;
            (start, start, "#é😀\n".into())
        },
        // A range across three documents replaced by one line.
        |t| {
            let from = nth(t, "image:", 20);
            (from, nth(t, "image:", 24), "x: [é]\n  ".into())
        },
        // Typing at the very end, then removing the last document.
        |t| (t.len(), t.len(), "a".into()),
        |t| (t.rfind("---\n").unwrap(), t.len(), String::new()),
    ];
    for utf16 in [true, false] {
        let capabilities = if utf16 {
            json!({})
        } else {
            json!({"general": {"positionEncodings": ["utf-8"]}})
        };
        let (mut client, _) = Client::start(capabilities, json!({}));
        let uri = "untitled:edited.yaml";
        let mut text = start.clone();
        client.open(uri, &text);
        client.diagnostics(uri);
        for (i, edit) in edits.iter().enumerate() {
            let (from, to, new) = edit(&text);
            let range = json!({"start": position_of(&text, from, utf16), "end": position_of(&text, to, utf16)});
            text.replace_range(from..to, &new);
            let version = i32::try_from(i).unwrap() + 2;
            client.change(uri, version, json!([{"range": range, "text": new}]));
            let edited = client.diagnostics(uri);
            let fresh_uri = format!("untitled:fresh-{i}.yaml");
            client.open(&fresh_uri, &text);
            let fresh = serde_json::to_string(&client.diagnostics(&fresh_uri))
                .unwrap()
                .replace(&fresh_uri, uri);
            assert!(edited.len() > 100, "edit {i}: {}", edited.len());
            assert_eq!(
                serde_json::to_string(&edited).unwrap(),
                fresh,
                "edit {i} (UTF-16: {utf16})"
            );
            client.notify(
                "textDocument/didClose",
                json!({"textDocument": {"uri": fresh_uri}}),
            );
        }
        assert_eq!(client.stop(), 0);
    }
}

#[test]
fn garbage_and_bad_requests_never_stop_the_server() {
    let mut client = Client::default();
    let uri = "untitled:garbage.yaml";
    client.open(uri, "\u{feff}\0{[[[: - -\t\r\n---\n&a [*a, *b]\n");
    client.diagnostics(uri);
    // Ranges past the end, inside a surrogate pair, reversed.
    client.change(
        uri,
        2,
        json!([{"text": "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: 😀😀}]}\n"}]),
    );
    client.change(
        uri,
        3,
        json!([
            {"range": {"start": {"line": 99, "character": 5}, "end": {"line": 120, "character": 0}}, "text": "x"},
            {"range": {"start": {"line": 2, "character": 29}, "end": {"line": 2, "character": 28}}, "text": "é"},
            {"range": {"start": {"line": 0, "character": 4000}, "end": {"line": 0, "character": 9000}}, "text": "\n---\n"},
        ]),
    );
    let d = client.diagnostics(uri);
    assert!(d.iter().all(|d| d["source"] == "kube-immutable"));
    // Changes to a document never opened, requests on one never opened.
    client.change("untitled:nope.yaml", 1, json!([{"text": "x"}]));
    for method in [
        "textDocument/hover",
        "textDocument/codeAction",
        "textDocument/diagnostic",
    ] {
        let answer = client.request(
            method,
            json!({"textDocument": {"uri": "untitled:nope.yaml"}, "position": {"line": 0, "character": 0},
                   "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                   "context": {"diagnostics": []}}),
        );
        assert!(answer.is_ok(), "{method}: {answer:?}");
    }
    // Wrong parameters, an unknown method: an error for that request only.
    let e = client
        .request("textDocument/hover", json!({"nope": 1}))
        .unwrap_err();
    assert_eq!(e["code"], -32602);
    let e = client
        .request("textDocument/definition", json!({}))
        .unwrap_err();
    assert_eq!(e["code"], -32601);
    client.notify("textDocument/didChange", json!("garbage"));
    client.notify("$/unknown", json!({}));
    // Still serving.
    client.open("untitled:ok.yaml", "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}\n");
    assert!(codes(&client.diagnostics("untitled:ok.yaml")).contains(&"privileged".to_owned()));
    // A request after shutdown is refused; exit then ends with 0.
    assert_eq!(client.request("shutdown", Value::Null), Ok(Value::Null));
    let e = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], -32600);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), 0);
}

#[test]
fn exit_without_shutdown_exits_1() {
    let mut client = Client::default();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), 1);
    let mut client = Client::default();
    drop(client.stdin.take());
    assert_eq!(client.wait(), 1, "stdin closed");
}

#[test]
fn no_ignore_action_where_the_settings_do_not_honour_the_annotation() {
    let (_, text) = tutorial();
    let repo = repository(&[
        (
            ".kube-immutable.yaml",
            "ignoreAnnotation:\n  rules: [run-as-root]\n",
        ),
        ("pod.yaml", &text),
    ]);
    let uri = file_uri(&repo.path().canonicalize().unwrap().join("pod.yaml"));
    let mut client = Client::default();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let titles = |actions: Vec<Value>| -> Vec<String> {
        actions
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    };
    // `privileged` may not be ignored by annotation here; `run-as-root` may.
    let on_privileged = titles(code_actions(&mut client, &uri, 12, Some("quickfix")));
    assert_eq!(on_privileged, ["Set `privileged: false`"]);
    let on_root = titles(code_actions(&mut client, &uri, 14, Some("quickfix")));
    assert!(
        on_root.iter().any(|t| t.starts_with("Ignore run-as-root")),
        "{on_root:?}"
    );
    assert_eq!(client.stop(), 0);
}
