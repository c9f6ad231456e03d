//! Links that open a manifest in the playground, in its share format
//! (web/README.md, "Share links"): `#v1=` then base64url without padding of
//! the raw DEFLATE of the UTF-8 JSON `{"manifest": "..."}`.
//!
//! The one builder of these links: `kube-immutable explain` prints them, and
//! `cargo xtask docs` includes this file (`#[path]`) to write them into the
//! rule pages; a test checks that `explain` prints the committed page's link.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kube_immutable_core::rules::{RuleMeta, PLAYGROUND_URL};

/// The playground, at its published address, opened on a rule's bad example
/// (with the rule turned on when it is off by default), in English or, for
/// `lang` `fr…`, in French.
pub fn rule_link(rule: &RuleMeta, lang: &str) -> Option<String> {
    let query = if lang.starts_with("fr") {
        "?lang=fr"
    } else {
        ""
    };
    rule.example_share_json()
        .map(|json| format!("{PLAYGROUND_URL}{query}#v1={}", fragment(&json)))
}

/// A share payload (JSON) as the fragment's value: raw DEFLATE, base64url.
fn fragment(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode as the playground does: base64url, raw INFLATE, JSON.
    fn decode(link: &str) -> serde_json::Value {
        let data = link.split_once("#v1=").unwrap().1;
        let mut bits = Vec::new();
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let (mut acc, mut n) = (0u32, 0);
        for c in data.chars() {
            acc = acc << 6 | ALPHABET.find(c).unwrap() as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                bits.push((acc >> n) as u8);
            }
        }
        let json = miniz_oxide::inflate::decompress_to_vec(&bits).unwrap();
        serde_json::from_slice(&json).unwrap()
    }

    #[test]
    fn a_link_holds_the_manifest() {
        let manifest = "kind: Pod # é 😀\nspec: {}\n";
        let link = format!(
            "{PLAYGROUND_URL}#v1={}",
            fragment(&serde_json::json!({ "manifest": manifest }).to_string())
        );
        assert_eq!(decode(&link), serde_json::json!({ "manifest": manifest }));
    }

    #[test]
    fn every_rule_links_to_its_example() {
        for rule in kube_immutable_core::RULES {
            let link = rule_link(rule, "en").unwrap();
            assert!(link.starts_with(&format!("{PLAYGROUND_URL}#v1=")));
            let french = rule_link(rule, "fr").unwrap();
            assert_eq!(french, link.replacen("#v1=", "?lang=fr#v1=", 1));
            let payload = decode(&link);
            assert_eq!(payload["manifest"], rule.example_manifest().unwrap());
            let off = rule.default_level == kube_immutable_core::Level::Off;
            assert_eq!(
                payload["settings"]["rules"][rule.id] == "warning",
                off,
                "{}",
                rule.id
            );
        }
    }
}
