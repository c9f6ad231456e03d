//! The policy module's end-to-end tests, in one test binary: each of them
//! links wasmtime, and six binaries cost CI minutes of linking and gigabytes
//! of disk.
//!
//! - `policy_wapc`: the waPC module in a real waPC host (wapc + wasmtime),
//!   as Kubewarden's policy-evaluator runs it;
//! - `policy_wasi`: the WASI command (`executionMode: wasi`);
//! - `policy_hostile`: worst-case and malformed admission requests;
//! - `policy_metadata`: `metadata.yml`, the Artifact Hub manifest and the
//!   module's settings agree;
//! - `kwctl`, `policy_server`: Kubewarden's own tools, skipped (and saying
//!   so) when they are not found.

mod kwctl;
mod policy_hostile;
mod policy_metadata;
mod policy_server;
mod policy_wapc;
mod policy_wasi;
