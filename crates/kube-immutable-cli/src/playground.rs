//! Links that open a manifest in the playground, in its share format
//! (web/README.md, "Share links"): `#v1=` then base64url without padding of
//! the raw DEFLATE of the UTF-8 JSON `{"manifest": "..."}`.
//!
//! `cargo xtask docs` writes the same links into the rule pages (same
//! compressor, same level); a test checks that `explain` prints the link of
//! the committed page.

use kube_immutable_core::rules::{RuleMeta, PLAYGROUND_URL};

/// The playground, at its published address, opened on a rule's bad example
/// (with the rule turned on when it is off by default).
pub fn rule_link(rule: &RuleMeta) -> Option<String> {
    rule.example_share_json().map(|json| link(&json))
}

/// The playground opened on a share payload (JSON).
fn link(json: &str) -> String {
    let deflated = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    format!("{PLAYGROUND_URL}#v1={}", base64url(&deflated))
}

/// RFC 4648 §5 without padding.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
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
    fn base64url_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff, 0xfe]), "-__-");
    }

    #[test]
    fn a_link_holds_the_manifest() {
        let manifest = "kind: Pod # é 😀\nspec: {}\n";
        let link = link(&serde_json::json!({ "manifest": manifest }).to_string());
        assert!(link.starts_with(&format!("{PLAYGROUND_URL}#v1=")));
        assert_eq!(decode(&link), serde_json::json!({ "manifest": manifest }));
    }

    #[test]
    fn every_rule_links_to_its_example() {
        for rule in kube_immutable_core::RULES {
            let link = rule_link(rule).unwrap();
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
