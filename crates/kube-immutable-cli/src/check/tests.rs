//! The streaming run ([`super::stream`]) prints what the whole run prints
//! (every input read whole, checked with `check_text`, rendered whole:
//! [`Run`] and the renderers' `render`), to the byte, with the same summary
//! and exit code, in every format and language,
//! whatever the number of threads: over the repository's fixtures and
//! examples, inputs that break in every way, and, when the shared corpus is
//! there (`KUBE_IMMUTABLE_CORPUS`), the real-world manifests as files, as
//! one stream and as one `List`.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use kube_immutable_core::{Level, Settings};

use super::{Keep, Run, Summary};
use crate::discover::SettingsFor;
use crate::inputs;
use crate::output::{github, json, sarif, text, Format, Lang};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn every_rule() -> Settings {
    let mut settings = Settings::default();
    for rule in kube_immutable_core::RULES {
        if rule.default_level == Level::Off {
            settings.rules.insert(rule.id.to_owned(), Level::Error);
        }
    }
    settings
}

/// The streaming run's output and summary.
fn streamed(
    paths: &[String],
    settings: &SettingsFor,
    jobs: usize,
    format: &dyn Format,
) -> (String, Summary) {
    let mut out = Vec::new();
    let (summary, error) =
        super::stream::run(inputs::collect(paths), settings, jobs, format, &mut out);
    assert!(error.is_none(), "{error:?}");
    (String::from_utf8(out).unwrap(), summary)
}

/// Every format and language, the old run against the new one.
fn assert_same(paths: &[String], settings: &Settings) {
    assert_same_with(paths, &SettingsFor::given(settings.clone()), Thorough::Yes);
}

/// Every language and several thread counts, or (for the large corpus, to
/// keep CI short) English on two threads.
#[derive(PartialEq)]
enum Thorough {
    Yes,
    No,
}

/// [`assert_same`] with each input's settings as given.
fn assert_same_with(paths: &[String], settings: &SettingsFor, thorough: Thorough) {
    let keep = Keep {
        text: true,
        objects: false,
    };
    let old = Run::check(inputs::collect(paths), settings, 2, keep);
    let summary = old.summary();
    let (langs, threads): (&[Lang], &[usize]) = if thorough == Thorough::Yes {
        (&[Lang::En, Lang::Fr], &[1, 3])
    } else {
        (&[Lang::En], &[2])
    };
    for &lang in langs {
        let formats: Vec<(&str, Box<dyn Format>, String)> = vec![
            (
                "text",
                Box::new(text::Text { lang, quiet: false }),
                text::render(&old, lang, false),
            ),
            (
                "text --quiet",
                Box::new(text::Text { lang, quiet: true }),
                text::render(&old, lang, true),
            ),
            (
                "json",
                Box::new(json::Json { lang }),
                json::render(&old, lang),
            ),
            (
                "sarif",
                Box::new(sarif::Sarif::new(lang)),
                sarif::render(&old, lang),
            ),
            (
                "github",
                Box::new(github::Github { lang }),
                github::render(&old, lang),
            ),
        ];
        for (name, format, expected) in formats {
            for &jobs in threads {
                let (got, got_summary) = streamed(paths, settings, jobs, format.as_ref());
                assert_eq!(
                    got_summary, summary,
                    "{name} {lang:?} --jobs {jobs} {paths:?}"
                );
                assert_eq!(got_summary.exit_code(), old.exit_code());
                if got != expected {
                    let line = got
                        .lines()
                        .zip(expected.lines())
                        .position(|(g, e)| g != e)
                        .unwrap_or(0);
                    panic!(
                        "{name} {lang:?} --jobs {jobs} {paths:?}: output differs at line {}:\n  got:      {:?}\n  expected: {:?}",
                        line + 1,
                        got.lines().nth(line),
                        expected.lines().nth(line)
                    );
                }
            }
        }
    }
}

#[test]
fn fixtures_and_examples_print_as_before() {
    let root = workspace();
    let dirs = [
        root.join("examples"),
        root.join("crates/kube-immutable-core/tests/fixtures"),
        root.join("crates/kube-immutable-cli/tests/fixtures"),
        root.join("presets"),
        root.join("tests/fixtures"),
    ];
    let paths: Vec<String> = dirs
        .iter()
        .filter(|d| d.is_dir())
        .map(|d| d.display().to_string())
        .chain(["no/such/file.yaml".to_owned()])
        .collect();
    assert_same(&paths, &Settings::default());
    assert_same(&paths, &every_rule());
}

/// Files that break in every way the reader knows, and one that is not
/// UTF-8.
#[test]
fn broken_inputs_print_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &[u8])] = &[
        ("empty.yaml", b""),
        ("bom.yaml", "\u{feff}kind: Pod\r\nspec: {containers: [{name: c, image: x}]}\r\n".as_bytes()),
        ("nul.yaml", b"kind: Pod\nspec: {containers: [{name: c, image: x}]}\n---\na: \0\n"),
        ("syntax.yaml", b"kind: Pod\nspec: [\n---\nkind: Pod\nspec: {containers: [{name: d, image: y}]}\n"),
        ("closer.yaml", b"kind: Pod\nspec:\n  containers: [\n    {name: c, image: x},\n  ]\n"),
        ("duplicates.yaml", b"kind: List\nitems:\n- kind: Pod\n  a: 1\n  a: 2\n  spec: {containers: [{name: c, image: x}]}\nkind: List\n"),
        ("aliases.yaml", b"kind: List\nitems:\n- kind: Pod\n  spec: {containers: [&c {name: c, image: x, securityContext: {privileged: true}}]}\n- kind: Pod\n  spec: {containers: [*c]}\n"),
        ("not-utf8.yaml", b"kind: Pod\nmetadata: {name: \xff}\n"),
        ("cut-utf8.yaml", b"kind: Pod\nmetadata: {name: \xc3"),
        ("types.yaml", b"kind: Pod\nmetadata: {annotations: {kube-immutable.io/ignore: nope}}\nspec: {hostPID: \"true\", containers: {name: c}}\n"),
        ("comments.yaml", b"# only\n---\n# comments\n...\n"),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let paths = vec![dir.path().display().to_string()];
    assert_same(&paths, &every_rule());
}

