//! The vector operands of a tile kernel, in either of two forms, so that a kernel written once
//! runs on both:
//!
//! - structure of arrays (`&[S]`, or [`Blocked`]): element `j` is coordinate `j` of the
//!   tile's points, one per lane, as [`map_tiles`](super::batch::map_tiles) stages them;
//! - rows in place ([`Rows`], under AVX-512 only): the tile's eight rows read and written
//!   where they are, eight coordinates of one row per register. No transposes; per-point
//!   reductions become horizontal sums, added across the eight rows by a fixed shuffle tree.
//!
//! [`Blocked`] tiles and [`Rows`] give the same bits: both reduce in the order of the `f64`
//! lane ([`blocked_reduce2`], [`blocked_dot2`]; the row form adds its eight partial sums by a
//! shuffle tree of the same additions), and elementwise work is the same operations on the
//! same values. Plain `&[S]` tiles keep the tile lanes' own vertical order ([`Lane::reduce2`],
//! [`Lane::dot2`]), which is faster for them: with the blocked order everywhere, the staged
//! kernels and the input screen ran up to 21% slower from memory.

use super::lane::{blocked_dot2, blocked_reduce2, Lane};

/// Input vectors of a tile (one per point).
pub trait Vectors<S: Lane>: Copy {
    /// `Σⱼ term(k, aⱼ, bⱼ, ·)` per point, in the order of [`blocked_reduce2`]: `k` holds
    /// per-point coefficients, `term` is applied elementwise (it must not mix lanes, and must
    /// take per-point values only through `k`: in the row form a register holds coordinates
    /// of one point, not one coordinate of eight).
    fn reduce2<const C: usize>(self, b: Self, k: [S; C], term: impl Fn([S; C], S, S, S) -> S) -> S;
    /// `Σⱼ aⱼ bⱼ` per point as `hi + lo` ([`blocked_dot2`]), for the points in `m`; the
    /// other lanes are unspecified.
    fn dot2_where(self, b: Self, m: S::Mask) -> (S, S);
    /// `maxⱼ |aⱼ|` per point (exact: any order gives the same value).
    fn max_abs(self) -> S;
}

/// [`Vectors::max_abs`] of a staged tile.
#[inline(always)]
fn tile_max_abs<S: Lane>(a: &[S]) -> S {
    a.iter().fold(S::splat(0.0), |m, v| m.max(v.abs()))
}

/// Output vectors of a tile, written from inputs of type `A`.
pub trait VectorsMut<S: Lane, A: Vectors<S>> {
    /// `outⱼ = f(k, [src₀ⱼ, src₁ⱼ, …])` for every coordinate `j`: `k` holds per-point
    /// coefficients, `f` is applied elementwise (as for [`Vectors::reduce2`]: no mixing of
    /// lanes, per-point values only through `k`).
    fn set<const C: usize, const K: usize>(self, k: [S; C], src: [A; K], f: impl Fn([S; C], [S; K]) -> S);
}

/// Staged tiles as the kernels of the batch driver's tile form read them: each tile lane's
/// own reductions ([`Lane::reduce2`], [`Lane::dot2`]).
impl<S: Lane> Vectors<S> for &[S] {
    #[inline(always)]
    fn reduce2<const C: usize>(self, b: Self, k: [S; C], term: impl Fn([S; C], S, S, S) -> S) -> S {
        S::reduce2(self, b, #[inline(always)] |x, y, s| term(k, x, y, s))
    }
    #[inline(always)]
    fn dot2_where(self, b: Self, _: S::Mask) -> (S, S) {
        S::dot2(self, b)
    }
    #[inline(always)]
    fn max_abs(self) -> S {
        tile_max_abs(self)
    }
}

impl<S: Lane> VectorsMut<S, &[S]> for &mut [S] {
    #[inline(always)]
    fn set<const C: usize, const K: usize>(self, k: [S; C], src: [&[S]; K], f: impl Fn([S; C], [S; K]) -> S) {
        for (j, o) in self.iter_mut().enumerate() {
            *o = f(k, core::array::from_fn(#[inline(always)] |i| src[i][j]));
        }
    }
}

/// A staged tile reduced in the order of the row form ([`blocked_reduce2`],
/// [`blocked_dot2`]), so that a kernel that also runs on rows gives the same bits staged.
#[derive(Clone, Copy)]
pub struct Blocked<'a, S>(pub &'a [S]);

impl<S: Lane> Vectors<S> for Blocked<'_, S> {
    #[inline(always)]
    fn reduce2<const C: usize>(self, b: Self, k: [S; C], term: impl Fn([S; C], S, S, S) -> S) -> S {
        blocked_reduce2(self.0, b.0, #[inline(always)] |x, y, s| term(k, x, y, s))
    }
    #[inline(always)]
    fn dot2_where(self, b: Self, _: S::Mask) -> (S, S) {
        blocked_dot2(self.0, b.0)
    }
    #[inline(always)]
    fn max_abs(self) -> S {
        tile_max_abs(self.0)
    }
}

impl<S: Lane> VectorsMut<S, Blocked<'_, S>> for &mut [S] {
    #[inline(always)]
    fn set<const C: usize, const K: usize>(self, k: [S; C], src: [Blocked<'_, S>; K], f: impl Fn([S; C], [S; K]) -> S) {
        self.set(k, core::array::from_fn(|i| src[i].0), f);
    }
}

#[cfg(target_arch = "x86_64")]
pub use rows::{Rows, RowsMut};

#[cfg(target_arch = "x86_64")]
mod rows {
    use super::super::batch::x86::{load8, store8};
    use super::super::lane::{dot2_step, fast_two_sum, two_sum, Lane, TileLane, W};
    use super::super::real::Real;
    use super::{Vectors, VectorsMut};
    use crate::simd::zmm::Z;
    use core::arch::x86_64::*;

