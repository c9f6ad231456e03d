//! Property tests: generated workloads written as block YAML, flow YAML and
//! JSON text; and fuzzing with arbitrary text and YAML token soup.
//!
//! Invariants: no panic; every span is in bounds and on char boundaries;
//! positions agree with spans; a finding's pointer resolves to the node it
//! marks (or, for a missing field, its longest existing prefix contains the
//! span); YAML text and the same object as JSON (`check_json`) give the same
//! findings and type errors, modulo spans.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use kube_immutable_core::node::Node;
use kube_immutable_core::span::Span;
use kube_immutable_core::workload::WORKLOAD_KINDS;
use kube_immutable_core::yaml::parse_stream;
use kube_immutable_core::{check_json, check_text, ErrorKind, Limits, Position, Report, Settings};
use proptest::prelude::*;
use serde_json::Value as Json;

// ------------------------------------------------------------------ model

/// A generated value: how to write it and what Kubernetes reads.
#[derive(Debug, Clone)]
enum V {
    /// YAML spelling (plain, quoted or tagged) and its JSON meaning.
    Scalar(String, Json),
    /// Entries (keys may repeat: the last one wins) and flow style.
    Map(Vec<(String, V)>, bool),
    Seq(Vec<V>, bool),
}

impl V {
    fn map(entries: Vec<(&str, V)>, flow: bool) -> V {
        V::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            flow,
        )
    }

    fn json(&self) -> Json {
        match self {
            V::Scalar(_, j) => j.clone(),
            V::Map(entries, _) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    m.insert(k.clone(), v.json()); // last value wins
                }
                Json::Object(m)
            }
            V::Seq(items, _) => Json::Array(items.iter().map(V::json).collect()),
        }
    }

    fn has_duplicate_keys(&self) -> bool {
        match self {
            V::Scalar(..) => false,
            V::Map(entries, _) => {
                let mut keys: Vec<_> = entries.iter().map(|(k, _)| k).collect();
                keys.sort();
                keys.windows(2).any(|w| w[0] == w[1])
                    || entries.iter().any(|(_, v)| v.has_duplicate_keys())
            }
            V::Seq(items, _) => items.iter().any(V::has_duplicate_keys),
        }
    }

    fn inline(&self) -> Option<String> {
        match self {
            V::Scalar(s, _) => Some(s.clone()),
            V::Map(e, flow) if *flow || e.is_empty() => Some(self.flow()),
            V::Seq(i, flow) if *flow || i.is_empty() => Some(self.flow()),
            _ => None,
        }
    }

    fn flow(&self) -> String {
        match self {
            V::Scalar(s, _) => s.clone(),
            V::Map(entries, _) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.flow()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            V::Seq(items, _) => format!(
                "[{}]",
                items.iter().map(V::flow).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Block style at `indent`, for a collection that starts on its own line.
    fn block(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            V::Map(entries, _) => {
                for (k, v) in entries {
                    match v.inline() {
                        Some(s) => out.push_str(&format!("{pad}{k}: {s}\n")),
                        None => {
                            out.push_str(&format!("{pad}{k}:\n"));
                            v.block(indent + 2, out);
                        }
                    }
                }
            }
            V::Seq(items, _) => {
                for v in items {
                    match v.inline() {
                        Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                        None => {
                            out.push_str(&format!("{pad}-\n"));
                            v.block(indent + 2, out);
                        }
                    }
                }
            }
            V::Scalar(s, _) => out.push_str(&format!("{pad}{s}\n")),
        }
    }

    fn yaml(&self) -> String {
        match self.inline() {
            Some(s) => format!("{s}\n"),
            None => {
                let mut out = String::new();
                self.block(0, &mut out);
                out
            }
        }
    }
}

fn s(text: &str, json: Json) -> V {
    V::Scalar(text.to_owned(), json)
}

// ------------------------------------------------------------- strategies

/// Any scalar a field might hold: YAML 1.1 booleans, Go integers, quoted
/// strings that look like them, plain strings and nulls.
fn scalar() -> impl Strategy<Value = V> {
    prop_oneof![
        prop::sample::select(vec![
            ("true", true),
            ("false", false),
            ("yes", true),
            ("Yes", true),
            ("on", true),
            ("ON", true),
            ("y", true),
            ("Y", true),
            ("no", false),
            ("off", false),
            ("N", false),
            ("False", false),
            ("!!bool true", true),
        ])
        .prop_map(|(t, b)| s(t, Json::Bool(b))),
        prop::sample::select(vec![
            ("0", 0),
            ("0x0", 0),
            ("0o0", 0),
            ("00", 0),
            ("+0", 0),
            ("-0", 0),
            ("0b0", 0),
            ("1000", 1000),
            ("0x3E8", 1000),
            ("65534", 65534),
            ("1_000", 1000),
            ("-1", -1),
        ])
        .prop_map(|(t, i)| s(t, Json::from(i))),
        prop::sample::select(vec![
            ("\"true\"", "true"),
            ("'false'", "false"),
            ("\"0\"", "0"),
            ("'yes'", "yes"),
            ("root", "root"),
            ("\"é😀\"", "é😀"),
            ("!!str true", "true"),
            ("nginx", "nginx"),
        ])
        .prop_map(|(t, v)| s(t, Json::from(v))),
        prop::sample::select(vec!["~", "null", "Null"]).prop_map(|t| s(t, Json::Null)),
    ]
}

/// A flag deciding flow or block style.
fn flow() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.3)
}

