//! Per-point building blocks on contiguous `f64` coordinates.
//!
//! The loops are written over fixed-width chunks with independent accumulators so that they
//! vectorise when the batch driver compiles them for AVX2 or AVX-512 (see `batch.rs`).
//! Quantities that decide accuracy near the boundary, `‖x‖²` and `1 − c‖x‖²`, are computed
//! with error-free transformations (TwoProduct by fused multiply-add, TwoSum), so that the
//! conformal denominator is correct to a few ulp even when it is 1e-15.

const LANES: usize = 8;

/// One vector of lanes (a zmm register of `f64` under AVX-512).
type Lanes = [f64; LANES];

/// The full `LANES`-wide chunks of `a` as arrays (so that the per-lane loops below become
/// single vector instructions), and the remainder.
#[inline(always)]
fn lanes(a: &[f64]) -> (impl Iterator<Item = &Lanes>, &[f64]) {
    let it = a.chunks_exact(LANES);
    let tail = it.remainder();
    (it.map(|c| <&Lanes>::try_from(c).expect("chunk of LANES")), tail)
}

/// `Σ acc[l]`, pairwise (three vector additions instead of a serial chain of seven).
#[inline(always)]
fn hsum(acc: Lanes) -> f64 {
    let h: [f64; 4] = core::array::from_fn(|l| acc[l] + acc[l + 4]);
    let q = [h[0] + h[2], h[1] + h[3]];
    q[0] + q[1]
}

/// `Σ f(aᵢ, bᵢ)ᵢ` accumulated as `acc ← term(a, b, acc)` lane-wise, lanes summed pairwise.
#[inline(always)]
fn reduce2(a: &[f64], b: &[f64], term: impl Fn(f64, f64, f64) -> f64) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc: Lanes = [0.0; LANES];
    let (ac, at) = lanes(a);
    let (bc, bt) = lanes(&b[..a.len()]);
    for (ca, cb) in ac.zip(bc) {
        for l in 0..LANES {
            acc[l] = term(ca[l], cb[l], acc[l]);
        }
    }
    let mut s = 0.0;
    for (x, y) in at.iter().zip(bt) {
        s = term(*x, *y, s);
    }
    hsum(acc) + s
}

/// `Σ aᵢ bᵢ`, plain (used where no cancellation against 1 follows).
#[inline(always)]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    reduce2(a, b, #[inline(always)] |x, y, s| x.mul_add(y, s))
}

/// `Σ aᵢ bᵢ` as an unevaluated sum `hi + lo` accurate to about `eps²` relative to `Σ |aᵢ bᵢ|`
/// (Ogita, Rump, Oishi's Dot2 with lane-wise accumulation; the lanes are then combined
/// pairwise by TwoSum, which keeps the same error bound).
#[inline(always)]
pub fn dot2(a: &[f64], b: &[f64]) -> (f64, f64) {
    debug_assert_eq!(a.len(), b.len());
    let mut hi: Lanes = [0.0; LANES];
    let mut lo: Lanes = [0.0; LANES];
    let (ac, at) = lanes(a);
    let (bc, bt) = lanes(&b[..a.len()]);
    for (ca, cb) in ac.zip(bc) {
        for l in 0..LANES {
            let p = ca[l] * cb[l];
            let pe = ca[l].mul_add(cb[l], -p);
            let (s, se) = two_sum(hi[l], p);
            hi[l] = s;
            lo[l] += pe + se;
        }
    }
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            let (s, se) = two_sum(hi[l], hi[l + width]);
            hi[l] = s;
            lo[l] += lo[l + width] + se;
        }
        width /= 2;
    }
    let (mut h, mut e) = (hi[0], lo[0]);
    for (x, y) in at.iter().zip(bt) {
        let p = x * y;
        let pe = x.mul_add(*y, -p);
        let (s, se) = two_sum(h, p);
        h = s;
        e += pe + se;
    }
    fast_two_sum(h, e)
}

/// `‖a‖²` as `hi + lo` (see [`dot2`]).
#[inline(always)]
pub fn norm2_dd(a: &[f64]) -> (f64, f64) {
    dot2(a, a)
}

/// `‖a‖²`. A sum of squares has no cancellation, so the plain sum is accurate to a few ulp
/// relative; use [`conformal_denominator`] where `‖a‖²` is compared with `1/c`.
#[inline(always)]
pub fn norm2(a: &[f64]) -> f64 {
    dot(a, a)
}

/// `‖a − b‖²`, accurate (the differences are formed exactly enough, then compensated).
#[inline(always)]
pub fn dist2(a: &[f64], b: &[f64]) -> f64 {
    reduce2(a, b, #[inline(always)] |x, y, s| {
        let t = x - y;
        t.mul_add(t, s)
    })
}

/// `‖a + b‖²` (a sum of squares: nothing cancels).
#[inline(always)]
pub fn sum2(a: &[f64], b: &[f64]) -> f64 {
    reduce2(a, b, #[inline(always)] |x, y, s| {
        let t = x + y;
        t.mul_add(t, s)
    })
}

/// `1 − c·s` for `s = hi + lo` given exactly, with one rounding in the leading term: the
/// conformal denominator, accurate to a few ulp of its own size.
#[inline(always)]
pub fn one_minus_c_times(c: f64, (hi, lo): (f64, f64)) -> f64 {
    let p = c * hi;
    let pe = c.mul_add(hi, -p);
    ((1.0 - p) - pe) - c * lo
}