    // No `core::array::from_fn` below: LLVM does not always inline its iterator, and the
    // intrinsics in the closure then become calls compiled without AVX-512 (`f32` rows ran
    // 4–6× slower that way).

    /// Eight rows of `d` contiguous elements (`d` a positive multiple of 8), read in place.
    ///
    /// Its methods use AVX-512 F intrinsics and dereference the row pointers: a `Rows` is only
    /// made by [`Rows::new`], whose caller vouches for both.
    #[derive(Clone, Copy)]
    pub struct Rows<T> {
        rows: [*const T; W],
        d: usize,
    }

    impl<T: Real> Rows<T> {
        /// SAFETY: every row pointer has `d` readable elements for as long as the value is
        /// used, `d % 8 == 0`, and the CPU has AVX-512 F.
        #[inline(always)]
        pub unsafe fn new(rows: [*const T; W], d: usize) -> Self {
            debug_assert!(d > 0 && d % W == 0);
            Self { rows, d }
        }

        /// Elements `8b..8b + 8` of row `r`, widened.
        #[inline(always)]
        fn load(&self, r: usize, b: usize) -> Z {
            // SAFETY: `b < d/8` at every call site, and `new`'s contract.
            Z(unsafe { load8(self.rows[r].add(W * b)) })
        }
    }

    /// The lanes of per-point coefficients.
    #[inline(always)]
    fn lanes_of<const C: usize>(k: [Z; C]) -> [[f64; W]; C] {
        let mut lanes = [[0.0; W]; C];
        for (l, ki) in lanes.iter_mut().zip(k) {
            *l = ki.to_array();
        }
        lanes
    }

    /// Point `r`'s coefficients, broadcast to every lane (the row form's registers hold
    /// coordinates of one point).
    #[inline(always)]
    fn row_coefficients<const C: usize>(lanes: &[[f64; W]; C], r: usize) -> [Z; C] {
        let mut kr = [Z::splat(0.0); C];
        for (kri, l) in kr.iter_mut().zip(lanes) {
            *kri = Z::splat(l[r]);
        }
        kr
    }

    /// Lane `r` is `lane_tree(acc[r])` of [`blocked_reduce2`], with `op` for its additions:
    /// the transpose of the eight accumulators folded by the same operations, three levels of
    /// shuffles and `op`.
    #[inline(always)]
    fn horizontal(acc: [Z; W], op: impl Fn(__m512d, __m512d) -> __m512d) -> Z {
        // SAFETY: AVX-512 F is present wherever `Z` runs.
        unsafe {
            // h[r][l] = a[r][l] + a[r][l + 4], rows r and r + 1 in one register.
            let mut h = [_mm512_setzero_pd(); 4];
            for (p, hp) in h.iter_mut().enumerate() {
                let (a, b) = (acc[2 * p].0, acc[2 * p + 1].0);
                *hp = op(_mm512_shuffle_f64x2::<0x44>(a, b), _mm512_shuffle_f64x2::<0xEE>(a, b));
            }
            // g[r][m] = h[r][m] + h[r][m + 2], rows 4q..4q + 4 in one register.
            let mut g = [_mm512_setzero_pd(); 2];
            for (q, gq) in g.iter_mut().enumerate() {
                let (a, b) = (h[2 * q], h[2 * q + 1]);
                *gq = op(_mm512_shuffle_f64x2::<0x88>(a, b), _mm512_shuffle_f64x2::<0xDD>(a, b));
            }
            // f[r] = g[r][0] + g[r][1].
            let even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
            let odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
            Z(op(_mm512_permutex2var_pd(g[0], even, g[1]), _mm512_permutex2var_pd(g[0], odd, g[1])))
        }
    }

