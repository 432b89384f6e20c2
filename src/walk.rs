//! Stage 1, walk: the PATH arguments to the sorted list of files to read.
//!
//! In: the paths given on the command line and the [`WalkOptions`].
//! Out: the files, sorted by path and without repeats, as reached from the arguments (like
//! `find` prints them), each an [`Entry`]: regular files to read, and the special files met
//! inside folders (FIFOs, sockets, devices), which the report lists as skipped; plus a
//! [`Problem`] for every path that could not be walked.
//!
//! `-` stands for stdin and is passed through as it is. Directories are walked recursively;
//! `--exclude` patterns leave out files and whole folders met inside them (a pattern without `/`
//! matches a name, `*.md`, `drafts`; one with `/` the path as reached from the argument,
//! `corpus/old/*`).
//! Hidden entries (a name starting with `.`) are skipped unless asked for, and so is the list
//! of removals `dedup apply` writes ([`REMOVALS_LIST`]), which is not corpus text; a path given
//! explicitly is always used, and read even when it is not a regular file (a FIFO such as
//! `<(zcat a.gz)`, `/dev/stdin`). Inside a folder nothing but folders is opened: a file's type
//! comes from its directory entry, so a FIFO without a writer cannot block the walk. Symbolic
//! links are followed only with `follow` (then link loops are reported); links not followed are
//! left out. The extension filter is case-insensitive and looks through a `.gz` or `.zst` suffix
//! (`-e txt` keeps `a.txt.gz`). Binary files are recognised by the read stage, which has the
//! bytes in hand.
//!
//! Paths are printed by [`display_path`]: as they are when they are UTF-8; otherwise each byte
//! that is not part of valid UTF-8 is written as `\xNN` (two upper-case hex digits), so that
//! distinct paths stay distinct in the report. What a person reads (stderr) and the GitHub
//! workflow commands also go through [`escape_controls`], which writes control characters the
//! same way; the JSON report keeps them (JSON escapes them itself).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::Problem;

/// How to walk the inputs.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Keep only files with one of these extensions (without the dot); empty keeps all.
    pub extensions: Vec<String>,
    /// Include hidden files and directories.
    pub hidden: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Files and folders left out (`--exclude`): a pattern without `/` is matched against the
    /// name, one with `/` against the path as reached from the argument.
    pub exclude: Vec<glob::Pattern>,
}

/// Whether `--exclude` leaves out the entry at `path` named `name`.
fn excluded(path: &Path, name: &std::ffi::OsStr, options: &WalkOptions) -> bool {
    let options_glob = glob::MatchOptions {
        require_literal_separator: true,
        ..glob::MatchOptions::new()
    };
    options.exclude.iter().any(|pattern| {
        if pattern.as_str().contains('/') {
            pattern.matches_path_with(path, options_glob)
        } else {
            pattern.matches_path_with(Path::new(name), options_glob)
        }
    })
}

/// The file `dedup apply` lists its removals in, at the top of the corpus it writes; never read
/// inside a folder, so that running `dedup` on that corpus reads the corpus only.
pub const REMOVALS_LIST: &str = "dedup-removed.jsonl";

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn wanted_extension(path: &Path, options: &WalkOptions) -> bool {
    let wanted = |path: &Path| {
        path.extension().is_some_and(|ext| {
            let ext = ext.to_string_lossy();
            options
                .extensions
                .iter()
                .any(|want| want.eq_ignore_ascii_case(&ext))
        })
    };
    let compressed = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gz") || ext.eq_ignore_ascii_case("zst"));
    options.extensions.is_empty()
        || wanted(path)
        || (compressed && path.file_stem().is_some_and(|stem| wanted(Path::new(stem))))
}

/// A path as printed in the report: UTF-8 as it is, other bytes as `\xNN`.
pub fn display_path(path: &Path) -> String {
    let mut shown = String::new();
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        shown.push_str(chunk.valid());
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02X}"));
        }
    }
    shown
}

/// `text` as shown on stderr or in a workflow command: every control character (Unicode's `Cc`:
/// C0 U+0000 to U+001F with tab and line ends, DEL U+007F, C1 U+0080 to U+009F) written as
/// `\xNN`, one for each of its UTF-8 bytes (ESC is `\x1B`, U+009B is `\xC2\x9B`), like the bytes
/// [`display_path`] escapes, so that a file name cannot move the cursor, recolour or retitle a
/// terminal or a CI log, or start a line of its own. Everything else is kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                shown.push_str(&format!("\\x{byte:02X}"));
            }
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// The paths of a path list: one per line (a `\r` before the `\n` is cut), or separated by NUL
/// bytes when `nul`. Empty entries are skipped.
pub fn path_list(bytes: &[u8], nul: bool) -> Vec<PathBuf> {
    let separator = if nul { b'\0' } else { b'\n' };
    bytes
        .split(|&b| b == separator)
        .map(|entry| {
            if nul {
                entry
            } else {
                entry.strip_suffix(b"\r").unwrap_or(entry)
            }
        })
        .filter(|entry| !entry.is_empty())
        .map(path_from_bytes)
        .collect()
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// A file the walk found: one to read, or one met inside a folder that is not a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path as reached from the arguments.
    pub path: PathBuf,
    /// Not a regular file (a FIFO, a socket, a device) met inside a folder: listed in the report
    /// as skipped, never opened (opening a FIFO without a writer would block).
    pub special: bool,
    /// Reached from a `--reference` path: read and matched, but holding no redundant copies.
    pub reference: bool,
    /// A regular file, by its directory entry (or `stat`): it may be opened ahead of the scan
    /// ([`crate::prefetch`]), where a FIFO must not be.
    pub regular: bool,
}

