//! The number type the kernels are written in: one point (`f64`) or eight points at once
//! ([`V`], one AVX-512 register of `f64` lanes).
//!
//! Every kernel is written once, generic over [`Lane`]. The batch driver runs it on
//! structure-of-arrays tiles of [`W`] points (`S = V`): coordinate `j` of eight points is one
//! `V`, so every per-point reduction (`‖x‖²`, `⟨x, y⟩`) is a chain of vertical fused
//! multiply-adds and every per-point scalar (`δ_x`, `artanh`, …) is computed for eight points
//! by one instruction sequence. The few operations that are not batched per point (the
//! matvec and gyroplane drivers) run the same kernels with `S = f64`.
//!
//! Branches become lane selects: a kernel computes the common case for all lanes and, only when
//! some lane needs it, the special case for all lanes, then picks per lane ([`Lane::any`],
//! [`Lane::select`]). Lanes never mix, so a point's result does not depend on its neighbours.

use core::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// Points per tile: the `f64` lanes of an AVX-512 register.
pub const W: usize = 8;

/// Arithmetic, comparisons, selects and the exponent-bit operations the kernels need (the
/// elementary functions built on them are in `elementary.rs`), for one point (`f64`) or a tile
/// of points ([`V`]).
pub trait Lane:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    /// A per-lane condition.
    type Mask: Copy;
    fn splat(v: f64) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn max(self, o: Self) -> Self;
    /// `self` with the sign of `s`.
    fn copysign(self, s: Self) -> Self;
    fn lt(self, o: Self) -> Self::Mask;
    fn le(self, o: Self) -> Self::Mask;
    fn eq(self, o: Self) -> Self::Mask;
    fn is_finite(self) -> Self::Mask;
    fn and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    fn not(a: Self::Mask) -> Self::Mask;
    fn any(m: Self::Mask) -> bool;
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    /// `2ᵏ` for integer-valued `k ∈ [−1022, 1023]` (built in the exponent bits).
    fn pow2i(k: Self) -> Self;
    /// `(m, k)` with `self = m·2ᵏ`, `m ∈ [√½, √2)` and `k` integer-valued, for positive,
    /// normal, finite `self` (read off the exponent bits).
    fn split_sqrt2(self) -> (Self, Self);
    /// `Σ term(aⱼ, bⱼ, ·)` over the coordinates, accumulated as `acc ← term(a, b, acc)`.
    fn reduce2(a: &[Self], b: &[Self], term: impl Fn(Self, Self, Self) -> Self) -> Self;
    /// `Σ aⱼ bⱼ` as an unevaluated `hi + lo` accurate to about `eps²` relative to `Σ |aⱼ bⱼ|`
    /// (Ogita, Rump and Oishi's Dot2).
    fn dot2(a: &[Self], b: &[Self]) -> (Self, Self);
}