/// A (possibly partial) securityContext, with random values and sometimes a
/// repeated key or a field that is not a securityContext field.
fn security_context() -> impl Strategy<Value = V> {
    let key = prop::sample::select(vec![
        "privileged",
        "allowPrivilegeEscalation",
        "readOnlyRootFilesystem",
        "runAsNonRoot",
        "runAsUser",
        "runAsGroup",
    ]);
    let caps = prop::option::of(prop_oneof![4 => capabilities(), 1 => scalar()]);
    (prop::collection::vec((key, scalar()), 0..5), caps, flow()).prop_map(
        |(mut entries, caps, flow)| {
            if let Some(caps) = caps {
                entries.push(("capabilities", caps));
            }
            V::map(entries, flow)
        },
    )
}

/// `capabilities` with `add` and `drop` lists of names in and out of the
/// baseline, misspelled ones, and sometimes a value of another type.
fn capabilities() -> impl Strategy<Value = V> {
    let name = prop::sample::select(vec![
        "ALL",
        "all",
        "SYS_ADMIN",
        "CHOWN",
        "NET_BIND_SERVICE",
        "CAP_KILL",
        "NET_RAW",
    ])
    .prop_map(|c| s(c, Json::from(c)));
    let item = prop_oneof![5 => name, 1 => scalar()];
    let list = (prop::collection::vec(item, 0..4), flow()).prop_map(|(items, f)| V::Seq(items, f));
    let value = prop_oneof![6 => list, 1 => scalar()];
    let key = prop::sample::select(vec!["add", "drop"]);
    (prop::collection::vec((key, value), 0..3), flow()).prop_map(|(e, f)| V::map(e, f))
}

/// `ports`, with and without a `hostPort` of any scalar.
fn ports() -> impl Strategy<Value = V> {
    let port = (prop::option::of(scalar()), flow()).prop_map(|(host, f)| {
        let mut e = vec![("containerPort", s("8080", Json::from(8080)))];
        if let Some(host) = host {
            e.push(("hostPort", host));
        }
        V::map(e, f)
    });
    (prop::collection::vec(port, 0..3), flow()).prop_map(|(items, f)| V::Seq(items, f))
}

