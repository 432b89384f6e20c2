//! Allocator tuning (glibc on Linux; nothing elsewhere): memory freed by one stage must not count
//! against the peak of the next.
//!
//! In: nothing. Out: [`map_large_blocks`], called once at the start of a run, makes every block of
//! [`LARGE_BLOCK`] bytes or more a mapping of its own, so that it goes back to the operating system
//! when it is freed and grows in place (the default raises that limit up to 32 MiB as blocks are
//! freed, after which the arenas that grow by doubling leave holes in the heap);
//! [`give_back_freed_memory`], called after a stage's arenas are dropped, hands the free pages
//! left in the heaps back.

/// Blocks at least this large are mapped on their own.
pub const LARGE_BLOCK: usize = 1 << 20;

/// Makes blocks of [`LARGE_BLOCK`] bytes or more mappings of their own.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc parameter; it has no preconditions.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK as i32);
    }
}

/// Returns the free pages of the heaps to the operating system.
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
