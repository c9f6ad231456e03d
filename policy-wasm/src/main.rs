//! The policy as a WASI command (Kubewarden `executionMode: wasi`, or any
//! WASI runtime): `policy.wasm validate` reads a `ValidationRequest` on
//! stdin, `policy.wasm validate-settings` reads the settings; both write the
//! JSON answer on stdout. `protocol-version` prints `"v1"`.

use std::io::{Read, Write};
use std::process::ExitCode;

// Included as a module, not used through the library: the library links the
// SDK and `wapc-guest`, whose waPC imports a plain WASI runtime cannot satisfy.
#[path = "admission.rs"]
mod admission;
#[cfg(target_arch = "wasm32")]
#[path = "arena.rs"]
mod arena;
#[path = "decode.rs"]
mod decode;

const USAGE: &str =
    "usage: kube-immutable-policy (validate | validate-settings | protocol-version) < request.json";

fn main() -> ExitCode {
    let Some(command) = std::env::args().nth(1) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let operation: fn(&[u8]) -> Vec<u8> = match command.as_str() {
        "validate" => admission::validate,
        "validate-settings" => admission::validate_settings,
        "protocol-version" => |_| admission::PROTOCOL_VERSION.to_vec(),
        other => {
            eprintln!("unknown command `{other}`\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("cannot read stdin: {e}");
        return ExitCode::FAILURE;
    }
    let output = operation(&input);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(&output).and_then(|()| stdout.flush()) {
        eprintln!("cannot write stdout: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
