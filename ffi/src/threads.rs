//! The library's own thread pools and the thread-count rules.
//!
//! Count used by a call: its per-call option if > 0, else the value of
//! `tsr_set_num_threads` if > 0, else `TSR_NUM_THREADS`, else `OMP_NUM_THREADS` (its first
//! entry), else all cores. One thread means the calling thread, with no pool hand-off.
//! Pools are built on first use, one per distinct count, and live for the process.

use crate::error::{mark_library_thread, Error, Result};
use crate::status::*;
use faer::Par;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

static GLOBAL_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the default thread count of later calls; 0 restores the automatic choice.
/// Returns `TSR_ERR_INVALID_PARAMETER` for a negative count.
#[no_mangle]
pub extern "C" fn tsr_set_num_threads(num_threads: i32) -> tsr_status {
    crate::error::boundary(|| {
        if num_threads < 0 {
            return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("thread count {num_threads} is negative")));
        }
        GLOBAL_THREADS.store(num_threads as usize, Ordering::Relaxed);
        Ok(())
    })
}

/// The thread count a call without a per-call count would use now.
#[no_mangle]
pub extern "C" fn tsr_get_num_threads() -> i32 {
    resolve(0).min(i32::MAX as usize) as i32
}

/// The count for a call whose own option is `per_call` (≤ 0 meaning unset).
pub(crate) fn resolve(per_call: i32) -> usize {
    if per_call > 0 {
        return per_call as usize;
    }
    match GLOBAL_THREADS.load(Ordering::Relaxed) {
        0 => from_environment(),
        n => n,
    }
}

fn from_environment() -> usize {
    static ENV: OnceLock<usize> = OnceLock::new();
    *ENV.get_or_init(|| {
        let parse = |var: &str| {
            std::env::var(var).ok().and_then(|v| v.split(',').next()?.trim().parse::<usize>().ok()).filter(|&n| n > 0)
        };
        parse("TSR_NUM_THREADS")
            .or_else(|| parse("OMP_NUM_THREADS"))
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    })
}

/// Runs `f` with `threads` threads: on the calling thread when 1, else inside the pool.
pub(crate) fn run<R: Send>(threads: usize, f: impl FnOnce(Par) -> R + Send) -> Result<R> {
    let Some(n) = NonZeroUsize::new(threads).filter(|n| n.get() > 1) else {
        return Ok(f(Par::Seq));
    };
    let pool = pool(n.get())?;
    Ok(pool.install(|| f(Par::Rayon(n))))
}

fn pool(threads: usize) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&threads) {
        return Ok(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("tessera-{i}"))
        .start_handler(|_| mark_library_thread())
        .build()
        .map_err(|e| Error::new(TSR_ERR_THREADS, format!("cannot start {threads} threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.insert(threads, pool.clone());
    Ok(pool)
}
