//! Baselines: today's findings recorded in a file, so that a later run
//! reports only new ones (`check --write-baseline FILE`, `check --baseline
//! FILE`), as Checkov's `--create-baseline` and PHPStan's baseline do.
//!
//! An entry names what survives edits, never a line: the file (relative to
//! the baseline's folder), the object's kind, namespace and name, the
//! container's name, the rule, and the finding's JSON pointer inside the
//! container (or the pod spec, or the object), with list indices written
//! `*`; findings with the same key are counted. Matching takes the findings
//! of a file in source order, so when a key has more findings than its
//! count the last ones are reported.
//!
//! Warning-level input problems (a duplicate key: Kubernetes takes the
//! input) are recorded too, with their kind in `rule` and no object; an
//! error-level one (Kubernetes would refuse the input) never is: it keeps
//! exit code 2.
//!
//! The file is JSON, one entry per line, sorted, with a version: diffs of a
//! baseline show the findings that came and went.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use kube_immutable_core::{Diagnostic, Finding};
use serde::{Deserialize, Serialize};

use crate::check::{Outcome, Run};
use crate::inputs::STDIN;
use crate::output::Lang;

/// The version this program writes and reads.
pub const VERSION: u64 = 1;
/// What the file says it is.
const TOOL: &str = "kube-immutable";

/// What identifies a finding across edits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// Relative to the baseline's folder, with `/`; `-` for stdin.
    pub file: String,
    /// The object's kind; empty for an input problem.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The rule, or the kind of an input problem (`duplicate-key`).
    pub rule: String,
    /// Inside the container (or the pod spec, or the object; from the
    /// document for an input problem), indices `*`.
    pub pointer: String,
}

/// One line of the file: a key and how many findings have it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(flatten)]
    key: Key,
    count: usize,
}

/// The file's shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tool: String,
    version: u64,
    findings: Vec<Entry>,
}

/// Findings by key, and the folder their files are relative to.
#[derive(Debug, Default)]
pub struct Baseline {
    pub entries: BTreeMap<Key, usize>,
    /// The baseline file's folder, absolute.
    base: PathBuf,
}

/// Why a baseline could not be read or written.
#[derive(Debug)]
pub struct BaselineError {
    pub file: String,
    pub message: String,
}

/// What applying a baseline to a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The baseline file, as given.
    pub file: String,
    /// Findings found in the baseline, dropped from the run.
    pub matched: usize,
    /// Baselined findings that no longer occur in the files this run
    /// checked (or whose file is gone).
    pub stale: usize,
    /// The run wrote the baseline (`--write-baseline`).
    pub written: bool,
}

