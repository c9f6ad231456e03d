//! Standard input and output as `lsp-server`'s own stdio transport does
//! them (a reader thread, a writer thread, the same framing), with one more
//! kind of outgoing message: one already written as JSON text.
//!
//! `lsp-server` holds a message's parameters as a `serde_json::Value`, and
//! its writer serialises that tree. A re-check of a 1 MB stream sends its
//! thousands of diagnostics (3 MB of JSON) after every edit: building
//! them as a tree of values, then writing the tree out, cost more than the
//! check itself. The server writes those messages as text
//! ([`Server`](super::server::Server)'s `send_json`) and hands the text
//! to the writer through the same channel as every other message, in
//! [`raw`]'s envelope, so the order of messages stays the order they were
//! sent in.

use std::io::{self, Write};
use std::thread::{self, JoinHandle};

use lsp_server::{Connection, Message, Notification};

/// The method of the envelope: never sent to the client as such.
const RAW: &str = "kube-immutable/raw-json";

/// A message already written as JSON text (a whole JSON-RPC message),
/// written to the client as it is.
pub fn raw(body: String) -> Message {
    Message::Notification(Notification {
        method: RAW.to_owned(),
        params: serde_json::Value::String(body),
    })
}

/// The threads to join once the connection is dropped.
#[derive(Debug)]
pub struct IoThreads {
    reader: JoinHandle<io::Result<()>>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    pub fn join(self) -> io::Result<()> {
        for thread in [self.reader, self.writer] {
            match thread.join() {
                Ok(result) => result?,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(())
    }
}

/// A connection over stdin and stdout. The reader ends after `exit` or
/// when stdin closes; the writer when the connection's sender is dropped.
pub fn stdio() -> (Connection, IoThreads) {
    let (writer_sender, writer_receiver) = crossbeam_channel::bounded::<Message>(0);
    let writer = thread::Builder::new()
        .name("LspServerWriter".to_owned())
        .spawn(move || {
            let stdout = io::stdout();
            let mut stdout = stdout.lock();
            writer_receiver
                .into_iter()
                .try_for_each(|message| write(&mut stdout, &message))
        })
        .expect("cannot start the writer thread");
    let (reader_sender, reader_receiver) = crossbeam_channel::bounded::<Message>(0);
    let reader = thread::Builder::new()
        .name("LspServerReader".to_owned())
        .spawn(move || {
            let stdin = io::stdin();
            let mut stdin = stdin.lock();
            while let Some(message) = Message::read(&mut stdin)? {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if reader_sender.send(message).is_err() || exit {
                    break;
                }
            }
            Ok(())
        })
        .expect("cannot start the reader thread");
    let connection = Connection {
        sender: writer_sender,
        receiver: reader_receiver,
    };
    (connection, IoThreads { reader, writer })
}

/// Write one message, framed; the envelope's text as it is.
fn write(out: &mut impl Write, message: &Message) -> io::Result<()> {
    match message {
        Message::Notification(Notification { method, params }) if method == RAW => {
            let body = params.as_str().unwrap_or_default();
            write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
            out.write_all(body.as_bytes())?;
            out.flush()
        }
        message => message.write(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_written_as_its_text_and_other_messages_as_lsp_server_writes_them() {
        let body = r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"untitled:a","diagnostics":[]}}"#;
        let mut out = Vec::new();
        write(&mut out, &raw(body.to_owned())).unwrap();
        let other: Message = Notification::new("window/logMessage".to_owned(), "hello").into();
        write(&mut out, &other).unwrap();
        let mut expected = Vec::new();
        other.write(&mut expected).unwrap();
        let text = String::from_utf8(out).unwrap();
        let (first, second) = text.split_at(text.len() - expected.len());
        assert_eq!(
            first,
            format!("Content-Length: {}\r\n\r\n{body}", body.len())
        );
        assert_eq!(second.as_bytes(), expected);
        let mut input = io::BufReader::new(text.as_bytes());
        let Some(Message::Notification(n)) = Message::read(&mut input).unwrap() else {
            panic!("not a notification");
        };
        assert_eq!(n.method, "textDocument/publishDiagnostics");
        assert_eq!(n.params["uri"], "untitled:a");
    }
}
