//! Möbius scalar multiplication `r ⊗_c x` and its vector-Jacobian product.
//!
//! With `z = √c‖x‖`, `δ = 1 − c‖x‖²` (compensated), `a = artanh z` (from `1 − z = δ/(1 + z)`,
//! no cancellation) and `u = r a`:
//!
//! `r ⊗ x = s x`, `s = tanh(u)/z` (`s = r` at `x = 0`, the limit).
//!
//! The Jacobian in `x` is `s (I − x̂x̂ᵀ) + (r sech²u / δ) x̂x̂ᵀ` (tangential scaling `s`, radial
//! derivative `d‖out‖/d‖x‖ = r sech²u/δ`); `∂s/∂r = a sech²u / z` (`1` at `x = 0`).
//! `sech²u = 1/cosh²u` underflows to 0 rather than cancelling as `1 − tanh²u` would.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_rows, Needs};
use super::primitives::{artanh_with_complement, axpy, clamp_norm, conformal_denominator, dot, norm, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `tanh(ρ artanh z)` and the pieces of its derivatives, for `z = √c‖x‖ ∈ [0, 1)`.
pub(super) struct Profile {
    /// `δ = 1 − z²`.
    pub delta: f64,
    /// `a = artanh z`.
    pub a: f64,
    /// `tanh(ρ a)`.
    pub t: f64,
    /// `sech²(ρ a)`.
    pub sech2: f64,
}

impl Profile {
    #[inline(always)]
    pub fn new(z: f64, delta: f64, rho: f64) -> Self {
        let a = artanh_with_complement(z, delta / (1.0 + z));
        let u = rho * a;
        let ch = u.cosh();
        Self { delta, a, t: u.tanh(), sech2: 1.0 / (ch * ch) }
    }
}

/// `s` with `r ⊗ x = s x`, and the profile (`None` at `x = 0`), and `‖x‖`.
#[inline(always)]
fn factor(c: f64, r: f64, x: &[f64]) -> (f64, Option<Profile>, f64) {
    let n = norm(x);
    if n == 0.0 {
        return (r, None, n);
    }
    let z = c.sqrt() * n;
    let prof = Profile::new(z, conformal_denominator(c, x), r);
    (prof.t / z, Some(prof), n)
}

/// `out ← r ⊗_c x` for one point (unprojected).
#[inline(always)]
pub(super) fn mul(c: f64, r: f64, x: &[f64], out: &mut [f64]) {
    scaled(factor(c, r, x).0, x, out);
}

/// Adds the gradients of `⟨g, r ⊗_c x⟩` to `gr` and `gx`.
#[inline(always)]
pub(super) fn mul_vjp(c: f64, r: f64, x: &[f64], g: &[f64], gr: &mut f64, gx: &mut [f64]) {
    let (s, prof, n) = factor(c, r, x);
    axpy(s, g, gx);
    if let Some(p) = prof {
        let z = c.sqrt() * n;
        // ⟨g, x̂⟩ and x̂ are formed before any product: s can be ~1/z for tiny x.
        let g_xhat = dot(g, x) / n;
        *gr += g_xhat * n * p.a * p.sech2 / z;
        let coef = (r * p.sech2 / p.delta - s) * g_xhat;
        for (o, xi) in gx.iter_mut().zip(x) {
            *o += coef * (xi / n);
        }
    }
}

impl PoincareBall {
    /// Möbius scalar multiplication `out = rᵢ ⊗_c xᵢ` (`r`: `n × 1`, `x`, `out`: `n × d`).
    pub fn mobius_scalar_mul<T: Real>(
        &self,
        r: MatRef<'_, T>,
        x: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(1, &[("r", r.ncols())]);
        assert_width(x.ncols(), &[("out", out.ncols())]);
        self.check_finite("r", r)?;
        self.check_points("x", x)?;
        let (c, max_norm) = (self.c, self.max_norm::<T>());
        map_rows([r, x], [out], Needs::default(), par, #[inline(always)] |p| {
            let [r, x] = p.inputs;
            let [out] = p.outputs;
            mul(c, r[0], x, out);
            clamp_norm(out, max_norm);
        });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, rᵢ ⊗_c xᵢ⟩` with respect to `r` (`n × 1`) and `x`.
    pub fn mobius_scalar_mul_vjp<T: Real>(
        &self,
        r: MatRef<'_, T>,
        x: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_r: MatMut<'_, T>,
        grad_x: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(1, &[("r", r.ncols()), ("grad_r", grad_r.ncols())]);
        assert_width(x.ncols(), &[("grad", grad.ncols()), ("grad_x", grad_x.ncols())]);
        self.check_finite("r", r)?;
        self.check_points("x", x)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_rows([r, x, grad], [grad_r, grad_x], Needs::default(), par, #[inline(always)] |p| {
            let [r, x, g] = p.inputs;
            let [gr, gx] = p.outputs;
            gr[0] = 0.0;
            gx.fill(0.0);
            mul_vjp(c, r[0], x, g, &mut gr[0], gx);
        });
        Ok(())
    }
}
