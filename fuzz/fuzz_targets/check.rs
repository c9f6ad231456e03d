//! Parse + check arbitrary bytes (as text, invalid UTF-8 replaced, as the
//! CLI would refuse it and the browser would decode it): no panic; every
//! span in bounds and on character boundaries; line, column and UTF-16
//! offsets as counted from the text; a second check gives the same report.
//! Under the CLI's limits, the browser's, and tiny ones that every input
//! of a few hundred bytes can reach.
#![no_main]

use kube_immutable_core::{Limits, Settings};
use kube_immutable_fuzz::{all_rules_on, check, TINY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text, &Settings::default(), &Limits::default());
    check(&text, &all_rules_on(), &Limits::browser());
    check(&text, &Settings::default(), &TINY);
});
