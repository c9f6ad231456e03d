//! Decode a Kubewarden payload, call the core, encode the answer: the code
//! both faces share (the waPC module through `lib.rs`, the WASI command
//! through `main.rs`, which includes this file as its own module).
//!
//! It depends on neither the SDK nor `wapc-guest` on purpose: linking them
//! into the WASI command would export `__guest_call` and import the `wapc`
//! host functions, which plain WASI runtimes cannot provide. The wire types
//! below mirror the SDK's; a unit test in `lib.rs` keeps them in step.

use kube_immutable_core::fix::{fix_admission, FixOptions};
use kube_immutable_core::Value as NodeValue;
use kube_immutable_core::{Entry, Finding, Mode, Node, Report, Requester, Settings, Severity};

use crate::decode::ObjectNode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Prefix of every message and warning, so operators know who said it.
const PREFIX: &str = "kube-immutable";

/// At most this many findings are listed in a rejection message; kubectl
/// shows the whole message, and a wall of text helps nobody.
const MAX_MESSAGE_LINES: usize = 12;

/// Kubernetes may truncate a warning longer than this.
const MAX_WARNING_CHARS: usize = 256;

/// HTTP status for a rejection because of findings.
pub const CODE_FORBIDDEN: u16 = 403;
/// HTTP status for a request or object that cannot be read.
pub const CODE_BAD_REQUEST: u16 = 400;
/// HTTP status for settings that `validate_settings` should have refused.
pub const CODE_BAD_SETTINGS: u16 = 500;

/// Kubewarden's `ValidationResponse` (snake_case on the wire).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationResponse {
    pub accepted: bool,
    pub message: Option<String>,
    pub code: Option<u16>,
    /// Always `None` in validate mode: a policy deployed with
    /// `mutating: false` that returns an object gets the request rejected.
    pub mutated_object: Option<Value>,
    pub audit_annotations: Option<std::collections::BTreeMap<String, String>>,
    pub warnings: Option<Vec<String>>,
}

/// Kubewarden's `SettingsValidationResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsValidationResponse {
    pub valid: bool,
    pub message: Option<String>,
}

/// The Kubewarden `validate` payload. Fields we do not read are skipped.
/// `O` is how the object is read: [`ObjectNode`] to check it, `Value` to
/// fix it (mutate mode).
#[derive(Debug, Deserialize)]
struct Payload<O> {
    request: AdmissionRequest<O>,
    #[serde(default)]
    settings: Value,
}

/// The parts of a Kubernetes `AdmissionRequest` (camelCase) the policy reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdmissionRequest<O> {
    #[serde(default)]
    kind: Option<GroupVersionKind>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    /// Who asks: the exemptions by username, group and service account.
    #[serde(default)]
    user_info: UserInfo,
    /// `null` (or absent) on `DELETE` and `CONNECT`.
    #[serde(default = "none")]
    object: Option<O>,
}

fn none<O>() -> Option<O> {
    None
}

/// `request.userInfo`: what Kubernetes authenticated, which the object's
/// author cannot write.
#[derive(Debug, Default, Deserialize)]
struct UserInfo {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl UserInfo {
    fn requester(&self) -> Requester<'_> {
        Requester {
            username: self.username.as_deref(),
            groups: &self.groups,
        }
    }
}

#[derive(Debug, Deserialize)]
struct GroupVersionKind {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
}

impl GroupVersionKind {
    /// The object's `apiVersion` (`apps/v1`, or `v1` for the core group),
    /// when the request says.
    fn api_version(&self) -> Option<String> {
        match (self.group.as_str(), self.version.as_str()) {
            (_, "") => None,
            ("", version) => Some(version.to_owned()),
            (group, version) => Some(format!("{group}/{version}")),
        }
    }
}

/// The waPC `validate` operation and the WASI `validate` command: a
/// Kubewarden `ValidationRequest` in, a `ValidationResponse` out (JSON).
pub fn validate(payload: &[u8]) -> Vec<u8> {
    encode(&validate_response(payload))
}

