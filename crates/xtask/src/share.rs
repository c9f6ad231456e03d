//! Playground links for the rule pages, in the playground's share format
//! (web/README.md, "Share links"): `#v1=` then base64url without padding of
//! the raw DEFLATE of the UTF-8 JSON `{"manifest": "..."}`.
//!
//! The CLI builds the same links for `kube-immutable explain`
//! (crates/kube-immutable-cli/src/playground.rs: same compressor, same
//! level); its tests check that `explain` prints the committed page's link.

use kube_immutable_core::rules::PLAYGROUND_URL;

/// The playground, at its published address, opened on a share payload
/// (JSON, `RuleMeta::example_share_json`).
pub(crate) fn playground_link(json: &str) -> String {
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
    use std::io::Read as _;

    #[test]
    fn a_link_decodes_with_zlib_to_the_manifest() {
        let manifest = "kind: Pod # é 😀\nspec: {}\n";
        let link = playground_link(&serde_json::json!({ "manifest": manifest }).to_string());
        let data = link.strip_prefix(&format!("{PLAYGROUND_URL}#v1=")).unwrap();
        assert!(data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        // Decode with another implementation than the encoder's: base64 by
        // hand, then flate2's raw DEFLATE reader.
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let (mut bytes, mut acc, mut n) = (Vec::new(), 0u32, 0);
        for c in data.chars() {
            acc = acc << 6 | alphabet.find(c).unwrap() as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                bytes.push((acc >> n) as u8);
            }
        }
        let mut json = String::new();
        flate2::read::DeflateDecoder::new(&bytes[..])
            .read_to_string(&mut json)
            .unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "manifest": manifest }).to_string()
        );
        assert_eq!(base64url(b"foob"), "Zm9vYg");
    }
}
