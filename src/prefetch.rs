//! Reading ahead when the scan waits on the disk.
//!
//! In: the files the scan reads now and next (walk entries), and how long each chunk's scan took
//! in wall and CPU time. Out: nothing but the page cache: once the scan waits on the disk
//! ([`waited`]), the first [`AHEAD`] bytes of each of those files are asked of the kernel
//! (`posix_fadvise(WILLNEED)`, Linux) from [`THREADS`] threads, so that many reads are in flight
//! where the scan's threads, one per core, would each wait for one. After the page cache was
//! dropped, the 100 MB bench corpus's scan took 1.45 s with it and 2.6–2.9 s without (1.4 s
//! warm), 245,142 small files 6.4 s against 19.8 s. A warm run never turns it on and pays two
//! clock readings a chunk; what is read is the same either way, so the report is too.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Threads asking for files ahead: enough reads in flight for an SSD or a virtual disk.
pub const THREADS: usize = 8;

/// The bytes of each file asked for ahead: the whole of a small file, the start of a large one
/// (whose sequential read the kernel reads ahead by itself).
pub const AHEAD: i64 = 1 << 20;

/// `DEDUP_READ_AHEAD=1` reads ahead from the first file, `DEDUP_READ_AHEAD=0` never (for a disk
/// known to be slow or a test); otherwise the scan turns it on when it waits ([`waited`]).
pub fn forced() -> Option<bool> {
    match std::env::var_os("DEDUP_READ_AHEAD")?.to_str()? {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// Whether the scan of a chunk that took `wall` and `cpu` (the process's, all threads) on
/// `threads` threads was waiting on the disk: it took long enough to matter, and its threads
/// had less than four fifths of the CPU time (a warm scan of the bench corpora gives them 0.92
/// to 0.99 of it chunk by chunk, a cold one 0.25 to 0.7).
pub fn waited(wall: Duration, cpu: Duration, threads: usize) -> bool {
    wall > MEASURED && cpu.as_secs_f64() < 0.8 * wall.as_secs_f64() * threads as f64
}

/// A chunk scanned faster is too short to tell (and to matter).
const MEASURED: Duration = Duration::from_millis(50);

/// Asks the kernel for the start of every file of `paths` (regular files: opening a FIFO would
/// wait for, or let go, its writer), in order, on [`THREADS`] threads; returns when every
/// request is made (the reads go on in the kernel).
pub fn prefetch(paths: &[&Path]) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..THREADS.min(paths.len()) {
            scope.spawn(|| {
                while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
                    ask_ahead(path);
                }
            });
        }
    });
}

/// Opens `path` and asks for its first [`AHEAD`] bytes; a file that cannot be opened is left
/// to the scan, which says why.
fn ask_ahead(path: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        // SAFETY: the descriptor is open for the call; WILLNEED only starts reads.
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), 0, AHEAD, libc::POSIX_FADV_WILLNEED);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = path;
}
