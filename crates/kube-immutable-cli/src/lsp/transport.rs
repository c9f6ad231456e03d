//! Standard input and output as `lsp-server`'s own stdio transport does
//! them (a reader thread, a writer thread, the same framing), with one more
//! kind of outgoing message: one written as JSON text, piece by piece.
//!
//! `lsp-server` holds a message's parameters as a `serde_json::Value`, and
//! its writer serialises that tree. A re-check of a 1 MB stream sends its
//! thousands of diagnostics (3 MB of JSON) after every edit: building
//! them as a tree of values, then writing the tree out, cost more than the
//! check itself, and the tree (or even the text, whole) stayed in the
//! process's memory once freed, as the allocator keeps freed pages. The
//! server writes those messages as text, its length counted first
//! ([`Streamed`]), and hands the text to the writer in pieces of 64 KB
//! through the same channel as every other message (in envelopes the
//! writer recognises), so the order of messages stays the order they were
//! sent in, and no more than a few pieces exist at a time.

use std::io::{self, Write};
use std::thread::{self, JoinHandle};

use crossbeam_channel::Sender;
use lsp_server::{Connection, Message, Notification};

use super::convert::{escape_into, JsonOut};

/// The envelopes' methods: never sent to the client as such.
const START: &str = "kube-immutable/text-start";
const PIECE: &str = "kube-immutable/text-piece";
const END: &str = "kube-immutable/text-end";

/// The size of a piece, and room for the diagnostic that fills it (a piece
/// is cut after it).
const PIECE_SIZE: usize = 64 * 1024;
const PIECE_SLACK: usize = 8 * 1024;

fn envelope(method: &str, params: serde_json::Value) -> Message {
    Message::Notification(Notification {
        method: method.to_owned(),
        params,
    })
}

/// A message written as JSON text. Over stdio ([`stdio`]), the text goes to
/// the client as it is written: its length first (which the caller counts
/// beforehand, [`JsonLength`](super::convert::JsonLength)), then pieces
/// cut at [`JsonOut::boundary`]. Over a connection in memory (tests), the
/// text is parsed back into a message once whole. Dropping it ends the
/// message (a shorter text is padded with spaces, JSON's whitespace, so the
/// framing holds whatever happened in between).
#[derive(Debug)]
pub struct Streamed<'a> {
    sender: &'a Sender<Message>,
    /// Over stdio: the text is sent in pieces.
    pieces: bool,
    text: Vec<u8>,
}

impl<'a> Streamed<'a> {
    /// A message of `length` bytes; `pieces`: the connection is [`stdio`]'s.
    pub fn start(sender: &'a Sender<Message>, pieces: bool, length: usize) -> Self {
        if pieces {
            let _ = sender.send(envelope(START, length.into()));
        }
        Self {
            sender,
            pieces,
            text: Vec::with_capacity(if pieces {
                PIECE_SIZE + PIECE_SLACK
            } else {
                length
            }),
        }
    }

    fn send_piece(&mut self) {
        let piece = std::mem::replace(&mut self.text, Vec::with_capacity(PIECE_SIZE + PIECE_SLACK));
        // Pieces are cut between whole strings: always UTF-8.
        let piece = String::from_utf8(piece)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let _ = self.sender.send(envelope(PIECE, piece.into()));
    }
}

impl JsonOut for Streamed<'_> {
    fn bytes(&mut self, bytes: &[u8]) {
        self.text.extend_from_slice(bytes);
    }

    fn escaped(&mut self, s: &str) {
        escape_into(&mut self.text, s);
    }

    fn boundary(&mut self) {
        if self.pieces && self.text.len() >= PIECE_SIZE {
            self.send_piece();
        }
    }
}

impl Drop for Streamed<'_> {
    fn drop(&mut self) {
        if self.pieces {
            self.send_piece();
            let _ = self.sender.send(envelope(END, serde_json::Value::Null));
        } else if let Ok(message) = serde_json::from_slice::<Message>(&self.text) {
            let _ = self.sender.send(message);
        }
    }
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
            let mut writer = Writer {
                out: stdout.lock(),
                left: 0,
            };
            writer_receiver
                .into_iter()
                .try_for_each(|message| writer.write(&message))
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

/// Writes messages, framed: envelopes' text as it is.
struct Writer<W> {
    out: W,
    /// Bytes the streamed message being written still owes its length.
    left: usize,
}

impl<W: Write> Writer<W> {
    fn write(&mut self, message: &Message) -> io::Result<()> {
        let Message::Notification(Notification { method, params }) = message else {
            return message.write(&mut self.out);
        };
        match method.as_str() {
            START => {
                self.left = params
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0);
                write!(self.out, "Content-Length: {}\r\n\r\n", self.left)
            }
            PIECE => {
                let text = params.as_str().unwrap_or_default().as_bytes();
                // Never more than the length told (that would be a bug).
                let text = &text[..text.len().min(self.left)];
                self.left -= text.len();
                self.out.write_all(text)
            }
            END => {
                let padding = vec![b' '; std::mem::take(&mut self.left)];
                self.out.write_all(&padding)?;
                self.out.flush()
            }
            _ => message.write(&mut self.out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::convert::JsonLength;

    /// What the writer writes of what [`Streamed`] sends.
    fn written(text: &[&str], length: Option<usize>) -> String {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let counted = {
            let mut length = JsonLength::default();
            text.iter().for_each(|t| length.bytes(t.as_bytes()));
            length.0
        };
        {
            let mut out = Streamed::start(&sender, true, length.unwrap_or(counted));
            for t in text {
                out.bytes(t.as_bytes());
                out.boundary();
            }
        }
        let other: Message = Notification::new("window/logMessage".to_owned(), "after").into();
        sender.send(other.clone()).unwrap();
        drop(sender);
        let mut writer = Writer {
            out: Vec::new(),
            left: 0,
        };
        for message in receiver {
            writer.write(&message).unwrap();
        }
        let mut expected_other = Vec::new();
        other.write(&mut expected_other).unwrap();
        let out = String::from_utf8(writer.out).unwrap();
        let (first, second) = out.split_at(out.len() - expected_other.len());
        assert_eq!(
            second.as_bytes(),
            expected_other,
            "the next message after it"
        );
        first.to_owned()
    }

    #[test]
    fn a_streamed_message_is_written_framed_in_order_with_the_others() {
        let long = format!("\"{}\"", "é".repeat(PIECE_SIZE));
        let parts = ["{\"a\":[", &long, ",", &long, ",", &long, "]}"];
        let text: String = parts.concat();
        assert_eq!(
            written(&parts, None),
            format!("Content-Length: {}\r\n\r\n{text}", text.len())
        );
        // A text shorter than told (a bug, or a panic while writing) is
        // padded, one longer cut: the framing holds either way.
        assert_eq!(written(&["{}"], Some(4)), "Content-Length: 4\r\n\r\n{}  ");
        assert_eq!(
            written(&["{}", "[]"], Some(3)),
            "Content-Length: 3\r\n\r\n{}["
        );
    }

    #[test]
    fn in_memory_the_text_becomes_a_message() {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let text = r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"untitled:a","diagnostics":[]}}"#;
        {
            let mut out = Streamed::start(&sender, false, text.len());
            out.bytes(text.as_bytes());
        }
        let Ok(Message::Notification(n)) = receiver.try_recv() else {
            panic!("no notification");
        };
        assert_eq!(n.method, "textDocument/publishDiagnostics");
        assert_eq!(n.params["uri"], "untitled:a");
    }
}
