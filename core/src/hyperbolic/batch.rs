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

/// A view reduced to a pointer and strides, read without faer's per-access checks.
#[derive(Clone, Copy)]
struct Raw<T> {
    ptr: *const T,
    rs: isize,
    cs: isize,
    ncols: usize,
}

// SAFETY: only the pointers of views that are `Sync` (and of outputs split into disjoint
// chunks) are wrapped, and they are dereferenced only within the chunk they belong to.
unsafe impl<T: Sync> Send for Raw<T> {}
unsafe impl<T: Sync> Sync for Raw<T> {}

impl<T: Real> Raw<T> {
    #[inline(always)]
    fn of(m: MatRef<'_, T>) -> Self {
        Self { ptr: m.as_ptr(), rs: m.row_stride(), cs: m.col_stride(), ncols: m.ncols() }
    }

    #[inline(always)]
    fn of_mut(m: MatMut<'_, T>) -> Self {
        Self { ptr: m.as_ptr_mut() as *const T, rs: m.row_stride(), cs: m.col_stride(), ncols: m.ncols() }
    }

    /// Rows are contiguous `f64` slices usable in place.
    #[inline(always)]
    fn direct(&self) -> bool {
        T::IS_F64 && (self.cs == 1 || self.ncols <= 1)
    }

    /// Row `i` in place (only when `direct`). SAFETY: `i` is a row of the view.
    #[inline(always)]
    unsafe fn row<'a>(&self, i: usize) -> &'a [f64] {
        core::slice::from_raw_parts(self.ptr.wrapping_offset(i as isize * self.rs) as *const f64, self.ncols)
    }

    /// Row `i` in place, writable (only when `direct`). SAFETY: `i` is a row of an output
    /// view no one else accesses.
    #[inline(always)]
    unsafe fn row_mut<'a>(&self, i: usize) -> &'a mut [f64] {
        core::slice::from_raw_parts_mut(self.ptr.wrapping_offset(i as isize * self.rs) as *mut f64, self.ncols)
    }

    /// Rows `first..first + n` widened into `dst` (row-major, `ncols` per row).
    /// SAFETY: the rows exist.
    #[inline(always)]
    unsafe fn gather(&self, first: usize, n: usize, dst: &mut [f64]) {
        let w = self.ncols;
        let dst = &mut dst[..n * w];
        if self.rs == 1 {
            // Column-major storage: read each column's run of rows contiguously.
            for j in 0..w {
                let col = self.ptr.wrapping_offset(j as isize * self.cs + first as isize);
                for r in 0..n {
                    *dst.get_unchecked_mut(r * w + j) = (*col.add(r)).to_f64();
                }
            }
        } else {
            for r in 0..n {
                let row = self.ptr.wrapping_offset((first + r) as isize * self.rs);
                for j in 0..w {
                    *dst.get_unchecked_mut(r * w + j) = (*row.wrapping_offset(j as isize * self.cs)).to_f64();
                }
            }
        }
    }

    /// Rows `first..first + n` of `src` (row-major) rounded into the view.
    /// SAFETY: the rows exist and belong to an output no one else accesses.
    #[inline(always)]
    unsafe fn scatter(&self, first: usize, n: usize, src: &[f64]) {
        let w = self.ncols;
        let src = &src[..n * w];
        let ptr = self.ptr as *mut T;
        if self.rs == 1 {
            for j in 0..w {
                let col = ptr.wrapping_offset(j as isize * self.cs + first as isize);
                for r in 0..n {
                    *col.add(r) = T::from_f64(*src.get_unchecked(r * w + j));
                }
            }
        } else {
            for r in 0..n {
                let row = ptr.wrapping_offset((first + r) as isize * self.rs);
                for j in 0..w {
                    *row.wrapping_offset(j as isize * self.cs) = T::from_f64(*src.get_unchecked(r * w + j));
                }
            }
        }
    }
}

/// Rows screened at once by [`first_row_where`] on column-major storage.
const SCREEN: usize = 64;

