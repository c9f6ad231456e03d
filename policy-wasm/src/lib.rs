//! kube-immutable as a Kubewarden policy: one module that rejects (or, in
//! mutate mode, fixes) workloads whose containers are not immutable.
//!
//! This crate is a thin binding: it decodes the Kubewarden payload, hands the
//! object to [`kube_immutable_core::check_json`] and encodes the answer. No
//! rule logic lives here.
//!
//! Two faces share [`validate`] and [`validate_settings`]:
//! - the waPC module (`executionMode: kubewarden-wapc`), whose `wapc_init`
//!   registers `validate`, `validate_settings` and `protocol_version`;
//! - the WASI command (`executionMode: wasi`, `src/main.rs`): `validate` or
//!   `validate-settings` as first argument, JSON on stdin and stdout.
//!
//! **Invariant:** no input makes these functions panic (a panic is a trap in
//! the host, and the module is built with `panic = "abort"`): every decoding
//! error becomes a rejection with a message.

mod admission;
#[cfg(any(test, target_arch = "wasm32"))]
mod arena;
mod decode;
#[cfg(target_arch = "wasm32")]
mod wapc;

pub use admission::{
    validate, validate_response, validate_settings, validate_settings_response,
    SettingsValidationResponse, ValidationResponse, CODE_BAD_REQUEST, CODE_BAD_SETTINGS,
    CODE_FORBIDDEN, PROTOCOL_VERSION,
};

/// The waPC `protocol_version` operation: `"v1"`.
pub fn protocol_version() -> Vec<u8> {
    PROTOCOL_VERSION.to_vec()
}

#[cfg(test)]
mod tests {
    //! The wire types mirror the SDK's: these tests keep them in step.

    use super::*;
    use kubewarden_policy_sdk::metadata::ProtocolVersion;
    use kubewarden_policy_sdk::response::ValidationResponse as SdkValidationResponse;
    use kubewarden_policy_sdk::settings::SettingsValidationResponse as SdkSettingsResponse;

    #[test]
    fn protocol_version_is_the_sdks() {
        let sdk = serde_json::to_vec(&ProtocolVersion::V1).expect("encodes");
        assert_eq!(protocol_version(), sdk);
    }

    #[test]
    fn responses_decode_as_the_sdks() {
        let request = br#"{"request": {"operation": "CREATE", "object": {"kind": "Pod",
            "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx",
            "securityContext": {"privileged": true}}]}}}, "settings": {}}"#;
        let sdk: SdkValidationResponse =
            serde_json::from_slice(&validate(request)).expect("decodes as the SDK's type");
        assert!(!sdk.accepted);
        assert_eq!(sdk.code, Some(CODE_FORBIDDEN));
        assert!(sdk.mutated_object.is_none());
        assert!(sdk.warnings.is_some());

        let sdk: SdkSettingsResponse =
            serde_json::from_slice(&validate_settings(br#"{"rulez": 1}"#))
                .expect("decodes as the SDK's type");
        assert!(!sdk.valid);
        assert!(sdk.message.is_some_and(|m| m.contains("rulez")));
    }

    /// Odd inputs get an answer, never a panic (a panic is a trap in the host).
    #[test]
    fn odd_inputs_get_answers() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let deep_object = format!(
            r#"{{"request": {{"operation": "CREATE", "object": {{"kind": "Pod", "spec": {deep}}}}}}}"#
        );
        let cases: Vec<(Vec<u8>, bool)> = vec![
            (br#"{"request": {"object": {"kind": "Pod", "spec": null}}}"#.to_vec(), true),
            (br#"{"request": {"object": {"kind": "Pod", "spec": {"containers": null}}}}"#.to_vec(), true),
            (br#"{"request": {"object": {"kind": "Pod", "spec": {"containers": [null, 1, "x"]}}}}"#.to_vec(), false),
            (br#"{"request": {"object": {"kind": "Pod", "spec": "x"}}}"#.to_vec(), false),
            (br#"{"request": {"object": {"kind": "Pod", "metadata": "x", "spec": {}}, "namespace": "ns"}}"#.to_vec(), true),
            (br#"{"request": {"object": {"kind": 7, "spec": {}}}}"#.to_vec(), true),
            (br#"{"request": {"object": {"kind": "Pod", "spec": {"securityContext": {"runAsUser": 1e400}}}}}"#.to_vec(), false),
            // Beyond int64, as the API server sees it: not an integer.
            (br#"{"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "a", "securityContext": {"runAsUser": 18446744073709551615, "readOnlyRootFilesystem": true, "runAsNonRoot": true, "allowPrivilegeEscalation": false}}]}}}}"#.to_vec(), false),
            (br#"{"request": {"object": {"kind": "Pod", "spec": {}}}, "settings": null}"#.to_vec(), true),
            (deep_object.into_bytes(), false),
            (vec![0xff, 0xfe, b'{'], false),
            (b"{\"request\": {\"object\": {\"kind\": \"Pod\", \"metadata\": {\"name\": \"\xff\"}}}}".to_vec(), false),
        ];
        for (payload, accepted) in cases {
            let answer = validate_response(&payload);
            assert_eq!(
                answer.accepted,
                accepted,
                "{}: {answer:?}",
                String::from_utf8_lossy(&payload)
                    .chars()
                    .take(200)
                    .collect::<String>()
            );
            assert!(answer.mutated_object.is_none());
            if !accepted {
                assert!(answer.message.is_some());
            }
        }
    }
}