/// [`validate`] before encoding.
pub fn validate_response(payload: &[u8]) -> ValidationResponse {
    // serde would read a struct from a JSON array too, with a confusing
    // message: say what is expected instead.
    if payload.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return reject(
            format!("{PREFIX}: malformed admission request: the payload must be a JSON object `{{\"request\": ..., \"settings\": ...}}`"),
            CODE_BAD_REQUEST,
            None,
        );
    }
    let decoded: Payload<ObjectNode> = match serde_json::from_slice(payload) {
        Ok(decoded) => decoded,
        Err(e) => return malformed(format!("{e}")),
    };
    let settings = match read_settings(decoded.settings) {
        Ok(settings) => settings,
        Err(message) => return reject(format!("{PREFIX}: {message}"), CODE_BAD_SETTINGS, None),
    };
    let request = decoded.request;
    let Some(ObjectNode(mut object)) = request.object.filter(|o| !o.0.is_null()) else {
        return no_object(request.operation.as_deref());
    };
    if object.as_map().is_none() {
        let found = match object.value {
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) | NodeValue::Float(_) => "a number",
            NodeValue::Str(_) => "a string",
            _ => "an array",
        };
        return malformed(format!(
            "`request.object` must be a JSON object, found {found}"
        ));
    }
    complete_node(&mut object, request.kind.as_ref(), request.namespace);
    let report =
        kube_immutable_core::check_admission(&object, &settings, &request.user_info.requester());
    let options = FixOptions {
        unsafe_fixes: settings.unsafe_fixes,
    };
    let fixable = report
        .findings
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|fix| options.allows(fix)));
    // Never fix an object the API server would reject anyway.
    if settings.mode == Mode::Validate || report.has_input_errors() || !fixable {
        return respond(&report);
    }
    // Mutate mode must return the whole object: read it again, completely.
    match serde_json::from_slice::<Payload<Value>>(payload) {
        Ok(Payload {
            request:
                AdmissionRequest {
                    object: Some(object),
                    kind,
                    namespace,
                    user_info,
                    ..
                },
            ..
        }) => mutate(
            object,
            kind.as_ref(),
            namespace,
            &user_info.requester(),
            &settings,
        ),
        Ok(_) => malformed("`request.object` is missing".to_owned()),
        Err(e) => malformed(format!("{e}")),
    }
}

fn malformed(detail: String) -> ValidationResponse {
    reject(
        format!("{PREFIX}: malformed admission request: {detail}"),
        CODE_BAD_REQUEST,
        None,
    )
}

/// `DELETE` and `CONNECT` carry no object; anything else must.
fn no_object(operation: Option<&str>) -> ValidationResponse {
    let operation = operation.unwrap_or_default();
    if matches!(operation, "DELETE" | "CONNECT") {
        return accept(None);
    }
    malformed(format!(
        "`request.object` is missing (operation `{operation}`)"
    ))
}

/// Mutate mode: apply the allowed fixes, check the result again, and return
/// the fixed object unless what remains is still rejected.
fn mutate(
    mut object: Value,
    kind: Option<&GroupVersionKind>,
    namespace: Option<String>,
    requester: &Requester<'_>,
    settings: &Settings,
) -> ValidationResponse {
    let added = complete_object(&mut object, kind, namespace);
    let options = FixOptions {
        unsafe_fixes: settings.unsafe_fixes,
    };
    let outcome = fix_admission(&mut object, settings, requester, options);
    let mut response = respond(&outcome.remaining);
    if !response.accepted || outcome.applied.is_empty() {
        return response;
    }
    let mut notes: Vec<String> = outcome
        .applied
        .iter()
        .map(|fix| {
            truncate(
                format!(
                    "{PREFIX}: fixed {} at {}: {}",
                    fix.rule, fix.pointer, fix.title.en
                ),
                MAX_WARNING_CHARS,
            )
        })
        .collect();
    notes.extend(response.warnings.take().unwrap_or_default());
    response.warnings = Some(notes);
    added.undo(&mut object);
    response.mutated_object = Some(object);
    response
}

/// Turn a report into the admission answer (validate mode).
fn respond(report: &Report) -> ValidationResponse {
    // The request's JSON has no duplicate keys (the decoder keeps the last
    // value), so every input problem here is an error.
    if report.has_input_errors() {
        let mut message = format!("{PREFIX}: the object is invalid:");
        for e in report.errors.iter().filter(|e| e.is_error()) {
            message.push_str("\n- ");
            if let Some(pointer) = &e.pointer {
                message.push_str(pointer);
                message.push_str(": ");
            }
            message.push_str(&e.message.en);
        }
        return reject(message, CODE_BAD_REQUEST, warnings(report));
    }
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        return accept(warnings(report));
    }
    let mut message = format!(
        "{PREFIX}: {} is not immutable ({} finding{}):",
        object_label(errors[0]),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for f in errors.iter().take(MAX_MESSAGE_LINES) {
        message.push_str("\n- ");
        message.push_str(&finding_line(f));
    }
    if errors.len() > MAX_MESSAGE_LINES {
        message.push_str(&format!(
            "\n- ... and {} more (run `kube-immutable check` on the manifest to see them all)",
            errors.len() - MAX_MESSAGE_LINES
        ));
    }
    reject(message, CODE_FORBIDDEN, warnings(report))
}