/// `a + b` as `(s, e)` with `s + e` exact.
#[inline(always)]
pub fn two_sum<S: Lane>(a: S, b: S) -> (S, S) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` as `(s, e)` with `s + e` exact, for `|a| ≥ |b|`.
#[inline(always)]
pub fn fast_two_sum<S: Lane>(a: S, b: S) -> (S, S) {
    let s = a + b;
    (s, b - (s - a))
}

/// Dot2 step: `(hi, lo) ← (hi, lo) + x·y`.
#[inline(always)]
pub fn dot2_step<S: Lane>((hi, lo): (S, S), x: S, y: S) -> (S, S) {
    let p = x * y;
    let pe = x.mul_add(y, -p);
    let (s, se) = two_sum(hi, p);
    (s, lo + (pe + se))
}

/// `1.5·2⁵²`: an integer `k` with `|k| < 2⁵¹` added to it lands in the low mantissa bits, so
/// `bits(k + MAGIC) − bits(MAGIC) = k` (and rounding to an integer is `(v + MAGIC) − MAGIC`).
pub const MAGIC: f64 = 6_755_399_441_055_744.0;

/// [`Lane::pow2i`] for one lane.
#[inline(always)]
fn pow2i_1(k: f64) -> f64 {
    let i = (k + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits());
    f64::from_bits(i.wrapping_add(1023) << 52)
}

/// Bits of `√½`; adding `bits(1) − bits(√½)` carries into the exponent exactly when the
/// mantissa is at least `√2`.
pub(crate) const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;

/// `bits(u)` shifted so that its exponent field is that of [`Lane::split_sqrt2`]'s `k`.
#[inline(always)]
fn shifted_bits(u: f64) -> u64 {
    u.to_bits().wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS)
}

/// The `m` of [`Lane::split_sqrt2`] for one lane.
#[inline(always)]
fn split_m(u: f64) -> f64 {
    f64::from_bits((shifted_bits(u) & 0x000f_ffff_ffff_ffff) + SQRT_HALF_BITS)
}

/// The `k` of [`Lane::split_sqrt2`] for one lane.
#[inline(always)]
fn split_k(u: f64) -> f64 {
    let k = (shifted_bits(u) >> 52).wrapping_sub(1023);
    f64::from_bits(MAGIC.to_bits().wrapping_add(k)) - MAGIC
}

// ----------------------------------------------------------------------------------------
// One point.

/// Lanes of the within-point reductions of `f64` (one zmm).
const RL: usize = 8;

impl Lane for f64 {
    type Mask = bool;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        f64::max(self, o)
    }
    #[inline(always)]
    fn copysign(self, s: Self) -> Self {
        f64::copysign(self, s)
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self < o
    }
    #[inline(always)]
    fn le(self, o: Self) -> bool {
        self <= o
    }
    #[inline(always)]
    fn eq(self, o: Self) -> bool {
        self == o
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn and(a: bool, b: bool) -> bool {
        a & b
    }
    #[inline(always)]
    fn not(a: bool) -> bool {
        !a
    }
    #[inline(always)]
    fn any(m: bool) -> bool {
        m
    }
    #[inline(always)]
    fn select(m: bool, a: Self, b: Self) -> Self {
        if m {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn pow2i(k: Self) -> Self {
        pow2i_1(k)
    }
    #[inline(always)]
    fn split_sqrt2(self) -> (Self, Self) {
        (split_m(self), split_k(self))
    }
    /// Lane-wise over fixed 8-wide chunks ([`blocked_reduce2`], so that the loop becomes
    /// vector instructions), the lanes summed pairwise.
    #[inline(always)]
    fn reduce2(a: &[f64], b: &[f64], term: impl Fn(f64, f64, f64) -> f64) -> f64 {
        blocked_reduce2(a, b, term)
    }
    /// Lane-wise accumulation ([`blocked_dot2`]); the lanes are combined pairwise by TwoSum,
    /// which keeps the error bound.
    #[inline(always)]
    fn dot2(a: &[f64], b: &[f64]) -> (f64, f64) {
        blocked_dot2(a, b)
    }
}

/// A lane type of eight `f64` with the layout of [`V`] (64 bytes, 64-byte aligned, lanes in
/// order), so that a tile staged as `V` is read and written in place: `V` itself, and
/// `zmm::Z` under AVX-512. Kernels are generic over it and run through
/// [`dispatch_lanes`](super::dispatch_lanes).
pub trait TileLane: Lane {
    fn tile(v: &[V]) -> &[Self];
    fn tile_mut(v: &mut [V]) -> &mut [Self];
    /// The eight lanes.
    fn to_array(self) -> [f64; W];
}

// ----------------------------------------------------------------------------------------
// Eight points.

/// Coordinate `j` (or a per-point scalar) of the [`W`] points of a tile.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub struct V(pub [f64; W]);

impl V {
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        V(self.0.map(f))
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        V(core::array::from_fn(|l| f(self.0[l], o.0[l])))
    }
    #[inline(always)]
    fn cmp(self, o: Self, f: impl Fn(f64, f64) -> bool) -> [bool; W] {
        core::array::from_fn(|l| f(self.0[l], o.0[l]))
    }
}

macro_rules! lanewise {
    ($($tr:ident $f:ident $atr:ident $af:ident $op:tt),*) => {$(
        impl $tr for V {
            type Output = V;
            #[inline(always)]
            fn $f(self, o: V) -> V {
                self.zip(o, #[inline(always)] |a, b| a $op b)
            }
        }
        impl $atr for V {
            #[inline(always)]
            fn $af(&mut self, o: V) {
                *self = *self $op o;
            }
        }
    )*};
}
lanewise!(Add add AddAssign add_assign +, Sub sub SubAssign sub_assign -, Mul mul MulAssign mul_assign *);

impl Div for V {
    type Output = V;
    #[inline(always)]
    fn div(self, o: V) -> V {
        self.zip(o, #[inline(always)] |a, b| a / b)
    }
}

impl Neg for V {
    type Output = V;
    #[inline(always)]
    fn neg(self) -> V {
        self.map(#[inline(always)] |a| -a)
    }
}

impl TileLane for V {
    #[inline(always)]
    fn tile(v: &[V]) -> &[V] {
        v
    }
    #[inline(always)]
    fn tile_mut(v: &mut [V]) -> &mut [V] {
        v
    }
    #[inline(always)]
    fn to_array(self) -> [f64; W] {
        self.0
    }
}

impl Lane for V {
    type Mask = [bool; W];
    #[inline(always)]
    fn splat(v: f64) -> Self {
        V([v; W])
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        V(core::array::from_fn(|l| self.0[l].mul_add(a.0[l], b.0[l])))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.map(#[inline(always)] |a| a.sqrt())
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.map(#[inline(always)] |a| a.abs())
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        self.zip(o, #[inline(always)] |a, b| if a > b { a } else { b })
    }
    #[inline(always)]
    fn copysign(self, s: Self) -> Self {
        self.zip(s, #[inline(always)] |a, b| a.copysign(b))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> [bool; W] {
        self.cmp(o, #[inline(always)] |a, b| a < b)
    }
    #[inline(always)]
    fn le(self, o: Self) -> [bool; W] {
        self.cmp(o, #[inline(always)] |a, b| a <= b)
    }
    #[inline(always)]
    fn eq(self, o: Self) -> [bool; W] {
        self.cmp(o, #[inline(always)] |a, b| a == b)
    }
    #[inline(always)]
    fn is_finite(self) -> [bool; W] {
        // |a| < ∞ is false for NaN and ±∞.
        self.abs().lt(V::splat(f64::INFINITY))
    }
    #[inline(always)]
    fn and(a: [bool; W], b: [bool; W]) -> [bool; W] {
        core::array::from_fn(|l| a[l] & b[l])
    }
    #[inline(always)]
    fn not(a: [bool; W]) -> [bool; W] {
        a.map(|v| !v)
    }
    #[inline(always)]
    fn any(m: [bool; W]) -> bool {
        m.iter().fold(false, |a, &b| a | b)
    }
    #[inline(always)]
    fn select(m: [bool; W], a: Self, b: Self) -> Self {
        V(core::array::from_fn(|l| if m[l] { a.0[l] } else { b.0[l] }))
    }
    #[inline(always)]
    fn pow2i(k: Self) -> Self {
        k.map(pow2i_1)
    }
    #[inline(always)]
    fn split_sqrt2(self) -> (Self, Self) {
        (self.map(split_m), self.map(split_k))
    }
    #[inline(always)]
    fn reduce2(a: &[V], b: &[V], term: impl Fn(V, V, V) -> V) -> V {
        vertical_reduce2(a, b, term)
    }
    #[inline(always)]
    fn dot2(a: &[V], b: &[V]) -> (V, V) {
        vertical_dot2(a, b)
    }
}

/// [`Lane::reduce2`] in the order of the `f64` lane, for any lane type (a tile then gives each
/// point the bits it gets alone, and those of the row form of `hyperbolic::vectors`): one
/// accumulator per coordinate residue `j mod 8` over the whole chunks of eight, added as
/// `((a₀+a₄)+(a₂+a₆))+((a₁+a₅)+(a₃+a₇))`, then the sequential sum of the tail.
#[inline(always)]
pub fn blocked_reduce2<S: Lane>(a: &[S], b: &[S], term: impl Fn(S, S, S) -> S) -> S {
    debug_assert_eq!(a.len(), b.len());
    let (ac, bc) = (a.chunks_exact(RL), b[..a.len()].chunks_exact(RL));
    let mut tail = S::splat(0.0);
    for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
        tail = term(*x, *y, tail);
    }
    if a.len() < RL {
        return S::splat(0.0) + tail;
    }
    let mut acc = [S::splat(0.0); RL];
    for (x, y) in ac.zip(bc) {
        for l in 0..RL {
            acc[l] = term(x[l], y[l], acc[l]);
        }
    }
    lane_tree(acc) + tail
}

/// `((a₀+a₄)+(a₂+a₆))+((a₁+a₅)+(a₃+a₇))`: how the `f64` lane adds its accumulators.
#[inline(always)]
fn lane_tree<S: Lane>(acc: [S; RL]) -> S {
    let h = [acc[0] + acc[4], acc[1] + acc[5], acc[2] + acc[6], acc[3] + acc[7]];
    (h[0] + h[2]) + (h[1] + h[3])
}

/// [`Lane::dot2`] in the order of the `f64` lane, for any lane type: a Dot2 accumulator per
/// coordinate residue `j mod 8`, the accumulators combined pairwise by TwoSum (widths 4, 2,
/// 1), then the tail. The first step of each accumulator starts from `(0, 0)`, where TwoSum is
/// exact without its correction: `(0 + p, fma(x, y, −p))`.
#[inline(always)]
pub fn blocked_dot2<S: Lane>(a: &[S], b: &[S]) -> (S, S) {
    debug_assert_eq!(a.len(), b.len());
    let (mut ac, mut bc) = (a.chunks_exact(RL), b[..a.len()].chunks_exact(RL));
    let (at, bt) = (ac.remainder(), bc.remainder());
    let mut acc = (S::splat(0.0), S::splat(0.0));
    if let (Some(x), Some(y)) = (ac.next(), bc.next()) {
        let (mut hi, mut lo) = ([S::splat(0.0); RL], [S::splat(0.0); RL]);
        for l in 0..RL {
            let p = x[l] * y[l];
            (hi[l], lo[l]) = (S::splat(0.0) + p, x[l].mul_add(y[l], -p));
        }
        for (x, y) in ac.zip(bc) {
            for l in 0..RL {
                (hi[l], lo[l]) = dot2_step((hi[l], lo[l]), x[l], y[l]);
            }
        }
        acc = dot2_tree(hi, lo);
    }
    for (x, y) in at.iter().zip(bt) {
        acc = dot2_step(acc, *x, *y);
    }
    fast_two_sum(acc.0, acc.1)
}

/// The pairwise TwoSum combination of Dot2 accumulators (widths 4, 2, 1).
#[inline(always)]
fn dot2_tree<S: Lane>(mut hi: [S; RL], mut lo: [S; RL]) -> (S, S) {
    for width in [4, 2, 1] {
        for l in 0..width {
            let (s, se) = two_sum(hi[l], hi[l + width]);
            hi[l] = s;
            lo[l] += lo[l + width] + se;
        }
    }
    (hi[0], lo[0])
}

/// [`Lane::reduce2`] for a tile lane type: vertical, two interleaved accumulators (halves the
/// dependency chain), then added.
#[inline(always)]
pub fn vertical_reduce2<S: Lane>(a: &[S], b: &[S], term: impl Fn(S, S, S) -> S) -> S {
    debug_assert_eq!(a.len(), b.len());
    let (mut s0, mut s1) = (S::splat(0.0), S::splat(0.0));
    let pairs = a.len() / 2;
    for j in 0..pairs {
        s0 = term(a[2 * j], b[2 * j], s0);
        s1 = term(a[2 * j + 1], b[2 * j + 1], s1);
    }
    if a.len() % 2 == 1 {
        s0 = term(a[a.len() - 1], b[a.len() - 1], s0);
    }
    s0 + s1
}

/// [`Lane::dot2`] for a tile lane type: vertical, in two loops, the products' rounding errors,
/// then the TwoSum chain of the products (the same terms as [`dot2_step`], the low parts added
/// in another order). In one loop LLVM's SLP vectorizer cuts the chain on `V` into two- and
/// four-lane pieces joined by shuffles, which made `mobius_add` about 30% slower in cache.
#[inline(always)]
pub fn vertical_dot2<S: Lane>(a: &[S], b: &[S]) -> (S, S) {
    debug_assert_eq!(a.len(), b.len());
    let mut errors = S::splat(0.0);
    for (x, y) in a.iter().zip(b) {
        errors += x.mul_add(*y, -(*x * *y));
    }
    let (mut hi, mut lo) = (S::splat(0.0), S::splat(0.0));
    for (x, y) in a.iter().zip(b) {
        let (s, e) = two_sum(hi, *x * *y);
        hi = s;
        lo += e;
    }
    fast_two_sum(hi, lo + errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64 as Rng;

    /// Integers times powers of two: their products and sums are exact in `i128` (scaled).
    fn exact_tile(rng: &mut Rng, d: usize, spread: i32) -> Vec<V> {
        (0..d)
            .map(|_| V(core::array::from_fn(|_| (rng.normal() * 2f64.powi(24)).round() * 2f64.powi((rng.unit() * spread as f64) as i32 - spread / 2))))
            .collect()
    }

    /// The blocked reductions on a tile, lane by lane, against the order they document (written out here
    /// on scalars) and, for Dot2, against the exact sum: widths below, at and past multiples
    /// of 8, on sums that cancel.
    #[test]
    fn blocked_reductions_follow_their_documented_order_and_bound() {
        let mut rng = Rng::new(7);
        for d in 0..=41 {
            let a = exact_tile(&mut rng, d, 40);
            let b = exact_tile(&mut rng, d, 0);
            let sum = blocked_reduce2(&a, &b, |x, y, s| x.mul_add(y, s));
            let (hi, lo) = blocked_dot2(&a, &b);
            for l in 0..W {
                let (al, bl): (Vec<f64>, Vec<f64>) = (a.iter().map(|v| v.0[l]).collect(), b.iter().map(|v| v.0[l]).collect());
                let full = d / 8 * 8;
                let mut acc = [0.0f64; 8];
                for j in 0..full {
                    acc[j % 8] = al[j].mul_add(bl[j], acc[j % 8]);
                }
                let tail = (full..d).fold(0.0f64, |s, j| al[j].mul_add(bl[j], s));
                let want = (((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))) + tail;
                assert_eq!(sum.0[l].to_bits(), want.to_bits(), "reduce2 d={d} lane {l}");
                // Exact: every term is an integer multiple of 2^-20.
                let scale = 2f64.powi(20);
                let exact: i128 = (0..d).map(|j| ((al[j] * scale) as i128) * (bl[j] as i128)).sum();
                let exact = exact as f64 / scale;
                let abs: f64 = (0..d).map(|j| (al[j] * bl[j]).abs()).sum();
                let eps = f64::EPSILON / 2.0;
                let bound = 2.0 * eps * exact.abs() + 2.0 * (d * d) as f64 * eps * eps * abs;
                assert!((hi.0[l] + lo.0[l] - exact).abs() <= bound, "dot2 d={d} lane {l}: {} vs {exact}", hi.0[l] + lo.0[l]);
            }
        }
    }
}
