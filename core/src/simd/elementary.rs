//! Elementary functions over [`Lane`]: `ln(1 + x)`, `eˣ − 1` and `eˣ` for `x ≤ 0`, and
//! `tanh`/`sech²` from them, as one instruction sequence for eight points (no per-lane `libm`
//! calls). Measured against double-double references over dense samples of their whole domains
//! (tests below): `ln_1p` ≤ 0.79 ulp, `eˣ` ≤ 0.88, `eˣ − 1` ≤ 1.04, `tanh` ≤ 2.06, `sech²` ≤ 3.8
//! (ulps of the result; a relative error of `2⁻⁵³` is up to 1 ulp at the top of a binade).
//!
//! * `ln(1 + x)`: `1 + x = u + c` exactly (TwoSum), `u = m·2ᵏ` with `m ∈ [√½, √2)` from the
//!   exponent bits, `f = m − 1` (exact), and `ln(1 + f) = f − f²/2 + s(f²/2 + R(s²))` with
//!   `s = f/(2 + f)`, `R = Σ_{j≥1} 2s²ʲ/(2j+1)` (the series of `2 artanh s − 2s`, ten terms for
//!   `s² ≤ 0.0295`); then `ln(1 + x) = k ln 2 + ln(1 + f) + c/u`. The leading `f − f²/2` is
//!   formed last, so the rounding errors of the small terms hardly count.
//! * `eˣ`, `x ≤ 0`: `x = k ln 2 + r`, `|r| ≤ ln2/2` (Cody–Waite with a two-part `ln 2`),
//!   `p = eʳ − 1` by its Taylor series to `r¹³` (the first omitted term is below 1e-17
//!   relative), `eˣ = 2ᵏ(1 + p)` and `eˣ − 1 = 2ᵏp + (2ᵏ − 1)`, with `2ᵏ` applied as two
//!   normal powers of two so that results in the subnormal range are rounded once.
//! * `tanh|u| = −E/(1 + e) = 1 − 2e/(1 + e)` and `sech² u = 4e/(1 + e)²` with
//!   `e = e^{−2|u|}`, `E = e − 1`: negative arguments only, so nothing overflows, and `sech²`
//!   underflows to 0 smoothly instead of cancelling as `1 − tanh²` would.

use super::lane::{two_sum, Lane, MAGIC};

/// `ln 2` in two parts: `LN2_HI` has 21 trailing zero bits (so `k·LN2_HI` is exact for
/// `|k| < 2²¹`), `LN2_LO = ln 2 − LN2_HI` rounded.
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;

/// Below this, `eˣ` rounds to 0 (`e^{−745.14} < 2⁻¹⁰⁷⁵`); arguments are clamped to it.
const EXP_MIN: f64 = -746.0;

/// `Σₖ coef[k] qᵏ` by Horner's rule on even and odd powers separately (two chains of half the
/// length).
#[inline(always)]
pub fn poly<S: Lane, const N: usize>(coef: &[f64; N], q: S) -> S {
    let q2 = q * q;
    let (mut even, mut odd) = (S::splat(0.0), S::splat(0.0));
    let mut k = N;
    while k > 0 {
        k -= 1;
        if k % 2 == 0 {
            even = even.mul_add(q2, S::splat(coef[k]));
        } else {
            odd = odd.mul_add(q2, S::splat(coef[k]));
        }
    }
    odd.mul_add(q, even)
}

/// `2/(2j+1)`, `j = 1..=10`: `R(s²)/s² = Σ 2s^{2(j−1)}/(2j+1)`.
const LOG_SERIES: [f64; 10] = {
    let mut c = [0.0; 10];
    let mut j = 0;
    while j < 10 {
        c[j] = 2.0 / (2 * j + 3) as f64;
        j += 1;
    }
    c
};

/// `1/(j+2)!`, `j = 0..=11`: `(eʳ − 1 − r)/r² = Σ rʲ/(j+2)!`.
const EXPM1_SERIES: [f64; 12] = {
    let mut c = [0.0; 12];
    let (mut j, mut f) = (0, 2.0);
    while j < 12 {
        c[j] = 1.0 / f;
        f *= (j + 3) as f64;
        j += 1;
    }
    c
};