/// Expands `inputs` into the files to read and the special files met, sorted by path, each
/// once (a path named explicitly and also met inside a folder is read).
pub fn walk(inputs: &[PathBuf], options: &WalkOptions) -> (Vec<Entry>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let file = |path: PathBuf| Entry {
        path,
        special: false,
        reference: false,
        regular: false,
    };
    for input in inputs {
        if input == Path::new(crate::read::STDIN) {
            files.push(file(input.clone()));
            continue;
        }
        let walker = WalkDir::new(input)
            .follow_links(options.follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || (options.hidden || !is_hidden(entry.file_name()))
                        && entry.file_name() != REMOVALS_LIST
                        && !excluded(entry.path(), entry.file_name(), options)
            });
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let kind = entry.file_type();
                    // A path named explicitly is read unless it is a folder: a FIFO such as
                    // `<(zcat a.gz)` too. Inside a folder, regular files are read and the others
                    // but folders and links not followed are listed as special; the file type
                    // comes from the directory entry (or `stat`), nothing is opened.
                    let explicit = entry.depth() == 0 && !kind.is_dir();
                    let listed = !kind.is_dir()
                        && !kind.is_symlink()
                        && wanted_extension(entry.path(), options);
                    if explicit || listed {
                        files.push(Entry {
                            special: !explicit && !kind.is_file(),
                            regular: kind.is_file(),
                            path: entry.into_path(),
                            reference: false,
                        });
                    }
                }
                Err(err) => {
                    let path = err.path().map_or_else(|| input.clone(), Path::to_path_buf);
                    let message = match err.io_error() {
                        Some(io) if err.loop_ancestor().is_none() => io.to_string(),
                        _ => err.to_string(),
                    };
                    problems.push(Problem::new(&path, message));
                }
            }
        }
    }
    // By path, a file to read before a special file of the same path, which `dedup_by` drops.
    files.sort_by(|a, b| {
        let (a_path, b_path) = (a.path.as_os_str(), b.path.as_os_str());
        let by_path = a_path.as_encoded_bytes().cmp(b_path.as_encoded_bytes());
        by_path.then(a.special.cmp(&b.special))
    });
    files.dedup_by(|later, earlier| later.path == earlier.path);
    (files, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_regular_files_may_be_opened_ahead() {
        // A FIFO named on the command line is read, but never opened ahead of the scan (the
        // open would let its writer go, or wait for one); the files of a folder may be.
        let dir = tempfile::tempdir().unwrap();
        let (fifo, folder) = (dir.path().join("pipe"), dir.path().join("folder"));
        let path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo reads the NUL-terminated path it is given.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("a.txt"), "text").unwrap();
        let (entries, problems) = walk(&[fifo, folder], &WalkOptions::default());
        assert!(problems.is_empty(), "{problems:?}");
        let seen: Vec<(String, bool, bool)> = (entries.iter())
            .map(|e| {
                (
                    e.path.file_name().unwrap().to_string_lossy().into_owned(),
                    e.special,
                    e.regular,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("a.txt".to_owned(), false, true),
                ("pipe".to_owned(), false, false)
            ]
        );
    }

    #[test]
    fn path_lists_split_on_newlines_or_nul() {
        assert_eq!(
            path_list(b"a b\r\n\nc\n", false),
            [PathBuf::from("a b"), PathBuf::from("c")]
        );
        assert_eq!(
            path_list(b"a\nb\0c\0", true),
            [PathBuf::from("a\nb"), PathBuf::from("c")]
        );
    }

    #[cfg(unix)]
    #[test]
    fn invalid_utf8_in_paths_is_escaped() {
        assert_eq!(
            display_path(&path_from_bytes(b"caf\xe9/x.txt")),
            "caf\\xE9/x.txt"
        );
        assert_eq!(display_path(Path::new("café/x.txt")), "café/x.txt");
    }

    #[test]
    fn control_characters_are_escaped_for_people() {
        assert_eq!(
            escape_controls("names/esc\x1b[31mRED\x1b[0m.txt"),
            "names/esc\\x1B[31mRED\\x1B[0m.txt"
        );
        assert_eq!(
            escape_controls("d\x1b]0;T\x07/a\tb\nc\rd\x7f\u{9b}e\0"),
            "d\\x1B]0;T\\x07/a\\x09b\\x0Ac\\x0Dd\\x7F\\xC2\\x9Be\\x00"
        );
        // Printable text, non-ASCII letters and the escapes of invalid bytes are kept as they are.
        let plain = "caf\\xE9/café «x» \u{a0}.txt";
        assert!(matches!(escape_controls(plain), Cow::Borrowed(s) if s == plain));
    }

    #[test]
    fn extension_filter_looks_through_compression() {
        let options = WalkOptions {
            extensions: vec!["txt".to_owned()],
            ..WalkOptions::default()
        };
        assert!(wanted_extension(Path::new("a.TXT.gz"), &options));
        assert!(wanted_extension(Path::new("a.txt.zst"), &options));
        assert!(!wanted_extension(Path::new("a.md.gz"), &options));
        assert!(!wanted_extension(Path::new("a.gz"), &options));
    }
}
