//! Chunked element-wise passes over tensors, parallel when the solve is, with reductions
//! summed along a fixed binary tree of chunks ([`super::tree`]), so that results do not depend
//! on the thread count, and without allocating.

use super::tree::{fold, Split};
use core::ops::Range;
use faer::Par;

/// Elements per chunk (128 KiB of `f64`).
const CHUNK: usize = 1 << 14;

fn add<const S: usize>(mut a: [f64; S], b: [f64; S]) -> [f64; S] {
    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
    a
}

fn sums<T: Split, const S: usize>(par: Par, item: T, f: impl Fn(usize, T) -> [f64; S] + Sync) -> [f64; S] {
    fold(par, item, CHUNK, &f, &add)
}

/// Runs `f(offset, out_chunk)` over consecutive chunks of `out` and returns the sum of the
/// results.
pub(crate) fn update(par: Par, out: &mut [f64], f: impl Fn(usize, &mut [f64]) -> f64 + Sync) -> f64 {
    let [sum] = sums(par, out, |start, o| [f(start, o)]);
    sum
}

/// [`update`] with `S` sums.
pub(crate) fn update_sums<const S: usize>(
    par: Par,
    out: &mut [f64],
    f: impl Fn(usize, &mut [f64]) -> [f64; S] + Sync,
) -> [f64; S] {
    sums(par, out, f)
}

/// Sum of `f(range)` over consecutive chunks of `0..len`.
pub(crate) fn reduce(par: Par, len: usize, f: impl Fn(Range<usize>) -> f64 + Sync) -> f64 {
    let [sum] = sums(par, 0..len, |_, range| [f(range)]);
    sum
}

/// Like [`update`] over `M` outputs of equal length, chunked alike: runs
/// `f(offset, [chunk of each output])` and returns the sum of the results.
pub(crate) fn update_many<const M: usize>(
    par: Par,
    outs: [&mut [f64]; M],
    f: impl Fn(usize, [&mut [f64]; M]) -> f64 + Sync,
) -> f64 {
    let len = outs.first().map_or(0, |o| o.len());
    assert!(outs.iter().all(|o| o.len() == len));
    let [sum] = sums(par, outs, |start, o| [f(start, o)]);
    sum
}
