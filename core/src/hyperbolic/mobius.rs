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
use super::batch::{map_rows, Needs};
use super::primitives::{axpy, clamp_norm, conformal_denominator, dot, sum2};
use super::real::Real;
use faer::{MatMut, MatRef, Par};

/// `out ← x ⊕_c y` for one point (unprojected).
#[inline(always)]
pub(super) fn add(c: f64, x: &[f64], y: &[f64], out: &mut [f64]) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let s = neg_dist2(x, y);
    let (a, b, d) = (dx + c * s, dx, dx * dy + c * s);
    for ((o, xi), yi) in out.iter_mut().zip(x).zip(y) {
        *o = (a * xi + b * yi) / d;
    }
}

/// Adds the gradients of `⟨g, x ⊕_c y⟩` to `gx` and `gy`.
#[inline(always)]
pub(super) fn add_vjp(c: f64, x: &[f64], y: &[f64], g: &[f64], gx: &mut [f64], gy: &mut [f64]) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let s = neg_dist2(x, y);
    let (a, b, d) = (dx + c * s, dx, dx * dy + c * s);
    // out = n / d with n = a x + b y.
    let gn = 1.0 / d;
    let (gx_dot, gy_dot) = (dot(g, x), dot(g, y));
    let g_out = (a * gx_dot + b * gy_dot) / d;
    let gd = -g_out / d;
    let ga = gx_dot * gn;
    let gb = gy_dot * gn;
    let g_dx = ga + gb + gd * dy;
    let g_dy = gd * dx;
    let g_s = c * (ga + gd);
    axpy(a * gn, g, gx);
    axpy(b * gn, g, gy);
    axpy(-2.0 * c * g_dx, x, gx);
    axpy(-2.0 * c * g_dy, y, gy);
    for (((gxi, gyi), xi), yi) in gx.iter_mut().zip(gy.iter_mut()).zip(x).zip(y) {
        let t = 2.0 * g_s * (xi + yi);
        *gxi += t;
        *gyi += t;
    }
}

/// `‖x + y‖² = ‖x − (−y)‖²`, formed without cancellation.
#[inline(always)]
fn neg_dist2(x: &[f64], y: &[f64]) -> f64 {
    sum2(x, y)
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
        map_rows([x, y], [out], Needs::default(), par, #[inline(always)] |p| {
            let [x, y] = p.inputs;
            let [out] = p.outputs;
            add(c, x, y, out);
            clamp_norm(out, max_norm);
        });
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
        map_rows([x, y, grad], [grad_x, grad_y], Needs::default(), par, #[inline(always)] |p| {
            let [x, y, g] = p.inputs;
            let [gx, gy] = p.outputs;
            gx.fill(0.0);
            gy.fill(0.0);
            add_vjp(c, x, y, g, gx, gy);
        });
        Ok(())
    }
}
