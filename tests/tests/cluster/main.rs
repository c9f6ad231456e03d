//! Tests against a real Kubernetes API server (kube-apiserver and kubectl
//! v1.36.2, etcd from Debian; `crates/test-cluster` starts them): what the
//! fixes produce, what the input errors claim, what the policy enforces
//! behind policy-server, what the exported ValidatingAdmissionPolicies
//! enforce, and what live objects look like.
//!
//! One cluster serves the whole binary: `main` starts it before the tests
//! and stops it after them, whatever they do (each test works in namespaces
//! of its own). Without the tools every test is ignored and `main` says why,
//! as the corpus tests do without the corpus.
//!
//! `cargo test -p kube-immutable-tests --test cluster [-- FILTER]`.

mod fixes;
mod input_problems;
mod live;
mod support;
mod tenants;
mod vap;
mod webhooks;

use std::process::ExitCode;
use std::sync::Arc;

use kube_immutable_test_cluster::{Cluster, Tools};
use libtest_mimic::{Arguments, Failed, Trial};

/// What every test gets.
pub type Test = fn(&Cluster) -> Result<(), Failed>;

const TESTS: &[(&str, Test)] = &[
    ("fixes::fixtures_stay_valid", fixes::fixtures_stay_valid),
    ("fixes::corpus_stays_valid", fixes::corpus_stays_valid),
    (
        "fixes::no_fix_breaks_validation",
        fixes::no_fix_breaks_validation,
    ),
    (
        "input_problems::duplicate_keys_as_kubectl_reads_them",
        input_problems::duplicate_keys_as_kubectl_reads_them,
    ),
    (
        "input_problems::exit_2_only_for_what_kubernetes_refuses",
        input_problems::exit_2_only_for_what_kubernetes_refuses,
    ),
    (
        "input_problems::corpus_exit_2_only_for_what_kubernetes_refuses",
        input_problems::corpus_exit_2_only_for_what_kubernetes_refuses,
    ),
    (
        "live::stored_objects_get_the_files_findings",
        live::stored_objects_get_the_files_findings,
    ),
    (
        "vap::fixtures_judged_as_the_core_judges",
        vap::fixtures_judged_as_the_core_judges,
    ),
    (
        "vap::corpus_judged_as_the_core_judges",
        vap::corpus_judged_as_the_core_judges,
    ),
    ("vap::affordable", vap::affordable),
    (
        "vap::custom_resources_judged_as_the_core_judges",
        vap::custom_resources_judged_as_the_core_judges,
    ),
    (
        "vap::exemptions_as_the_core_grants_them",
        vap::exemptions_as_the_core_grants_them,
    ),
    ("vap::updates_are_judged", vap::updates_are_judged),
    ("vap::what_kubectl_prints", vap::what_kubectl_prints),
    (
        "webhooks::fixtures_through_the_admission_chain",
        webhooks::fixtures_through_the_admission_chain,
    ),
    (
        "webhooks::corpus_through_the_admission_chain",
        webhooks::corpus_through_the_admission_chain,
    ),
    (
        "webhooks::what_kubectl_prints",
        webhooks::what_kubectl_prints,
    ),
    (
        "webhooks::updates_and_ephemeral_containers",
        webhooks::updates_and_ephemeral_containers,
    ),
    (
        "webhooks::custom_resources_through_the_admission_chain",
        webhooks::custom_resources_through_the_admission_chain,
    ),
    (
        "tenants::default_settings_refuse_every_way_in",
        tenants::default_settings_refuse_every_way_in,
    ),
    (
        "tenants::operator_exemptions_let_through_only_what_they_name",
        tenants::operator_exemptions_let_through_only_what_they_name,
    ),
];

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let cluster = match Tools::find() {
        Ok(tools) => Some(Cluster::start(&tools).map(Arc::new)),
        Err(why) => {
            eprintln!("SKIPPED: the cluster tests: {why}");
            None
        }
    };
    let trials = TESTS
        .iter()
        .map(|&(name, test)| match &cluster {
            None => Trial::test(name, || Ok(())).with_ignored_flag(true),
            Some(Err(why)) => {
                let why = format!("the cluster did not start: {why}");
                Trial::test(name, move || Err(why.into()))
            }
            Some(Ok(cluster)) => {
                let cluster = Arc::clone(cluster);
                Trial::test(name, move || test(&cluster))
            }
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Every trial (and its clone of the cluster) is gone: this stops it.
    drop(cluster);
    conclusion.exit_code()
}