/// One warning per warning-level input problem (an ignore annotation that
/// is not honoured) and per warning-level finding, or `None` when there is
/// none.
fn warnings(report: &Report) -> Option<Vec<String>> {
    let problems = report
        .errors
        .iter()
        .filter(|e| !e.is_error())
        .map(|e| truncate(format!("{PREFIX}: {}", e.message.en), MAX_WARNING_CHARS));
    let findings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| truncate(format!("{PREFIX}: {}", finding_line(f)), MAX_WARNING_CHARS));
    let list: Vec<String> = problems.chain(findings).collect();
    (!list.is_empty()).then_some(list)
}

/// `rule: Kind/name container "c" at /pointer: what to do`.
fn finding_line(f: &Finding) -> String {
    let mut line = format!("{}: {}", f.rule, object_label(f));
    if let Some(container) = &f.container {
        line.push_str(&format!(" container \"{container}\""));
    }
    line.push_str(&format!(" at {}: {}", f.pointer, f.help.en));
    line
}

fn object_label(f: &Finding) -> String {
    match &f.object.name {
        Some(name) => format!("{}/{}", f.object.kind, name),
        None => f.object.kind.clone(),
    }
}

/// Cut a line to at most `max` characters, marking the cut: after the last
/// whole word when one ends in the last 32 characters kept, else on a
/// character boundary.
fn truncate(mut line: String, max: usize) -> String {
    if line.chars().count() > max {
        if let Some((cut, next)) = line.char_indices().nth(max.saturating_sub(1)) {
            let cut = if next == ' ' {
                cut
            } else {
                line[..cut]
                    .rfind(' ')
                    .filter(|&space| line[space..cut].chars().count() <= 32)
                    .unwrap_or(cut)
            };
            line.truncate(cut);
            line.truncate(line.trim_end().len());
            line.push('…');
        }
    }
    line
}

/// What [`complete_object`] added, to take it out of a mutated object again.
#[derive(Debug, Clone, Copy, Default)]
struct Added {
    api_version: bool,
    kind: bool,
    metadata: bool,
    namespace: bool,
}

impl Added {
    fn undo(self, object: &mut Value) {
        let Value::Object(map) = object else { return };
        if self.api_version {
            map.shift_remove("apiVersion");
        }
        if self.kind {
            map.shift_remove("kind");
        }
        if self.metadata {
            map.shift_remove("metadata");
        } else if self.namespace {
            if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
                metadata.shift_remove("namespace");
            }
        }
    }
}

/// Give the object what the request knows and it may lack: its kind and
/// `apiVersion` (custom resources are workloads by API group and kind:
/// `serving.knative.dev` `Service`, not `v1` `Service`), and the namespace
/// (namespaced objects often arrive without `metadata.namespace`; exempt
/// namespaces are matched on it).
fn complete_object(
    object: &mut Value,
    kind: Option<&GroupVersionKind>,
    namespace: Option<String>,
) -> Added {
    let mut added = Added::default();
    let Value::Object(map) = object else {
        return added;
    };
    if let Some(gvk) = kind {
        if !gvk.kind.is_empty() && !map.contains_key("kind") {
            map.insert("kind".to_owned(), Value::String(gvk.kind.clone()));
            added.kind = true;
        }
        if let Some(api_version) = gvk.api_version() {
            if !map.contains_key("apiVersion") {
                map.insert("apiVersion".to_owned(), Value::String(api_version));
                added.api_version = true;
            }
        }
    }
    let Some(namespace) = namespace.filter(|ns| !ns.is_empty()) else {
        return added;
    };
    if !map.contains_key("metadata") {
        map.insert("metadata".to_owned(), Value::Object(serde_json::Map::new()));
        added.metadata = true;
    }
    if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
        if matches!(metadata.get("namespace"), None | Some(Value::Null)) {
            metadata.insert("namespace".to_owned(), Value::String(namespace));
            added.namespace = true;
        }
    }
    added
}

