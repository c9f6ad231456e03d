//! The package's wire format: what `check`, `fix` and `rules` return to
//! JavaScript (plain objects, camelCase keys), and the options they read.
//!
//! Everything here is native Rust on JSON text, so it is tested without a
//! JavaScript engine; `lib.rs` only moves the text across (`JSON.stringify`
//! in, `JSON.parse` out). No rule logic: the core checks and fixes, this
//! module renames fields and picks a language.
//!
//! The TypeScript declarations in `js/index.d.ts` describe these
//! types; a test below keeps the two in step.

use kube_immutable_core::fix::text::fix_text_with_limits;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::rules::FixAvailability;
use kube_immutable_core::{
    check_text_with_limits, Applicability, Diagnostic, ErrorKind, Finding, Limits, Message,
    Position, Report, Settings, RULES,
};
use serde::Serialize;

/// The playground's limits: an editor or a page must stay responsive
/// whatever it is given (8 MiB of text, nesting 100, 200,000 nodes).
pub const LIMITS: Limits = Limits::browser();

/// The language of messages: `fr…` is French, anything else English (what
/// the core's [`Message::get`] reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    fn from_code(code: Option<&str>) -> Self {
        match code {
            Some(code) if code.trim().to_ascii_lowercase().starts_with("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    fn pick(self, message: &Message) -> &str {
        message.get(self.code())
    }
}

/// The keys `check` and `rules` options may have (`CheckOptions` in the .d.ts).
pub const CHECK_OPTIONS: &[&str] = &["lang"];

/// The keys `fix` options may have (`FixOptions` in the .d.ts).
pub const FIX_OPTIONS: &[&str] = &["unsafeFixes", "settings", "lang"];

/// Settings from their JSON text (`None`: the defaults). The error is the
/// core's message.
pub fn settings(json: Option<&str>) -> Result<Settings, String> {
    match json {
        None | Some("null") => Ok(Settings::default()),
        Some(json) => Settings::from_json_str(json).map_err(|e| e.0),
    }
}

/// `toValidatingAdmissionPolicy`: the core writes the YAML stream, or says
/// why these settings cannot be enforced in admission.
pub fn validating_admission_policy(settings: &Settings) -> Result<String, String> {
    kube_immutable_core::export::vap::validating_admission_policy(settings).map_err(|e| e.0)
}

/// The language of a `lang` option: `fr…` is French, anything else English.
pub fn lang(code: Option<&str>) -> Lang {
    Lang::from_code(code)
}

/// Why an options object is refused, if it is: a key outside `allowed`.
pub fn unknown_option(keys: &[String], allowed: &[&str]) -> Option<String> {
    let unknown = keys.iter().find(|k| !allowed.contains(&k.as_str()))?;
    let expected: Vec<String> = allowed.iter().map(|k| format!("`{k}`")).collect();
    Some(format!(
        "invalid options: unknown field `{unknown}`, expected {}",
        expected.join(", ")
    ))
}

/// `check`: findings, input errors and the number of workload objects.
#[derive(Debug, Serialize)]
struct CheckResult<'a> {
    findings: Vec<FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
    objects: usize,
}

/// `fix`: the fixed text, how many fixes were applied, and what is left
/// (findings and input errors of the fixed text).
#[derive(Debug, Serialize)]
struct FixResult<'a> {
    output: &'a str,
    applied: usize,
    remaining: Vec<FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingOut<'a> {
    rule: &'a str,
    severity: &'static str,
    message: &'a str,
    help: &'a str,
    kind: &'a str,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    /// `null` for pod-level findings.
    container: Option<&'a str>,
    document: usize,
    pointer: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    /// UTF-16 offsets from the start of the text (what editors count).
    start: usize,
    end: usize,
    fix: Option<FixOut<'a>>,
}

#[derive(Debug, Serialize)]
struct FixOut<'a> {
    title: &'a str,
    applicability: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorOut<'a> {
    kind: &'static str,
    /// `error`, or `warning` for a problem Kubernetes takes (a duplicate key).
    severity: &'static str,
    message: &'a str,
    document: Option<usize>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    start: usize,
    end: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut {
    id: &'static str,
    default_severity: &'static str,
    summary: &'static str,
    fix: &'static str,
    url: String,
}

/// Where a finding or error without a position (none on the text path)
/// points: the start of the text.
const START: Position = Position {
    line: 1,
    column: 1,
    offset: 0,
    utf16_offset: 0,
};

fn finding(f: &Finding, lang: Lang) -> FindingOut<'_> {
    let start = f.start.unwrap_or(START);
    let end = f.end.unwrap_or(start);
    FindingOut {
        rule: f.rule,
        severity: f.severity.as_str(),
        message: lang.pick(&f.message),
        help: lang.pick(&f.help),
        kind: &f.object.kind,
        name: f.object.name.as_deref(),
        namespace: f.object.namespace.as_deref(),
        container: f.container.as_deref(),
        document: f.object.document,
        pointer: &f.pointer,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        start: start.utf16_offset,
        end: end.utf16_offset,
        fix: f.fix.as_ref().map(|fix| FixOut {
            title: lang.pick(&fix.title),
            applicability: match fix.applicability {
                Applicability::Safe => "safe",
                Applicability::Unsafe => "unsafe",
            },
        }),
    }
}

