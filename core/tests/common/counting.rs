//! A global allocator that counts heap allocations into per-test counters (for the
//! allocation-free tests): a test crate includes it with `#[path = "../common/counting.rs"] mod counting;`.
//!
//! A thread counts into the counter attached to it ([`attach`]); [`allocations`] attaches a
//! fresh one to the calling thread on first use. A test that runs work in a pool attaches its
//! counter to the pool's workers too (`start_handler`), so tests running side by side do not
//! see each other's allocations.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

thread_local! {
    static COUNTER: Cell<Option<&'static AtomicUsize>> = const { Cell::new(None) };
}

fn count() {
    // `try_with`: the allocator also runs while thread-local storage is torn down.
    let _ = COUNTER.try_with(|c| c.get().map(|n| n.fetch_add(1, Ordering::Relaxed)));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A new counter, alive for the rest of the process.
pub fn new_counter() -> &'static AtomicUsize {
    Box::leak(Box::new(AtomicUsize::new(0)))
}

/// Counts this thread's allocations into `counter` from now on.
pub fn attach(counter: &'static AtomicUsize) {
    COUNTER.with(|c| c.set(Some(counter)));
}

/// The count of the counter attached to this thread (a fresh one if none is).
pub fn allocations() -> usize {
    let counter = COUNTER.with(Cell::get).unwrap_or_else(|| {
        let counter = new_counter();
        attach(counter);
        counter
    });
    counter.load(Ordering::SeqCst)
}
