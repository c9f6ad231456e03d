//! One snapshot per invalid fixture of what `fix` makes of it (safe fixes,
//! then unsafe ones too), so every change to the rendering of fixes is read
//! in review. Also: every finding of a rule that declares
//! `FixAvailability::Always` carries a fix.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

use std::path::{Path, PathBuf};

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::rules::{self, FixAvailability};
use kube_immutable_core::{check_text, Settings};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fixed_fixtures() {
    let settings = Settings::default();
    for path in fixtures() {
        let name = path.file_stem().unwrap().to_str().unwrap();
        if !name.starts_with("invalid_") {
            continue;
        }
        let rule = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let safe = fix_text(&text, &settings, FixOptions::default());
        let all = fix_text(&text, &settings, FixOptions { unsafe_fixes: true });
        let left = |r: &kube_immutable_core::Report| {
            r.findings
                .iter()
                .map(|f| format!("{} {}", f.rule, f.pointer))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let shown = format!(
            "--- safe fixes ---\n{}\n--- left ---\n{}\n--- with unsafe fixes ---\n{}\n--- left ---\n{}\n",
            safe.text,
            left(&safe.remaining),
            all.text,
            left(&all.remaining)
        );
        insta::assert_snapshot!(format!("{rule}__{name}"), shown);
    }
}

#[test]
fn findings_carry_the_fixes_their_rule_declares() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        for f in check_text(&text, &Settings::default()).findings {
            let rule = rules::by_id(f.rule).unwrap();
            match rule.fix {
                FixAvailability::Always => {
                    assert!(f.fix.is_some(), "{}: {} has no fix", path.display(), f.rule)
                }
                FixAvailability::None => {
                    assert!(f.fix.is_none(), "{}: {} has a fix", path.display(), f.rule)
                }
                FixAvailability::Sometimes => {}
            }
        }
    }
}
