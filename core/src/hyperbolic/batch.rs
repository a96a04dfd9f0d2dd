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

use super::lane::{Lane, TileLane, V, W};
pub use crate::simd::dispatch;
use crate::simd::{dispatch_lanes, WithLanes};
use super::primitives::norm2;
use super::vectors::{Blocked, Vectors, VectorsMut};
#[cfg(target_arch = "x86_64")]
use super::vectors::{Rows, RowsMut};
use super::real::Real;
use faer::{MatMut, MatRef, Par};
use rayon::prelude::*;

/// Points per chunk: large enough to amortise the hand-off, small enough to balance.
pub const CHUNK: usize = 1024;

/// Below this many points a batch runs on the calling thread whatever `par` says.
const PARALLEL_MIN_ROWS: usize = 4 * CHUNK;

/// What a kernel sees for one point.
pub struct Point<'a, const NI: usize, const NO: usize> {
    /// Row `i` of every input, widened to `f64`.
    pub inputs: [&'a [f64]; NI],
    /// Row `i` of every output, to be filled.
    pub outputs: [&'a mut [f64]; NO],
    /// This chunk's running sum for reductions over points (length asked for).
    pub acc: &'a mut [f64],
}

/// Runs `kernel` on every row; returns the sum over all points of the kernel's `acc` (of
/// length `acc`, empty when `acc == 0`). All views must have the same number of rows.
pub fn map_rows<T, const NI: usize, const NO: usize, F>(
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    acc: usize,
    par: Par,
    kernel: F,
) -> Vec<f64>
where
    T: Real,
    F: Fn(Point<'_, NI, NO>) + Sync,
{
    let nrows = common_rows(&inputs, &outputs);
    let nchunks = nrows.div_ceil(CHUNK);
    let chunks = split_outputs(outputs, nchunks);
    let run = |(k, outs): (usize, [MatMut<'_, T>; NO])| {
        let first = k * CHUNK;
        let len = CHUNK.min(nrows - first);
        let ins: [MatRef<'_, T>; NI] = core::array::from_fn(|j| inputs[j].subrows(first, len));
        let mut sums = vec![0.0; acc];
        dispatch(#[inline(always)] || run_chunk(ins, outs, &mut sums, &kernel));
        sums
    };
    let parallel = matches!(par, Par::Rayon(n) if n.get() > 1) && nrows >= PARALLEL_MIN_ROWS;
    let partials: Vec<Vec<f64>> = if parallel {
        chunks.into_par_iter().enumerate().map(run).collect()
    } else {
        chunks.into_iter().enumerate().map(run).collect()
    };
    let mut total = vec![0.0; acc];
    for p in &partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// What a kernel sees for one tile of up to [`W`] points, in structure-of-arrays form: element
/// `j` of an input or output is coordinate `j` of the tile's points, one per lane. Lanes past
/// the end of the batch repeat its last row (so they hold valid inputs) and are not stored.
pub struct Tile<'a, S, const NI: usize, const NO: usize> {
    pub inputs: [&'a [S]; NI],
    pub outputs: [&'a mut [S]; NO],
    /// Scratch of the length asked for, contents unspecified.
    pub scratch: &'a mut [S],
}

/// A per-tile kernel, written once for every lane type: it runs on `zmm::Z` under AVX-512
/// and on [`V`] otherwise (see [`dispatch_lanes`]). Its `run` must be `#[inline(always)]`.
pub trait TileKernel<const NI: usize, const NO: usize>: Sync {
    fn run<S: TileLane>(&self, tile: Tile<'_, S, NI, NO>);
}

/// Runs `kernel` on every tile of [`W`] rows (same chunking, threading and SIMD dispatch as
/// [`map_rows`]); `scratch` is the number of lanes of scratch the kernel needs.
pub fn map_tiles<T, const NI: usize, const NO: usize, K>(
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    scratch: usize,
    par: Par,
    kernel: K,
) where
    T: Real,
    K: TileKernel<NI, NO>,
{
    for_each_chunk(inputs, outputs, par, |inputs, outputs, stream| {
        dispatch_lanes(RunTiles { inputs, outputs, scratch, stream, kernel: &kernel })
    });
}

/// A kernel written against [`Vectors`], so that it runs on staged tiles (as a
/// [`TileKernel`]) and, where [`map_vectors`] can, on the rows in place. Its `run` must be
/// `#[inline(always)]`.
pub trait VectorKernel<const NI: usize, const NO: usize>: Sync {
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, inputs: [A; NI], outputs: [O; NO]);
}

/// Runs `kernel` on every tile of [`W`] rows, as [`map_tiles`] does; under AVX-512, when every
/// view's rows are contiguous and a multiple of 8 long, on the rows in place ([`Rows`]: no
/// staging copies and no transposes). The two forms give the same bits.
pub fn map_vectors<T, const NI: usize, const NO: usize, K>(
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    par: Par,
    kernel: K,
) where
    T: Real,
    K: VectorKernel<NI, NO>,
{
    #[cfg(target_arch = "x86_64")]
    {
        let rows_fit = |ncols: usize, cs: isize| ncols > 0 && ncols % W == 0 && cs == 1;
        if crate::simd::Isa::detected() == crate::simd::Isa::Avx512
            && inputs.iter().all(|m| rows_fit(m.ncols(), m.col_stride()))
            && outputs.iter().all(|m| rows_fit(m.ncols(), m.col_stride()))
        {
            for_each_chunk(inputs, outputs, par, |inputs, outputs, stream| {
                let nrows = common_rows(&inputs, &outputs);
                let (ins, outs) = (inputs.map(Raw::of), outputs.map(Raw::of_mut));
                // SAFETY: AVX-512 was detected; the views' rows are contiguous, of a multiple
                // of 8 elements, and the outputs are this chunk's.
                crate::simd::dispatch_to(crate::simd::Isa::Avx512, #[inline(always)] || unsafe {
                    run_rows(ins, outs, nrows, stream, &kernel)
                })
            });
            return;
        }
    }
    map_tiles(inputs, outputs, 0, par, AsTiles(kernel));
}

/// A [`VectorKernel`] run on staged tiles, reduced in the row form's order.
struct AsTiles<K>(K);

impl<K: VectorKernel<NI, NO>, const NI: usize, const NO: usize> TileKernel<NI, NO> for AsTiles<K> {
    #[inline(always)]
    fn run<S: TileLane>(&self, tile: Tile<'_, S, NI, NO>) {
        let inputs: [Blocked<'_, S>; NI] = core::array::from_fn(|i| Blocked(tile.inputs[i]));
        self.0.run::<S, Blocked<'_, S>, &mut [S]>(inputs, tile.outputs);
    }
}

/// One chunk of [`map_vectors`] on the rows in place. SAFETY: as [`Rows::new`] and
/// [`RowsMut::new`] require for every tile of the views' `nrows` rows.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn run_rows<T: Real, K: VectorKernel<NI, NO>, const NI: usize, const NO: usize>(
    ins: [Raw<T>; NI],
    outs: [Raw<T>; NO],
    nrows: usize,
    stream: bool,
    kernel: &K,
) {
    use crate::simd::zmm::Z;
    let mut t = 0;
    while t < nrows {
        let n = W.min(nrows - t);
        // Lanes past the end of the batch repeat its last row, as in the staged tiles.
        let row = |r: &Raw<T>, l: usize| r.ptr.wrapping_offset((t + l.min(n - 1)) as isize * r.rs);
        let inputs: [Rows<T>; NI] = core::array::from_fn(|k| Rows::new(core::array::from_fn(|l| row(&ins[k], l)), ins[k].ncols));
        let outputs: [RowsMut<T>; NO] = core::array::from_fn(|k| {
            let rows: [*mut T; W] = core::array::from_fn(|l| row(&outs[k], l) as *mut T);
            RowsMut::new(rows, n, outs[k].ncols, stream && whole_lines(&rows, outs[k].ncols))
        });
        kernel.run::<Z, Rows<T>, RowsMut<T>>(inputs, outputs);
        t += n;
    }
    if stream {
        // Non-temporal stores are weakly ordered: fence them before the chunk is handed back.
        x86::store_fence();
    }
}

/// Cuts the views into chunks of [`CHUNK`] rows and calls `run(inputs, outputs, stream)` on
/// each, in parallel when asked and the batch is large enough; `stream` says whether the
/// outputs are large enough to be written with non-temporal stores.
fn for_each_chunk<T, const NI: usize, const NO: usize>(
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    par: Par,
    run: impl Fn([MatRef<'_, T>; NI], [MatMut<'_, T>; NO], bool) + Sync,
) where
    T: Real,
{
    let nrows = common_rows(&inputs, &outputs);
    let out_bytes = nrows * outputs.iter().map(|m| m.ncols()).sum::<usize>() * core::mem::size_of::<T>();
    let stream = out_bytes >= STREAM_MIN_BYTES;
    let chunks = split_outputs(outputs, nrows.div_ceil(CHUNK));
    let run = |(k, outs): (usize, [MatMut<'_, T>; NO])| {
        let first = k * CHUNK;
        let len = CHUNK.min(nrows - first);
        run(core::array::from_fn(|j| inputs[j].subrows(first, len)), outs, stream);
    };
    if matches!(par, Par::Rayon(n) if n.get() > 1) && nrows >= PARALLEL_MIN_ROWS {
        chunks.into_par_iter().enumerate().for_each(run);
    } else {
        chunks.into_iter().enumerate().for_each(run);
    }
}

/// Outputs at least this large (bytes) are written with non-temporal stores where the layout
/// allows (see [`Raw::scatter_tile`]): they would not stay in the caches anyway, and streaming
/// them saves the read-for-ownership of every line.
const STREAM_MIN_BYTES: usize = 8 << 20;

/// The common number of rows of a batch's views (asserted).
fn common_rows<T, const NI: usize, const NO: usize>(inputs: &[MatRef<'_, T>; NI], outputs: &[MatMut<'_, T>; NO]) -> usize {
    let nrows = inputs
        .first()
        .map(|m| m.nrows())
        .or_else(|| outputs.first().map(|m| m.nrows()))
        .unwrap_or(0);
    for m in inputs {
        assert_eq!(m.nrows(), nrows, "all views of a batch must have the same number of rows");
    }
    for m in outputs {
        assert_eq!(m.nrows(), nrows, "all views of a batch must have the same number of rows");
    }
    nrows
}

/// One chunk of [`map_tiles`].
struct RunTiles<'a, 'k, T, K, const NI: usize, const NO: usize> {
    inputs: [MatRef<'a, T>; NI],
    outputs: [MatMut<'a, T>; NO],
    scratch: usize,
    stream: bool,
    kernel: &'k K,
}

impl<T: Real, K: TileKernel<NI, NO>, const NI: usize, const NO: usize> WithLanes for RunTiles<'_, '_, T, K, NI, NO> {
    type Output = ();
    #[inline(always)]
    fn run<S: TileLane>(self) {
        let Self { inputs, outputs, scratch, stream, kernel } = self;
        let nrows = common_rows(&inputs, &outputs);
        let ins: [Raw<T>; NI] = inputs.map(Raw::of);
        let outs: [Raw<T>; NO] = outputs.map(Raw::of_mut);
        let in_len: usize = ins.iter().map(|r| r.ncols).sum();
        let out_len: usize = outs.iter().map(|r| r.ncols).sum();
        let fast = fast_transposes();
        let mut buf = vec![V::splat(0.0); in_len + out_len + scratch];
        let (in_buf, rest) = buf.split_at_mut(in_len);
        let (out_buf, scratch) = rest.split_at_mut(out_len);
        let scratch = S::tile_mut(scratch);
        let mut t = 0;
        while t < nrows {
            let n = W.min(nrows - t);
            let mut at = 0;
            for r in &ins {
                // A broadcast row (zero row stride) is staged once.
                if t == 0 || r.rs != 0 {
                    // SAFETY: rows t..t + n exist.
                    unsafe { r.gather_tile(t, n, &mut in_buf[at..at + r.ncols], fast) };
                }
                at += r.ncols;
            }
            let mut at = 0;
            let tile_ins: [&[S]; NI] = core::array::from_fn(|j| {
                let s = S::tile(&in_buf[at..at + ins[j].ncols]);
                at += ins[j].ncols;
                s
            });
            let mut rest: &mut [S] = S::tile_mut(&mut *out_buf);
            let tile_outs: [&mut [S]; NO] = core::array::from_fn(|j| {
                let (head, tail) = core::mem::take(&mut rest).split_at_mut(outs[j].ncols);
                rest = tail;
                head
            });
            kernel.run(Tile { inputs: tile_ins, outputs: tile_outs, scratch: &mut *scratch });
            let mut at = 0;
            for r in &outs {
                // SAFETY: rows t..t + n exist and belong to this chunk's output.
                unsafe { r.scatter_tile(t, n, &out_buf[at..at + r.ncols], fast, stream) };
                at += r.ncols;
            }
            t += n;
        }
        #[cfg(target_arch = "x86_64")]
        if fast && stream {
            // Non-temporal stores are weakly ordered: fence them before the chunk is handed back.
            x86::store_fence();
        }
    }
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

impl<T: Real> Raw<T> {
    /// Rows `first..first + n` (`1 ≤ n ≤ W`) widened into the structure-of-arrays tile `dst`
    /// (`dst[j]` holds coordinate `j` of the rows, one per lane); lanes `n..W` repeat row
    /// `first + n − 1`. With `fast` (AVX-512 present), full tiles of contiguous rows go
    /// through in-register 8×8 transposes, and full tiles of contiguous columns are plain
    /// vector loads. SAFETY: the rows exist.
    #[inline(always)]
    unsafe fn gather_tile(&self, first: usize, n: usize, dst: &mut [V], fast: bool) {
        let w = self.ncols;
        let dst = &mut dst[..w];
        if n == W && self.rs == 1 {
            // Column-major: coordinate j of the W rows is contiguous.
            for (j, d) in dst.iter_mut().enumerate() {
                let col = self.ptr.wrapping_offset(j as isize * self.cs + first as isize);
                *d = V(core::array::from_fn(|l| (*col.add(l)).to_f64()));
            }
            return;
        }
        let mut j0 = 0;
        #[cfg(target_arch = "x86_64")]
        if fast && n == W && self.cs == 1 {
            let rows: [*const T; W] = core::array::from_fn(|l| self.ptr.wrapping_offset((first + l) as isize * self.rs));
            while j0 + W <= w {
                // SAFETY: columns j0..j0 + W of the rows exist; AVX-512 was detected.
                x86::load_transposed(core::array::from_fn(|l| rows[l].add(j0)), &mut dst[j0..j0 + W]);
                j0 += W;
            }
        }
        for l in 0..W {
            let row = self.ptr.wrapping_offset((first + l.min(n - 1)) as isize * self.rs);
            for (j, d) in dst.iter_mut().enumerate().skip(j0) {
                d.0[l] = (*row.wrapping_offset(j as isize * self.cs)).to_f64();
            }
        }
    }

    /// Lanes `0..n` of the tile `src` rounded into rows `first..first + n` of the view (the
    /// inverse of [`Self::gather_tile`]). With `stream`, full tiles of contiguous rows that are
    /// whole, aligned cache lines are written with non-temporal stores (the caller fences).
    /// SAFETY: the rows exist and belong to an output no one else accesses.
    #[inline(always)]
    unsafe fn scatter_tile(&self, first: usize, n: usize, src: &[V], fast: bool, stream: bool) {
        let w = self.ncols;
        let src = &src[..w];
        let ptr = self.ptr as *mut T;
        if n == W && self.rs == 1 {
            for (j, v) in src.iter().enumerate() {
                let col = ptr.wrapping_offset(j as isize * self.cs + first as isize);
                for l in 0..W {
                    *col.add(l) = T::from_f64(v.0[l]);
                }
            }
            return;
        }
        let mut j0 = 0;
        #[cfg(target_arch = "x86_64")]
        if fast && n == W && self.cs == 1 {
            let rows: [*mut T; W] = core::array::from_fn(|l| ptr.wrapping_offset((first + l) as isize * self.rs));
            let lines = whole_lines(&rows, w);
            while j0 + W <= w {
                // SAFETY: columns j0..j0 + W of the rows exist and are this chunk's; with
                // `lines` every store is aligned to its width (row starts are 64-byte aligned).
                x86::store_transposed(&src[j0..j0 + W], core::array::from_fn(|l| rows[l].add(j0)), stream && lines);
                j0 += W;
            }
        }
        for l in 0..n {
            let row = ptr.wrapping_offset((first + l) as isize * self.rs);
            for (j, v) in src.iter().enumerate().skip(j0) {
                *row.wrapping_offset(j as isize * self.cs) = T::from_f64(v.0[l]);
            }
        }
    }
}

/// Whether rows of `ncols` elements at `rows` are whole, 64-byte aligned cache lines: the only
/// outputs written with non-temporal stores (a partial line would cost a read, a misaligned
/// store would fault).
#[inline(always)]
#[cfg(target_arch = "x86_64")]
fn whole_lines<T>(rows: &[*mut T; W], ncols: usize) -> bool {
    (ncols * core::mem::size_of::<T>()) % 64 == 0 && rows.iter().all(|p| (*p as usize) % 64 == 0)
}

/// Whether the in-register transposes of [`x86`] may be used.
#[inline(always)]
fn fast_transposes() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// 8×8 transposes between eight rows of storage (`f64`, or `f32` widened on load and rounded
/// on store) and eight [`V`] (one per coordinate), in AVX-512 registers: 24 shuffles per block
/// instead of 64 scalar loads and stores.
#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use super::super::lane::{V, W};
    use super::super::real::Real;
    use core::any::TypeId;
    use core::arch::x86_64::*;

    /// Loads 8 consecutive elements at `p` as `f64`. SAFETY: they exist; AVX-512F present.
    #[inline(always)]
    pub unsafe fn load8<T: Real>(p: *const T) -> __m512d {
        if TypeId::of::<T>() == TypeId::of::<f32>() {
            _mm512_cvtps_pd(_mm256_loadu_ps(p as *const f32))
        } else {
            debug_assert!(TypeId::of::<T>() == TypeId::of::<f64>());
            _mm512_loadu_pd(p as *const f64)
        }
    }

    /// Stores 8 `f64` rounded to `T` at `p`, non-temporally with `stream`. SAFETY: they exist;
    /// AVX-512F present; with `stream`, `p` is aligned to the store's width (32 or 64 bytes).
    #[inline(always)]
    pub unsafe fn store8<T: Real>(p: *mut T, v: __m512d, stream: bool) {
        match (TypeId::of::<T>() == TypeId::of::<f32>(), stream) {
            (true, false) => _mm256_storeu_ps(p as *mut f32, _mm512_cvtpd_ps(v)),
            (true, true) => _mm256_stream_ps(p as *mut f32, _mm512_cvtpd_ps(v)),
            (false, false) => _mm512_storeu_pd(p as *mut f64, v),
            (false, true) => _mm512_stream_pd(p as *mut f64, v),
        }
    }

    /// Orders the non-temporal stores before everything after.
    #[inline(always)]
    pub fn store_fence() {
        // SAFETY: `sfence` has no preconditions; SSE is baseline on x86_64.
        unsafe { _mm_sfence() };
    }

    /// The transpose of the 8×8 matrix whose rows are `r`.
    #[inline(always)]
    unsafe fn transpose(r: [__m512d; W]) -> [__m512d; W] {
        let t: [__m512d; W] = core::array::from_fn(|k| {
            let (a, b) = (r[k & !1], r[k | 1]);
            if k % 2 == 0 {
                _mm512_unpacklo_pd(a, b)
            } else {
                _mm512_unpackhi_pd(a, b)
            }
        });
        // t[2i] = (r_{2i}[0], r_{2i+1}[0], r_{2i}[2], r_{2i+1}[2], …), t[2i+1] the odd columns.
        let lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
        let hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
        // u[4h + m]: rows 4h..4h + 4, columns {m, m + 4} for m = 0, 1 (lo) and 2, 3 (hi).
        let u: [__m512d; W] = core::array::from_fn(|k| {
            let (h, m) = (k / 4, k % 4);
            let (a, b) = (t[4 * h + (m % 2)], t[4 * h + 2 + (m % 2)]);
            _mm512_permutex2var_pd(a, if m < 2 { lo } else { hi }, b)
        });
        core::array::from_fn(|j| {
            let (a, b) = (u[j % 4], u[4 + j % 4]);
            if j < 4 {
                _mm512_shuffle_f64x2::<0b0100_0100>(a, b)
            } else {
                _mm512_shuffle_f64x2::<0b1110_1110>(a, b)
            }
        })
    }

    /// `dst[j] = (rows[0][j], …, rows[7][j])` for `j < 8`. SAFETY: 8 elements at each row
    /// pointer exist; AVX-512F present.
    #[inline(always)]
    pub unsafe fn load_transposed<T: Real>(rows: [*const T; W], dst: &mut [V]) {
        // `from_fn`, not `map`: `array::map` is not inlined, and the conversion intrinsics in
        // its closure would then be calls to functions compiled for AVX-512 (8% of `dist0` on
        // `f32` storage).
        let t = transpose(core::array::from_fn(#[inline(always)] |l| load8(rows[l])));
        for (d, v) in dst.iter_mut().zip(t) {
            _mm512_storeu_pd(d.0.as_mut_ptr(), v);
        }
    }

    /// `rows[l][j] = src[j].0[l]` for `j, l < 8`. SAFETY: 8 elements at each row pointer exist
    /// and are writable; AVX-512F present; with `stream`, the pointers are aligned to 8 elements.
    #[inline(always)]
    pub unsafe fn store_transposed<T: Real>(src: &[V], rows: [*mut T; W], stream: bool) {
        let t = transpose(core::array::from_fn(|j| _mm512_loadu_pd(src[j].0.as_ptr())));
        for (p, v) in rows.into_iter().zip(t) {
            store8(p, v, stream);
        }
    }
}

/// The screen of [`first_row_where`]: it vouches for a row whose plain sum of squares `s`
/// has `scale · s < bound` (false for a NaN or infinite `s`).
#[derive(Clone, Copy)]
pub struct Vouch {
    pub scale: f64,
    pub bound: f64,
}

impl Vouch {
    /// Whether the screen vouches for rows with sums of squares `s` (one row, or one per lane).
    #[inline(always)]
    pub fn holds<S: Lane>(self, s: S) -> S::Mask {
        (S::splat(self.scale) * s).lt(S::splat(self.bound))
    }
}

/// Index of the first row of `m` (widened to `f64`) for which `bad` holds.
///
/// `vouch` may pass a row without calling `bad`; it must only do so when `bad` would be false
/// for every rounding of the row's sum of squares (it is a screen that decides nothing near
/// its threshold). The screen runs on tiles of [`W`] rows (vertical sums of squares, as in
/// the kernels, compared in vector registers); only rows it cannot vouch for are gathered and
/// tested one by one.
pub fn first_row_where<T: Real>(
    m: MatRef<'_, T>,
    vouch: Vouch,
    bad: impl Fn(&[f64]) -> bool,
) -> Option<usize> {
    let (nrows, w) = (m.nrows(), m.ncols());
    let raw = Raw::of(m);
    let mut row = vec![0.0; w];
    let mut fails = |i: usize| {
        // SAFETY: row i exists.
        unsafe { raw.gather(i, 1, &mut row) };
        bad(&row)
    };
    if nrows == 0 {
        return None;
    }
    if raw.rs == 0 {
        // One row broadcast to all: test it once.
        return fails(0).then_some(0);
    }
    dispatch_lanes(Screen { raw: &raw, nrows, w, vouch, fails: &mut fails })
}

/// The tile screen of [`first_row_where`].
struct Screen<'a, T, F> {
    raw: &'a Raw<T>,
    nrows: usize,
    w: usize,
    vouch: Vouch,
    fails: &'a mut F,
}

impl<T: Real, F: FnMut(usize) -> bool> WithLanes for Screen<'_, T, F> {
    type Output = Option<usize>;
    #[inline(always)]
    fn run<S: TileLane>(self) -> Option<usize> {
        let Self { raw, nrows, w, vouch, fails } = self;
        let fast = fast_transposes();
        let mut tile = vec![V::splat(0.0); w];
        let mut t = 0;
        while t < nrows {
            let n = W.min(nrows - t);
            // SAFETY: rows t..t + n exist.
            unsafe { raw.gather_tile(t, n, &mut tile, fast) };
            let s = norm2(S::tile(&tile));
            // Lanes past `n` repeat row `t + n − 1`: they fail the screen only with it.
            if S::any(S::not(vouch.holds(s))) {
                for (l, &sl) in s.to_array().iter().enumerate().take(n) {
                    if !vouch.holds(sl) && fails(t + l) {
                        return Some(t + l);
                    }
                }
            }
            t += n;
        }
        None
    }
}

/// Rows moved between the views and the row-major buffers at a time.
const TILE: usize = 16;

#[inline(always)]
fn run_chunk<T: Real, const NI: usize, const NO: usize, F>(
    inputs: [MatRef<'_, T>; NI],
    outputs: [MatMut<'_, T>; NO],
    acc: &mut [f64],
    kernel: &F,
) where
    F: Fn(Point<'_, NI, NO>) + Sync,
{
    let nrows = inputs.first().map(|m| m.nrows()).unwrap_or_else(|| outputs[0].nrows());
    let ins: [Raw<T>; NI] = inputs.map(Raw::of);
    let outs: [Raw<T>; NO] = outputs.map(Raw::of_mut);
    // Row-major staging tiles of the inputs and outputs not used in place.
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
    let mut tiles = vec![0.0f64; total];
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
            kernel(Point { inputs: ins_k, outputs: outs_k, acc: &mut *acc });
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
