//! The session: open documents, settings, the client's capabilities, and
//! one handler per message.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use kube_immutable_core::fix::text::{finding_edits, fix_text_with_limits, ignore_edits, TextEdit};
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{
    looks_like_manifest, rules, Applicability, Finding, Limits, Rechecked, Report, Settings, Span,
};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;

use super::convert::{self, DiagnosticsJson, Encoding, JsonLength, JsonOut, Lines};
use super::document::{Checked, Document, Role};
use super::transport::Streamed;
use crate::check::exit;
use crate::config::ConfigError;
use crate::discover::{self, Discovery};
use crate::output::{describe_object, Lang};

/// The code action kind of "fix all safe problems".
pub const FIX_ALL: &str = "source.fixAll.kube-immutable";

/// What an editor may hold: the browser's limits (8 MB, 200,000 nodes per
/// document), so that any paste is answered quickly.
const LIMITS: Limits = Limits::browser();

#[derive(Debug)]
pub struct Server {
    documents: HashMap<lsp::Url, Document>,
    encoding: Encoding,
    lang: Lang,
    /// The language came from a setting: the locale no longer counts.
    lang_set: bool,
    /// The client pulls diagnostics (`textDocument/diagnostic`): nothing
    /// is pushed.
    pull: bool,
    /// The client can be asked to pull again after a settings change.
    refresh: bool,
    /// The client resolves code actions lazily (fix all is computed then).
    resolve: bool,
    /// The client lets the server watch settings files.
    watch: bool,
    discovery: Discovery,
    /// The last settings each settings file gave that were valid: an
    /// invalid edit keeps them in force.
    last_good: HashMap<PathBuf, Settings>,
    /// Settings files shown an error, to clear it once fixed.
    config_errors: HashMap<PathBuf, lsp::Url>,
    shutdown: bool,
    /// Ids of the requests the server sent (registration, refresh).
    next_id: i32,
    /// Messages written as JSON text go to the client piece by piece as
    /// they are written (the stdio transport of `transport.rs`); else (a
    /// connection in memory, in tests) they are parsed back into messages.
    raw: bool,
}

/// The check of a document's current text, lent by [`Server::with_check`].
struct View<'a> {
    text: &'a str,
    lines: Lines<'a>,
    /// The report, borrowed from the document's rechecker: `None` when
    /// nothing is shown (not a manifest, a settings file, a Helm template).
    report: Option<&'a Rechecked<'a>>,
    settings: &'a Settings,
}

