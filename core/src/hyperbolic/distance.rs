//! Geodesic distance, between two points and from the origin, and their VJPs.
//!
//! `d_c(x, y) = arcosh(1 + 2c‖x−y‖²/(δ_x δ_y))/√c` with `‖x−y‖²` formed directly, `δ` the
//! compensated conformal denominators and `arcosh(1+t)` taken without cancellation near `t = 0`:
//! every factor is accurate to a few ulp, so the distance is too, up to the boundary (the
//! `artanh(√c‖(−x) ⊕ y‖)` form loses all digits there, `1 − √c‖w‖` being a cancellation).
//! `d_c(0, x) = 2 artanh(√c‖x‖)/√c` uses `1 − √c‖x‖ = δ_x/(1 + √c‖x‖)`.
//!
//! Gradients: `∇_x d = 2/√D · ((x−y)/‖x−y‖ + c‖x−y‖ x/δ_x)`, `D = δ_x δ_y + c‖x−y‖²`, and
//! `∇_x d(0, x) = λ_x x/‖x‖`. The distance is not differentiable at `x = y` (resp. `x = 0`),
//! where the VJPs return 0 (the minimum-norm subgradient); nearby, the unit vector is formed
//! with a rescaled norm, so no NaN appears however close the points are.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_rows, Needs};
use super::shape::assert_width;
use super::primitives::{
    arcosh1p, artanh_with_complement, axpy, conformal_denominator, dist2, lincomb, norm2,
    norm_scaled,
};
use super::real::Real;
use faer::{MatMut, MatRef, Par};

/// `d_c(x, y)`.
#[inline(always)]
pub(super) fn dist(c: f64, sqrt_c: f64, x: &[f64], y: &[f64]) -> f64 {
    let den = conformal_denominator(c, x) * conformal_denominator(c, y);
    arcosh1p(2.0 * c * dist2(x, y) / den) / sqrt_c
}

/// Adds `g ∇_x d_c(x, y)` to `gx` and `g ∇_y d_c(x, y)` to `gy` (nothing at `x = y`);
/// `e`: scratch of length d.
#[inline(always)]
pub(super) fn dist_vjp(c: f64, x: &[f64], y: &[f64], g: f64, gx: &mut [f64], gy: &mut [f64], e: &mut [f64]) {
    lincomb(1.0, x, -1.0, y, e);
    let (sigma, r) = norm_scaled(e);
    if r == 0.0 {
        return;
    }
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let len = sigma * r;
    let k = 2.0 * g / dx.mul_add(dy, c * len * len).sqrt();
    let k_e = k / sigma / r;
    axpy(k_e, e, gx);
    axpy(-k_e, e, gy);
    axpy(k * c * len / dx, x, gx);
    axpy(k * c * len / dy, y, gy);
}

/// `d_c(0, x)`.
#[inline(always)]
pub(super) fn dist0(c: f64, sqrt_c: f64, x: &[f64]) -> f64 {
    let z = sqrt_c * norm2(x).sqrt();
    2.0 * artanh_with_complement(z, conformal_denominator(c, x) / (1.0 + z)) / sqrt_c
}

/// Adds `g ∇ d_c(0, x) = g λ_x x/‖x‖` to `gx` (nothing at `x = 0`).
#[inline(always)]
pub(super) fn dist0_vjp(c: f64, x: &[f64], g: f64, gx: &mut [f64]) {
    let (sigma, r) = norm_scaled(x);
    if r != 0.0 {
        axpy(2.0 * g / conformal_denominator(c, x) / sigma / r, x, gx);
    }
}

impl PoincareBall {
    /// Geodesic distance `out[i] = d_c(xᵢ, yᵢ)` (`x`, `y`: `n × d`; `out`: `n × 1`).
    pub fn dist<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols())]);
        assert_width(1, &[("out", out.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_rows([x, y], [out], Needs::default(), par, #[inline(always)] |p| {
            let [x, y] = p.inputs;
            let [out] = p.outputs;
            out[0] = dist(c, sqrt_c, x, y);
        });
        Ok(())
    }

    /// Gradients of `Σᵢ gᵢ d_c(xᵢ, yᵢ)` (`grad`: `n × 1`); rows with `xᵢ = yᵢ` get 0.
    #[allow(clippy::too_many_arguments)]
    pub fn dist_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_y: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols()), ("grad_x", grad_x.ncols()), ("grad_y", grad_y.ncols())]);
        assert_width(1, &[("grad", grad.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_rows([x, y, grad], [grad_x, grad_y], Needs { scratch: d, acc: 0 }, par, #[inline(always)] |p| {
            let [x, y, g] = p.inputs;
            let [gx, gy] = p.outputs;
            gx.fill(0.0);
            gy.fill(0.0);
            dist_vjp(c, x, y, g[0], gx, gy, &mut p.scratch[..d]);
        });
        Ok(())
    }

    /// Distance from the origin `out[i] = d_c(0, xᵢ) = 2 artanh(√c‖xᵢ‖)/√c` (`out`: `n × 1`).
    pub fn dist0<T: Real>(
        &self,
        x: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(1, &[("out", out.ncols())]);
        self.check_points("x", x)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_rows([x], [out], Needs::default(), par, #[inline(always)] |p| {
            let [x] = p.inputs;
            let [out] = p.outputs;
            out[0] = dist0(c, sqrt_c, x);
        });
        Ok(())
    }

    /// Gradient of `Σᵢ gᵢ d_c(0, xᵢ)` (`grad`: `n × 1`); rows with `xᵢ = 0` get 0.
    pub fn dist0_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(1, &[("grad", grad.ncols())]);
        assert_width(d, &[("grad_x", grad_x.ncols())]);
        self.check_points("x", x)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_rows([x, grad], [grad_x], Needs::default(), par, #[inline(always)] |p| {
            let [x, g] = p.inputs;
            let [gx] = p.outputs;
            gx.fill(0.0);
            dist0_vjp(c, x, g[0], gx);
        });
        Ok(())
    }
}
