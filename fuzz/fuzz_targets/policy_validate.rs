//! The policy's `validate` (what the waPC `validate` operation and the WASI
//! command call) on arbitrary bytes: never a panic (a trap in the host),
//! always a response that encodes to JSON; a rejection has a message and a
//! code, and a mutated object only comes with an acceptance.
#![no_main]

use kube_immutable_policy::{validate, validate_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let answer = validate_response(data);
    if answer.accepted {
        assert!(answer.code.is_none(), "{answer:?}");
    } else {
        assert!(
            answer.message.as_ref().is_some_and(|m| !m.is_empty()),
            "{answer:?}"
        );
        assert!(answer.code.is_some(), "{answer:?}");
        assert!(answer.mutated_object.is_none(), "{answer:?}");
    }
    let encoded = validate(data);
    let json: serde_json::Value = serde_json::from_slice(&encoded).expect("the response is JSON");
    assert_eq!(json["accepted"], answer.accepted);
});