impl Baseline {
    /// Read a baseline; a missing, corrupt or foreign file is an error.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let error = |message: String| BaselineError {
            file: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| error(format!("not a kube-immutable baseline: {e}")))?;
        if value.get("tool").and_then(|t| t.as_str()) != Some(TOOL) {
            return Err(error(format!(
                "not a kube-immutable baseline (no `\"tool\": \"{TOOL}\"`); write one with `check --write-baseline`"
            )));
        }
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(VERSION) => {}
            Some(v) if v > VERSION => {
                return Err(error(format!(
                    "baseline version {v} was written by a newer kube-immutable; this one reads version {VERSION}"
                )))
            }
            _ => {
                return Err(error(format!(
                    "unknown baseline version; this kube-immutable reads version {VERSION}"
                )))
            }
        }
        let file: File =
            serde_json::from_value(value).map_err(|e| error(format!("invalid baseline: {e}")))?;
        debug_assert_eq!((file.tool.as_str(), file.version), (TOOL, VERSION));
        let mut entries = BTreeMap::new();
        for entry in file.findings {
            if entry.count == 0 {
                return Err(error(format!(
                    "invalid baseline: an entry of `{}` has count 0",
                    entry.key.file
                )));
            }
            *entries.entry(entry.key).or_insert(0) += entry.count;
        }
        Ok(Baseline {
            entries,
            base: folder_of(path),
        })
    }

    /// Every finding of a run, keyed for a baseline file at `path`.
    pub fn of_run(run: &Run, path: &Path) -> Self {
        let mut baseline = Baseline {
            entries: BTreeMap::new(),
            base: folder_of(path),
        };
        for outcome in &run.outcomes {
            if let Outcome::Checked(c) = outcome {
                let file = baseline.file_key(&c.input.name);
                for f in &c.report.findings {
                    *baseline.entries.entry(key(&file, f)).or_insert(0) += 1;
                }
                for e in c.report.errors.iter().filter(|e| !e.is_error()) {
                    *baseline.entries.entry(problem_key(&file, e)).or_insert(0) += 1;
                }
            }
        }
        baseline
    }

    /// The file's text: sorted, one entry per line.
    pub fn to_json(&self) -> String {
        let mut out =
            format!("{{\n  \"tool\": \"{TOOL}\",\n  \"version\": {VERSION},\n  \"findings\": [");
        for (i, (key, count)) in self.entries.iter().enumerate() {
            out.push_str(if i == 0 { "\n    " } else { ",\n    " });
            let entry = Entry {
                key: key.clone(),
                count: *count,
            };
            out.push_str(&serde_json::to_string(&entry).unwrap_or_default());
        }
        if !self.entries.is_empty() {
            out.push_str("\n  ");
        }
        out.push_str("]\n}\n");
        out
    }

    /// Write the file, atomically (a temporary file renamed over it).
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let write = || -> std::io::Result<()> {
            let mut builder = tempfile::Builder::new();
            builder.prefix(".kube-immutable-baseline-").suffix(".tmp");
            // A file to commit: the mode of the one it replaces, else what
            // the umask gives a new file (tempfile's own is 0600).
            #[cfg(unix)]
            let permissions = match std::fs::metadata(path) {
                Ok(m) => m.permissions(),
                Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o666),
            };
            #[cfg(unix)]
            builder.permissions(permissions.clone());
            let mut temp = builder.tempfile_in(dir)?;
            temp.write_all(self.to_json().as_bytes())?;
            temp.as_file().sync_all()?;
            #[cfg(unix)]
            if std::fs::metadata(path).is_ok() {
                std::fs::set_permissions(temp.path(), permissions)?;
            }
            temp.persist(path).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(|e| BaselineError {
            file: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Drop the run's findings that the baseline holds, and count them and
    /// the entries that match nothing any more.
    pub fn apply(&self, run: &mut Run, file: &str) -> Applied {
        let mut left: HashMap<&Key, usize> = self.entries.iter().map(|(k, n)| (k, *n)).collect();
        let mut checked_files = BTreeSet::new();
        for outcome in &mut run.outcomes {
            let Outcome::Checked(c) = outcome else {
                continue;
            };
            let name = self.file_key(&c.input.name);
            // In source order: when a key has more findings than its count,
            // the last ones are the new ones.
            // (`output::sorted`'s order, which every format prints.)
            c.report
                .findings
                .sort_by_key(|f| (f.object.document, f.span.map(|s| s.start)));
            c.report
                .findings
                .retain(|f| match left.get_mut(&key(&name, f)) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                });
            // Warning-level input problems likewise (in position order
            // already); errors always stay.
            c.report.errors.retain(|e| {
                if e.is_error() {
                    return true;
                }
                match left.get_mut(&problem_key(&name, e)) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                }
            });
            checked_files.insert(name);
        }
        let total: usize = self.entries.values().sum();
        let unmatched: usize = left.values().sum();
        let stale = left
            .iter()
            .filter(|(k, n)| **n > 0 && (checked_files.contains(&k.file) || self.is_gone(&k.file)))
            .map(|(_, n)| n)
            .sum();
        Applied {
            file: file.to_owned(),
            matched: total - unmatched,
            stale,
            written: false,
        }
    }

    /// An entry's file that no longer exists (stdin always "exists").
    fn is_gone(&self, file: &str) -> bool {
        file != STDIN && !self.base.join(file).exists()
    }

    /// An input's path relative to the baseline's folder, with `/`.
    fn file_key(&self, name: &str) -> String {
        if name == STDIN {
            return STDIN.to_owned();
        }
        relative(&absolute(Path::new(name)), &self.base)
    }
}

/// The key of a finding in a file.
pub fn key(file: &str, f: &Finding) -> Key {
    Key {
        file: file.to_owned(),
        kind: f.object.kind.clone(),
        namespace: f.object.namespace.clone(),
        name: f.object.name.clone(),
        container: f.container.clone(),
        rule: f.rule.to_owned(),
        pointer: pointer_key(f),
    }
}

/// The key of a warning-level input problem: no object, its kind as the
/// rule, its pointer from the document with indices `*`.
pub fn problem_key(file: &str, e: &Diagnostic) -> Key {
    Key {
        file: file.to_owned(),
        kind: String::new(),
        namespace: None,
        name: None,
        container: None,
        rule: crate::output::json::error_kind(e.kind),
        pointer: wildcard(e.pointer.as_deref().unwrap_or_default()),
    }
}