/// `volumes`: emptyDir, hostPath (a mapping, empty or not, or a scalar).
fn volumes() -> impl Strategy<Value = V> {
    let source = prop_oneof![
        2 => Just(("hostPath", V::map(vec![("path", s("/var/log", Json::from("/var/log")))], false))),
        1 => Just(("hostPath", V::map(vec![], true))),
        1 => scalar().prop_map(|v| ("hostPath", v)),
        2 => Just(("emptyDir", V::map(vec![], true))),
    ];
    let volume = (source, flow()).prop_map(|((key, value), f)| {
        V::map(vec![("name", s("vol", Json::from("vol"))), (key, value)], f)
    });
    (prop::collection::vec(volume, 0..3), flow()).prop_map(|(items, f)| V::Seq(items, f))
}

fn container(index: usize) -> impl Strategy<Value = V> {
    let name = prop::sample::select(vec!["app", "side-car", "init", "débug", "x"]);
    let image = prop::sample::select(vec![
        "nginx:1.27",
        "busybox",
        "registry.k8s.io/pause:3.9",
        "nginx:latest",
        "localhost:5000/app",
        "nginx@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a",
    ]);
    prop_oneof![
        8 => (name, prop::option::of(image), prop::option::of(security_context()), prop::option::of(ports()), flow())
            .prop_map(move |(name, image, sc, ports, flow)| {
                let mut e = vec![("name", s(&format!("{name}-{index}"), Json::from(format!("{name}-{index}"))))];
                if let Some(image) = image {
                    e.push(("image", s(image, Json::from(image))));
                }
                if let Some(sc) = sc {
                    e.push(("securityContext", sc));
                }
                if let Some(ports) = ports {
                    e.push(("ports", ports));
                }
                V::map(e, flow)
            }),
        1 => scalar(),
    ]
}

fn container_list() -> impl Strategy<Value = V> {
    (prop::collection::vec(0..3usize, 0..3), flow()).prop_flat_map(|(idx, flow)| {
        let items: Vec<_> = idx.iter().enumerate().map(|(i, _)| container(i)).collect();
        items.prop_map(move |items| V::Seq(items, flow))
    })
}

fn pod_spec() -> impl Strategy<Value = V> {
    let host = prop::sample::select(vec!["hostNetwork", "hostPID", "hostIPC", "hostUsers"]);
    (
        prop::collection::vec((host, scalar()), 0..3),
        prop::option::of(prop::sample::select(vec!["windows", "linux"])),
        prop::option::of(security_context()),
        prop::option::of(container_list()),
        prop::option::of(container_list()),
        prop::option::of(container_list()),
        prop::option::of(volumes()),
        flow(),
    )
        .prop_map(|(hosts, os, sc, init, regular, ephemeral, volumes, flow)| {
            let mut e: Vec<(&str, V)> = hosts;
            if let Some(volumes) = volumes {
                e.push(("volumes", volumes));
            }
            if let Some(os) = os {
                e.push(("os", V::map(vec![("name", s(os, Json::from(os)))], false)));
            }
            if let Some(sc) = sc {
                e.push(("securityContext", sc));
            }
            for (key, list) in [
                ("initContainers", init),
                ("containers", regular),
                ("ephemeralContainers", ephemeral),
            ] {
                if let Some(list) = list {
                    e.push((key, list));
                }
            }
            V::map(e, flow)
        })
}

/// Custom resources the generated objects may be, beside Kubernetes' kinds.
const CUSTOM_KINDS: &[&str] = &["Rollout", "PyTorchJob", "RayCluster"];

