//! `kube-immutable lsp`: a Language Server Protocol server on stdio.
//!
//! Built as ruff's and rust-analyzer's: `lsp-server` for the transport,
//! `lsp-types` for the messages, and a single-threaded main loop that owns
//! the session ([`server::Server`]: open documents, settings, the client's
//! language and position encoding). The protocol code only translates
//! ([`convert`]); the core checks (its `Rechecker`, which reads again only
//! the documents of a stream whose text changed), renders fixes and the
//! ignore annotation as text edits, and writes the rule pages.
//!
//! **Never dies on input:** every request and notification is handled under
//! `catch_unwind`; a bug answers that request with an error (or logs the
//! notification's) and the server goes on.

mod convert;
mod document;
mod server;
mod transport;

use lsp_server::Connection;

use crate::check::exit;

/// Serve on stdin and stdout until the client says `exit`. The exit code is
/// 0 after `shutdown` then `exit`, 1 when `exit` came without `shutdown` or
/// the connection broke (as the specification asks).
pub fn run() -> u8 {
    let (connection, io_threads) = transport::stdio();
    let code = serve(&connection, true);
    drop(connection);
    // The writer thread ends once the connection's sender is dropped; the
    // reader ends on `exit` or when stdin closes.
    if let Err(e) = io_threads.join() {
        eprintln!("kube-immutable lsp: {e}");
    }
    code
}

/// The session on an established connection (stdio, or memory in tests).
/// `raw`: the connection writes messages already written as JSON text
/// ([`transport::Streamed`]) as they are (stdio); else they are parsed
/// back first.
pub fn serve(connection: &Connection, raw: bool) -> u8 {
    let (id, params) = match connection.initialize_start() {
        Ok(start) => start,
        Err(e) => {
            eprintln!("kube-immutable lsp: {e}");
            return exit::FINDINGS;
        }
    };
    let params: lsp_types::InitializeParams = match serde_json::from_value(params) {
        Ok(params) => params,
        Err(e) => {
            let _ = connection.sender.send(
                lsp_server::Response::new_err(
                    id,
                    lsp_server::ErrorCode::InvalidParams as i32,
                    format!("invalid initialize parameters: {e}"),
                )
                .into(),
            );
            return exit::FINDINGS;
        }
    };
    let mut server = server::Server::new(&params, raw);
    let result = serde_json::json!({
        "capabilities": server.capabilities(),
        "serverInfo": { "name": "kube-immutable", "version": env!("CARGO_PKG_VERSION") },
    });
    if let Err(e) = connection.initialize_finish(id, result) {
        eprintln!("kube-immutable lsp: {e}");
        return exit::FINDINGS;
    }
    server.run(connection)
}
