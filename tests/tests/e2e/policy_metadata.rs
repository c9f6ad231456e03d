//! What operators read before they run the policy: `metadata.yml`, the WASI
//! command's `metadata-wasi.yml` and `artifacthub-pkg.yml` agree with each
//! other and with the workspace, and carry no placeholder URLs.

use kube_immutable_core::{yaml, Limits};
use kube_immutable_tests::workspace_root;
use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn yaml_value(path: &str) -> Value {
    let text = read(path);
    let (documents, errors) = yaml::parse_stream(&text, &Limits::default());
    assert!(errors.is_empty(), "{path}: {errors:?}");
    assert_eq!(documents.len(), 1, "{path}");
    documents[0].root.to_json()
}

/// A `key = "value"` of the workspace's Cargo.toml.
fn workspace_field(key: &str) -> String {
    read("Cargo.toml")
        .lines()
        .find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| panic!("no `{key}` in Cargo.toml"))
}

#[test]
fn the_policy_says_it_can_mutate() {
    // Mode `mutate` returns fixed objects; Kubewarden's convention is that
    // `mutating` says what the policy can do (validate mode never returns a
    // patch: tests/tests/e2e/policy_wapc.rs and kwctl.rs hold it to that).
    let metadata = yaml_value("policy-wasm/metadata.yml");
    assert_eq!(metadata["mutating"], true);
    assert_eq!(metadata["executionMode"], "kubewarden-wapc");
    assert_eq!(metadata["contextAware"], false);
}

#[test]
fn the_wasi_metadata_is_the_wapc_metadata_but_for_the_execution_mode() {
    let mut wapc = yaml_value("policy-wasm/metadata.yml");
    let wasi = yaml_value("policy-wasm/metadata-wasi.yml");
    assert_eq!(wasi["executionMode"], "wasi");
    wapc["executionMode"] = "wasi".into();
    assert_eq!(wasi, wapc);
}

#[test]
fn artifact_hub_agrees_with_the_metadata() {
    let metadata = yaml_value("policy-wasm/metadata.yml");
    let package = yaml_value("policy-wasm/artifacthub-pkg.yml");
    let version = workspace_field("version");
    assert_eq!(package["version"], version.as_str());
    assert_eq!(
        metadata["annotations"]["io.kubewarden.policy.version"],
        version.as_str()
    );
    assert_eq!(
        package["name"],
        metadata["annotations"]["io.kubewarden.policy.title"]
    );
    let annotations = &package["annotations"];
    assert_eq!(
        annotations["kubewarden/mutation"],
        metadata["mutating"].to_string().as_str()
    );
    assert_eq!(
        annotations["kubewarden/resources"],
        metadata["annotations"]["io.artifacthub.resources"]
    );
    let rules_text = annotations["kubewarden/rules"]
        .as_str()
        .expect("kubewarden/rules is YAML text");
    let (rules, errors) = yaml::parse_stream(rules_text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rules[0].root.to_json(), metadata["rules"]);
}

/// Every `http(s)://` URL in `text`.
fn urls(text: &str) -> Vec<&str> {
    text.match_indices("http")
        .filter_map(|(at, _)| {
            let rest = &text[at..];
            (rest.starts_with("https://") || rest.starts_with("http://")).then(|| {
                let end = rest
                    .find(|c: char| c.is_whitespace() || "\"'`)>]".contains(c))
                    .unwrap_or(rest.len());
                rest[..end].trim_end_matches(['.', ',', ':'])
            })
        })
        .collect()
}

#[test]
fn no_placeholder_urls() {
    // What is real: the source repository (Cargo.toml's `repository`), the
    // Kubewarden and Kubernetes sites. Nothing is published yet: no release
    // download, no made-up mail address, and the OCI image only in
    // artifacthub-pkg.yml, marked as published at release time.
    let repository = workspace_field("repository");
    let allowed = [
        repository.as_str(),
        "https://artifacthub.io/packages/helm/kubewarden/",
        "https://docs.kubewarden.io/",
        "https://kubernetes.io/",
        "http://127.0.0.1:",
    ];
    for file in [
        "policy-wasm/metadata.yml",
        "policy-wasm/metadata-wasi.yml",
        "policy-wasm/artifacthub-pkg.yml",
        "policy-wasm/README.md",
    ] {
        let text = read(file);
        for url in urls(&text) {
            assert!(
                allowed.iter().any(|prefix| url.starts_with(prefix)),
                "{file}: {url} is neither the source repository nor a known site"
            );
            assert!(!url.contains("/releases/download/"), "{file}: {url}");
        }
        for placeholder in [".invalid", "example.com", "registry://"] {
            assert!(
                !text.contains(placeholder),
                "{file} names `{placeholder}`, which is not published"
            );
        }
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            if !line.contains("ghcr.io/") {
                continue;
            }
            let marked = lines[at.saturating_sub(3)..at]
                .iter()
                .any(|l| l.trim_start().starts_with("# Release time:"));
            assert!(
                file.ends_with("artifacthub-pkg.yml") && marked,
                "{file}:{}: an OCI image that is not published, without a `# Release time:` comment above it",
                at + 1
            );
        }
    }
}

#[test]
fn url_extraction_finds_urls() {
    assert_eq!(
        urls("see <https://a.io/x>, then (http://127.0.0.1:3000/validate/p)."),
        ["https://a.io/x", "http://127.0.0.1:3000/validate/p"]
    );
}