/// Wrap a pod spec where its kind keeps it (`[0]`: the first item of a
/// list, as Ray's worker groups).
fn workload(kind: &str, name: &str, spec: V) -> V {
    let (api_version, path): (Option<&str>, &[&str]) = match kind {
        "Pod" => (None, &["spec"]),
        "PodTemplate" => (None, &["template", "spec"]),
        "CronJob" => (None, &["spec", "jobTemplate", "spec", "template", "spec"]),
        "ConfigMap" => (None, &["data"]),
        "Rollout" => (Some("argoproj.io/v1alpha1"), &["spec", "template", "spec"]),
        "PyTorchJob" => (
            Some("kubeflow.org/v1"),
            &["spec", "pytorchReplicaSpecs", "Worker", "template", "spec"],
        ),
        "RayCluster" => (
            Some("ray.io/v1"),
            &["spec", "workerGroupSpecs", "[0]", "template", "spec"],
        ),
        _ => (None, &["spec", "template", "spec"]),
    };
    let mut v = spec;
    for key in path.iter().rev() {
        v = if *key == "[0]" {
            V::Seq(vec![v], false)
        } else {
            V::map(vec![(key, v)], false)
        };
    }
    let V::Map(mut entries, _) = v else {
        unreachable!()
    };
    if let Some(api_version) = api_version {
        entries.insert(
            0,
            ("apiVersion".into(), s(api_version, Json::from(api_version))),
        );
    }
    entries.insert(0, ("kind".into(), s(kind, Json::from(kind))));
    entries.insert(
        1,
        (
            "metadata".into(),
            V::map(vec![("name", s(name, Json::from(name)))], true),
        ),
    );
    V::Map(entries, false)
}

fn object() -> BoxedStrategy<V> {
    let mut kinds: Vec<&'static str> = WORKLOAD_KINDS.to_vec();
    kinds.push("ConfigMap");
    kinds.extend(CUSTOM_KINDS);
    let one = (prop::sample::select(kinds), pod_spec())
        .prop_map(|(k, spec)| workload(k, "w", spec))
        .boxed();
    prop_oneof![
        4 => one.clone(),
        1 => prop::collection::vec(one, 1..3).prop_map(|items| {
            V::map(vec![("kind", s("List", Json::from("List"))), ("items", V::Seq(items, false))], false)
        }),
    ]
    .boxed()
}

/// How a document is written.
#[derive(Debug, Clone, Copy)]
enum Style {
    Block,
    Flow,
    Json,
    JsonPretty,
}

fn write(v: &V, style: Style) -> String {
    match style {
        Style::Block => v.yaml(),
        Style::Flow => format!("{}\n", v.flow()),
        Style::Json => format!("{}\n", v.json()),
        Style::JsonPretty => format!("{}\n", serde_json::to_string_pretty(&v.json()).unwrap()),
    }
}

fn style() -> impl Strategy<Value = Style> {
    prop::sample::select(vec![
        Style::Block,
        Style::Block,
        Style::Flow,
        Style::Json,
        Style::JsonPretty,
    ])
}

// ------------------------------------------------------------- invariants

/// Our own 1-based line/column/UTF-16 of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_text = &text[line_start..offset];
    // A byte-order mark at the start of the text is not a visible column.
    let line_text = if line_start == 0 {
        line_text.strip_prefix('\u{feff}').unwrap_or(line_text)
    } else {
        line_text
    };
    let column = line_text.chars().count() + 1;
    (line, column, before.encode_utf16().count())
}

fn check_span(
    text: &str,
    span: Option<Span>,
    start: Option<Position>,
    end: Option<Position>,
    what: &str,
) {
    let Some(span) = span else {
        assert!(
            start.is_none() && end.is_none(),
            "{what}: position without span"
        );
        return;
    };
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: {span:?} out of bounds ({})",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: {span:?} not on char boundaries"
    );
    let (start, end) = (start.unwrap(), end.unwrap());
    assert_eq!((start.offset, end.offset), (span.start, span.end), "{what}");
    assert_eq!(
        (start.line, start.column, start.utf16_offset),
        position(text, span.start),
        "{what}: start"
    );
    assert_eq!(
        (end.line, end.column, end.utf16_offset),
        position(text, span.end),
        "{what}: end"
    );
}

