//! A waPC policy that parses the whole `ValidationRequest` JSON, reads one
//! field and accepts: the floor any JSON policy pays (instantiation, waPC
//! round trip, JSON parsing). Kubewarden policies register these three
//! operations the same way.

use kubewarden_policy_sdk::wapc_guest::{register_function, CallResult};

#[no_mangle]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}

fn validate(payload: &[u8]) -> CallResult {
    let request: serde_json::Value = serde_json::from_slice(payload)?;
    match request.pointer("/request/object/spec") {
        Some(_) => kubewarden_policy_sdk::accept_request(),
        None => kubewarden_policy_sdk::reject_request(Some("no spec".into()), None, None, None),
    }
}

fn validate_settings(_payload: &[u8]) -> CallResult {
    Ok(br#"{"valid":true}"#.to_vec())
}
