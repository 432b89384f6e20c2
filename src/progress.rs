//! Progress on stderr, for a person waiting at a terminal.
//!
//! In: what the stages tell a [`Progress`] as they go: a file read ([`Progress::file_read`], with
//! its bytes) and the stage begun ([`Progress::stage`]). Out: one line on stderr, redrawn five
//! times a second by a thread of its own, once the run has taken longer than half a second: the
//! stage, files and bytes read, and while files are read the throughput and an ETA from the
//! share of files done; erased when the run ends. Only when stderr is a terminal and the run is not quiet
//! ([`Progress::new`]); nothing else reads it, so the report never depends on it.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a run goes without a progress line, unless `DEDUP_PROGRESS_DELAY_MS` says otherwise.
const QUIET_START: Duration = Duration::from_millis(500);

/// The delay before the first line: [`QUIET_START`], or `DEDUP_PROGRESS_DELAY_MS` milliseconds.
fn quiet_start() -> Duration {
    std::env::var("DEDUP_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(QUIET_START, Duration::from_millis)
}
/// How often the line is redrawn.
const REDRAW: Duration = Duration::from_millis(200);

/// The stages, in run order, as the line names them.
const STAGES: [&str; 4] = ["reading", "matching", "shared text", "writing the report"];

/// The progress line of one run, or nothing.
#[derive(Debug, Default)]
pub struct Progress {
    shared: Option<Arc<Shared>>,
    drawer: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    start: Instant,
    quiet_start: Duration,
    files: usize,
    files_read: AtomicUsize,
    bytes_read: AtomicU64,
    stage: AtomicUsize,
    done: Mutex<bool>,
    wake: Condvar,
    drawn: AtomicBool,
}

/// The stages a run reports.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Files read, segmented and fingerprinted.
    Reading = 0,
    /// Candidates drawn, verified and clustered.
    Matching = 1,
    /// Shared runs of words and passages.
    SharedText = 2,
    /// The report built and written.
    Writing = 3,
}

impl Progress {
    /// A progress line for a run over `files` files, drawn only when `wanted` and stderr is a
    /// terminal; otherwise a `Progress` that does nothing.
    pub fn new(wanted: bool, files: usize) -> Progress {
        if !wanted || !io::stderr().is_terminal() {
            return Progress::default();
        }
        let shared = Arc::new(Shared {
            start: Instant::now(),
            quiet_start: quiet_start(),
            files,
            files_read: AtomicUsize::new(0),
            bytes_read: AtomicU64::new(0),
            stage: AtomicUsize::new(Stage::Reading as usize),
            done: Mutex::new(false),
            wake: Condvar::new(),
            drawn: AtomicBool::new(false),
        });
        let drawer = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("dedup-progress".into())
                .spawn(move || shared.draw_until_done())
                .ok()
        };
        Progress {
            shared: Some(shared),
            drawer,
        }
    }

    /// A file was read: `bytes` of it.
    pub fn file_read(&self, bytes: u64) {
        if let Some(s) = &self.shared {
            s.files_read.fetch_add(1, Ordering::Relaxed);
            s.bytes_read.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// The run has begun `stage`.
    pub fn stage(&self, stage: Stage) {
        if let Some(s) = &self.shared {
            s.stage.store(stage as usize, Ordering::Relaxed);
        }
    }

    /// Ends the line: the drawer stops and erases it.
    pub fn finish(&mut self) {
        if let Some(s) = self.shared.take() {
            *s.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
            s.wake.notify_all();
            if let Some(drawer) = self.drawer.take() {
                let _ = drawer.join();
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Shared {
    fn draw_until_done(&self) {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while !*done {
            let wait = if self.drawn.load(Ordering::Relaxed) {
                REDRAW
            } else {
                self.quiet_start.saturating_sub(self.start.elapsed())
            };
            done = self
                .wake
                .wait_timeout(done, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if !*done && self.start.elapsed() >= self.quiet_start {
                self.draw(&self.line());
            }
        }
        if self.drawn.load(Ordering::Relaxed) {
            self.draw("");
        }
    }

    /// Replaces the line on stderr with `text` (ignoring failures: a closed stderr must not stop
    /// the run).
    fn draw(&self, text: &str) {
        self.drawn.store(true, Ordering::Relaxed);
        let _ = write!(io::stderr().lock(), "\r\x1b[2K{text}");
    }

    fn line(&self) -> String {
        let elapsed = self.start.elapsed().as_secs_f64();
        let files = self.files_read.load(Ordering::Relaxed);
        let bytes = self.bytes_read.load(Ordering::Relaxed) as f64;
        let stage = self.stage.load(Ordering::Relaxed);
        let mut line = format!(
            "dedup: {} · {files}/{} files, {:.1} MB",
            STAGES[stage.min(STAGES.len() - 1)],
            self.files,
            bytes / 1e6
        );
        // Throughput and time left are those of reading, the one stage whose end is known.
        if stage == Stage::Reading as usize {
            line += &format!(", {:.1} MB/s", bytes / 1e6 / elapsed.max(1e-3));
            if files > 0 && files < self.files {
                let left = elapsed * (self.files - files) as f64 / files as f64;
                line += &format!(", about {left:.0} s left");
            }
        }
        line + &format!(" · {elapsed:.0} s")
    }
}