fn spans_are_sound(text: &str, report: &Report) {
    for f in &report.findings {
        check_span(
            text,
            f.span,
            f.start,
            f.end,
            &format!("finding {} {}", f.rule, f.pointer),
        );
    }
    for e in &report.errors {
        check_span(
            text,
            e.span,
            e.start,
            e.end,
            &format!("error {:?} {}", e.kind, e.message.en),
        );
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The span of a node at `pointer`, widened to its `key: value` entry when
/// it is a mapping member.
fn entry_or_node_span(root: &Node, pointer: &str) -> Option<Span> {
    let node = root.pointer(pointer)?;
    let (parent, last) = pointer.rsplit_once('/')?;
    if let Some(entry) = root.pointer(parent).and_then(|p| p.entry(&unescape(last))) {
        return entry.span();
    }
    node.span
}

fn pointers_resolve(text: &str, report: &Report) {
    let (documents, _) = parse_stream(text, &Limits::default());
    for f in &report.findings {
        let Some(span) = f.span else { continue };
        let doc = documents
            .iter()
            .find(|d| d.index == f.object.document)
            .unwrap();
        let root = &doc.root;
        if let Some(node) = root.pointer(&f.pointer) {
            // The finding marks the node: its `key: value`, its key alone
            // (a list or mapping over several lines), or the value alone (a
            // list item, an image name). Never anything outside the entry.
            let node_span = node.span.unwrap();
            let entry = entry_or_node_span(root, &f.pointer).unwrap();
            assert!(
                entry.start <= span.start && span.end <= entry.end.max(node_span.end),
                "{}: finding {span:?} is outside its entry {entry:?}",
                f.pointer
            );
            let key = unescape(f.pointer.rsplit('/').next().unwrap());
            let at = &text[span.start..];
            let at_key = at.starts_with(&key) || at.starts_with(&format!("\"{key}\""));
            assert!(
                at_key || span.start == node_span.start,
                "{}: span starts at {:?}",
                f.pointer,
                &at[..at.len().min(30)]
            );
            assert!(
                span.end >= node_span.end || span.end <= node_span.start,
                "{}: finding {span:?} cuts node {node_span:?}",
                f.pointer
            );
        } else {
            // Missing field: the longest existing prefix contains the span.
            let mut prefix = f.pointer.as_str();
            let container = loop {
                prefix = prefix.rsplit_once('/').map_or("", |(p, _)| p);
                if root.pointer(prefix).is_some() {
                    break entry_or_node_span(root, prefix).or(root.span).unwrap();
                }
            };
            assert!(
                container.start <= span.start && span.end <= container.end,
                "{}: span {span:?} outside prefix {prefix} {container:?}",
                f.pointer
            );
        }
    }
}

/// What must be equal between the YAML and the JSON path: everything but
/// positions (and the document index, the JSON path sees one object).
fn comparable(report: &Report, document: usize) -> (Vec<String>, Vec<String>) {
    let mut findings: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.object.document == document)
        .map(|f| {
            format!(
                "{} {:?} {:?} {} {} {:?} {}",
                f.rule,
                f.severity,
                f.container,
                f.object.kind,
                f.object.pointer,
                f.object.name,
                f.pointer
            ) + " "
                + &f.message.en
                + " | "
                + &f.help.en
        })
        .collect();
    findings.sort();
    let mut errors: Vec<String> = report
        .errors
        .iter()
        .filter(|e| e.document.unwrap_or(0) == document && e.kind != ErrorKind::DuplicateKey)
        .map(|e| format!("{:?} {:?} {}", e.kind, e.pointer, e.message.en))
        .collect();
    errors.sort();
    (findings, errors)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Regressions are reported in the failure message; no files are
        // written next to the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn generated_streams_hold_every_invariant(
        docs in prop::collection::vec((object(), style()), 1..4),
    ) {
        let texts: Vec<String> = docs.iter().map(|(v, st)| write(v, *st)).collect();
        let text = texts.join("---\n");
        let report = check_text(&text, &Settings::default());
        let syntax: Vec<_> = report.errors.iter().filter(|e| e.kind == ErrorKind::Syntax || e.kind == ErrorKind::Limit).collect();
        prop_assert!(syntax.is_empty(), "generator wrote invalid YAML: {syntax:#?}\n{text}");
        spans_are_sound(&text, &report);
        pointers_resolve(&text, &report);
        for (i, (v, st)) in docs.iter().enumerate() {
            let json = check_json(&v.json(), &Settings::default());
            prop_assert!(json.findings.iter().all(|f| f.span.is_none() && f.start.is_none()));
            let (yf, ye) = comparable(&report, i);
            let (jf, je) = comparable(&json, 0);
            prop_assert_eq!(yf, jf, "findings differ, document {}:\n{}", i, texts[i]);
            prop_assert_eq!(ye, je, "errors differ, document {}:\n{}", i, texts[i]);
            let dups = report.errors.iter().any(|e| e.kind == ErrorKind::DuplicateKey && e.document == Some(i));
            // JSON text is written from the JSON value: no duplicates left.
            let expected = v.has_duplicate_keys() && matches!(st, Style::Block | Style::Flow);
            prop_assert_eq!(dups, expected, "duplicate keys, document {}:\n{}", i, texts[i]);
        }
    }

    /// CRLF line endings and a BOM change no verdict and keep spans sound.
    #[test]
    fn crlf_and_bom_change_nothing_but_offsets(v in object(), bom in any::<bool>()) {
        let lf = write(&v, Style::Block);
        let mut crlf = lf.replace('\n', "\r\n");
        if bom {
            crlf.insert(0, '\u{feff}');
        }
        let (a, b) = (check_text(&lf, &Settings::default()), check_text(&crlf, &Settings::default()));
        spans_are_sound(&crlf, &b);
        prop_assert_eq!(comparable(&a, 0), comparable(&b, 0));
        prop_assert_eq!(common::rule_lines(&a), common::rule_lines(&b));
    }
}

