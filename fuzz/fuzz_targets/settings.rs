//! Settings from arbitrary bytes, on each path that reads them: the core's
//! `Settings::from_json_str` (the npm package, the policy's settings), the
//! CLI's `--config` reader (YAML or JSON, naming and pointing at the faulty
//! key; its very source file), and the policy's `validate_settings`.
//! No panic; accepted settings validate and survive a JSON round trip;
//! a refusal has a message, and the CLI's a span inside the text.
#![no_main]

use kube_immutable_core::Settings;
use kube_immutable_fuzz::assert_span;
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/kube-immutable-cli/src/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Settings::from_json_str(&text) {
        Ok(settings) => {
            assert_eq!(settings.validate(), Ok(()));
            let json = serde_json::to_string(&settings).expect("settings serialise");
            assert_eq!(Settings::from_json_str(&json).as_ref(), Ok(&settings));
        }
        Err(e) => assert!(
            e.0.starts_with("invalid settings: ") && e.0.len() > 18,
            "{e}"
        ),
    }
    match config::parse("fuzz.yaml", text.to_string()) {
        Ok(settings) => assert_eq!(settings.validate(), Ok(())),
        Err(e) => {
            assert!(!e.message.is_empty(), "empty message: {e:?}");
            if let Some(span) = e.span {
                assert_span(&text, span, &e.message);
            }
        }
    }
    let answer = kube_immutable_policy::validate_settings_response(data);
    if !answer.valid {
        assert!(answer.message.is_some_and(|m| !m.is_empty()));
    }
});