fn error(e: &Diagnostic, lang: Lang) -> ErrorOut<'_> {
    let start = e.start.unwrap_or(START);
    let end = e.end.unwrap_or(start);
    ErrorOut {
        kind: match e.kind {
            ErrorKind::Syntax => "syntax",
            ErrorKind::DuplicateKey => "duplicate-key",
            ErrorKind::InvalidType => "invalid-type",
            ErrorKind::InvalidValue => "invalid-value",
            ErrorKind::Limit => "limit",
            ErrorKind::IgnoredAnnotation => "ignored-annotation",
        },
        severity: e.severity.as_str(),
        message: lang.pick(&e.message),
        document: e.document,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        start: start.utf16_offset,
        end: end.utf16_offset,
    }
}

fn to_json(value: &impl Serialize) -> Result<String, String> {
    serde_json::to_string(value)
        .map_err(|e| format!("kube-immutable: cannot encode the result: {e}"))
}

fn report_parts(report: &Report, lang: Lang) -> (Vec<FindingOut<'_>>, Vec<ErrorOut<'_>>) {
    (
        report.findings.iter().map(|f| finding(f, lang)).collect(),
        report.errors.iter().map(|e| error(e, lang)).collect(),
    )
}

/// `check` as JSON text.
pub fn check(source: &str, settings: &Settings, lang: Lang) -> Result<String, String> {
    let report = check_text_with_limits(source, settings, &LIMITS);
    let (findings, errors) = report_parts(&report, lang);
    to_json(&CheckResult {
        findings,
        errors,
        objects: report.objects,
    })
}

/// `fix` as JSON text.
pub fn fix(
    source: &str,
    settings: &Settings,
    unsafe_fixes: bool,
    lang: Lang,
) -> Result<String, String> {
    let options = FixOptions { unsafe_fixes };
    let fixed = fix_text_with_limits(source, settings, options, &LIMITS);
    let (remaining, errors) = report_parts(&fixed.remaining, lang);
    to_json(&FixResult {
        output: &fixed.text,
        applied: fixed.applied.len(),
        remaining,
        errors,
    })
}

