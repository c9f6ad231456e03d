//! Fixes: structural operations that rules attach to findings, the choice of
//! which to apply together, and their application to JSON values ([`fix_json`],
//! the policy's mutate mode) or to source text ([`text::fix_text`], the CLI
//! and the playground).
//!
//! Fixes are applied in rounds, like ruff: each round applies the fixes whose
//! paths do not touch each other, then checks again. Two fixes that both
//! create a container's `securityContext` therefore compose: the second one
//! is computed again against the first one's result.

pub(crate) mod ops;
#[cfg(feature = "yaml")]
pub mod text;

use std::collections::HashSet;

use serde_json::Value as Json;

use crate::finding::{Applicability, Finding, Fix, Operation};
use crate::settings::Settings;
use crate::Report;

/// Rounds after which fixing stops even if fixes remain (each round applies
/// at least one fix, and every fix silences its finding, so real inputs need
/// a handful).
pub const MAX_ROUNDS: usize = 16;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixOptions {
    /// Apply unsafe fixes too.
    pub unsafe_fixes: bool,
}

impl FixOptions {
    pub fn allows(self, fix: &Fix) -> bool {
        fix.applicability == Applicability::Safe || self.unsafe_fixes
    }
}

/// A fix that was applied.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AppliedFix {
    pub rule: &'static str,
    pub document: usize,
    pub pointer: String,
    pub title: crate::Message,
    pub applicability: Applicability,
}

impl AppliedFix {
    fn new(finding: &Finding, fix: &Fix) -> Self {
        Self {
            rule: finding.rule,
            document: finding.object.document,
            pointer: finding.pointer.clone(),
            title: fix.title.clone(),
            applicability: fix.applicability,
        }
    }
}

/// Why an operation could not be applied to a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError(pub String);

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ApplyError {}

/// What an operation changes: a removal reshapes its parent (commas in flow
/// style, the last line of a block), an addition or replacement its path.
fn footprint(op: &Operation) -> &str {
    match op {
        Operation::Remove { path } => path.rfind('/').map_or(path.as_str(), |i| &path[..i]),
        other => other.path(),
    }
}

/// Two paths touch when one is the other or contains it: what `select`
/// computes with [`prefixes`] (a test holds them equal).
#[cfg(test)]
fn paths_touch(a: &str, b: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer
            || (inner.starts_with(outer) && inner.as_bytes().get(outer.len()) == Some(&b'/'))
    };
    within(a, b) || within(b, a)
}

/// The findings whose fixes one round applies: allowed by `options`, with
/// paths that touch no path of a fix chosen before them (in the same
/// document).
pub(crate) fn select(report: &Report, options: FixOptions) -> Vec<(&Finding, &Fix)> {
    // Sets rather than pairwise comparisons: a Deployment of 3,000
    // containers has 15,000 findings. `taken` holds the chosen fixes'
    // footprints, `covered` every prefix of them: a path touches a chosen
    // one when one of its prefixes is taken, or it is itself covered.
    let mut taken: HashSet<(usize, &str)> = HashSet::new();
    let mut covered: HashSet<(usize, &str)> = HashSet::new();
    let mut chosen: Vec<(&Finding, &Fix)> = Vec::new();
    for finding in &report.findings {
        let Some(fix) = finding.fix.as_ref().filter(|f| options.allows(f)) else {
            continue;
        };
        let document = finding.object.document;
        let clashes = fix.operations.iter().map(footprint).any(|path| {
            covered.contains(&(document, path))
                || prefixes(path).any(|p| taken.contains(&(document, p)))
        });
        if !clashes {
            for path in fix.operations.iter().map(footprint) {
                taken.insert((document, path));
                covered.extend(prefixes(path).map(|p| (document, p)));
            }
            chosen.push((finding, fix));
        }
    }
    chosen
}

/// Every prefix of a JSON pointer at a token boundary, itself included:
/// `""`, `"/a"`, `"/a/b"` for `"/a/b"`.
fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once("")
        .chain(path.match_indices('/').skip(1).map(|(i, _)| &path[..i]))
        .chain(std::iter::once(path))
}

/// What fixing produced.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FixOutcome {
    pub applied: Vec<AppliedFix>,
    /// The check of the fixed input: what the fixes did not resolve.
    pub remaining: Report,
}

/// Apply the fixes of [`crate::check_json`] to an object until none is left.
/// The value is changed in place.
pub fn fix_json(object: &mut Json, settings: &Settings, options: FixOptions) -> FixOutcome {
    fix_rounds(object, options, |object| {
        crate::check_json(object, settings)
    })
}