/// [`complete_object`] on the checked tree (nothing to undo there).
fn complete_node(object: &mut Node, kind: Option<&GroupVersionKind>, namespace: Option<String>) {
    let NodeValue::Map(entries) = &mut object.value else {
        return;
    };
    if let Some(gvk) = kind {
        if !gvk.kind.is_empty() && !entries.iter().any(|e| e.key == "kind") {
            entries.push(entry("kind", NodeValue::Str(gvk.kind.clone())));
        }
        if let Some(api_version) = gvk.api_version() {
            if !entries.iter().any(|e| e.key == "apiVersion") {
                entries.push(entry("apiVersion", NodeValue::Str(api_version)));
            }
        }
    }
    let Some(namespace) = namespace.filter(|ns| !ns.is_empty()) else {
        return;
    };
    if !entries.iter().any(|e| e.key == "metadata") {
        entries.push(entry("metadata", NodeValue::Map(Vec::new())));
    }
    let metadata = entries.iter_mut().find(|e| e.key == "metadata");
    if let Some(NodeValue::Map(metadata)) = metadata.map(|e| &mut e.value.value) {
        match metadata.iter_mut().find(|e| e.key == "namespace") {
            Some(e) if e.value.is_null() => e.value = Node::new(NodeValue::Str(namespace), None),
            Some(_) => {}
            None => metadata.push(entry("namespace", NodeValue::Str(namespace))),
        }
    }
}

fn entry(key: &str, value: NodeValue) -> Entry {
    Entry {
        key: key.to_owned(),
        key_span: None,
        value: Node::new(value, None),
    }
}

/// Settings for one request. `null` (no settings) means the defaults.
/// The settings, validated as admission needs them (a container-name
/// exemption must be tied to images or namespaces).
fn read_settings(value: Value) -> Result<Settings, String> {
    if value.is_null() {
        return Ok(Settings::default());
    }
    let settings = Settings::from_json(value).map_err(|e| e.to_string())?;
    settings
        .validate_for_admission()
        .map_err(|e| e.to_string())?;
    Ok(settings)
}

/// The waPC `validate_settings` operation and the WASI `validate-settings`
/// command: the settings JSON in, `{"valid": bool, "message": ...}` out.
pub fn validate_settings(payload: &[u8]) -> Vec<u8> {
    encode(&validate_settings_response(payload))
}

/// [`validate_settings`] before encoding.
pub fn validate_settings_response(payload: &[u8]) -> SettingsValidationResponse {
    let value: Value = match serde_json::from_slice(payload) {
        Ok(value) => value,
        Err(e) => {
            return SettingsValidationResponse {
                valid: false,
                message: Some(format!("invalid settings: not JSON: {e}")),
            }
        }
    };
    match read_settings(value) {
        Ok(_) => SettingsValidationResponse {
            valid: true,
            message: None,
        },
        Err(message) => SettingsValidationResponse {
            valid: false,
            message: Some(message),
        },
    }
}

/// The answer to `protocol_version`: the JSON string `"v1"`, as the SDK's
/// `ProtocolVersion::V1` serialises.
pub const PROTOCOL_VERSION: &[u8] = br#""v1""#;

fn accept(warnings: Option<Vec<String>>) -> ValidationResponse {
    ValidationResponse {
        accepted: true,
        message: None,
        code: None,
        mutated_object: None,
        audit_annotations: None,
        warnings,
    }
}

fn reject(message: String, code: u16, warnings: Option<Vec<String>>) -> ValidationResponse {
    ValidationResponse {
        accepted: false,
        message: Some(message),
        code: Some(code),
        mutated_object: None,
        audit_annotations: None,
        warnings,
    }
}

/// Serialising these types cannot fail (string keys, no custom impls); the
/// fallback keeps the no-panic invariant without an `unwrap`.
fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|e| {
        format!(
            r#"{{"accepted":false,"valid":false,"message":"{PREFIX}: cannot encode the answer: {}"}}"#,
            e.to_string().replace(['"', '\\'], "'")
        )
        .into_bytes()
    })
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn warnings_are_cut_after_a_whole_word() {
        let line =
            "add back only `NET_BIND_SERVICE` if the container binds a port below 1024".to_owned();
        assert_eq!(truncate(line.clone(), 200), line, "short enough");
        assert_eq!(
            truncate(line.clone(), 60),
            "add back only `NET_BIND_SERVICE` if the container binds a…"
        );
        // One long word: cut inside it, on a character boundary.
        let word = "é".repeat(100);
        let cut = truncate(word, 40);
        assert_eq!(cut.chars().count(), 40);
        assert!(cut.ends_with("éé…"));
        // A word ending right at the limit is kept whole.
        assert_eq!(truncate("abc def ghi".to_owned(), 4), "abc…");
        for max in 1..80 {
            let cut = truncate(line.clone(), max);
            assert!(cut.chars().count() <= max.max(1), "{max}: {cut}");
        }
    }
}
