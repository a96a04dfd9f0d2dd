//! The batch driver: applies a per-point kernel to every row of strided views.
//!
//! Rows are processed in fixed chunks of [`CHUNK`] points, in parallel when asked, each chunk
//! compiled for the widest SIMD instruction set the CPU offers (AVX-512, else AVX2+FMA, else
//! the baseline). The chunking does not depend on the thread count and per-chunk reductions are
//! added in chunk order, so results are bitwise identical for any number of threads.
//!
//! Inputs are read row by row into contiguous `f64` buffers (any strides, including zero
//! strides that broadcast one row to all), the kernel computes in `f64`, and outputs are
//! rounded to the storage type on the way back.

use super::real::Real;
use faer::reborrow::ReborrowMut;
use faer::{MatMut, MatRef, Par};
use rayon::prelude::*;

/// Points per chunk: large enough to amortise the hand-off, small enough to balance.
pub const CHUNK: usize = 1024;

/// Below this many points a batch runs on the calling thread whatever `par` says.
const PARALLEL_MIN_ROWS: usize = 4 * CHUNK;

/// What a kernel sees for one point.
pub struct Point<'a, const NI: usize, const NO: usize> {
    /// Index of this point in the batch.
    pub row: usize,
    /// Row `i` of every input, widened to `f64`.
    pub inputs: [&'a [f64]; NI],
    /// Row `i` of every output, to be filled.
    pub outputs: [&'a mut [f64]; NO],
    /// Scratch of the length asked for, contents unspecified.
    pub scratch: &'a mut [f64],
    /// This chunk's running sum for reductions over points (length asked for).
    pub acc: &'a mut [f64],
}

/// Shape of the extra memory a kernel needs.
#[derive(Clone, Copy, Default)]
pub struct Needs {
    pub scratch: usize,
    pub acc: usize,
}

/// Runs `kernel` on every row; returns the sum over all points of the kernel's `acc` (empty
/// when `needs.acc == 0`). All views must have the same number of rows.
pub fn map_rows<T, const NI: usize, const NO: usize, F>(
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    needs: Needs,
    par: Par,
    kernel: F,
) -> Vec<f64>
where
    T: Real,
    F: Fn(Point<'_, NI, NO>) + Sync,
{
    let nrows = inputs
        .first()
        .map(|m| m.nrows())
        .or_else(|| outputs.first().map(|m| m.nrows()))
        .unwrap_or(0);
    for m in &inputs {
        assert_eq!(m.nrows(), nrows, "all views of a batch must have the same number of rows");
    }
    for m in &outputs {
        assert_eq!(m.nrows(), nrows, "all views of a batch must have the same number of rows");
    }
    let nchunks = nrows.div_ceil(CHUNK);
    let chunks = split_outputs(outputs, nchunks);
    let run = |(k, outs): (usize, [MatMut<'_, T>; NO])| {
        let first = k * CHUNK;
        let len = CHUNK.min(nrows - first);
        let ins: [MatRef<'_, T>; NI] = core::array::from_fn(|j| inputs[j].subrows(first, len));
        let mut acc = vec![0.0; needs.acc];
        dispatch(#[inline(always)] || run_chunk(first, ins, outs, needs, &mut acc, &kernel));
        acc
    };
    let parallel = matches!(par, Par::Rayon(n) if n.get() > 1) && nrows >= PARALLEL_MIN_ROWS;
    let partials: Vec<Vec<f64>> = if parallel {
        chunks.into_par_iter().enumerate().map(run).collect()
    } else {
        chunks.into_iter().enumerate().map(run).collect()
    };
    let mut total = vec![0.0; needs.acc];
    for p in &partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Cuts every output into the same row chunks; returns one array of views per chunk.
fn split_outputs<'a, T, const NO: usize>(
    outputs: [MatMut<'a, T>; NO],
    nchunks: usize,
) -> Vec<[MatMut<'a, T>; NO]> {
    let mut rest: [Option<MatMut<'a, T>>; NO] = outputs.map(Some);
    let mut chunks = Vec::with_capacity(nchunks);
    for _ in 0..nchunks {
        let heads: [MatMut<'a, T>; NO] = core::array::from_fn(|j| {
            let m = rest[j].take().expect("output present");
            let at = CHUNK.min(m.nrows());
            let (head, tail) = m.split_at_row_mut(at);
            rest[j] = Some(tail);
            head
        });
        chunks.push(heads);
    }
    chunks
}

/// Runs `f` compiled for the widest SIMD instruction set the CPU offers. `f` and what it
/// calls must be `#[inline(always)]` for the target features to reach them.
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq") {
            // SAFETY: the features were just detected.
            return unsafe { with_avx512(f) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Index of the first row of `m` (widened to `f64`) for which `bad` holds.
pub fn first_row_where<T: Real>(m: MatRef<'_, T>, bad: impl Fn(&[f64]) -> bool) -> Option<usize> {
    dispatch(
        #[inline(always)]
        || {
            if let Some(rows) = T::as_f64_ref(m).and_then(|m| m.try_as_row_major()) {
                for i in 0..rows.nrows() {
                    if bad(rows.row(i).as_slice()) {
                        return Some(i);
                    }
                }
                return None;
            }
            let mut buf = vec![0.0; m.ncols()];
            for i in 0..m.nrows() {
                for (dst, src) in buf.iter_mut().zip(m.row(i).iter()) {
                    *dst = src.to_f64();
                }
                if bad(&buf) {
                    return Some(i);
                }
            }
            None
        },
    )
}

#[inline(always)]
fn run_chunk<T: Real, const NI: usize, const NO: usize, F>(
    first: usize,
    inputs: [MatRef<'_, T>; NI],
    mut outputs: [MatMut<'_, T>; NO],
    needs: Needs,
    acc: &mut [f64],
    kernel: &F,
) where
    F: Fn(Point<'_, NI, NO>) + Sync,
{
    let in_widths: [usize; NI] = inputs.map(|m| m.ncols());
    let out_widths: [usize; NO] = core::array::from_fn(|j| outputs[j].ncols());
    let in_total: usize = in_widths.iter().sum();
    let out_total: usize = out_widths.iter().sum();
    let mut buf = vec![0.0f64; in_total + out_total + needs.scratch];
    // Rows of f64 views with unit column stride are used in place, without a copy.
    let in_direct: [Option<MatRef<'_, f64>>; NI] = inputs.map(|m| T::as_f64_ref(m).filter(|m| m.col_stride() == 1));
    let out_direct: [bool; NO] = core::array::from_fn(|j| T::as_f64_mut(outputs[j].rb_mut()).is_some_and(|m| m.col_stride() == 1));
    let nrows = inputs.first().map(|m| m.nrows()).unwrap_or_else(|| outputs[0].nrows());
    for i in 0..nrows {
        let (in_buf, rest) = buf.split_at_mut(in_total);
        let (out_buf, scratch) = rest.split_at_mut(out_total);
        let mut off = 0;
        for ((m, &w), direct) in inputs.iter().zip(&in_widths).zip(&in_direct) {
            if direct.is_none() {
                for (dst, src) in in_buf[off..off + w].iter_mut().zip(m.row(i).iter()) {
                    *dst = src.to_f64();
                }
            }
            off += w;
        }
        let copied = split_by(in_buf, &in_widths);
        let ins: [&[f64]; NI] = core::array::from_fn(|j| match &in_direct[j] {
            Some(m) => row_slice(*m, i),
            None => copied[j],
        });
        let mut out_rows = outputs.iter_mut().zip(split_by_mut(out_buf, &out_widths)).zip(&out_direct);
        let outs: [&mut [f64]; NO] = core::array::from_fn(|_| {
            let ((m, b), &direct) = out_rows.next().expect("one per output");
            match T::as_f64_mut(m.rb_mut()) {
                Some(m) if direct => row_slice_mut(m, i),
                _ => b,
            }
        });
        drop(out_rows);
        kernel(Point { row: first + i, inputs: ins, outputs: outs, scratch, acc });
        let mut off = 0;
        for ((m, &w), &direct) in outputs.iter_mut().zip(&out_widths).zip(&out_direct) {
            if !direct {
                for (dst, src) in m.rb_mut().row_mut(i).iter_mut().zip(&out_buf[off..off + w]) {
                    *dst = T::from_f64(*src);
                }
            }
            off += w;
        }
    }
}

/// Row `i` of a view with unit column stride, as a slice.
#[inline(always)]
fn row_slice(m: MatRef<'_, f64>, i: usize) -> &[f64] {
    m.try_as_row_major().expect("unit column stride").row(i).as_slice()
}

#[inline(always)]
fn row_slice_mut(m: MatMut<'_, f64>, i: usize) -> &mut [f64] {
    m.try_as_row_major_mut().expect("unit column stride").row_mut(i).as_slice_mut()
}

#[inline(always)]
fn split_by<'a, const N: usize>(mut buf: &'a [f64], widths: &[usize; N]) -> [&'a [f64]; N] {
    core::array::from_fn(|j| {
        let (head, tail) = buf.split_at(widths[j]);
        buf = tail;
        head
    })
}

#[inline(always)]
fn split_by_mut<'a, const N: usize>(
    mut buf: &'a mut [f64],
    widths: &[usize; N],
) -> [&'a mut [f64]; N] {
    core::array::from_fn(|j| {
        let (head, tail) = core::mem::take(&mut buf).split_at_mut(widths[j]);
        buf = tail;
        head
    })
}