/// [`fix_json`] as an admission request's object is checked
/// ([`crate::check_admission`]: the requester's exemptions, the ignore
/// annotation not honoured unless allowed): the policy's mutate mode.
pub fn fix_admission(
    object: &mut Json,
    settings: &Settings,
    requester: &crate::Requester<'_>,
    options: FixOptions,
) -> FixOutcome {
    fix_rounds(object, options, |object| {
        crate::check_admission(&crate::Node::from_json(object), settings, requester)
    })
}

fn fix_rounds(
    object: &mut Json,
    options: FixOptions,
    check: impl Fn(&Json) -> Report,
) -> FixOutcome {
    let mut applied = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let report = check(object);
        let chosen = select(&report, options);
        let mut progress = false;
        for (finding, fix) in chosen {
            if apply_all_or_nothing(object, &fix.operations).is_ok() {
                applied.push(AppliedFix::new(finding, fix));
                progress = true;
            }
        }
        if !progress {
            return FixOutcome {
                applied,
                remaining: report,
            };
        }
    }
    FixOutcome {
        applied,
        remaining: check(object),
    }
}

/// Apply operations all or nothing, copying only the value under their
/// deepest common parent: copying the whole object for each fix made mutate
/// mode quadratic (a Deployment of 1,000 containers took 52 s).
fn apply_all_or_nothing(object: &mut Json, operations: &[Operation]) -> Result<(), ApplyError> {
    let mut common: Option<Vec<&str>> = None;
    for op in operations {
        let (parent, _) = split_pointer(op.path())?;
        let tokens: Vec<&str> = parent.split('/').skip(1).collect();
        common = Some(match common {
            None => tokens,
            Some(c) => c
                .iter()
                .zip(&tokens)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let prefix: String = common
        .unwrap_or_default()
        .iter()
        .map(|t| format!("/{t}"))
        .collect();
    let slot = object
        .pointer_mut(&prefix)
        .ok_or_else(|| ApplyError(format!("no value at `{prefix}`")))?;
    let relative: Vec<Operation> = operations
        .iter()
        .map(|op| {
            let path = op.path()[prefix.len()..].to_owned();
            match op {
                Operation::Add { value, .. } => Operation::Add {
                    path,
                    value: value.clone(),
                },
                Operation::Replace { value, .. } => Operation::Replace {
                    path,
                    value: value.clone(),
                },
                Operation::Remove { .. } => Operation::Remove { path },
            }
        })
        .collect();
    let mut candidate = slot.clone();
    apply_json(&mut candidate, &relative)?;
    *slot = candidate;
    Ok(())
}

/// Apply operations (RFC 6902 `add`, `replace`, `remove`) to a JSON value.
/// Stops at the first operation that does not apply; the value may then be
/// partly changed, so apply to a copy when that matters.
pub fn apply_json(target: &mut Json, operations: &[Operation]) -> Result<(), ApplyError> {
    for op in operations {
        let (parent_path, last) = split_pointer(op.path())?;
        let parent = target
            .pointer_mut(parent_path)
            .ok_or_else(|| ApplyError(format!("no value at `{parent_path}`")))?;
        match (op, parent) {
            (Operation::Add { value, .. }, Json::Object(map)) => {
                map.insert(last, value.clone());
            }
            (Operation::Add { value, .. }, Json::Array(items)) => {
                let index = if last == "-" {
                    items.len()
                } else {
                    parse_index(&last, items.len() + 1)?
                };
                items.insert(index, value.clone());
            }
            (Operation::Replace { value, .. }, Json::Object(map)) => {
                let slot = map
                    .get_mut(&last)
                    .ok_or_else(|| ApplyError(format!("no member `{last}` to replace")))?;
                *slot = value.clone();
            }
            (Operation::Replace { value, .. }, Json::Array(items)) => {
                let index = parse_index(&last, items.len())?;
                items[index] = value.clone();
            }
            (Operation::Remove { .. }, Json::Object(map)) => {
                map.shift_remove(&last)
                    .ok_or_else(|| ApplyError(format!("no member `{last}` to remove")))?;
            }
            (Operation::Remove { .. }, Json::Array(items)) => {
                let index = parse_index(&last, items.len())?;
                items.remove(index);
            }
            _ => {
                return Err(ApplyError(format!(
                    "`{parent_path}` is not an object or array"
                )))
            }
        }
    }
    Ok(())
}

fn split_pointer(path: &str) -> Result<(&str, String), ApplyError> {
    let slash = path
        .rfind('/')
        .ok_or_else(|| ApplyError(format!("invalid pointer `{path}`")))?;
    let last = path[slash + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&path[..slash], last))
}

fn parse_index(token: &str, len: usize) -> Result<usize, ApplyError> {
    token
        .parse::<usize>()
        .ok()
        .filter(|&i| i < len)
        .ok_or_else(|| ApplyError(format!("invalid array index `{token}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn touching_paths() {
        assert!(paths_touch("/a/b", "/a/b"));
        assert!(paths_touch("/a/b", "/a/b/c"));
        assert!(!paths_touch("/a/b", "/a/bc"));
        assert!(!paths_touch("/a/b", "/a/c"));
    }

    #[test]
    fn prefixes_find_exactly_the_touching_paths() {
        let paths = [
            "", "/a", "/a/b", "/a/bc", "/a/b/c", "/a/c", "/b", "/a~1b", "/a/0", "/a/0/x",
        ];
        assert_eq!(prefixes("/a/b").collect::<Vec<_>>(), ["", "/a", "/a/b"]);
        for a in paths {
            for b in paths {
                let by_prefixes = prefixes(a).any(|p| p == b) || prefixes(b).any(|p| p == a);
                assert_eq!(by_prefixes, paths_touch(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn fixing_a_large_object_copies_only_what_each_fix_touches() {
        // 1,000 privileged containers: 5,000 findings. Copying the object
        // per fix and comparing fixes pairwise made this take minutes.
        let containers: Vec<_> = (0..1_000)
            .map(|i| json!({"name": format!("c{i}"), "image": "nginx", "securityContext": {"privileged": true}}))
            .collect();
        let mut object = json!({"kind": "Pod", "spec": {"containers": containers}});
        let outcome = fix_json(
            &mut object,
            &Settings::default(),
            FixOptions { unsafe_fixes: true },
        );
        assert_eq!(
            object["spec"]["containers"][999]["securityContext"]["privileged"],
            false
        );
        let count = |rule: &str| outcome.applied.iter().filter(|a| a.rule == rule).count();
        assert_eq!(count("privileged"), 1_000);
        assert_eq!(count("privilege-escalation-not-disabled"), 1_000);
    }

    #[test]
    fn json_operations() {
        let mut v = json!({"a": {"b": 1}, "l": [1]});
        apply_json(
            &mut v,
            &[
                Operation::Add {
                    path: "/a/c".into(),
                    value: json!(true),
                },
                Operation::Replace {
                    path: "/a/b".into(),
                    value: json!(2),
                },
                Operation::Add {
                    path: "/l/-".into(),
                    value: json!(3),
                },
                Operation::Remove {
                    path: "/l/0".into(),
                },
            ],
        )
        .unwrap();
        assert_eq!(v, json!({"a": {"b": 2, "c": true}, "l": [3]}));
        assert!(apply_json(
            &mut v,
            &[Operation::Remove {
                path: "/x/y".into()
            }]
        )
        .is_err());
        assert!(apply_json(
            &mut v,
            &[Operation::Replace {
                path: "/a/z".into(),
                value: json!(1)
            }]
        )
        .is_err());
    }

    #[test]
    fn tutorial_pod_is_fixed_as_json() {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                "securityContext": {"privileged": true, "allowPrivilegeEscalation": true, "runAsUser": 0, "readOnlyRootFilesystem": false}}]}
        });
        let outcome = fix_json(&mut pod, &Settings::default(), FixOptions::default());
        let c = &pod["spec"]["containers"][0];
        assert_eq!(c["securityContext"]["privileged"], json!(false));
        assert_eq!(
            c["securityContext"]["allowPrivilegeEscalation"],
            json!(false)
        );
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], json!(true));
        assert_eq!(
            c["securityContext"]["runAsUser"],
            json!(0),
            "unsafe fix not applied"
        );
        let mounts: Vec<&str> = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].as_str().unwrap())
            .collect();
        assert_eq!(mounts, ["/var/cache/nginx", "/var/run", "/tmp"]);
        let rules: Vec<&str> = outcome.remaining.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                "run-as-root",
                "may-run-as-root",
                "capabilities-not-restricted"
            ],
            "the unsafe fixes are left"
        );

        let outcome = fix_json(
            &mut pod,
            &Settings::default(),
            FixOptions { unsafe_fixes: true },
        );
        assert!(
            outcome.remaining.findings.is_empty(),
            "{:?}",
            outcome.remaining.findings
        );
        assert_eq!(
            pod["spec"]["containers"][0]["securityContext"].get("runAsUser"),
            None
        );
    }
}
