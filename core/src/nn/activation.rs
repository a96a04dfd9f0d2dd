//! The activations and their derivatives (`d_*`, of the output `a` or, for GELU, of `z`), one element at a time (the kernels map them over
//! contiguous buffers, where they vectorise).
//!
//! The derivative is written in terms of the output `a = f(z)` wherever that is exact, so the
//! backward pass needs no stored pre-activation: `1` (identity), `[a > 0]` (ReLU),
//! `[a > 0] + α[a ≤ 0]` (leaky ReLU), `1 − a²` (tanh), `a(1 − a)` (sigmoid),
//! `σ(z) = 1 − e^{−a}` (softplus). Only GELU needs `z`.
//!
//! The transcendental ones are computed in `f64` with the vectorisable `ln(1 + x)`, `eˣ`,
//! `tanh`/`sech²` of [`crate::simd::elementary`] (a few ulps of `f64`), so `f32` results are
//! correctly rounded but for rare ties and `f64` results are within a few ulps:
//! * `σ(z) = 1/(1 + e)` for `z ≥ 0`, `e/(1 + e)` otherwise, `e = e^{−|z|}`;
//! * `softplus(z) = max(z, 0) + ln(1 + e)`;
//! * GELU (tanh form) `½z(1 + tanh u)`, `u = c(z + k z³)`, `c = √(2/π)`, `k = 0.044715`,
//!   evaluated as `z σ(2u)` (the same function; `1 + tanh u` would cancel for `z < −3`), with
//!   derivative `σ(2u) + 2z σ(2u)(1 − σ(2u)) c(1 + 3k z²)`.

use super::{Float, LEAKY_SLOPE};
use crate::simd::elementary::{exp_m1_neg, ln_1p, tanh_sech2};

#[inline(always)]
pub fn identity<T: Float>(z: T) -> T {
    z
}

#[inline(always)]
pub fn relu<T: Float>(z: T) -> T {
    if z > T::ZERO {
        z
    } else {
        T::ZERO
    }
}

#[inline(always)]
pub fn leaky_relu<T: Float>(z: T) -> T {
    if z > T::ZERO {
        z
    } else {
        z * T::from_f64(LEAKY_SLOPE)
    }
}

#[inline(always)]
pub fn tanh<T: Float>(z: T) -> T {
    T::from_f64(tanh_sech2(z.to_f64()).0)
}

/// `σ(z)` in `f64`.
#[inline(always)]
pub fn sigmoid64(z: f64) -> f64 {
    let e = exp_m1_neg(-z.abs()).1;
    let r = 1.0 / (1.0 + e);
    if z >= 0.0 {
        r
    } else {
        e * r
    }
}

#[inline(always)]
pub fn sigmoid<T: Float>(z: T) -> T {
    T::from_f64(sigmoid64(z.to_f64()))
}

/// `ln(1 + eᶻ)` in `f64`.
#[inline(always)]
pub fn softplus64(z: f64) -> f64 {
    z.max(0.0) + ln_1p(exp_m1_neg(-z.abs()).1)
}

#[inline(always)]
pub fn softplus<T: Float>(z: T) -> T {
    T::from_f64(softplus64(z.to_f64()))
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)
const GELU_K: f64 = 0.044_715;

/// `(σ(2u), σ(2u)(1 − σ(2u)))` with `u = c(z + k z³)`, and `u'(z)`.
#[inline(always)]
fn gelu_parts(z: f64) -> (f64, f64, f64) {
    let u2 = 2.0 * GELU_C * (GELU_K * z * z).mul_add(z, z);
    let e = exp_m1_neg(-u2.abs()).1;
    let r = 1.0 / (1.0 + e);
    let s = if u2 >= 0.0 { r } else { e * r };
    (s, e * r * r, GELU_C * (3.0 * GELU_K * z).mul_add(z, 1.0))
}

#[inline(always)]
pub fn gelu<T: Float>(z: T) -> T {
    let z = z.to_f64();
    T::from_f64(z * gelu_parts(z).0)
}

#[inline(always)]
pub fn d_relu<T: Float>(a: T) -> T {
    if a > T::ZERO {
        T::ONE
    } else {
        T::ZERO
    }
}

#[inline(always)]
pub fn d_leaky_relu<T: Float>(a: T) -> T {
    if a > T::ZERO {
        T::ONE
    } else {
        T::from_f64(LEAKY_SLOPE)
    }
}

#[inline(always)]
pub fn d_tanh<T: Float>(a: T) -> T {
    T::ONE - a * a
}

