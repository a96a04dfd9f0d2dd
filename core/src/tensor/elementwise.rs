//! Chunked element-wise passes over tensors, parallel when the solve is, with reductions
//! summed in a fixed chunk order so that results do not depend on the thread count.

use core::ops::Range;
use faer::Par;
use rayon::prelude::*;

/// Elements per chunk (128 KiB of `f64`).
const CHUNK: usize = 1 << 14;

/// Runs `f(offset, out_chunk)` over consecutive chunks of `out` and returns the sum of the
/// results in chunk order.
pub(crate) fn update(par: Par, out: &mut [f64], f: impl Fn(usize, &mut [f64]) -> f64 + Sync) -> f64 {
    let [sum] = update_sums(par, out, |start, o| [f(start, o)]);
    sum
}

/// [`update`] with `S` sums.
pub(crate) fn update_sums<const S: usize>(
    par: Par,
    out: &mut [f64],
    f: impl Fn(usize, &mut [f64]) -> [f64; S] + Sync,
) -> [f64; S] {
    let add = |mut acc: [f64; S], p: [f64; S]| {
        acc.iter_mut().zip(p).for_each(|(a, p)| *a += p);
        acc
    };
    if par.degree() > 1 && out.len() > CHUNK {
        let partial: Vec<[f64; S]> = out.par_chunks_mut(CHUNK).enumerate().map(|(c, o)| f(c * CHUNK, o)).collect();
        partial.into_iter().fold([0.0; S], add)
    } else {
        out.chunks_mut(CHUNK).enumerate().map(|(c, o)| f(c * CHUNK, o)).fold([0.0; S], add)
    }
}

/// Sum of `f(range)` over consecutive chunks of `0..len`, in chunk order.
pub(crate) fn reduce(par: Par, len: usize, f: impl Fn(Range<usize>) -> f64 + Sync) -> f64 {
    let chunk = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(len);
    let count = len.div_ceil(CHUNK);
    if par.degree() > 1 && count > 1 {
        let partial: Vec<f64> = (0..count).into_par_iter().map(|c| f(chunk(c))).collect();
        partial.iter().sum()
    } else {
        (0..count).map(|c| f(chunk(c))).sum()
    }
}

/// Like [`update`] over `M` outputs of equal length, chunked alike: runs
/// `f(offset, [chunk of each output])` and returns the sum of the results in chunk order.
pub(crate) fn update_many<const M: usize>(
    par: Par,
    outs: [&mut [f64]; M],
    f: impl Fn(usize, [&mut [f64]; M]) -> f64 + Sync,
) -> f64 {
    let len = outs.first().map_or(0, |o| o.len());
    assert!(outs.iter().all(|o| o.len() == len));
    let mut pieces = outs.map(|o| o.chunks_mut(CHUNK));
    let count = len.div_ceil(CHUNK);
    let chunks = (0..count).map(move |_| pieces.each_mut().map(|p| p.next().unwrap_or_default()));
    if par.degree() > 1 && count > 1 {
        let chunks: Vec<[&mut [f64]; M]> = chunks.collect();
        let partial: Vec<f64> = chunks.into_par_iter().enumerate().map(|(c, o)| f(c * CHUNK, o)).collect();
        partial.iter().sum()
    } else {
        chunks.enumerate().map(|(c, o)| f(c * CHUNK, o)).sum()
    }
}
