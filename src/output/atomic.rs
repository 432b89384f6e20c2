//! Writing a file so that a reader never sees half of it.
//!
//! In: a destination path and a function that fills a writer. Out: the file, written through a
//! temporary file in the same directory and renamed into place (on Linux, swapped with an
//! existing report, which is then removed). It is not flushed to the disk before the rename: an
//! fsync of a report of gigabytes takes seconds, and surviving a power cut is not promised.
//!
//! The temporary file is named `.NAME.dedup-PID-XXXXXX` after the destination NAME and the
//! writing process. A run that was killed leaves it behind; the next run writing NAME removes
//! every such file whose process no longer runs ([`remove_stale`]). Errors are the system's own,
//! without the temporary file's name: the caller names the destination.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes a file through a temporary file in its directory, renamed into place once complete.
/// A destination that exists and is not a regular file (`/dev/null`, a pipe) is written directly.
/// An error does not name the temporary file (`.NAME.dedup-PID-XXXXXX`), which the user never
/// asked for.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
) -> io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut out = io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(path)?);
        fill(&mut out)?;
        return out.flush();
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let stale_prefix = format!(".{name}.dedup-");
    remove_stale(&dir, &stale_prefix);
    let prefix = format!("{stale_prefix}{}-", std::process::id());
    // Opened here rather than by `tempfile_in`, whose errors name the temporary file.
    let create = |temp: &Path| {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        // Like any new file: 0666 less the umask, not the temporary file's private 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o666);
        }
        options.open(temp)
    };
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .make_in(&dir, create)?;
    let mut out = io::BufWriter::new(temp.as_file_mut());
    fill(&mut out)?;
    out.into_inner().map_err(io::IntoInnerError::into_error)?;
    if exchange(temp.path(), path) {
        // The temporary name now holds the old file; dropping `temp` removes it.
        return Ok(());
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the temporary files in `dir` named `PREFIX` + PID + `-…` whose process no longer
/// runs: what killed runs left. Files of running processes (another run writing the same report
/// now) are left alone, and so is anything that cannot be read or removed.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_runs(pid) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` runs (is still there to finish its file): on Linux, whether
/// `/proc/PID` exists.
#[cfg(target_os = "linux")]
fn process_runs(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Elsewhere every process is taken to run: nothing is removed.
#[cfg(not(target_os = "linux"))]
fn process_runs(_pid: u32) -> bool {
    true
}

/// Swaps `temp` and an existing `path` in one step (Linux `renameat2` with `RENAME_EXCHANGE`), so
/// that `path` is never missing or half written; false when `path` does not exist or the file
/// system cannot swap, and a plain rename must do. A rename over an existing file would do the
/// same, but ext4 then starts writing the new file out to the disk before the rename returns
/// (its `auto_da_alloc` guard against empty files after a crash): a tenth of a second for a
/// 280 MB report, seconds for a larger one.
#[cfg(target_os = "linux")]
fn exchange(temp: &Path, path: &Path) -> bool {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, temp, CWD, path, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_temp: &Path, _path: &Path) -> bool {
    false
}
