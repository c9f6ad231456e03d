//! The waPC face (`executionMode: kubewarden-wapc`): the host calls
//! `wapc_init` once, then the operations registered here.

use kubewarden_policy_sdk::wapc_guest::{register_function, CallResult};

/// Called by the waPC host when it instantiates the module.
// `no_mangle` counts as unsafe code: the host finds this export by name. It
// is the one exception to the workspace's `unsafe_code` ban (see Cargo.toml).
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
}

// Each operation answers `Ok`: failures are rejections in the payload, never
// waPC errors (the host would report those as policy crashes).

fn validate(payload: &[u8]) -> CallResult {
    Ok(crate::validate(payload))
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(crate::validate_settings(payload))
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(crate::protocol_version())
}