// ---------------------------------------------------------------- fuzzing

/// Pieces of YAML that exercise the reader's corners.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\n",
            "\r\n",
            " ",
            "  ",
            "\t",
            "- ",
            ": ",
            ":",
            "[",
            "]",
            "{",
            "}",
            ",",
            "&a ",
            "*a",
            "&b ",
            "*b",
            "<<: ",
            "---\n",
            "...\n",
            "#",
            "\"",
            "'",
            "|\n",
            ">-\n",
            "? ",
            "!!str ",
            "!!int ",
            "%YAML 1.1\n",
            "\u{feff}",
            "é",
            "😀",
            "\\",
            "kind: Pod\n",
            "kind: List\n",
            "items:\n",
            "spec:\n",
            "containers:\n",
            "securityContext:\n",
            "privileged: yes\n",
            "runAsUser: 0x0\n",
            "hostPID: on\n",
            "  - name: a\n",
            "template:\n",
            "0",
            "~",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,6}",
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC{0,300}") {
        let report = check_text(&text, &Settings::default());
        spans_are_sound(&text, &report);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let report = check_text(&text, &Settings::default());
        spans_are_sound(&text, &report);
    }

    #[test]
    fn yaml_token_soup_never_panics(tokens in prop::collection::vec(token(), 0..80)) {
        let text = tokens.concat();
        let report = check_text(&text, &Settings::default());
        spans_are_sound(&text, &report);
        pointers_resolve(&text, &report);
    }

    /// Mutations of a valid manifest: a byte range deleted or duplicated.
    #[test]
    fn mangled_manifests_never_panic(v in object(), st in style(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>(), dup in any::<bool>()) {
        let text = write(&v, st);
        let chars: Vec<char> = text.chars().collect();
        let (i, j) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
        let (i, j) = (i.min(j), i.max(j));
        let mangled: String = if dup {
            chars[..j].iter().chain(&chars[i..]).collect()
        } else {
            chars[..i].iter().chain(&chars[j..]).collect()
        };
        let report = check_text(&mangled, &Settings::default());
        spans_are_sound(&mangled, &report);
        pointers_resolve(&mangled, &report);
    }
}
