//! `kubectl-immutable`: the same program under the name kubectl looks for
//! on `PATH`, so `kubectl immutable check -f pod.yaml` works once the CLI
//! is installed (`cargo install` puts both binaries in `~/.cargo/bin`).
//!
//! A second binary rather than a symbolic link the user makes: `cargo
//! install` and krew copy binaries, they make no links. The program is the
//! one of `main.rs`, compiled again; it names itself `kubectl immutable`
//! from its own file name.

#[path = "../main.rs"]
mod cli;

// The modules refer to each other as `crate::check` and so on: a glob, so
// a module main.rs adds later resolves here too.
use cli::*;

fn main() -> std::process::ExitCode {
    cli::main()
}
