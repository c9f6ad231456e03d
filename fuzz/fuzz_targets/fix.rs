//! Fix arbitrary text (`fix::text::fix_text`, safe fixes, then unsafe ones
//! with every rule on, under the browser's limits as the playground does):
//! no panic; when fixes apply, the output has no more syntax errors than
//! the input, its reported check is a fresh check, fixing it again changes
//! nothing, and every byte outside the nodes the fixes address is kept.
#![no_main]

use kube_immutable_core::fix::text::fix_text_with_limits;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{Limits, Settings};
use kube_immutable_fuzz::{all_rules_on, assert_fix};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (settings, options, limits) in [
        (
            Settings::default(),
            FixOptions::default(),
            Limits::default(),
        ),
        (
            all_rules_on(),
            FixOptions { unsafe_fixes: true },
            Limits::browser(),
        ),
    ] {
        let fixed = fix_text_with_limits(&text, &settings, options, &limits);
        let again = fix_text_with_limits(&fixed.text, &settings, options, &limits);
        assert_fix(&text, &fixed, &again, &settings, options, &limits);
    }
});