impl Server {
    pub fn new(params: &lsp::InitializeParams, raw: bool) -> Self {
        let caps = &params.capabilities;
        let encoding = Encoding::negotiate(
            caps.general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        let text = caps.text_document.as_ref();
        let pull = text.and_then(|t| t.diagnostic.as_ref()).is_some();
        let refresh = caps
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostic.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        let resolve = text
            .and_then(|t| t.code_action.as_ref())
            .and_then(|c| c.resolve_support.as_ref())
            .is_some_and(|r| r.properties.iter().any(|p| p == "edit"));
        let watch = caps
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| f.uri.to_file_path().ok())
            .collect();
        #[allow(deprecated)] // the root of clients without workspace folders
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()));
        }
        let mut server = Server {
            documents: HashMap::new(),
            encoding,
            lang: locale(params.locale.as_deref()),
            lang_set: false,
            pull,
            refresh,
            resolve,
            watch,
            discovery: Discovery::new(roots),
            last_good: HashMap::new(),
            config_errors: HashMap::new(),
            shutdown: false,
            next_id: 0,
            raw,
        };
        if let Some(options) = &params.initialization_options {
            server.configure(options);
        }
        server
    }

    pub fn capabilities(&self) -> lsp::ServerCapabilities {
        lsp::ServerCapabilities {
            position_encoding: Some(self.encoding.kind()),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..lsp::TextDocumentSyncOptions::default()
                },
            )),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp::CodeActionKind::QUICKFIX,
                        lsp::CodeActionKind::from(FIX_ALL),
                    ]),
                    resolve_provider: Some(true),
                    work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
                },
            )),
            diagnostic_provider: Some(lsp::DiagnosticServerCapabilities::Options(
                lsp::DiagnosticOptions {
                    identifier: Some(convert::SOURCE.to_owned()),
                    inter_file_dependencies: false,
                    workspace_diagnostics: false,
                    work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
                },
            )),
            ..lsp::ServerCapabilities::default()
        }
    }

    /// Settings the client sends (`initializationOptions`, or
    /// `workspace/didChangeConfiguration`): `{"lang": "fr"}`, also under a
    /// `kube-immutable` key.
    fn configure(&mut self, options: &serde_json::Value) {
        let options = options.get("kube-immutable").unwrap_or(options);
        if let Some(lang) = options.get("lang").and_then(|l| l.as_str()) {
            self.lang = locale(Some(lang));
            self.lang_set = true;
        }
    }

    /// The main loop: handle every message waiting, then check the
    /// documents that changed and publish, so a burst of edits is checked
    /// once.
    pub fn run(&mut self, connection: &Connection) -> u8 {
        if self.watch {
            self.register_watchers(connection);
        }
        loop {
            let Ok(message) = connection.receiver.recv() else {
                return exit::FINDINGS; // the client went away without `exit`
            };
            if let Some(code) = self.dispatch(connection, message) {
                return code;
            }
            while let Ok(message) = connection.receiver.try_recv() {
                if let Some(code) = self.dispatch(connection, message) {
                    return code;
                }
            }
            self.publish_changed(connection);
        }
    }

    /// Handle one message; `Some(code)` once the session is over.
    fn dispatch(&mut self, connection: &Connection, message: Message) -> Option<u8> {
        match message {
            Message::Request(request) => {
                if request.method == lsp::request::Shutdown::METHOD {
                    self.shutdown = true;
                    let _ = connection
                        .sender
                        .send(Response::new_ok(request.id, ()).into());
                    return None;
                }
                let id = request.id.clone();
                let response = if self.shutdown {
                    Response::new_err(
                        id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".to_owned(),
                    )
                } else {
                    match catch_unwind(AssertUnwindSafe(|| self.request(connection, request))) {
                        Ok(Some(response)) => response,
                        // Answered already, as JSON text.
                        Ok(None) => return None,
                        Err(panic) => Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            format!(
                                "kube-immutable lsp: internal error: {}",
                                panic_message(&panic)
                            ),
                        ),
                    }
                };
                let _ = connection.sender.send(response.into());
                None
            }
            Message::Notification(n) if n.method == lsp::notification::Exit::METHOD => {
                Some(if self.shutdown {
                    exit::OK
                } else {
                    exit::FINDINGS
                })
            }
            Message::Notification(n) => {
                let method = n.method.clone();
                if let Err(panic) =
                    catch_unwind(AssertUnwindSafe(|| self.notification(connection, n)))
                {
                    log(
                        connection,
                        lsp::MessageType::ERROR,
                        &format!(
                            "kube-immutable lsp: internal error in {method}: {}",
                            panic_message(&panic)
                        ),
                    );
                }
                None
            }
            // Answers to the server's own requests (registration, refresh).
            Message::Response(_) => None,
        }
    }

    /// The answer to a request; `None` when the handler sent it itself.
    fn request(&mut self, connection: &Connection, request: Request) -> Option<Response> {
        let id = request.id.clone();
        let method = request.method.clone();
        let result = match method.as_str() {
            lsp::request::DocumentDiagnosticRequest::METHOD => {
                match params::<lsp::DocumentDiagnosticParams>(request) {
                    Ok(p) => {
                        self.pull_diagnostics(connection, &id, &p);
                        return None;
                    }
                    Err(e) => Err(e),
                }
            }
            lsp::request::CodeActionRequest::METHOD => {
                params(request).map(|p| to_json(&self.code_actions(connection, &p)))
            }
            lsp::request::CodeActionResolveRequest::METHOD => {
                params(request).map(|p| to_json(&self.resolve_code_action(connection, p)))
            }
            lsp::request::HoverRequest::METHOD => {
                params(request).map(|p| to_json(&self.hover(connection, &p)))
            }
            // A handler with a bug, for the test that the server survives one.
            #[cfg(test)]
            "kube-immutable/test-panic" => panic!("a bug in a handler"),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("kube-immutable lsp does not handle `{other}`"),
            )),
        };
        Some(match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        })
    }

    fn notification(&mut self, connection: &Connection, n: Notification) {
        use lsp::notification as note;
        let Notification { method, params } = n;
        match method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(params) {
                    let d = p.text_document;
                    self.documents
                        .insert(d.uri.clone(), Document::new(d.uri, d.version, d.text));
                }
            }
            note::DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(params) {
                    let encoding = self.encoding;
                    if let Some(doc) = self.documents.get_mut(&p.text_document.uri) {
                        doc.change(p.text_document.version, p.content_changes, encoding);
                    }
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidSaveTextDocumentParams>(params) {
                    // A settings file written from the editor: read it again
                    // (clients that do not watch files say so this way).
                    if p.text_document
                        .uri
                        .to_file_path()
                        .is_ok_and(|p| discover::is_config_file(&p))
                    {
                        self.settings_changed(connection);
                    }
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(params) {
                    if self.documents.remove(&p.text_document.uri).is_some() && !self.pull {
                        publish(connection, p.text_document.uri, Vec::new(), None);
                    }
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeWatchedFilesParams>(params) {
                    let settings_file = p.changes.iter().any(|c| {
                        c.uri
                            .to_file_path()
                            .is_ok_and(|p| discover::is_config_file(&p))
                    });
                    if settings_file {
                        self.settings_changed(connection);
                    }
                }
            }
            note::DidChangeConfiguration::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeConfigurationParams>(params) {
                    self.configure(&p.settings);
                    self.settings_changed(connection);
                }
            }
            _ => {} // `initialized`, `$/cancelRequest`, `$/setTrace`...
        }
    }

    /// Settings files or the language changed: find and read them again,
    /// check every document again.
    fn settings_changed(&mut self, connection: &Connection) {
        self.discovery.forget();
        for doc in self.documents.values_mut() {
            doc.checked = None;
        }
        if self.pull {
            // Settings files' own errors are pushed even to pulling clients.
            self.check_all(connection);
            if self.refresh {
                self.next_id += 1;
                let request = Request::new(
                    RequestId::from(format!("kube-immutable/refresh/{}", self.next_id)),
                    lsp::request::WorkspaceDiagnosticRefresh::METHOD.to_owned(),
                    (),
                );
                let _ = connection.sender.send(request.into());
            }
        }
    }

    fn register_watchers(&mut self, connection: &Connection) {
        let watchers = discover::CONFIG_NAMES
            .iter()
            .map(|name| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String(format!("**/{name}")),
                kind: None,
            })
            .collect();
        let registration = lsp::Registration {
            id: "kube-immutable/settings-files".to_owned(),
            method: lsp::notification::DidChangeWatchedFiles::METHOD.to_owned(),
            register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        self.next_id += 1;
        let request = Request::new(
            RequestId::from(format!("kube-immutable/register/{}", self.next_id)),
            lsp::request::RegisterCapability::METHOD.to_owned(),
            lsp::RegistrationParams {
                registrations: vec![registration],
            },
        );
        let _ = connection.sender.send(request.into());
    }

    /// Check the documents whose text changed; push their diagnostics
    /// unless the client pulls them.
    fn publish_changed(&mut self, connection: &Connection) {
        if self.pull {
            return;
        }
        let stale: Vec<lsp::Url> = self
            .documents
            .values()
            .filter(|d| d.checked.is_none())
            .map(|d| d.uri.clone())
            .collect();
        for uri in stale {
            let mut prefix =
                br#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#
                    .to_vec();
            convert::string(&mut prefix, uri.as_str());
            prefix.extend_from_slice(br#","diagnostics":"#);
            let mut suffix = br#","version":"#.to_vec();
            let version = self.documents.get(&uri).map_or(0, |d| d.version);
            suffix.extend_from_slice(itoa::Buffer::new().format(version).as_bytes());
            suffix.extend_from_slice(b"}}");
            let sent = catch_unwind(AssertUnwindSafe(|| {
                self.send_diagnostics(connection, &uri, &prefix, &suffix);
            }));
            if let Err(panic) = sent {
                // Shown as checked with nothing found, so that the same
                // text is not tried again on every message.
                if let Some(doc) = self.documents.get_mut(&uri) {
                    doc.checked = Some(Checked { manifest: false });
                }
                log(
                    connection,
                    lsp::MessageType::ERROR,
                    &format!(
                        "kube-immutable lsp: internal error checking {uri}: {}",
                        panic_message(&panic)
                    ),
                );
                publish(connection, uri, Vec::new(), Some(version));
            }
        }
    }

    /// Send a document's diagnostics (checked first if needed) as a JSON
    /// array between `prefix` and `suffix`: the rest of the message.
    fn send_diagnostics(
        &mut self,
        connection: &Connection,
        uri: &lsp::Url,
        prefix: &[u8],
        suffix: &[u8],
    ) {
        let (encoding, lang, pieces) = (self.encoding, self.lang, self.raw);
        let send = |text: &[u8]| {
            let length = prefix.len() + text.len() + suffix.len();
            let mut out = Streamed::start(&connection.sender, pieces, length);
            for part in [prefix, text, suffix] {
                out.bytes(part);
            }
        };
        let settings_file = self
            .documents
            .get_mut(uri)
            .filter(|d| d.role() == Role::Settings);
        if let Some(doc) = settings_file {
            doc.checked = Some(Checked { manifest: false });
            // The buffer as typed, before it is saved.
            let name = doc
                .path
                .as_ref()
                .map_or_else(String::new, |p| p.display().to_string());
            let diagnostics = match crate::config::parse(&name, doc.text().to_owned()) {
                Ok(_) => Vec::new(),
                Err(error) => config_diagnostics(&error, encoding, lang),
            };
            send(&serde_json::to_vec(&diagnostics).unwrap_or_else(|_| b"[]".to_vec()));
            return;
        }
        let sent = self.with_check(connection, uri, |view| {
            let Some(report) = view.report else {
                send(b"[]");
                return;
            };
            // The text's length first, then the text, sent as it is written.
            let mut json = DiagnosticsJson::new(uri, view.lines, lang);
            let mut length = JsonLength::default();
            json.list(&mut length, report.errors(), report.findings());
            let length = prefix.len() + length.0 + suffix.len();
            let mut out = Streamed::start(&connection.sender, pieces, length);
            out.bytes(prefix);
            json.list(&mut out, report.errors(), report.findings());
            out.bytes(suffix);
        });
        if sent.is_none() {
            send(b"[]");
        }
    }

    fn check_all(&mut self, connection: &Connection) {
        let uris: Vec<lsp::Url> = self.documents.keys().cloned().collect();
        for uri in uris {
            self.with_check(connection, &uri, |_| ());
        }
    }

    /// The settings for a file in `dir`. An invalid settings file is shown
    /// as a diagnostic on it, and its last valid settings stay in force (the
    /// defaults before any).
    fn settings_for(&mut self, connection: &Connection, dir: Option<&Path>) -> Settings {
        let Some(config) = dir.and_then(|d| self.discovery.config_for(d)) else {
            return Settings::default();
        };
        let loaded = self.discovery.load(&config).clone();
        match loaded {
            Ok(settings) => {
                self.last_good.insert(config.clone(), settings.clone());
                if let Some(uri) = self.config_errors.remove(&config) {
                    publish(connection, uri, Vec::new(), None);
                }
                settings
            }
            Err(error) => {
                if let Ok(uri) = lsp::Url::from_file_path(&config) {
                    let diagnostics = config_diagnostics(&error, self.encoding, self.lang);
                    self.config_errors.insert(config.clone(), uri.clone());
                    publish(connection, uri, diagnostics, None);
                }
                self.last_good.get(&config).cloned().unwrap_or_default()
            }
        }
    }

    /// Lend `f` the check of a document's current text, checking it first
    /// if it was not: the text, its lines, the report borrowed from the
    /// document's rechecker (when the text is a manifest shown), and its
    /// settings. Asking again about a text already checked reads none of
    /// it again: the rechecker finds every document's results where it
    /// left them (a pass over the text).
    fn with_check<R>(
        &mut self,
        connection: &Connection,
        uri: &lsp::Url,
        f: impl FnOnce(View<'_>) -> R,
    ) -> Option<R> {
        let doc = self.documents.get(uri)?;
        let role = doc.role();
        let dir = doc
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf);
        let settings = if role == Role::Yaml {
            self.settings_for(connection, dir.as_deref())
        } else {
            Settings::default()
        };
        let encoding = self.encoding;
        let doc = self.documents.get_mut(uri)?;
        if role != Role::Yaml || doc.checked.is_some_and(|c| !c.manifest) {
            doc.checked = Some(Checked { manifest: false });
            return Some(f(View {
                text: doc.text(),
                lines: doc.lines(encoding),
                report: None,
                settings: &settings,
            }));
        }
        let Document {
            edited,
            index,
            rechecker,
            checked,
            ..
        } = doc;
        // The rechecker keeps the text it checks: the document's one copy.
        let report = match edited.take() {
            Some(text) => rechecker.check_owned(text, &settings, &LIMITS),
            None => rechecker.recheck(&settings, &LIMITS),
        };
        let text = report.text();
        let manifest = checked.map_or_else(|| is_manifest(text, &report), |c| c.manifest);
        *checked = Some(Checked { manifest });
        Some(f(View {
            text,
            lines: Lines {
                text,
                index,
                encoding,
            },
            report: manifest.then_some(&report),
            settings: &settings,
        }))
    }

    /// `textDocument/diagnostic`: the answer, sent as JSON text.
    fn pull_diagnostics(
        &mut self,
        connection: &Connection,
        id: &RequestId,
        p: &lsp::DocumentDiagnosticParams,
    ) {
        let mut prefix = br#"{"jsonrpc":"2.0","id":"#.to_vec();
        let _ = serde_json::to_writer(&mut prefix, id);
        prefix.extend_from_slice(br#","result":{"kind":"full","items":"#);
        self.send_diagnostics(connection, &p.text_document.uri, &prefix, b"}}");
    }

    fn code_actions(
        &mut self,
        connection: &Connection,
        p: &lsp::CodeActionParams,
    ) -> Option<lsp::CodeActionResponse> {
        let uri = &p.text_document.uri;
        let lang = self.lang;
        let wanted = |kind: &lsp::CodeActionKind| {
            p.context.only.as_ref().is_none_or(|only| {
                only.iter().any(|o| {
                    kind.as_str() == o.as_str()
                        || kind.as_str().starts_with(&format!("{}.", o.as_str()))
                })
            })
        };
        let (mut actions, any_safe) = self.with_check(connection, uri, |view| {
            let mut actions = Vec::new();
            let Some(report) = view.report else {
                return (actions, false);
            };
            let (text, lines, settings) = (view.text, view.lines, view.settings);
            let edit_of = |edits: Vec<TextEdit>| lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(
                    uri.clone(),
                    edits.iter().map(|e| lines.edit(e)).collect(),
                )])),
                ..lsp::WorkspaceEdit::default()
            };
            if wanted(&lsp::CodeActionKind::QUICKFIX) {
                let span = lines.span(p.range);
                let mut ignored: Vec<(&str, &str)> = Vec::new();
                for f in findings_at(report, span) {
                    let diagnostic = convert::finding(uri, &lines, f, lang);
                    if let Some(fix) = &f.fix {
                        if let Some(edits) = finding_edits(text, f, &LIMITS) {
                            let mut title = lang.get(&fix.title).to_owned();
                            if fix.applicability == Applicability::Unsafe {
                                title.push_str(lang.pick(
                                    " (unsafe: may break the workload)",
                                    " (risqué : peut casser la charge de travail)",
                                ));
                            }
                            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                                title,
                                kind: Some(lsp::CodeActionKind::QUICKFIX),
                                diagnostics: Some(vec![diagnostic.clone()]),
                                edit: Some(edit_of(edits)),
                                is_preferred: Some(fix.applicability == Applicability::Safe),
                                ..lsp::CodeAction::default()
                            }));
                        }
                    }
                    // One "ignore" per rule and object, however many findings;
                    // none where the settings would not honour the annotation.
                    let honoured = settings.annotation_allowed(false)
                        && settings.annotation_may_ignore(f.rule, f.object.namespace.as_deref());
                    if !honoured || ignored.contains(&(f.rule, f.object.pointer.as_str())) {
                        continue;
                    }
                    ignored.push((f.rule, f.object.pointer.as_str()));
                    let reason = lang.pick("TODO: say why", "TODO : dire pourquoi");
                    if let Some(edits) = ignore_edits(text, f, reason, &LIMITS) {
                        let object = describe_object(&f.object, None, lang);
                        actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                            title: match lang {
                                Lang::En => format!("Ignore {} for this object ({object})", f.rule),
                                Lang::Fr => format!("Ignorer {} pour cet objet ({object})", f.rule),
                            },
                            kind: Some(lsp::CodeActionKind::QUICKFIX),
                            diagnostics: Some(vec![diagnostic]),
                            edit: Some(edit_of(edits)),
                            is_preferred: Some(false),
                            ..lsp::CodeAction::default()
                        }));
                    }
                }
            }
            let any_safe = report.findings().any(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|x| x.applicability == Applicability::Safe)
            });
            (actions, any_safe)
        })?;
        let fix_all = lsp::CodeActionKind::from(FIX_ALL);
        if wanted(&fix_all) && any_safe {
            let asked = p
                .context
                .only
                .as_ref()
                .is_some_and(|only| only.iter().any(|o| o.as_str().starts_with("source")));
            let mut action = lsp::CodeAction {
                title: lang
                    .pick(
                        "Fix all safe problems",
                        "Corriger tous les problèmes (corrections sûres)",
                    )
                    .to_owned(),
                kind: Some(fix_all),
                data: Some(serde_json::json!({ "uri": uri })),
                ..lsp::CodeAction::default()
            };
            // Computed now when asked for by name or when the client
            // cannot resolve: it costs a full fix of the document.
            if asked || !self.resolve {
                action.edit = self.fix_all_edit(connection, uri);
            }
            actions.push(lsp::CodeActionOrCommand::CodeAction(action));
        }
        Some(actions)
    }

    fn resolve_code_action(
        &mut self,
        connection: &Connection,
        mut action: lsp::CodeAction,
    ) -> lsp::CodeAction {
        if action.edit.is_none() && action.kind.as_ref().is_some_and(|k| k.as_str() == FIX_ALL) {
            let uri = action
                .data
                .as_ref()
                .and_then(|d| d.get("uri"))
                .and_then(|u| serde_json::from_value::<lsp::Url>(u.clone()).ok());
            if let Some(uri) = uri {
                action.edit = self.fix_all_edit(connection, &uri);
            }
        }
        action
    }

    /// Every safe fix, as `kube-immutable fix` makes them (in rounds), sent
    /// as the lines they change.
    fn fix_all_edit(
        &mut self,
        connection: &Connection,
        uri: &lsp::Url,
    ) -> Option<lsp::WorkspaceEdit> {
        let dir = self
            .documents
            .get(uri)?
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf);
        let settings = self.settings_for(connection, dir.as_deref());
        let doc = self.documents.get(uri)?;
        let fixed = fix_text_with_limits(doc.text(), &settings, FixOptions::default(), &LIMITS);
        let lines = doc.lines(self.encoding);
        let edits = convert::diff_edits(doc.text(), &fixed.text);
        Some(lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(
                uri.clone(),
                edits.iter().map(|e| lines.edit(e)).collect(),
            )])),
            ..lsp::WorkspaceEdit::default()
        })
    }

    /// On a finding: its rule's page and the link that opens its example in
    /// the playground.
    fn hover(&mut self, connection: &Connection, p: &lsp::HoverParams) -> Option<lsp::Hover> {
        let uri = &p.text_document_position_params.text_document.uri;
        let lang = self.lang;
        let position = p.text_document_position_params.position;
        self.with_check(connection, uri, |view| {
            let report = view.report?;
            let lines = view.lines;
            let at = lines.offset(position);
            let mut seen: Vec<&str> = Vec::new();
            let mut pages = Vec::new();
            let mut range: Option<Span> = None;
            for f in findings_at(report, Span::empty(at)) {
                if let Some(s) = f.span {
                    range = Some(range.map_or(s, |r| r.cover(s)));
                }
                if seen.contains(&f.rule) {
                    continue;
                }
                seen.push(f.rule);
                let Some(rule) = rules::by_id(f.rule) else {
                    continue;
                };
                let mut page = rule.docs_markdown_in(lang.code());
                page.push_str(&format!(
                    "\n\n[{}]({})",
                    lang.pick("Rule page", "Page de la règle"),
                    rule.url_in(lang.code())
                ));
                if let Some(link) = crate::playground::rule_link(rule, lang.code()) {
                    page.push_str(&format!(
                        " · [{}]({link})",
                        lang.pick("Try it in the playground", "Essayez-la dans le bac à sable")
                    ));
                }
                pages.push(page);
            }
            if pages.is_empty() {
                return None;
            }
            Some(lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: pages.join("\n\n---\n\n"),
                }),
                range: range.map(|r| lines.range_of(r)),
            })
        })?
    }
}

