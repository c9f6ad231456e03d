//! The rules written for other engines: text in, text out, no IO.
//!
//! [`vap`] writes them as ValidatingAdmissionPolicies, so that a cluster's
//! own API server enforces them with no webhook. The CLI
//! (`kube-immutable export vap`), the npm package
//! (`toValidatingAdmissionPolicy`) and the playground's settings export all
//! call it.

pub mod vap;