#[inline(always)]
pub fn d_sigmoid<T: Float>(a: T) -> T {
    a * (T::ONE - a)
}

#[inline(always)]
pub fn d_softplus<T: Float>(a: T) -> T {
    T::from_f64(-exp_m1_neg(-a.to_f64()).0)
}

#[inline(always)]
pub fn d_gelu<T: Float>(z: T) -> T {
    let z = z.to_f64();
    let (s, ds, du) = gelu_parts(z);
    T::from_f64((2.0 * z * ds).mul_add(du, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{dispatch_to, Isa};
    use core::ops::Neg;

    /// Dense arguments over the range where the activations are not constant, plus edges.
    fn args() -> Vec<f64> {
        let mut v: Vec<f64> = (-8000..=8000).map(|i| i as f64 * 0.005).collect();
        v.extend([0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 50.0, -50.0, 700.0, -700.0, 1e30, -1e30]);
        v
    }

    /// `|got − want|` in units of `eps·max(|want|, tiny)`.
    fn rel(got: f64, want: f64, eps: f64) -> f64 {
        if got == want {
            return 0.0;
        }
        (got - want).abs() / (eps * want.abs().max(1e-300))
    }

    fn check_one(name: &str, f64f: impl Fn(f64) -> f64 + Copy, f32f: impl Fn(f32) -> f32 + Copy, want: impl Fn(f64) -> f64, tol: impl Fn(f64) -> f64) {
        let xs = args();
        let mut per_isa = Vec::new();
        for isa in Isa::available() {
            let y: Vec<f64> = dispatch_to(isa, || xs.iter().map(|&x| f64f(x)).collect());
            let y32: Vec<f32> = dispatch_to(isa, || xs.iter().map(|&x| f32f(x as f32)).collect());
            per_isa.push((isa, y, y32));
        }
        let (_, y, y32) = &per_isa[0];
        for (isa, other, other32) in &per_isa[1..] {
            for k in 0..xs.len() {
                let same = other[k].to_bits() == y[k].to_bits() && other32[k].to_bits() == y32[k].to_bits();
                assert!(same, "{name}({:e}): {isa:?} gives {:e}/{:e}, portable {:e}/{:e}", xs[k], other[k], other32[k], y[k], y32[k]);
            }
        }
        for (k, &x) in xs.iter().enumerate() {
            let w = want(x);
            let e = rel(y[k], w, f64::EPSILON);
            assert!(e <= tol(x), "{name}({x:e}) = {} vs {w}: {e} eps", y[k]);
            let w32 = want(x as f32 as f64);
            // One rounding to f32 (half an ulp, up to one at the top of a binade; subnormal
            // results in units of the smallest normal's ulp).
            let e32 = if y32[k] as f64 == w32 { 0.0 } else { (y32[k] as f64 - w32).abs() } / (f32::EPSILON as f64 * w32.abs().max(f32::MIN_POSITIVE as f64));
            assert!(e32 <= 1.0, "{name}({x:e}) in f32 = {} vs {w32}: {e32} eps", y32[k]);
        }
    }

    #[test]
    fn transcendental_activations_against_the_standard_library_on_every_instruction_set() {
        // std's tanh/exp/ln_1p are within about 1 ulp; the tolerances cover both errors.
        check_one("tanh", tanh::<f64>, tanh::<f32>, f64::tanh, |_| 4.0);
        check_one("sigmoid", sigmoid::<f64>, sigmoid::<f32>, |z| 1.0 / (1.0 + (-z).exp()), |_| 4.0);
        check_one("softplus", softplus::<f64>, softplus::<f32>, |z| if z > 30.0 { z + (-z).exp() } else { z.exp().ln_1p() }, |_| 4.0);
        // GELU as z σ(2u) (the ½z(1 + tanh u) of its definition cancels for z < −3).
        let g_ref = |z: f64| {
            let e = (-2.0 * GELU_C * (z + GELU_K * z * z * z)).abs().neg().exp();
            z * if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) }
        };
        // `u` is rounded differently on the two sides, and e^{2u} amplifies that by |2u|.
        let cond = |z: f64| 8.0 + 4.0 * GELU_C * (z + GELU_K * z * z * z).abs();
        check_one("gelu", gelu::<f64>, gelu::<f32>, g_ref, cond);
        check_one("d_softplus", |z| d_softplus(softplus(z)), |z| d_softplus(softplus(z)), |z| 1.0 / (1.0 + (-z).exp()), |_| 8.0);
    }
}
