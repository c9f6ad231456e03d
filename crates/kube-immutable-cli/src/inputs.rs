//! Finding and reading the inputs: files, folders (walked recursively) and stdin.
//!
//! Reusable by every subcommand that reads manifests (`check`, and `fix`
//! later): nothing here knows about rules or output formats.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use kube_immutable_core::{Limits, Message};

/// Extensions picked up when walking a folder. A file named explicitly on
/// the command line is read whatever its extension.
pub const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The path given for standard input.
pub const STDIN: &str = "-";

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

/// One input to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given on the command line or found while walking a
    /// folder (`-` for stdin). Used verbatim in every output.
    pub name: String,
    pub source: Source,
}

/// An input that could not be found or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The path as given or found.
    pub name: String,
    /// In English and French.
    pub message: Message,
}

/// Expands the command-line paths into the inputs to read, in order.
///
/// Folders are walked recursively; their entries are sorted by name, hidden
/// entries (`.git`, `.cache.yaml`) are skipped and only `.yaml`, `.yml` and
/// `.json` files are kept. Symbolic links to folders are not followed while
/// walking (no cycles). A path that does not exist is an [`InputError`].
/// `-` is stdin, taken once even when repeated. Results keep the order of
/// the command line, so outputs do too.
pub fn collect(paths: &[String]) -> Vec<Result<Input, InputError>> {
    let mut out = Vec::new();
    let mut seen_stdin = false;
    for path in paths {
        if path == STDIN {
            if !seen_stdin {
                out.push(Ok(Input {
                    name: STDIN.to_owned(),
                    source: Source::Stdin,
                }));
                seen_stdin = true;
            }
            continue;
        }
        let p = Path::new(path);
        match fs::metadata(p) {
            Ok(meta) if meta.is_dir() => walk(p, &mut out),
            Ok(_) => out.push(Ok(Input {
                name: path.clone(),
                source: Source::File(p.to_path_buf()),
            })),
            Err(e) => out.push(Err(InputError {
                name: path.clone(),
                message: describe(&e),
            })),
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Result<Input, InputError>>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Err(InputError {
                name: dir.display().to_string(),
                message: describe(&e),
            }));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // `file_type` does not follow symbolic links: linked folders are skipped,
        // linked files are read.
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            walk(&path, out);
        } else if is_manifest(&path) && (file_type.is_file() || path.is_file()) {
            out.push(Ok(Input {
                name: path.display().to_string(),
                source: Source::File(path),
            }));
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        MANIFEST_EXTENSIONS
            .iter()
            .any(|m| e.eq_ignore_ascii_case(m))
    })
}

/// Reads an input as UTF-8 text (a leading BOM is kept: the core skips it).
///
/// An input over the core's `max_input_bytes` is refused with the core's
/// error before it is read into memory: a file by its size, standard input
/// once the limit is passed (the rest is counted, not kept).
pub fn read(input: &Input) -> Result<String, InputError> {
    read_with_limit(input, Limits::default().max_input_bytes)
}

fn read_with_limit(input: &Input, limit: usize) -> Result<String, InputError> {
    let io_error = |e: io::Error| InputError {
        name: input.name.clone(),
        message: describe(&e),
    };
    let too_large = |bytes: u64| {
        let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
        let limits = Limits {
            max_input_bytes: limit,
            ..Limits::default()
        };
        limits.input_too_large(bytes).map(|error| InputError {
            name: input.name.clone(),
            message: error.message,
        })
    };
    let bytes = match &input.source {
        Source::Stdin => read_bounded(&mut io::stdin().lock(), limit, too_large, io_error),
        Source::File(path) => {
            let mut file = fs::File::open(path).map_err(io_error)?;
            let size = file.metadata().map_err(io_error)?.len();
            if let Some(error) = too_large(size) {
                return Err(error);
            }
            // The file may grow between the two: read it bounded all the same.
            read_bounded(&mut file, limit, too_large, io_error)
        }
    }?;
    String::from_utf8(bytes).map_err(|e| not_utf8(&input.name, e.utf8_error().valid_up_to()))
}

/// Opens an input to read it as it comes (standard input, or a file).
pub fn open(input: &Input) -> Result<Box<dyn Read + Send>, InputError> {
    match &input.source {
        Source::Stdin => Ok(Box::new(io::stdin())),
        Source::File(path) => fs::File::open(path)
            .map(|f| Box::new(f) as Box<dyn Read + Send>)
            .map_err(|e| InputError {
                name: input.name.clone(),
                message: describe(&e),
            }),
    }
}

/// An input's bytes as UTF-8 text, block by block.
pub struct TextReader {
    name: String,
    reader: Box<dyn Read + Send>,
    /// Bytes of a character cut by the end of the last block.
    carry: Vec<u8>,
    /// Bytes read so far.
    offset: usize,
    block: usize,
}

impl TextReader {
    pub fn new(name: &str, reader: Box<dyn Read + Send>, block: usize) -> Self {
        Self {
            name: name.to_owned(),
            reader,
            carry: Vec::new(),
            offset: 0,
            block,
        }
    }