/// The finding's pointer inside its container (by name), else inside the
/// pod spec, else inside the object; list indices become `*`, so inserting
/// a container, a volume or a port changes no other key.
fn pointer_key(f: &Finding) -> String {
    let mut rest = f
        .pointer
        .strip_prefix(f.object.pointer.as_str())
        .unwrap_or(&f.pointer);
    // The pod spec's pointer from the object (a custom resource may hold
    // several; their findings share keys, counted).
    let spec = f
        .pod
        .strip_prefix(f.object.pointer.as_str())
        .unwrap_or_default();
    if let Some(inside) = strip_tokens(rest, spec).filter(|_| !spec.is_empty()) {
        rest = inside;
        if f.container.is_some() {
            for list in ["/initContainers/", "/containers/", "/ephemeralContainers/"] {
                if let Some(after) = rest.strip_prefix(list) {
                    let index_end = after.find('/').unwrap_or(after.len());
                    if after[..index_end].parse::<usize>().is_ok() {
                        rest = &after[index_end..];
                    }
                    break;
                }
            }
        }
    }
    wildcard(rest)
}

/// A pointer with its list indices written `*`.
fn wildcard(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|t| if t.parse::<u64>().is_ok() { "*" } else { t })
        .collect::<Vec<_>>()
        .join("/")
}

/// `pointer` without `prefix`, when `prefix` ends at a token boundary.
fn strip_tokens<'a>(pointer: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = pointer.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The folder of a file, absolute (`b.json` → the current folder).
fn folder_of(path: &Path) -> PathBuf {
    let abs = absolute(path);
    abs.parent().map_or(abs.clone(), Path::to_path_buf)
}