/// `ln(1 + x)` for any `x` (`−∞` at `−1`, NaN below it and for NaN, `+∞` at `+∞`).
#[inline(always)]
pub fn ln_1p<S: Lane>(x: S) -> S {
    let one = S::splat(1.0);
    let inf = S::splat(f64::INFINITY);
    let ok = S::and(S::splat(-1.0).lt(x), x.lt(inf));
    // Lanes outside the domain compute with a stand-in and are replaced at the end.
    let xs = if S::any(S::not(ok)) { S::select(ok, x, S::splat(0.0)) } else { x };
    let (u, c) = two_sum(one, xs);
    let (m, k) = u.split_sqrt2();
    let f = m - one;
    let s = f / (S::splat(2.0) + f);
    let s2 = s * s;
    let r = s2 * poly(&LOG_SERIES, s2);
    let hfsq = S::splat(0.5) * f * f;
    let lo = k.mul_add(S::splat(LN2_LO), c / u) + s * (hfsq + r);
    let v = k.mul_add(S::splat(LN2_HI), f - (hfsq - lo));
    if S::any(S::not(ok)) {
        let special = S::select(
            x.eq(S::splat(-1.0)),
            -inf,
            S::select(x.eq(inf), inf, S::splat(f64::NAN)),
        );
        return S::select(ok, v, special);
    }
    v
}

/// `(eˣ − 1, eˣ)` for `x ≤ 0` (NaN stays NaN; `−∞` gives `(−1, 0)`).
#[inline(always)]
pub fn exp_m1_neg<S: Lane>(x: S) -> (S, S) {
    let one = S::splat(1.0);
    let x = S::select(x.lt(S::splat(EXP_MIN)), S::splat(EXP_MIN), x);
    let magic = S::splat(MAGIC);
    let k = x.mul_add(S::splat(core::f64::consts::LOG2_E), magic) - magic;
    let r = k.mul_add(S::splat(-LN2_LO), k.mul_add(S::splat(-LN2_HI), x));
    let p = (r * r).mul_add(poly(&EXPM1_SERIES, r), r);
    // 2ᵏ = 2^{k₁} 2^{k₂}, both normal for k ≥ −1077.
    let k1 = k.mul_add(S::splat(0.5), magic) - magic;
    let (s1, s2) = (S::pow2i(k1), S::pow2i(k - k1));
    let scale = s1 * s2;
    let em1 = scale.mul_add(p, scale - one);
    let e = (one + p) * s1 * s2;
    (em1, e)
}

/// `(tanh u, sech² u)` for any `u` (NaN stays NaN).
#[inline(always)]
pub fn tanh_sech2<S: Lane>(u: S) -> (S, S) {
    let one = S::splat(1.0);
    let (em1, e) = exp_m1_neg(S::splat(-2.0) * u.abs());
    let inv2 = S::splat(2.0) / (one + e);
    // `u − u³/3` below 1e-4 (the next term is below 2⁻⁵⁵ relative), `−E/(2 + E)` while `|E|`
    // is not close to 1, `1 − 2e/(1 + e)` once `2e/(1 + e) < ⅓` (the rounding error of `e`
    // then counts at most half).
    let a = u.abs();
    let t = S::select(
        e.lt(S::splat(0.2)),
        one - e * inv2,
        S::select(a.lt(S::splat(1e-4)), (a * a * S::splat(-1.0 / 3.0)).mul_add(a, a), -em1 / (S::splat(2.0) + em1)),
    );
    let d = one + e;
    (t.copysign(u), S::splat(4.0) * e / (d * d))
}

#[cfg(test)]
#[path = "../../tests/common/dd.rs"]
mod dd;

#[cfg(test)]
mod tests {
    use super::dd::DD;
    use super::*;
    use crate::simd::lane::{V, W};

    /// `|got − want|` in ulps of `want` (`want = hi + lo` unevaluated), with the ulp of the
    /// smallest normal below it (subnormal results are measured in absolute units).
    fn ulps(got: f64, want: DD) -> f64 {
        if got == want.hi && want.lo == 0.0 {
            return 0.0;
        }
        let w = want.hi.abs().max(f64::MIN_POSITIVE);
        let ulp = f64::from_bits(w.to_bits() & 0x7ff0_0000_0000_0000) * f64::EPSILON;
        ((got - want.hi) - want.lo).abs() / ulp
    }