    /// The next block of text; `Ok(None)` at the end.
    pub fn next_block(&mut self) -> Result<Option<String>, InputError> {
        loop {
            let mut bytes = std::mem::take(&mut self.carry);
            let had = bytes.len();
            bytes.resize(had + self.block, 0);
            let n = loop {
                match self.reader.read(&mut bytes[had..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(InputError {
                            name: self.name.clone(),
                            message: describe(&e),
                        })
                    }
                }
            };
            bytes.truncate(had + n);
            if n == 0 {
                if bytes.is_empty() {
                    return Ok(None);
                }
                // The input ends inside a character.
                return Err(self.not_utf8(self.offset));
            }
            match String::from_utf8(bytes) {
                Ok(text) => {
                    self.offset += text.len();
                    return Ok(Some(text));
                }
                Err(e) => {
                    let valid = e.utf8_error().valid_up_to();
                    if e.utf8_error().error_len().is_some() {
                        return Err(self.not_utf8(self.offset + valid));
                    }
                    // A character cut at the end: keep its bytes for the next block.
                    let mut bytes = e.into_bytes();
                    self.carry = bytes.split_off(valid);
                    if valid == 0 {
                        continue;
                    }
                    let text = String::from_utf8(bytes).unwrap_or_default();
                    self.offset += text.len();
                    return Ok(Some(text));
                }
            }
        }
    }

    fn not_utf8(&self, at: usize) -> InputError {
        not_utf8(&self.name, at)
    }
}

fn not_utf8(name: &str, at: usize) -> InputError {
    InputError {
        name: name.to_owned(),
        message: Message::new(
            format!("cannot read: not UTF-8 text (invalid byte at offset {at})"),
            format!("lecture impossible : ce n'est pas du texte UTF-8 (octet invalide à la position {at})"),
        ),
    }
}

/// At most `limit` bytes of `reader`; past them, the error `too_large` gives
/// for the whole length (counted without keeping it).
fn read_bounded(
    reader: &mut impl Read,
    limit: usize,
    too_large: impl Fn(u64) -> Option<InputError>,
    io_error: impl Fn(io::Error) -> InputError,
) -> Result<Vec<u8>, InputError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    reader
        .by_ref()
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(&io_error)?;
    if bytes.len() > limit {
        let rest = io::copy(reader, &mut io::sink()).map_err(&io_error)?;
        let total = (bytes.len() as u64).saturating_add(rest);
        if let Some(error) = too_large(total) {
            return Err(error);
        }
    }
    Ok(bytes)
}

fn describe(e: &io::Error) -> Message {
    match e.kind() {
        io::ErrorKind::NotFound => Message::new(
            "cannot read: no such file or directory",
            "lecture impossible : fichier ou dossier introuvable",
        ),
        io::ErrorKind::PermissionDenied => Message::new(
            "cannot read: permission denied",
            "lecture impossible : permission refusée",
        ),
        // The system's own words, in English only.
        _ => Message::new(
            format!("cannot read: {e}"),
            format!("lecture impossible : {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_over_the_limit_is_refused_with_the_cores_error_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        fs::write(&path, "kind: Pod # é\n").unwrap();
        let input = Input {
            name: "big.yaml".into(),
            source: Source::File(path),
        };
        let error = read_with_limit(&input, 10).unwrap_err();
        assert_eq!(error.name, "big.yaml");
        assert_eq!(
            error.message.en,
            "input is 15 bytes, more than the limit of 10 bytes (max_input_bytes); nothing was checked"
        );
        assert_eq!(read_with_limit(&input, 15).unwrap(), "kind: Pod # é\n");

        // A stream (standard input): the limit's worth is kept, the rest counted.
        let too_large = |bytes: u64| {
            Limits {
                max_input_bytes: 4,
                ..Limits::default()
            }
            .input_too_large(usize::try_from(bytes).unwrap())
            .map(|e| InputError {
                name: "-".into(),
                message: e.message,
            })
        };
        let io_error = |e: io::Error| InputError {
            name: "-".into(),
            message: describe(&e),
        };
        let mut stream = io::Cursor::new(vec![b'a'; 100_000]);
        let error = read_bounded(&mut stream, 4, too_large, io_error).unwrap_err();
        assert!(
            error.message.fr.starts_with("l'entrée fait 100000 octets"),
            "{}",
            error.message.fr
        );
        let mut stream = io::Cursor::new(b"abcd".to_vec());
        assert_eq!(
            read_bounded(&mut stream, 4, too_large, io_error).unwrap(),
            b"abcd"
        );
    }

    #[test]
    fn walks_sorted_skipping_hidden_and_other_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/.git")).unwrap();
        fs::create_dir_all(root.join("a")).unwrap();
        for f in [
            "b/z.yaml",
            "b/.git/config.yaml",
            "a/x.yml",
            "a/y.json",
            "a/readme.md",
            ".hidden.yaml",
            "c.YAML",
        ] {
            fs::write(root.join(f), "").unwrap();
        }
        let root_name = root.display().to_string();
        let inputs = collect(&[root_name.clone(), "-".into(), "-".into()]);
        let names: Vec<_> = inputs
            .iter()
            .map(|i| &i.as_ref().unwrap().name)
            .map(|n| n.strip_prefix(&root_name).unwrap_or(n).to_owned())
            .collect();
        let sep = std::path::MAIN_SEPARATOR;
        assert_eq!(
            names,
            vec![
                format!("{sep}a{sep}x.yml"),
                format!("{sep}a{sep}y.json"),
                format!("{sep}b{sep}z.yaml"),
                format!("{sep}c.YAML"),
                "-".to_owned(),
            ]
        );
    }

    #[test]
    fn missing_path_is_an_error() {
        let inputs = collect(&["does/not/exist.yaml".into()]);
        let error = inputs[0].as_ref().unwrap_err();
        assert_eq!(error.name, "does/not/exist.yaml");
        assert!(error.message.en.contains("no such file"));
        assert!(error.message.fr.contains("introuvable"));
    }
}
