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
use super::batch::{map_tiles, Tile, TileKernel};
use super::lane::{Lane, TileLane};
use super::primitives::{
    arcosh1p, artanh_with_complement, axpy, conformal_denominator, dist2, lincomb, norm2, norm_scaled,
};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `d_c(x, y)`.
#[inline(always)]
pub(super) fn dist<S: Lane>(c: f64, sqrt_c: f64, x: &[S], y: &[S]) -> S {
    let den = conformal_denominator(c, x) * conformal_denominator(c, y);
    arcosh1p(S::splat(2.0 * c) * dist2(x, y) / den) / S::splat(sqrt_c)
}

/// Writes `g ∇_x d_c(x, y)` to `gx` and `g ∇_y d_c(x, y)` to `gy` (zero at `x = y`).
#[inline(always)]
pub(super) fn dist_vjp<S: Lane>(c: f64, x: &[S], y: &[S], g: S, gx: &mut [S], gy: &mut [S]) {
    let zero = S::splat(0.0);
    // e = x − y is staged in gx.
    lincomb(S::splat(1.0), x, S::splat(-1.0), y, gx);
    let (sigma, r) = norm_scaled(&*gx);
    let same = r.eq(zero);
    let r = S::select(same, S::splat(1.0), r);
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let len = sigma * r;
    let k = S::select(same, zero, S::splat(2.0) * g / dx.mul_add(dy, S::splat(c) * len * len).sqrt());
    let k_e = k / sigma / r;
    let (kx, ky) = (k * S::splat(c) * len / dx, k * S::splat(c) * len / dy);
    for (((gxj, gyj), xj), yj) in gx.iter_mut().zip(gy.iter_mut()).zip(x).zip(y) {
        let e = *gxj;
        *gxj = k_e.mul_add(e, kx * *xj);
        *gyj = ky.mul_add(*yj, -(k_e * e));
    }
}

/// `d_c(0, x)`.
#[inline(always)]
pub(super) fn dist0<S: Lane>(c: f64, sqrt_c: f64, x: &[S]) -> S {
    let z = S::splat(sqrt_c) * norm2(x).sqrt();
    S::splat(2.0 / sqrt_c) * artanh_with_complement(z, conformal_denominator(c, x) / (S::splat(1.0) + z))
}

/// Writes `g ∇ d_c(0, x) = g λ_x x/‖x‖` to `gx` (zero at `x = 0`).
#[inline(always)]
pub(super) fn dist0_vjp<S: Lane>(c: f64, x: &[S], g: S, gx: &mut [S]) {
    let (sigma, r) = norm_scaled(x);
    let zero = r.eq(S::splat(0.0));
    let k = S::splat(2.0) * g / conformal_denominator(c, x) / sigma / S::select(zero, S::splat(1.0), r);
    let k = S::select(zero, S::splat(0.0), k);
    gx.fill(S::splat(0.0));
    axpy(k, x, gx);
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
        map_tiles([x, y], [out], 0, par, DistTiles { c, sqrt_c });
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
        map_tiles([x, y, grad], [grad_x, grad_y], 0, par, DistVjpTiles { c });
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
        map_tiles([x], [out], 0, par, Dist0Tiles { c, sqrt_c });
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
        map_tiles([x, grad], [grad_x], 0, par, Dist0VjpTiles { c });
        Ok(())
    }
}

struct DistTiles {
    c: f64,
    sqrt_c: f64,
}

impl TileKernel<2, 1> for DistTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let [x, y] = p.inputs;
        p.outputs[0][0] = dist(self.c, self.sqrt_c, x, y);
    }
}

struct DistVjpTiles {
    c: f64,
}

impl TileKernel<3, 2> for DistVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 2>) {
        let [x, y, g] = p.inputs;
        let [gx, gy] = p.outputs;
        dist_vjp(self.c, x, y, g[0], gx, gy);
    }
}

struct Dist0Tiles {
    c: f64,
    sqrt_c: f64,
}

impl TileKernel<1, 1> for Dist0Tiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 1, 1>) {
        p.outputs[0][0] = dist0(self.c, self.sqrt_c, p.inputs[0]);
    }
}

struct Dist0VjpTiles {
    c: f64,
}

impl TileKernel<2, 1> for Dist0VjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let [x, g] = p.inputs;
        dist0_vjp(self.c, x, g[0], p.outputs[0]);
    }
}
