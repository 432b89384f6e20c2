//! Stage 1, walk: the PATH arguments to the sorted list of files to read.
//!
//! In: the paths given on the command line and the [`WalkOptions`].
//! Out: regular files, sorted by path and without repeats, as reached from the arguments (like
//! `find` prints them), plus a [`Problem`] for every path that could not be walked.
//!
//! Directories are walked recursively. Hidden entries (a name starting with `.`) are skipped unless
//! asked for; a path given explicitly is always used. Symbolic links are followed only with
//! `follow` (then link loops are reported). The extension filter is case-insensitive. Binary files
//! are recognised by the read stage, which has the bytes in hand.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::Problem;

/// How to walk the inputs.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Keep only files with one of these extensions (without the dot); empty keeps all.
    pub extensions: Vec<String>,
    /// Include hidden files and directories.
    pub hidden: bool,
    /// Follow symbolic links.
    pub follow: bool,
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn wanted_extension(path: &Path, options: &WalkOptions) -> bool {
    options.extensions.is_empty()
        || path.extension().is_some_and(|ext| {
            let ext = ext.to_string_lossy();
            options
                .extensions
                .iter()
                .any(|want| want.eq_ignore_ascii_case(&ext))
        })
}

/// Expands `inputs` into the files to read.
pub fn walk(inputs: &[PathBuf], options: &WalkOptions) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        let walker = WalkDir::new(input)
            .follow_links(options.follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0 || options.hidden || !is_hidden(entry.file_name())
            });
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let explicit = entry.depth() == 0;
                    if entry.file_type().is_file()
                        && (explicit || wanted_extension(entry.path(), options))
                    {
                        files.push(entry.into_path());
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
    files.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    files.dedup();
    (files, problems)
}
