//! `fix --write` never loses data: through symbolic links, the file's mode
//! kept, nothing written on an error, unchanged files untouched.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test
#![cfg(unix)]

mod common;
use common::run_in as run;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

const MUTABLE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx\n      securityContext:\n        privileged: true # on purpose\n";

fn fixed_ok(text: &str) {
    assert!(text.contains("privileged: false # on purpose"), "{text}");
}

/// Names of the entries of a folder, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn write_goes_through_a_symlink_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("base")).unwrap();
    fs::write(dir.path().join("base/pod.yaml"), MUTABLE).unwrap();
    std::os::unix::fs::symlink("base/pod.yaml", dir.path().join("link.yaml")).unwrap();
    let out = run(dir.path(), &["fix", "--write", "link.yaml"], None);
    assert!(out.stderr.contains("Applied"), "{}", out.stderr);
    let link = dir.path().join("link.yaml");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("base/pod.yaml"));
    fixed_ok(&fs::read_to_string(dir.path().join("base/pod.yaml")).unwrap());
    assert_eq!(entries(&dir.path().join("base")), ["pod.yaml"]);
    assert_eq!(entries(dir.path()), ["base", "link.yaml"]);
}

#[test]
fn write_keeps_the_files_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.yaml");
    fs::write(&path, MUTABLE).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = run(dir.path(), &["fix", "--write", "pod.yaml"], None);
    assert!(out.stderr.contains("Applied"), "{}", out.stderr);
    fixed_ok(&fs::read_to_string(&path).unwrap());
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o640);
}

#[test]
fn a_read_only_folder_leaves_the_original_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ro");
    fs::create_dir(&folder).unwrap();
    let path = folder.join("pod.yaml");
    fs::write(&path, MUTABLE).unwrap();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permissions: the refusal cannot happen there.
    if fs::write(folder.join("probe"), "").is_ok() {
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("SKIPPED: permissions are not enforced for this user (root?); a read-only folder cannot be tested");
        return;
    }
    let out = run(dir.path(), &["fix", "--write", "ro/pod.yaml"], None);
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("ro/pod.yaml: not written: Permission denied"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), MUTABLE);
    assert_eq!(entries(&folder), ["pod.yaml"], "no temporary file left");
}

#[test]
fn a_read_only_file_is_not_replaced() {
    // Checked from the mode bits, so it holds for root too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.yaml");
    fs::write(&path, MUTABLE).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let out = run(dir.path(), &["fix", "--write", "pod.yaml"], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("pod.yaml: not written: the file is read-only"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), MUTABLE);
    assert_eq!(entries(dir.path()), ["pod.yaml"]);
}

#[test]
fn unchanged_files_are_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let clean = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";
    let path = dir.path().join("clean.yaml");
    fs::write(&path, clean).unwrap();
    fs::write(dir.path().join("pod.yaml"), MUTABLE).unwrap();
    let past = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(past)
        .unwrap();
    let before = fs::metadata(&path).unwrap();
    let out = run(dir.path(), &["fix", "--write", "."], None);
    assert!(out.stderr.contains("in 1 file"), "{}", out.stderr);
    let after = fs::metadata(&path).unwrap();
    assert_eq!(after.ino(), before.ino(), "not replaced");
    assert_eq!(after.modified().unwrap(), past, "not rewritten");
    fixed_ok(&fs::read_to_string(dir.path().join("pod.yaml")).unwrap());
}

#[test]
fn invalid_utf8_is_an_input_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.yaml");
    let mut bytes = MUTABLE.as_bytes().to_vec();
    bytes.extend_from_slice(b"# caf\xe9\n");
    fs::write(&path, &bytes).unwrap();
    for args in [
        &["check", "latin1.yaml"][..],
        &["fix", "--write", "latin1.yaml"],
    ] {
        let out = run(dir.path(), args, None);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            all.contains(&format!(
                "not UTF-8 text (invalid byte at offset {})",
                MUTABLE.len() + 5
            )),
            "{args:?}: {all}"
        );
    }
    assert_eq!(fs::read(&path).unwrap(), bytes);
}