    /// Lanes `l ≥ width` of `v` moved to lanes `l − width` (the others unspecified).
    #[inline(always)]
    fn shift_down(v: Z, width: i64) -> Z {
        // SAFETY: AVX-512 F is present wherever `Z` runs.
        unsafe { Z(_mm512_permutexvar_pd(_mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi64(width)), v.0)) }
    }

    impl<T: Real> Vectors<Z> for Rows<T> {
        #[inline(always)]
        fn reduce2<const C: usize>(self, b: Self, k: [Z; C], term: impl Fn([Z; C], Z, Z, Z) -> Z) -> Z {
            let lanes = lanes_of(k);
            let mut acc = [Z::splat(0.0); W];
            for (r, a) in acc.iter_mut().enumerate() {
                let kr = row_coefficients(&lanes, r);
                for c in 0..self.d / W {
                    *a = term(kr, self.load(r, c), b.load(r, c), *a);
                }
            }
            // SAFETY (the closure): AVX-512 F is present wherever `Z` runs.
            let sums = horizontal(acc, #[inline(always)] |a, b| unsafe { _mm512_add_pd(a, b) });
            // `blocked_reduce2` adds its (here empty) tail last.
            sums + Z::splat(0.0)
        }

        /// Row by row for the rows in `m`, in the order of [`blocked_dot2`](super::super::lane::blocked_dot2)
        /// (lane `l` of a register accumulates the coordinates `j ≡ l mod 8`).
        #[inline(always)]
        fn dot2_where(self, b: Self, m: __mmask8) -> (Z, Z) {
            let (mut hi, mut lo) = ([0.0; W], [0.0; W]);
            // Over the set bits only: one unpredictable branch per tile, not one per row.
            let mut rest = m;
            while rest != 0 {
                let r = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let (x, y) = (self.load(r, 0), b.load(r, 0));
                let p = x * y;
                let mut acc = (Z::splat(0.0) + p, x.mul_add(y, -p));
                for k in 1..self.d / W {
                    acc = dot2_step(acc, self.load(r, k), b.load(r, k));
                }
                let (mut h, mut l) = acc;
                for width in [4, 2, 1] {
                    let (s, se) = two_sum(h, shift_down(h, width));
                    h = s;
                    l += shift_down(l, width) + se;
                }
                (hi[r], lo[r]) = fast_two_sum(h.to_array()[0], l.to_array()[0]);
            }
            // SAFETY: AVX-512 F is present wherever `Z` runs.
            unsafe { (Z(_mm512_loadu_pd(hi.as_ptr())), Z(_mm512_loadu_pd(lo.as_ptr()))) }
        }

        #[inline(always)]
        fn max_abs(self) -> Z {
            let mut acc = [Z::splat(0.0); W];
            for (r, a) in acc.iter_mut().enumerate() {
                for k in 0..self.d / W {
                    *a = a.max(self.load(r, k).abs());
                }
            }
            // SAFETY (the closure): AVX-512 F is present wherever `Z` runs.
            horizontal(acc, #[inline(always)] |a, b| unsafe { _mm512_max_pd(a, b) })
        }
    }

    /// The first `n` of eight rows of `d` contiguous elements (`d` a positive multiple of 8),
    /// written in place, with non-temporal stores when `stream`.
    pub struct RowsMut<T> {
        rows: [*mut T; W],
        n: usize,
        d: usize,
        stream: bool,
    }

    impl<T: Real> RowsMut<T> {
        /// SAFETY: the first `n ≤ 8` row pointers have `d` writable elements that nothing else
        /// accesses while the value lives, `d % 8 == 0`, the CPU has AVX-512 F, and with
        /// `stream` every row starts on a 64-byte boundary (the caller fences the stores).
        #[inline(always)]
        pub unsafe fn new(rows: [*mut T; W], n: usize, d: usize, stream: bool) -> Self {
            debug_assert!(n <= W && d > 0 && d % W == 0);
            Self { rows, n, d, stream }
        }
    }

    impl<T: Real> VectorsMut<Z, Rows<T>> for RowsMut<T> {
        #[inline(always)]
        fn set<const C: usize, const K: usize>(self, k: [Z; C], src: [Rows<T>; K], f: impl Fn([Z; C], [Z; K]) -> Z) {
            let lanes = lanes_of(k);
            for r in 0..self.n {
                let kr = row_coefficients(&lanes, r);
                for b in 0..self.d / W {
                    let mut x = [Z::splat(0.0); K];
                    for (xi, s) in x.iter_mut().zip(&src) {
                        *xi = s.load(r, b);
                    }
                    let v = f(kr, x);
                    // SAFETY: `new`'s contract; `b < d/8`.
                    unsafe { store8(self.rows[r].add(W * b), v.0, self.stream) };
                }
            }
        }
    }
}
