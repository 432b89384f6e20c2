//! Per-stage times of a run, for whoever tunes it: `DEDUP_TIMINGS=1` prints them on stderr when
//! the run ends, never in the report.
//!
//! In: the pipeline's laps (a stage's name when it ends). Out: one line per stage on stderr, its
//! wall time, the process's CPU time (user + system) spent in it and the process's peak resident
//! memory when it ended (so the stage that raised the peak is the first line with the new
//! value), then the whole run's.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The laps of one run; does nothing unless `DEDUP_TIMINGS` is set to something but `0`.
#[derive(Debug)]
pub struct Timings {
    on: bool,
    start: Instant,
    /// `(stage, wall time at its end, CPU time at its end, peak resident bytes at its end)`.
    laps: Mutex<Vec<(&'static str, Duration, Duration, u64)>>,
}

impl Timings {
    /// Timings on when `DEDUP_TIMINGS` says so.
    pub fn from_env() -> Self {
        let on = std::env::var_os("DEDUP_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0");
        Timings {
            on,
            start: Instant::now(),
            laps: Mutex::new(Vec::new()),
        }
    }

    /// Marks the end of `stage`.
    pub fn lap(&self, stage: &'static str) {
        if self.on {
            let lap = (stage, self.start.elapsed(), cpu_time(), peak_resident());
            self.laps.lock().expect("no lap panics").push(lap);
        }
    }

    /// The lines printed, one per stage and a total.
    fn lines(&self) -> Vec<String> {
        let laps = self.laps.lock().expect("no lap panics");
        let mut lines = Vec::new();
        let (mut wall, mut cpu) = (Duration::ZERO, Duration::ZERO);
        for &(stage, at, cpu_at, peak) in laps.iter() {
            lines.push(line(stage, at - wall, cpu_at.saturating_sub(cpu), peak));
            (wall, cpu) = (at, cpu_at);
        }
        if let Some(&(_, at, cpu_at, peak)) = laps.last() {
            lines.push(line("total", at, cpu_at, peak));
        }
        lines
    }

    /// Prints one line per stage and a total on stderr, when on.
    pub fn print(&self) {
        if self.on {
            for line in self.lines() {
                eprintln!("{line}");
            }
        }
    }
}

fn line(stage: &str, wall: Duration, cpu: Duration, peak: u64) -> String {
    format!(
        "dedup: timings: {stage:<12} wall {:>8.3} s  cpu {:>8.3} s  peak {:>6} MB",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        peak / 1_000_000
    )
}

/// The process's peak resident memory so far in bytes (`VmHWM` in `/proc/self/status`); zero
/// where that cannot be read.
fn peak_resident() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The CPU time (user and system, all threads) the process has used so far; zero where that
/// cannot be read.
pub(crate) fn cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } == 0 {
            // SAFETY: getrusage succeeded, so the struct is filled.
            let usage = unsafe { usage.assume_init() };
            let time = |t: libc::timeval| {
                Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000)
            };
            return time(usage.ru_utime) + time(usage.ru_stime);
        }
    }
    Duration::ZERO
}
