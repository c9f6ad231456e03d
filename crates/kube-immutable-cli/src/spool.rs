//! Output kept for later, in memory while it is small and in a temporary
//! file past that: a run's memory does not grow with what it prints.
//!
//! Some output must wait: text and GitHub output print a file's input
//! errors before its findings, JSON and SARIF print every input error after
//! every finding, and what a `List` document holds stands only once the
//! document is read to its end.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Bytes kept in memory before a spool moves to a temporary file.
const IN_MEMORY: usize = 1024 * 1024;

/// Text appended now, written out later, in order.
#[derive(Debug, Default)]
pub struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
    /// Bytes in the file.
    spilled: u64,
}

impl Spool {
    pub fn push(&mut self, text: &str) {
        self.push_bytes(text.as_bytes());
    }

    /// Bytes that need not be text (framing); [`Spool::write_to`] writes
    /// them as they are.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        self.memory.extend_from_slice(bytes);
        if self.memory.len() > IN_MEMORY {
            self.spill();
        }
    }

    /// Read everything back from the start; the spool keeps it.
    pub fn reader(&mut self) -> io::Result<impl Read + '_> {
        let file: Box<dyn Read> = match &mut self.file {
            Some(file) => {
                file.seek(SeekFrom::Start(0))?;
                Box::new(file.take(self.spilled))
            }
            None => Box::new(io::empty()),
        };
        Ok(file.chain(self.memory.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.spilled == 0
    }

    /// Move what is in memory to the file (a temporary file, made on first
    /// use). Should the system refuse one, the text stays in memory.
    fn spill(&mut self) {
        if self.file.is_none() {
            self.file = tempfile::tempfile().ok();
        }
        let Some(file) = &mut self.file else { return };
        if file.write_all(&self.memory).is_ok() {
            self.spilled += self.memory.len() as u64;
            self.memory.clear();
        }
    }

    /// Write everything to `out` but its first `skip` bytes, in order;
    /// the spool is then empty.
    pub fn write_to(&mut self, out: &mut dyn Write, mut skip: usize) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            if self.spilled > 0 {
                file.seek(SeekFrom::Start(skip as u64))?;
                io::copy(&mut file.take(self.spilled - skip as u64), out)?;
                skip = 0;
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                self.spilled = 0;
            }
        }
        out.write_all(&self.memory[skip.min(self.memory.len())..])?;
        self.memory.clear();
        Ok(())
    }

    /// Everything, as one string (tests and small spools).
    #[cfg(test)]
    pub fn take_string(&mut self) -> String {
        let mut out = Vec::new();
        let _ = self.write_to(&mut out, 0);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Spools written out one after the other: output assembled from pieces
/// without copying them.
#[derive(Debug, Default)]
pub struct Chain {
    spools: Vec<Spool>,
}

impl Chain {
    pub fn push(&mut self, text: &str) {
        if self.spools.is_empty() {
            self.spools.push(Spool::default());
        }
        if let Some(last) = self.spools.last_mut() {
            last.push(text);
        }
    }

    /// Add a whole spool after what is there: a spool still in memory is
    /// copied into this chain's last one (so that small spools add up to
    /// one that moves to disk), one on disk is kept as it is.
    pub fn append_spool(&mut self, mut spool: Spool) {
        if spool.file.is_none() {
            let memory = std::mem::take(&mut spool.memory);
            if !memory.is_empty() {
                if self.spools.is_empty() {
                    self.spools.push(Spool::default());
                }
                if let Some(last) = self.spools.last_mut() {
                    last.push_bytes(&memory);
                }
            }
        } else if !spool.is_empty() {
            self.spools.push(spool);
            // Later pushes go to a spool of their own.
            self.spools.push(Spool::default());
        }
    }

    /// Add another chain after what is there.
    pub fn append(&mut self, other: Chain) {
        for spool in other.spools {
            self.append_spool(spool);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.spools.iter().all(Spool::is_empty)
    }

    /// Write everything to `out` but its first `skip` bytes.
    pub fn write_to(&mut self, out: &mut dyn Write, mut skip: usize) -> io::Result<()> {
        for spool in &mut self.spools {
            if spool.is_empty() {
                continue;
            }
            spool.write_to(out, skip)?;
            skip = 0;
        }
        self.spools.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_in_memory_and_on_disk() {
        let mut spool = Spool::default();
        let line = "x".repeat(1000) + "\n";
        for i in 0..10_000 {
            spool.push(&format!("{i} "));
            spool.push(&line);
        }
        assert!(spool.spilled > 0, "it spills past {IN_MEMORY} bytes");
        let text = spool.take_string();
        assert_eq!(text.lines().count(), 10_000);
        assert!(text.starts_with("0 x") && text.contains("\n9999 x"));
        assert!(spool.is_empty());
        // Usable again after being written out.
        spool.push("again");
        assert_eq!(spool.take_string(), "again");

        let mut chain = Chain::default();
        chain.push("a");
        let mut other = Spool::default();
        other.push("b");
        chain.append_spool(other);
        chain.push("c");
        let mut out = Vec::new();
        chain.write_to(&mut out, 1).unwrap();
        assert_eq!(out, b"bc");
    }
}
