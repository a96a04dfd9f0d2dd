//! Per-point building blocks, generic over [`Lane`]: one point (`&[f64]`, coordinates) or a
//! tile of eight points (`&[V]`, coordinate `j` of eight points per element).
//!
//! Quantities that decide accuracy near the boundary, `‖x‖²` and `1 − c‖x‖²`, are computed
//! with error-free transformations (TwoProduct by fused multiply-add, TwoSum), so that the
//! conformal denominator is correct to a few ulp even when it is 1e-15.

use super::elementary::ln_1p;
use super::lane::Lane;
use super::vectors::{Vectors, VectorsMut};

/// `Σ aᵢ bᵢ`, plain (used where no cancellation against 1 follows).
#[inline(always)]
pub fn dot<S: Lane, A: Vectors<S>>(a: A, b: A) -> S {
    a.reduce2(b, [], #[inline(always)] |[], x, y, s| x.mul_add(y, s))
}

/// `‖a‖²` as `hi + lo` (see [`Lane::dot2`]).
#[inline(always)]
pub fn norm2_dd<S: Lane>(a: &[S]) -> (S, S) {
    S::dot2(a, a)
}

/// `‖a‖²`. A sum of squares has no cancellation, so the plain sum is accurate to a few ulp
/// relative; use [`conformal_denominator`] where `‖a‖²` is compared with `1/c`.
#[inline(always)]
pub fn norm2<S: Lane, A: Vectors<S>>(a: A) -> S {
    dot(a, a)
}

/// `‖a − b‖²`, with the differences formed directly.
#[inline(always)]
pub fn dist2<S: Lane>(a: &[S], b: &[S]) -> S {
    S::reduce2(a, b, #[inline(always)] |x, y, s| {
        let t = x - y;
        t.mul_add(t, s)
    })
}

/// `‖a + b‖²` (a sum of squares: nothing cancels).
#[inline(always)]
pub fn sum2<S: Lane>(a: &[S], b: &[S]) -> S {
    S::reduce2(a, b, #[inline(always)] |x, y, s| {
        let t = x + y;
        t.mul_add(t, s)
    })
}

/// `1 − c·s` for `s = hi + lo` given exactly, with one rounding in the leading term: the
/// conformal denominator, accurate to a few ulp of its own size.
#[inline(always)]
pub fn one_minus_c_times<S: Lane>(c: f64, (hi, lo): (S, S)) -> S {
    let c = S::splat(c);
    let p = c * hi;
    let pe = c.mul_add(hi, -p);
    ((S::splat(1.0) - p) - pe) - c * lo
}

/// `1 − c‖x‖²`, accurate near the boundary: the plain sum when `c‖x‖² ≤ ½` (no cancellation
/// then), the compensated one otherwise (computed only when some lane needs it).
#[inline(always)]
pub fn conformal_denominator<S: Lane, A: Vectors<S>>(c: f64, x: A) -> S {
    let cs = S::splat(c) * norm2(x);
    let plain = S::splat(1.0) - cs;
    let near = S::splat(0.5).lt(cs);
    if !S::any(near) {
        return plain;
    }
    S::select(near, one_minus_c_times(c, x.dot2_where(x, near)), plain)
}

/// `out ← α a + β b`.
#[inline(always)]
pub fn lincomb<S: Lane>(alpha: S, a: &[S], beta: S, b: &[S], out: &mut [S]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = alpha.mul_add(*x, beta * *y);
    }
}

/// `out ← α a`.
#[inline(always)]
pub fn scaled<S: Lane, A: Vectors<S>>(alpha: S, a: A, out: impl VectorsMut<S, A>) {
    out.set([alpha], [a], #[inline(always)] |[k], [x]| k * x);
}

/// `out ← out + α a`.
#[inline(always)]
pub fn axpy<S: Lane>(alpha: S, a: &[S], out: &mut [S]) {
    for (o, x) in out.iter_mut().zip(a) {
        *o = alpha.mul_add(*x, *o);
    }
}

/// `v ← α v`.
#[inline(always)]
pub fn scale<S: Lane>(alpha: S, v: &mut [S]) {
    v.iter_mut().for_each(|x| *x *= alpha);
}

/// Pulls `v` back to norm `max_norm` when it is longer (the output projection). The
/// compensated norm decides only for rows within a relative 1e-12 of `max_norm`.
#[inline(always)]
pub fn clamp_norm<S: Lane>(v: &mut [S], max_norm: f64) {
    let limit = max_norm * max_norm;
    let near = S::splat(limit * (1.0 - 1e-12)).le(norm2(&*v));
    if !S::any(near) {
        return;
    }
    let (hi, lo) = norm2_dd(v);
    let n = (hi + lo).sqrt();
    let m = S::splat(max_norm);
    scale(S::select(S::and(near, m.lt(n)), m / n, S::splat(1.0)), v);
}

/// `‖a‖` for any finite `a`: rescales by `max |aᵢ|` when `‖a‖²` underflows or overflows.
#[inline(always)]
pub fn norm<S: Lane, A: Vectors<S>>(a: A) -> S {
    let s = norm2(a);
    let fine = S::and(s.is_finite(), S::splat(f64::MIN_POSITIVE).le(s));
    if !S::any(S::not(fine)) {
        return s.sqrt();
    }
    let m = a.max_abs();
    let safe_m = S::select(m.eq(S::splat(0.0)), S::splat(1.0), m);
    let r2 = a.reduce2(a, [safe_m], #[inline(always)] |[safe_m], x, _, acc| {
        let t = x / safe_m;
        t.mul_add(t, acc)
    });
    S::select(fine, s.sqrt(), m * r2.sqrt())
}