/// A long stream and a long `List`: chunks held whole and read as they
/// come, many in flight, spools past memory.
#[test]
fn long_inputs_print_as_before() {
    let root = workspace().join("crates/kube-immutable-core/tests/fixtures");
    let mut docs = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            docs.push(std::fs::read_to_string(file).unwrap());
        }
    }
    let stream = docs.join("---\n");
    let mut list = String::from("apiVersion: v1\nitems:\n");
    for doc in &docs {
        let lines: Vec<&str> = doc
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("---"))
            .collect();
        if lines
            .first()
            .is_none_or(|l| l.starts_with([' ', '{', '[', '-']))
        {
            continue;
        }
        for (i, line) in lines.iter().enumerate() {
            list.push_str(if i == 0 {
                "- "
            } else if line.is_empty() {
                ""
            } else {
                "  "
            });
            list.push_str(line);
            list.push('\n');
        }
    }
    list.push_str("kind: List\n");
    let dir = tempfile::tempdir().unwrap();
    // Over a megabyte each: the list is read as it comes.
    let stream = stream.repeat(1 + 1_500_000 / stream.len());
    let list = format!(
        "{}kind: List\n",
        list.trim_end_matches("kind: List\n")
            .repeat(1 + 1_500_000 / list.len())
    );
    std::fs::write(dir.path().join("stream.yaml"), &stream).unwrap();
    std::fs::write(dir.path().join("list.yaml"), &list).unwrap();
    let paths = vec![dir.path().display().to_string()];
    assert_same(&paths, &Settings::default());
}

/// The real-world corpus, when it is there.
#[test]
fn real_world_corpus_prints_as_before() {
    let corpus = std::env::var_os("KUBE_IMMUTABLE_CORPUS")
        .map(PathBuf::from)
        .or_else(|| Some(workspace().join("../shared/corpus")).filter(|p| p.is_dir()));
    let Some(corpus) = corpus else {
        eprintln!("SKIPPED: no corpus (set KUBE_IMMUTABLE_CORPUS, or put it at ../shared/corpus) to compare over the real-world manifests");
        return;
    };
    let realworld = Path::new(&corpus).join("realworld");
    if !realworld.is_dir() {
        eprintln!("SKIPPED: no realworld/ in {}", realworld.display());
        return;
    }
    assert_same_with(
        &[realworld.display().to_string()],
        &SettingsFor::given(every_rule()),
        Thorough::No,
    );
}

/// Each input with its nearest settings file, as `check` without
/// `--config` reads them.
#[test]
fn discovered_settings_print_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let strict = dir.path().join("strict");
    std::fs::create_dir(&strict).unwrap();
    std::fs::write(
        strict.join(".kube-immutable.yaml"),
        "rules:\n  image-not-pinned: error\n  may-run-as-root: off\n",
    )
    .unwrap();
    let pod = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n";
    std::fs::write(strict.join("pod.yaml"), pod).unwrap();
    std::fs::write(dir.path().join("pod.yaml"), pod).unwrap();
    let paths = vec![dir.path().display().to_string()];
    let inputs = inputs::collect(&paths);
    let settings = SettingsFor::discover(inputs.iter().filter_map(|i| i.as_ref().ok())).unwrap();
    assert_same_with(&paths, &settings, Thorough::Yes);
}

/// Which runs are small enough to check whole (`super::small`): regular
/// files up to 4 MiB each and 32 MiB in all; standard input, a larger file
/// or a larger total stream. Sparse files: only their length counts.
#[test]
fn small_runs_are_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, len: u64| {
        let path = dir.path().join(name);
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        Ok(inputs::Input {
            name: name.to_owned(),
            source: inputs::Source::File(path),
        })
    };
    const MIB: u64 = 1024 * 1024;
    let stdin = || {
        Ok(inputs::Input {
            name: "-".to_owned(),
            source: inputs::Source::Stdin,
        })
    };
    let missing = || {
        Err(inputs::InputError {
            name: "gone.yaml".to_owned(),
            message: kube_immutable_core::Message::new("not found", "introuvable"),
        })
    };

    assert!(super::small(&[
        file("a.yaml", 10),
        file("b.yaml", 4 * MIB),
        missing()
    ]));
    assert!(
        !super::small(&[file("c.yaml", 10), stdin()]),
        "stdin streams"
    );
    assert!(
        !super::small(&[file("d.yaml", 4 * MIB + 1)]),
        "a larger file streams"
    );
    let eight: Vec<_> = (0..8)
        .map(|i| file(&format!("e{i}.yaml"), 4 * MIB))
        .collect();
    assert!(super::small(&eight), "32 MiB in all");
    let nine: Vec<_> = (0..9)
        .map(|i| file(&format!("f{i}.yaml"), 4 * MIB))
        .collect();
    assert!(!super::small(&nine), "36 MiB in all streams");
    let gone = Ok(inputs::Input {
        name: "vanished.yaml".to_owned(),
        source: inputs::Source::File(dir.path().join("vanished.yaml")),
    });
    assert!(!super::small(&[gone]), "what cannot be sized streams");
}