/// An absolute path with `.` and `..` resolved by their names (no link is
/// followed: the inputs' names are what the baseline keeps).
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `base` (both absolute), `/`-separated.
fn relative(path: &Path, base: &Path) -> String {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..base.len() {
        parts.push("..".to_owned());
    }
    for c in &path[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    parts.join("/")
}

/// What a baseline did, in a sentence or two (`None`: nothing to say).
pub fn note(b: &Applied, lang: Lang) -> Option<String> {
    let mut lines = Vec::new();
    let findings = lang.count(
        b.matched,
        ("finding", "findings"),
        ("problème", "problèmes"),
    );
    if b.written {
        lines.push(match lang {
            Lang::En => format!("Baseline written to {}: {findings}.", b.file),
            Lang::Fr => format!("Référence écrite dans {} : {findings}.", b.file),
        });
    } else if b.matched > 0 {
        lines.push(match lang {
            Lang::En => format!("{findings} matched the baseline {}.", b.file),
            Lang::Fr => format!("{findings} déjà dans la référence {}.", b.file),
        });
    }
    if b.stale > 0 {
        let n = b.stale;
        lines.push(match (lang, n) {
            (Lang::En, 1) => format!(
                "1 baseline entry no longer matches: run `--write-baseline {}` to drop it.",
                b.file
            ),
            (Lang::En, _) => format!(
                "{n} baseline entries no longer match: run `--write-baseline {}` to drop them.",
                b.file
            ),
            (Lang::Fr, 1) => format!(
                "1 entrée de la référence ne correspond plus à rien : lancez `--write-baseline {}` pour la retirer.",
                b.file
            ),
            (Lang::Fr, _) => format!(
                "{n} entrées de la référence ne correspondent plus à rien : lancez `--write-baseline {}` pour les retirer.",
                b.file
            ),
        });
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube_immutable_core::{check_text, Settings};

    fn findings(text: &str) -> Vec<Finding> {
        check_text(text, &Settings::default()).findings
    }

    #[test]
    fn keys_do_not_name_lines_or_indices() {
        let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: sidecar
        image: busybox:1.36
      - name: web
        image: nginx:1.27
        securityContext: {privileged: true}
";
        let f = findings(deployment);
        let privileged = f.iter().find(|f| f.rule == "privileged").unwrap();
        let k = key("k8s/web.yaml", privileged);
        assert_eq!(k.pointer, "/securityContext/privileged");
        assert_eq!(k.container.as_deref(), Some("web"));
        assert_eq!(
            (k.kind.as_str(), k.namespace.as_deref(), k.name.as_deref()),
            ("Deployment", Some("shop"), Some("web"))
        );
        // Lines above, and a container before it: the same key.
        let moved = deployment.replace(
            "      containers:\n",
            "      # a comment\n      containers:\n      - name: first\n        image: busybox:1.36\n",
        );
        let f2 = findings(&moved);
        let again = f2.iter().find(|f| f.rule == "privileged").unwrap();
        assert_ne!(again.pointer, privileged.pointer);
        assert_ne!(again.start.unwrap().line, privileged.start.unwrap().line);
        assert_eq!(key("k8s/web.yaml", again), k);
    }

    #[test]
    fn pod_level_and_list_item_pointers() {
        let pod = "\
kind: List
items:
- kind: Pod
  metadata: {name: p}
  spec:
    hostNetwork: true
    volumes:
    - name: a
      emptyDir: {}
    - name: host
      hostPath: {path: /}
    containers:
    - image: nginx:1.27
      securityContext: {readOnlyRootFilesystem: true}
";
        let f = findings(pod);
        let pointers: BTreeSet<(String, Option<String>, String)> = f
            .iter()
            .map(|f| {
                let k = key("-", f);
                (k.rule, k.container, k.pointer)
            })
            .collect();
        assert!(pointers.contains(&("host-namespaces".into(), None, "/hostNetwork".into())));
        assert!(pointers.contains(&(
            "host-path-volumes".into(),
            None,
            "/volumes/*/hostPath".into()
        )));
        // An unnamed container keeps its list, its index as `*`.
        assert!(
            pointers.iter().any(|(r, c, p)| r == "may-run-as-root"
                && c.is_none()
                && p.starts_with("/containers/*/")),
            "{pointers:?}"
        );
    }

    #[test]
    fn relative_paths() {
        let base = Path::new("/repo");
        assert_eq!(relative(Path::new("/repo/k8s/a.yaml"), base), "k8s/a.yaml");
        assert_eq!(
            relative(Path::new("/other/a.yaml"), base),
            "../other/a.yaml"
        );
        assert_eq!(
            absolute(Path::new("/repo/./k8s/../k8s/a.yaml")),
            PathBuf::from("/repo/k8s/a.yaml")
        );
    }

    #[test]
    fn the_file_is_sorted_one_entry_per_line_and_reads_back() {
        let mut b = Baseline::default();
        let k = |file: &str, rule: &str| Key {
            file: file.into(),
            kind: "Pod".into(),
            namespace: None,
            name: Some("p".into()),
            container: Some("c".into()),
            rule: rule.into(),
            pointer: "/securityContext/privileged".into(),
        };
        b.entries.insert(k("b.yaml", "privileged"), 1);
        b.entries.insert(k("a.yaml", "privileged"), 2);
        let text = b.to_json();
        assert_eq!(
            text,
            "{\n  \"tool\": \"kube-immutable\",\n  \"version\": 1,\n  \"findings\": [\n    \
             {\"file\":\"a.yaml\",\"kind\":\"Pod\",\"name\":\"p\",\"container\":\"c\",\"rule\":\"privileged\",\"pointer\":\"/securityContext/privileged\",\"count\":2},\n    \
             {\"file\":\"b.yaml\",\"kind\":\"Pod\",\"name\":\"p\",\"container\":\"c\",\"rule\":\"privileged\",\"pointer\":\"/securityContext/privileged\",\"count\":1}\n  ]\n}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        b.write(&path).unwrap();
        let read = Baseline::load(&path).unwrap();
        assert_eq!(read.entries, b.entries);
        assert_eq!(
            Baseline::default().to_json(),
            "{\n  \"tool\": \"kube-immutable\",\n  \"version\": 1,\n  \"findings\": []\n}\n"
        );
    }

    #[test]
    fn corrupt_foreign_and_newer_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("", "not a kube-immutable baseline"),
            ("{\"findings\": []}", "not a kube-immutable baseline"),
            ("[1, 2]", "not a kube-immutable baseline"),
            (
                "{\"tool\": \"kube-immutable\", \"version\": 2, \"findings\": []}",
                "newer kube-immutable",
            ),
            (
                "{\"tool\": \"kube-immutable\", \"findings\": []}",
                "unknown baseline version",
            ),
            (
                "{\"tool\": \"kube-immutable\", \"version\": 1, \"findings\": [{\"file\": \"a\"}]}",
                "invalid baseline",
            ),
            (
                "{\"tool\": \"kube-immutable\", \"version\": 1, \"findings\": [], \"extra\": 1}",
                "invalid baseline",
            ),
        ];
        for (text, expected) in cases {
            let path = dir.path().join("b.json");
            std::fs::write(&path, text).unwrap();
            let e = Baseline::load(&path).unwrap_err();
            assert!(e.message.contains(expected), "{text}: {}", e.message);
        }
        let e = Baseline::load(&dir.path().join("missing.json")).unwrap_err();
        assert!(e.message.contains("No such file"), "{}", e.message);
    }
}