/// Index of the first row of `m` (widened to `f64`) for which `bad` holds.
///
/// `ok(s)`, given the plain sum of squares `s` of a row (in some order), may vouch for the
/// row without calling `bad`; it must only do so when `bad` would be false for every rounding
/// of `s` (it is a screen that decides nothing near its threshold). Column-major storage is
/// screened many rows at a time, reading each column contiguously.
pub fn first_row_where<T: Real>(
    m: MatRef<'_, T>,
    ok: impl Fn(f64) -> bool,
    bad: impl Fn(&[f64]) -> bool,
) -> Option<usize> {
    let (nrows, w) = (m.nrows(), m.ncols());
    if nrows == 0 {
        return None;
    }
    let raw = Raw::of(m);
    if raw.rs == 0 {
        // One row broadcast to all: test it once.
        let mut buf = vec![0.0; w];
        // SAFETY: row 0 exists.
        unsafe { raw.gather(0, 1, &mut buf) };
        return bad(&buf).then_some(0);
    }
    dispatch(
        #[inline(always)]
        || {
            let mut buf = vec![0.0; w];
            if raw.rs == 1 && w > 1 {
                let mut s = [0.0f64; SCREEN];
                let mut first = 0;
                while first < nrows {
                    let n = SCREEN.min(nrows - first);
                    s.fill(0.0);
                    for j in 0..w {
                        // SAFETY: rows first..first + n of column j exist.
                        let col = unsafe {
                            core::slice::from_raw_parts(raw.ptr.wrapping_offset(j as isize * raw.cs + first as isize), n)
                        };
                        for (acc, v) in s.iter_mut().zip(col) {
                            let v = v.to_f64();
                            *acc = v.mul_add(v, *acc);
                        }
                    }
                    for r in 0..n {
                        if !ok(s[r]) {
                            // SAFETY: the row exists.
                            unsafe { raw.gather(first + r, 1, &mut buf) };
                            if bad(&buf) {
                                return Some(first + r);
                            }
                        }
                    }
                    first += n;
                }
                return None;
            }
            for i in 0..nrows {
                let row = if raw.direct() {
                    // SAFETY: `i` is a row.
                    unsafe { raw.row(i) }
                } else {
                    // SAFETY: `i` is a row.
                    unsafe { raw.gather(i, 1, &mut buf) };
                    &buf[..]
                };
                if bad(row) {
                    return Some(i);
                }
            }
            None
        },
    )
}

/// Rows moved between the views and the row-major buffers at a time.
const TILE: usize = 16;

#[inline(always)]
fn run_chunk<T: Real, const NI: usize, const NO: usize, F>(
    first: usize,
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    needs: Needs,
    acc: &mut [f64],
    kernel: &F,
) where
    F: Fn(Point<'_, NI, NO>) + Sync,
{
    let nrows = inputs.first().map(|m| m.nrows()).unwrap_or_else(|| outputs[0].nrows());
    let ins: [Raw<T>; NI] = inputs.map(Raw::of);
    let outs: [Raw<T>; NO] = outputs.map(Raw::of_mut);
    // Row-major staging tiles of the inputs and outputs not used in place, then scratch.
    let mut in_off = [0usize; NI];
    let mut out_off = [0usize; NO];
    let mut total = 0;
    for (o, r) in in_off.iter_mut().zip(&ins) {
        *o = total;
        if !r.direct() {
            total += TILE * r.ncols;
        }
    }
    for (o, r) in out_off.iter_mut().zip(&outs) {
        *o = total;
        if !r.direct() {
            total += TILE * r.ncols;
        }
    }
    let mut buf = vec![0.0f64; total + needs.scratch];
    let (tiles, scratch) = buf.split_at_mut(total);
    let tiles_ptr = tiles.as_mut_ptr();
    let mut t = 0;
    while t < nrows {
        let n = TILE.min(nrows - t);
        for (r, &o) in ins.iter().zip(&in_off) {
            if !r.direct() {
                // SAFETY: rows t..t + n exist; the tile region [o, o + TILE·w) is this input's.
                unsafe { r.gather(t, n, core::slice::from_raw_parts_mut(tiles_ptr.add(o), TILE * r.ncols)) };
            }
        }
        for k in 0..n {
            let i = t + k;
            // SAFETY: `i` is a row of every view; staged rows live in disjoint tile regions
            // that nothing else touches while the kernel runs.
            let ins_k: [&[f64]; NI] = core::array::from_fn(|j| unsafe {
                let r = &ins[j];
                if r.direct() {
                    r.row(i)
                } else {
                    core::slice::from_raw_parts(tiles_ptr.add(in_off[j] + k * r.ncols), r.ncols)
                }
            });
            let outs_k: [&mut [f64]; NO] = core::array::from_fn(|j| unsafe {
                let r = &outs[j];
                if r.direct() {
                    r.row_mut(i)
                } else {
                    core::slice::from_raw_parts_mut(tiles_ptr.add(out_off[j] + k * r.ncols), r.ncols)
                }
            });
            kernel(Point { row: first + i, inputs: ins_k, outputs: outs_k, scratch: &mut *scratch, acc: &mut *acc });
        }
        for (r, &o) in outs.iter().zip(&out_off) {
            if !r.direct() {
                // SAFETY: rows t..t + n exist and belong to this chunk's output.
                unsafe { r.scatter(t, n, core::slice::from_raw_parts(tiles_ptr.add(o), TILE * r.ncols)) };
            }
        }
        t += n;
    }
}