/// `‖a‖` as `(σ, ρ)` with `‖a‖ = σ·ρ`, `σ` a power of two and `a/σ` free of overflow and
/// underflow in its squares: `σ = 1` unless `‖a‖²` leaves `[2⁻⁹⁰⁰, 2⁹⁰⁰]`. The unit vector
/// is `(a/σ)/ρ` (exact scaling), valid also when `‖a‖` itself overflows.
#[inline(always)]
pub fn norm_scaled<S: Lane>(a: &[S]) -> (S, S) {
    let s = norm2(a);
    let fine = S::and(S::splat(2f64.powi(-900)).le(s), s.le(S::splat(2f64.powi(900))));
    if !S::any(S::not(fine)) {
        return (S::splat(1.0), s.sqrt());
    }
    let big = S::splat(1.0).lt(a.max_abs());
    let sigma = S::select(fine, S::splat(1.0), S::select(big, S::splat(2f64.powi(600)), S::splat(2f64.powi(-600))));
    let inv = S::splat(1.0) / sigma;
    let r2 = S::reduce2(a, a, #[inline(always)] |x, _, acc| {
        let t = x * inv;
        t.mul_add(t, acc)
    });
    (sigma, r2.sqrt())
}

/// `artanh(z)` given `z` and `1 − z` separately (the latter computed without cancellation).
#[inline(always)]
pub fn artanh_with_complement<S: Lane>(z: S, one_minus_z: S) -> S {
    S::splat(0.5) * ln_1p(S::splat(2.0) * z / one_minus_z)
}

/// `arcosh(1 + t)` for `t ≥ 0`, without the cancellation of `arcosh` near 1.
#[inline(always)]
pub fn arcosh1p<S: Lane>(t: S) -> S {
    ln_1p(t + (t * (t + S::splat(2.0))).sqrt())
}

/// `arsinh(z)` for any sign, accurate for small `|z|` and free of overflow for large `|z|`.
#[inline(always)]
pub fn arsinh<S: Lane>(z: S) -> S {
    let a = z.abs();
    let one = S::splat(1.0);
    let huge = S::splat(1e150).lt(a);
    let small = ln_1p(a + a * a / (one + (one + a * a).sqrt()));
    // Above 1e150, ln(1 + a) = ln a to the last bit.
    let r = if S::any(huge) { S::select(huge, ln_1p(a) + S::splat(core::f64::consts::LN_2), small) } else { small };
    r.copysign(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperbolic::lane::{Lane, V};

    #[test]
    fn dot2_is_exact_on_cancelling_sum() {
        // 1 + 2^-120 − 1 + 3·2^-70 loses the 2^-120 in plain arithmetic; the sum is exact in f64.
        let t = 2f64.powi(-60);
        let a = [1.0, t, -1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 2.0];
        let b = [1.0, t, 1.0, 2f64.powi(-70), 0.0, 0.0, 0.0, 0.0, 0.0];
        let (h, l) = f64::dot2(&a, &b);
        let exact = 2f64.powi(-120) + 3.0 * 2f64.powi(-70);
        assert_eq!(h + l, exact);
        // The tile version, lane l holding the same sum scaled by 2^l.
        let at: Vec<V> = a.iter().map(|&v| V(core::array::from_fn(|l| v * 2f64.powi(l as i32)))).collect();
        let bt: Vec<V> = b.iter().map(|&v| V::splat(v)).collect();
        let (h, l) = V::dot2(&at, &bt);
        for lane in 0..8 {
            assert_eq!(h.0[lane] + l.0[lane], exact * 2f64.powi(lane as i32), "lane {lane}");
        }
        // (1 + 2^-30)² − (1 + 2^-29) = 2^-60 is the rounding error of the first product alone.
        let (u, v) = (1.0 + 2f64.powi(-30), 1.0 + 2f64.powi(-29));
        assert_eq!(f64::dot2(&[u, -v], &[u, 1.0]).0, 2f64.powi(-60));
        let (h, l) = V::dot2(&[V::splat(u), V::splat(-v)], &[V::splat(u), V::splat(1.0)]);
        assert_eq!((h + l).0, [2f64.powi(-60); 8]);
    }

    #[test]
    fn conformal_denominator_near_boundary() {
        // x = (1 − 2^-40) e₁: 1 − ‖x‖² = 2^-39 − 2^-80 exactly.
        let x = [1.0 - 2f64.powi(-40), 0.0, 0.0];
        let want = 2f64.powi(-39) - 2f64.powi(-80);
        assert_eq!(conformal_denominator(1.0, &x[..]), want);
        // The same in one lane of a tile whose other lanes take the plain path.
        let mut t = [V::splat(0.1); 3];
        for (tj, xj) in t.iter_mut().zip(&x) {
            tj.0[5] = *xj;
        }
        let got = conformal_denominator(1.0, &t[..]);
        assert_eq!(got.0[5], want);
        assert!((got.0[0] - 0.97).abs() < 1e-15);
    }

    #[test]
    fn special_functions_match_closed_forms() {
        for &z in &[1e-300, 1e-9, 0.3, 0.9, 1.0 - 1e-12] {
            let r = artanh_with_complement(z, 1.0 - z);
            assert!((r.tanh() - z).abs() <= 4.0 * f64::EPSILON * z, "artanh {z}");
        }
        for &t in &[0.0, 1e-30, 1e-8, 0.5, 3.0, 1e10] {
            let r = arcosh1p(t);
            assert!((r.cosh() - 1.0 - t).abs() <= 1e-15 * (1.0 + t) + 4.0 * f64::EPSILON * t);
        }
        for &z in &[-1e200, -3.0, -1e-10, 0.0, 1e-10, 2.5, 1e200] {
            let r = arsinh(z);
            assert!((r - z.asinh()).abs() <= 4.0 * f64::EPSILON * r.abs(), "arsinh {z}");
        }
    }
}