/// The findings of a report whose span meets `span` (a cursor inside or at
/// either end counts).
fn findings_at<'a>(report: &Rechecked<'a>, span: Span) -> Vec<&'a Finding> {
    report
        .findings()
        .filter(|f| {
            f.span
                .is_some_and(|s| s.start <= span.end && span.start <= s.end)
        })
        .collect()
}

/// Whether a checked text is a manifest to show findings in
/// (`looks_like_manifest`, which reads only the report's input errors and
/// how many documents are objects).
fn is_manifest(text: &str, report: &Rechecked<'_>) -> bool {
    let summary = Report {
        errors: report.errors().to_vec(),
        manifests: report.manifests(),
        ..Report::default()
    };
    looks_like_manifest(text, &summary)
}

/// The client's language: French for `fr`, `fr-FR`, `fr_CA`; else English.
fn locale(tag: Option<&str>) -> Lang {
    match tag {
        Some(t) if t.to_ascii_lowercase().starts_with("fr") => Lang::Fr,
        _ => Lang::En,
    }
}

/// An invalid settings file as one diagnostic at the faulty key.
fn config_diagnostics(error: &ConfigError, encoding: Encoding, lang: Lang) -> Vec<lsp::Diagnostic> {
    let text = error.text.as_deref().unwrap_or("");
    let index = kube_immutable_core::LineIndex::new(text);
    let lines = convert::Lines {
        text,
        index: &index,
        encoding,
    };
    let range = error.span.map(|s| lines.range_of(s)).unwrap_or_default();
    let message = match &error.key {
        Some(key) => format!(
            "{} `{key}`: {}",
            lang.pick("invalid settings at", "réglages invalides à"),
            error.message
        ),
        None => format!(
            "{}: {}",
            lang.pick("invalid settings", "réglages invalides"),
            error.message
        ),
    };
    vec![lsp::Diagnostic {
        range,
        severity: Some(lsp::DiagnosticSeverity::ERROR),
        code: Some(lsp::NumberOrString::String("invalid-settings".to_owned())),
        source: Some(convert::SOURCE.to_owned()),
        message: format!(
            "{message} ({})",
            lang.pick(
                "the last valid settings stay in force",
                "les derniers réglages valides restent en vigueur"
            )
        ),
        ..lsp::Diagnostic::default()
    }]
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn params<P: serde::de::DeserializeOwned>(request: Request) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(request.params)
        .map_err(|e| (ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
}

fn publish(
    connection: &Connection,
    uri: lsp::Url,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
) {
    let params = lsp::PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    let _ = connection.sender.send(
        Notification::new(
            lsp::notification::PublishDiagnostics::METHOD.to_owned(),
            params,
        )
        .into(),
    );
}

fn log(connection: &Connection, typ: lsp::MessageType, message: &str) {
    eprintln!("{message}");
    let _ = connection.sender.send(
        Notification::new(
            lsp::notification::LogMessage::METHOD.to_owned(),
            lsp::LogMessageParams {
                typ,
                message: message.to_owned(),
            },
        )
        .into(),
    );
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

#[cfg(test)]
mod tests {
    use lsp_server::{Connection, Message, Notification, Request, RequestId};
    use serde_json::json;

    fn request(
        client: &Connection,
        id: i32,
        method: &str,
        params: serde_json::Value,
    ) -> lsp_server::Response {
        client
            .sender
            .send(Request::new(RequestId::from(id), method.to_owned(), params).into())
            .unwrap();
        loop {
            match client.receiver.recv().unwrap() {
                Message::Response(r) if r.id == RequestId::from(id) => return r,
                _ => {}
            }
        }
    }

    #[test]
    fn a_bug_in_a_handler_answers_that_request_with_an_error_and_the_server_goes_on() {
        let (server, client) = Connection::memory();
        let thread = std::thread::spawn(move || super::super::serve(&server, false));
        let init = request(&client, 1, "initialize", json!({"capabilities": {}}));
        assert!(init.error.is_none());
        client
            .sender
            .send(Notification::new("initialized".to_owned(), json!({})).into())
            .unwrap();
        let panicked = request(&client, 2, "kube-immutable/test-panic", json!({}));
        let error = panicked.error.unwrap();
        assert_eq!(error.code, lsp_server::ErrorCode::InternalError as i32);
        assert!(
            error.message.contains("a bug in a handler"),
            "{}",
            error.message
        );
        client
            .sender
            .send(
                Notification::new(
                    "textDocument/didOpen".to_owned(),
                    json!({"textDocument": {"uri": "untitled:a.yaml", "languageId": "yaml", "version": 1,
                        "text": "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}\n"}}),
                )
                .into(),
            )
            .unwrap();
        let hover = request(
            &client,
            3,
            "textDocument/hover",
            json!({"textDocument": {"uri": "untitled:a.yaml"}, "position": {"line": 2, "character": 70}}),
        );
        assert!(hover.result.unwrap()["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("privileged"));
        assert!(request(&client, 4, "shutdown", json!(null)).error.is_none());
        client
            .sender
            .send(Notification::new("exit".to_owned(), json!(null)).into())
            .unwrap();
        assert_eq!(thread.join().unwrap(), 0);
    }
}