/// `1 − c‖x‖²`, accurate near the boundary: the plain sum when `c‖x‖² ≤ ½` (no cancellation
/// then), the compensated one otherwise.
#[inline(always)]
pub fn conformal_denominator(c: f64, x: &[f64]) -> f64 {
    let cs = c * norm2(x);
    if cs <= 0.5 {
        1.0 - cs
    } else {
        one_minus_c_times(c, norm2_dd(x))
    }
}

/// `out ← α a + β b`.
#[inline(always)]
pub fn lincomb(alpha: f64, a: &[f64], beta: f64, b: &[f64], out: &mut [f64]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = alpha.mul_add(*x, beta * y);
    }
}

/// `out ← α a`.
#[inline(always)]
pub fn scaled(alpha: f64, a: &[f64], out: &mut [f64]) {
    for (o, x) in out.iter_mut().zip(a) {
        *o = alpha * x;
    }
}

/// `out ← out + α a`.
#[inline(always)]
pub fn axpy(alpha: f64, a: &[f64], out: &mut [f64]) {
    for (o, x) in out.iter_mut().zip(a) {
        *o = alpha.mul_add(*x, *o);
    }
}

/// Pulls `v` back to norm `max_norm` when it is longer (the output projection). The
/// compensated norm decides only for rows within a relative 1e-12 of `max_norm`.
#[inline(always)]
pub fn clamp_norm(v: &mut [f64], max_norm: f64) {
    let limit = max_norm * max_norm;
    let quick = norm2(v);
    if quick < limit * (1.0 - 1e-12) {
        return;
    }
    let (hi, lo) = norm2_dd(v);
    let n = (hi + lo).sqrt();
    if n > max_norm {
        let s = max_norm / n;
        for x in v.iter_mut() {
            *x *= s;
        }
    }
}

/// `‖a‖` for any finite `a`: rescales by `max |aᵢ|` when `‖a‖²` underflows or overflows.
#[inline(always)]
pub fn norm(a: &[f64]) -> f64 {
    let s = norm2(a);
    if s.is_finite() && s >= f64::MIN_POSITIVE {
        return s.sqrt();
    }
    let m = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if m == 0.0 {
        return 0.0;
    }
    m * a.iter().map(|v| (v / m) * (v / m)).sum::<f64>().sqrt()
}

/// `‖a‖` as `(σ, ρ)` with `‖a‖ = σ·ρ`, `σ` a power of two and `a/σ` free of overflow and
/// underflow in its squares: `σ = 1` unless `‖a‖²` leaves `[2⁻⁹⁰⁰, 2⁹⁰⁰]`. The unit vector
/// is `(a/σ)/ρ` (exact scaling), valid also when `‖a‖` itself overflows.
#[inline(always)]
pub fn norm_scaled(a: &[f64]) -> (f64, f64) {
    let s = norm2(a);
    if (2f64.powi(-900)..=2f64.powi(900)).contains(&s) {
        return (1.0, s.sqrt());
    }
    let m = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if m == 0.0 {
        return (1.0, 0.0);
    }
    let sigma = if m > 1.0 { 2f64.powi(600) } else { 2f64.powi(-600) };
    let inv = 1.0 / sigma;
    let r2: f64 = a.iter().map(|v| (v * inv) * (v * inv)).sum();
    (sigma, r2.sqrt())
}

#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

#[inline(always)]
pub fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `artanh(z)` given `z` and `1 − z` separately (the latter computed without cancellation).
#[inline(always)]
pub fn artanh_with_complement(z: f64, one_minus_z: f64) -> f64 {
    0.5 * (2.0 * z / one_minus_z).ln_1p()
}

/// `arcosh(1 + t)` for `t ≥ 0`, without the cancellation of `arcosh` near 1.
#[inline(always)]
pub fn arcosh1p(t: f64) -> f64 {
    (t + (t * (t + 2.0)).sqrt()).ln_1p()
}

/// `arsinh(z)` for any sign, accurate for small `|z|` and free of overflow for large `|z|`.
#[inline(always)]
pub fn arsinh(z: f64) -> f64 {
    let a = z.abs();
    let r = if a > 1e150 {
        a.ln() + core::f64::consts::LN_2
    } else {
        (a + a * a / (1.0 + (1.0 + a * a).sqrt())).ln_1p()
    };
    r.copysign(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot2_is_exact_on_cancelling_sum() {
        // 1 + 2^-120 − 1 + 3·2^-70 loses the 2^-120 in plain arithmetic; the sum is exact in f64.
        let t = 2f64.powi(-60);
        let a = [1.0, t, -1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 2.0];
        let b = [1.0, t, 1.0, 2f64.powi(-70), 0.0, 0.0, 0.0, 0.0, 0.0];
        let (h, l) = dot2(&a, &b);
        assert_eq!(h + l, 2f64.powi(-120) + 3.0 * 2f64.powi(-70));
    }

    #[test]
    fn conformal_denominator_near_boundary() {
        // x = (1 − 2^-40) e₁: 1 − ‖x‖² = 2^-39 − 2^-80 exactly.
        let x = [1.0 - 2f64.powi(-40), 0.0, 0.0];
        let want = 2f64.powi(-39) - 2f64.powi(-80);
        assert_eq!(conformal_denominator(1.0, &x), want);
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
