//! Möbius addition `x ⊕_c y` and its vector-Jacobian product.
//!
//! With `δ_x = 1 − c‖x‖²`, `δ_y = 1 − c‖y‖²` and `s = ‖x + y‖²`, the textbook form
//! `((1 + 2c⟨x,y⟩ + c‖y‖²) x + (1 − c‖x‖²) y) / (1 + 2c⟨x,y⟩ + c²‖x‖²‖y‖²)` is rewritten as
//!
//! `x ⊕ y = ((δ_x + c s) x + δ_x y) / (δ_x δ_y + c s)`,
//!
//! a sum of non-negative terms in both numerator coefficient and denominator, so nothing
//! cancels when `x ≈ −y` near the boundary.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, Tile, TileKernel};
use super::lane::{Lane, TileLane};
use super::primitives::{clamp_norm, conformal_denominator, dot, sum2};
use super::real::Real;
use faer::{MatMut, MatRef, Par};

/// `(δ_x, δ_y, s, a, d)` with `x ⊕ y = (a x + δ_x y)/d`.
#[inline(always)]
fn coefficients<S: Lane>(c: f64, x: &[S], y: &[S]) -> (S, S, S, S, S) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    // ‖x + y‖² = ‖x − (−y)‖², formed without cancellation.
    let s = sum2(x, y);
    let cs = S::splat(c) * s;
    (dx, dy, s, dx + cs, dx.mul_add(dy, cs))
}

/// `out ← x ⊕_c y` for one point or tile (unprojected).
#[inline(always)]
pub(super) fn add<S: Lane>(c: f64, x: &[S], y: &[S], out: &mut [S]) {
    let (dx, _, _, a, d) = coefficients(c, x, y);
    let inv = S::splat(1.0) / d;
    let (a, b) = (a * inv, dx * inv);
    // Two rounded products (no fused multiply-add), so that (−x) ⊕ x is exactly 0.
    for ((o, xi), yi) in out.iter_mut().zip(x).zip(y) {
        *o = a * *xi + b * *yi;
    }
}

/// Adds the gradients of `⟨g, x ⊕_c y⟩` to `gx` and `gy`.
#[inline(always)]
pub(super) fn add_vjp<S: Lane>(c: f64, x: &[S], y: &[S], g: &[S], gx: &mut [S], gy: &mut [S]) {
    let (dx, dy, _, a, d) = coefficients(c, x, y);
    let b = dx;
    // out = n / d with n = a x + b y.
    let gn = S::splat(1.0) / d;
    let (gx_dot, gy_dot) = (dot(g, x), dot(g, y));
    let g_out = (a * gx_dot + b * gy_dot) * gn;
    let gd = -g_out * gn;
    let ga = gx_dot * gn;
    let gb = gy_dot * gn;
    let g_dx = ga + gb + gd * dy;
    let g_dy = gd * dx;
    let g_s = S::splat(c) * (ga + gd);
    let (kg_x, kg_y) = (a * gn, b * gn);
    let (kx, ky) = (S::splat(-2.0 * c) * g_dx, S::splat(-2.0 * c) * g_dy);
    let two_gs = S::splat(2.0) * g_s;
    for ((((gxi, gyi), gi), xi), yi) in gx.iter_mut().zip(gy.iter_mut()).zip(g).zip(x).zip(y) {
        let t = two_gs * (*xi + *yi);
        *gxi += kg_x.mul_add(*gi, kx.mul_add(*xi, t));
        *gyi += kg_y.mul_add(*gi, ky.mul_add(*yi, t));
    }
}

impl PoincareBall {
    /// Möbius addition `out = x ⊕_c y`, row by row (`n × d` each).
    pub fn mobius_add<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        let (c, max_norm) = (self.c, self.max_norm::<T>());
        map_tiles([x, y], [out], 0, par, AddTiles { c, max_norm });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, xᵢ ⊕_c yᵢ⟩` with respect to `x` and `y`.
    pub fn mobius_add_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_y: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_tiles([x, y, grad], [grad_x, grad_y], 0, par, AddVjpTiles { c });
        Ok(())
    }
}

struct AddTiles {
    c: f64,
    max_norm: f64,
}

impl TileKernel<2, 1> for AddTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let [x, y] = p.inputs;
        let [out] = p.outputs;
        add(self.c, x, y, out);
        clamp_norm(out, self.max_norm);
    }
}

struct AddVjpTiles {
    c: f64,
}

impl TileKernel<3, 2> for AddVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 2>) {
        let [x, y, g] = p.inputs;
        let [gx, gy] = p.outputs;
        gx.fill(S::splat(0.0));
        gy.fill(S::splat(0.0));
        add_vjp(self.c, x, y, g, gx, gy);
    }
}