/// `rules` as JSON text.
pub fn rules(lang: Lang) -> Result<String, String> {
    let rules: Vec<RuleOut> = RULES
        .iter()
        .map(|r| RuleOut {
            id: r.id,
            default_severity: r.default_severity.as_str(),
            summary: r.summary.get(lang.code()),
            fix: match r.fix {
                FixAvailability::Always => "always",
                FixAvailability::Sometimes => "sometimes",
                FixAvailability::None => "none",
            },
            url: r.url(),
        })
        .collect();
    to_json(&rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const MUTABLE: &str = include_str!("../../../examples/mutable-pod.yaml");

    fn checked(source: &str) -> Value {
        serde_json::from_str(&check(source, &Settings::default(), Lang::En).unwrap()).unwrap()
    }

    #[test]
    fn a_finding_has_every_field_camel_cased() {
        let result = checked(MUTABLE);
        let privileged = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "privileged")
            .unwrap();
        let start = MUTABLE.find("privileged: true").unwrap();
        assert_eq!(
            *privileged,
            json!({
                "rule": "privileged",
                "severity": "error",
                "message": privileged["message"],
                "help": privileged["help"],
                "kind": "Pod",
                "name": "nginx-mutable",
                "namespace": null,
                "container": "nginx",
                "document": 0,
                "pointer": "/spec/containers/0/securityContext/privileged",
                "line": 13,
                "column": 9,
                "endLine": 13,
                "endColumn": 25,
                "start": start,
                "end": start + "privileged: true".len(),
                "fix": {"title": "Set `privileged: false`", "applicability": "safe"},
            })
        );
        assert!(privileged["message"]
            .as_str()
            .unwrap()
            .contains("is privileged"));
        assert_eq!(result["objects"], 1);
        assert_eq!(result["errors"], json!([]));
    }

    #[test]
    fn offsets_count_utf16_code_units() {
        // "é" is 2 bytes and 1 UTF-16 unit, "😀" 4 bytes and 2 units.
        let text = "# é😀\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: a, image: x}]\n";
        let result = checked(text);
        let host = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "host-namespaces")
            .unwrap();
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let (start, end) = (
            host["start"].as_u64().unwrap() as usize,
            host["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            String::from_utf16_lossy(&utf16[start..end]),
            "hostPID: true"
        );
        assert_eq!(host["container"], Value::Null);
        assert_eq!(
            (host["line"].as_u64(), host["column"].as_u64()),
            (Some(5), Some(3))
        );
    }

    #[test]
    fn input_errors_have_a_position_and_the_rest_is_checked() {
        let text = "kind: Pod\nspec: [\n---\n".to_owned() + MUTABLE;
        let result = checked(&text);
        let errors = result["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["kind"], "syntax");
        assert_eq!(errors[0]["document"], 0);
        assert!(errors[0]["line"].as_u64().unwrap() >= 2);
        assert_eq!(result["objects"], 1);
        assert!(!result["findings"].as_array().unwrap().is_empty());
    }

    #[test]
    fn french_messages() {
        let fr: Value =
            serde_json::from_str(&check(MUTABLE, &Settings::default(), Lang::Fr).unwrap()).unwrap();
        let en = checked(MUTABLE);
        assert_ne!(fr["findings"][0]["message"], en["findings"][0]["message"]);
        assert_eq!(lang(Some("fr-CA")), Lang::Fr);
        assert_eq!(lang(Some(" FR")), Lang::Fr);
        assert_eq!(lang(Some("de")), Lang::En);
        assert_eq!(lang(None), Lang::En);
    }

    #[test]
    fn bad_settings_and_options_say_why_in_the_core_words() {
        let e = settings(Some(r#"{"rules":{"nope":"off"}}"#)).unwrap_err();
        assert!(
            e.starts_with("invalid settings: unknown rule `nope`"),
            "{e}"
        );
        let e = settings(Some(r#"{"rulez":{}}"#)).unwrap_err();
        assert!(e.contains("unknown field `rulez`"), "{e}");
        let e = settings(Some(r#""text""#)).unwrap_err();
        assert!(
            e.starts_with("invalid settings: invalid type: string"),
            "{e}"
        );
        assert_eq!(settings(None), Ok(Settings::default()));
        assert_eq!(settings(Some("null")), Ok(Settings::default()));
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            unknown_option(&keys(&["lang", "unsafeFix"]), FIX_OPTIONS).as_deref(),
            Some("invalid options: unknown field `unsafeFix`, expected `unsafeFixes`, `settings`, `lang`")
        );
        assert_eq!(unknown_option(&keys(&["lang"]), CHECK_OPTIONS), None);
    }

    #[test]
    fn fix_counts_what_it_applied_and_what_is_left() {
        let s = Settings::default();
        let safe: Value =
            serde_json::from_str(&fix(MUTABLE, &s, false, Lang::En).unwrap()).unwrap();
        assert!(safe["applied"].as_u64().unwrap() >= 3);
        let output = safe["output"].as_str().unwrap();
        assert!(output.contains("privileged: false"));
        let errors: Vec<_> = safe["remaining"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(errors, ["run-as-root"]);
        let all: Value = serde_json::from_str(&fix(MUTABLE, &s, true, Lang::Fr).unwrap()).unwrap();
        assert!(all["remaining"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "error"));
        assert_eq!(all["errors"], json!([]));
    }

    #[test]
    fn rules_list_every_rule() {
        let rules: Value = serde_json::from_str(&rules(Lang::En).unwrap()).unwrap();
        let rules = rules.as_array().unwrap();
        assert_eq!(rules.len(), RULES.len());
        assert_eq!(rules[0]["id"], "privileged");
        assert_eq!(rules[0]["defaultSeverity"], "error");
        assert_eq!(rules[0]["fix"], "always");
        assert!(rules[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/privileged.md"));
    }

    /// The property names of `export interface NAME { ... }` in the .d.ts.
    fn interface_fields(dts: &str, name: &str) -> Vec<String> {
        let head = format!("export interface {name} {{");
        let body = &dts[dts.find(&head).unwrap_or_else(|| panic!("no {head}")) + head.len()..];
        let body = &body[..body.find("\n}").unwrap()];
        let mut fields: Vec<String> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("/**") && !l.starts_with('*') && !l.is_empty())
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(k, _)| k.trim_end_matches('?').to_owned())
            })
            .collect();
        fields.sort();
        fields
    }

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    #[test]
    fn typescript_declarations_match_what_is_returned() {
        let dts = include_str!("../js/index.d.ts");
        let text = "kind: Pod\nspec: [\n---\n".to_owned() + MUTABLE;
        let result = checked(&text);
        assert_eq!(interface_fields(dts, "CheckResult"), keys(&result));
        let f = &result["findings"][0];
        assert_eq!(interface_fields(dts, "Finding"), keys(f));
        assert_eq!(interface_fields(dts, "FindingFix"), keys(&f["fix"]));
        assert_eq!(
            interface_fields(dts, "InputError"),
            keys(&result["errors"][0])
        );
        let fixed: Value =
            serde_json::from_str(&fix(MUTABLE, &Settings::default(), false, Lang::En).unwrap())
                .unwrap();
        assert_eq!(interface_fields(dts, "FixResult"), keys(&fixed));
        let rules: Value = serde_json::from_str(&rules(Lang::En).unwrap()).unwrap();
        assert_eq!(interface_fields(dts, "Rule"), keys(&rules[0]));
        // Options: what the .d.ts offers is what lib.rs accepts.
        let sorted = |keys: &[&str]| {
            let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            keys.sort();
            keys
        };
        assert_eq!(interface_fields(dts, "FixOptions"), sorted(FIX_OPTIONS));
        assert_eq!(interface_fields(dts, "CheckOptions"), sorted(CHECK_OPTIONS));
    }
}