    /// Every function on a tile equals it lane by lane (the `f64` and `V` paths agree).
    fn tile_agrees(xs: &[f64], f: impl Fn(f64) -> f64, fv: impl Fn(V) -> V) {
        for chunk in xs.chunks(W) {
            let v = V(core::array::from_fn(|l| chunk[l % chunk.len()]));
            let got = fv(v);
            for (l, &x) in chunk.iter().enumerate() {
                let want = f(x);
                assert!(got.0[l] == want || (got.0[l].is_nan() && want.is_nan()), "lane {l}, x = {x:e}");
            }
        }
    }

    /// Dense samples: every binade from `2⁻¹⁰⁷⁰` to `2^hi` at 64 points each, both signs if
    /// asked, plus the given edge cases.
    fn samples(hi: i32, negative: bool, edges: &[f64]) -> Vec<f64> {
        let mut v = edges.to_vec();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for e in -1070..hi {
            for _ in 0..64 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let x = 2f64.powi(e) * (1.0 + (state >> 11) as f64 / (1u64 << 53) as f64);
                v.push(x);
                if negative {
                    v.push(-x);
                }
            }
        }
        v
    }

    fn worst(xs: &[f64], f: impl Fn(f64) -> f64, reference: impl Fn(f64) -> DD) -> (f64, f64) {
        xs.iter().map(|&x| (ulps(f(x), reference(x)), x)).fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    const LN2: DD = DD { hi: core::f64::consts::LN_2, lo: 2.3190468138462996e-17 };

    /// `eˣ` for `x ≤ 0` in double-double; below `−700` as `e^{x + 600 ln 2}·2⁻⁶⁰⁰`, so that a
    /// subnormal result is rounded once (`DD::exp` scales by `2ᵏ` with one `powi`).
    fn exp_ref(x: f64) -> DD {
        if x < -800.0 {
            return DD::new(0.0);
        }
        if x >= -700.0 {
            return DD::new(x).exp();
        }
        let e = (DD::new(x) + LN2 * 600.0).exp();
        let t = 2f64.powi(-600);
        let hi = e.hi * t;
        // hi + lo: the part of e·2⁻⁶⁰⁰ that hi missed (exact while it is representable).
        DD { hi, lo: (e.hi - hi / t) * t + e.lo * t }
    }

    /// `eˣ − 1`: Taylor series in double-double for `|x| < 1e-5` (where `exp(x) − 1` would
    /// lose the low part of a tiny `x`).
    fn exp_m1_ref(x: f64) -> DD {
        if x.abs() >= 1e-5 {
            return exp_ref(x) - DD::new(1.0);
        }
        let a = DD::new(x);
        let a2 = a * a;
        a + a2 * 0.5 + a2 * a / 6.0 + a2 * a2 / 24.0
    }

    /// `ln(1 + x)` in double-double: `x` itself below 1e-150 (`x²/2` is far below its ulp),
    /// `ln(x 2⁻⁶⁰⁰) + 600 ln 2` above 1e300 (`1/x` is too; `DD::ln` needs `e^{−ln x}` normal).
    fn ln_1p_ref(x: f64) -> DD {
        if x.abs() < 1e-150 {
            DD::new(x)
        } else if x > 1e300 {
            DD::new(x * 2f64.powi(-600)).ln() + LN2 * 600.0
        } else {
            DD::new(x).ln_1p()
        }
    }

    /// `tanh u`: `u − u³/3 + 2u⁵/15` below 1e-3, else `(1 − e)/(1 + e)` with `e = e^{−2|u|}`.
    fn tanh_ref(u: f64) -> DD {
        let a = DD::new(u.abs());
        let t = if u.abs() < 1e-3 {
            let a2 = a * a;
            a - a2 * a / 3.0 + a2 * a2 * a * (2.0 / 15.0)
        } else {
            let e = exp_ref(-2.0 * u.abs());
            (DD::new(1.0) - e) / (DD::new(1.0) + e)
        };
        if u < 0.0 {
            -t
        } else {
            t
        }
    }

    /// `sech² u = 4e/(1 + e)²`, `e = e^{−2|u|}`.
    fn sech2_ref(u: f64) -> DD {
        let e = exp_ref(-2.0 * u.abs());
        let e1 = DD::new(1.0) + e;
        e * 4.0 / (e1 * e1)
    }

    #[test]
    fn ln_1p_is_within_one_ulp() {
        // (−1, ∞): tiny, around 0, the reduction boundaries √½ − 1 and √2 − 1, up to f64::MAX.
        let mut xs = samples(1024, false, &[0.0, -0.0, 1e-300, 5e-324, f64::MAX, 1.0, 0.5]);
        xs.extend((1..2000).map(|i| -1.0 + i as f64 / 2000.0));
        xs.extend((-200..200).map(|i| core::f64::consts::SQRT_2 - 1.0 + i as f64 * 1e-17));
        xs.extend((-200..200).map(|i| core::f64::consts::FRAC_1_SQRT_2 - 1.0 + i as f64 * 1e-17));
        xs.extend((1..60).map(|i| -1.0 + 2f64.powi(-i)));
        let (e, at) = worst(&xs, ln_1p::<f64>, ln_1p_ref);
        eprintln!("ln_1p: at most {e} ulp (at {at:e})");
        assert!(e <= 1.0, "ln_1p: {e} ulp at {at:e}");
        tile_agrees(&xs, ln_1p::<f64>, ln_1p::<V>);
    }

    #[test]
    fn ln_1p_special_values() {
        let xs = [-1.0, -1.5, f64::NEG_INFINITY, f64::INFINITY, f64::NAN, 3.0, -0.0];
        let got = ln_1p(V(core::array::from_fn(|l| xs[l % xs.len()])));
        assert_eq!(got.0[0], f64::NEG_INFINITY);
        assert!(got.0[1].is_nan() && got.0[2].is_nan() && got.0[4].is_nan());
        assert_eq!(got.0[3], f64::INFINITY);
        assert_eq!(got.0[5], 3f64.ln_1p());
        assert_eq!(got.0[6], 0.0);
    }

    #[test]
    fn exp_and_exp_m1_within_one_and_a_half_ulp_for_non_positive_arguments() {
        // (−∞, 0]: tiny, the reduction boundaries, the subnormal range and past underflow.
        let mut xs: Vec<f64> = samples(10, false, &[0.0, 745.0, 745.13, 745.2, 746.0, 800.0, 1e300])
            .into_iter()
            .map(|x| -x)
            .collect();
        xs.extend((0..4000).map(|i| -(i as f64) * 0.01));
        xs.extend((1..40).flat_map(|k| [-1.0, 0.0, 1.0].map(|d| -(k as f64 + 0.5) * core::f64::consts::LN_2 + d * 1e-15)));
        // The subnormal range is measured in units of 2⁻¹⁰⁷⁴ (one rounding there).
        let (e, at) = worst(&xs, |x| exp_m1_neg(x).1, exp_ref);
        eprintln!("exp: at most {e} ulp (at {at:e})");
        assert!(e <= 1.0, "exp: {e} ulp at {at:e}");
        let (e, at) = worst(&xs, |x| exp_m1_neg(x).0, exp_m1_ref);
        eprintln!("exp_m1: at most {e} ulp (at {at:e})");
        assert!(e <= 1.5, "exp_m1: {e} ulp at {at:e}");
        tile_agrees(&xs, |x| exp_m1_neg(x).0, |v| exp_m1_neg(v).0);
        tile_agrees(&xs, |x| exp_m1_neg(x).1, |v| exp_m1_neg(v).1);
        assert_eq!(exp_m1_neg(f64::NEG_INFINITY), (-1.0, 0.0));
        assert!(exp_m1_neg(f64::NAN).0.is_nan() && exp_m1_neg(f64::NAN).1.is_nan());
    }

    #[test]
    fn tanh_and_sech2_within_a_few_ulp() {
        let mut xs = samples(1024, true, &[0.0, -0.0, 19.0, 19.1, 354.0, 372.0, 373.0, 380.0, f64::MAX]);
        xs.extend((-4000..4000).map(|i| i as f64 * 0.005));
        let (e, at) = worst(&xs, |u| tanh_sech2(u).0, tanh_ref);
        eprintln!("tanh: at most {e} ulp (at {at:e})");
        assert!(e <= 2.5, "tanh: {e} ulp at {at:e}");
        let (e, at) = worst(&xs, |u| tanh_sech2(u).1, sech2_ref);
        eprintln!("sech2: at most {e} ulp (at {at:e})");
        assert!(e <= 4.0, "sech2: {e} ulp at {at:e}");
        tile_agrees(&xs, |u| tanh_sech2(u).0, |v| tanh_sech2(v).0);
        tile_agrees(&xs, |u| tanh_sech2(u).1, |v| tanh_sech2(v).1);
        assert_eq!(tanh_sech2(f64::INFINITY), (1.0, 0.0));
        assert_eq!(tanh_sech2(f64::NEG_INFINITY).0, -1.0);
    }
}
