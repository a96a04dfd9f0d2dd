//! Projection onto the ball `‖x‖ ≤ max_norm::<T>()` and its vector-Jacobian product.
//!
//! `project(x) = x` when `‖x‖ ≤ m`, else `(m/‖x‖) x`, with `‖x‖` free of overflow for any
//! finite `x`. Outside, the Jacobian is `(m/‖x‖)(I − x̂x̂ᵀ)`.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_rows, Needs};
use super::primitives::{axpy, norm, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `out ← project(x)` for one point, onto norm at most `m`.
#[inline(always)]
pub(super) fn project(x: &[f64], m: f64, out: &mut [f64]) {
    let n = norm(x);
    scaled(if n > m { m / n } else { 1.0 }, x, out);
}

/// Adds the gradient of `⟨g, project(x)⟩` to `gx`.
#[inline(always)]
pub(super) fn project_vjp(x: &[f64], m: f64, g: &[f64], gx: &mut [f64]) {
    let n = norm(x);
    if n <= m {
        axpy(1.0, g, gx);
        return;
    }
    // ⟨g, x̂⟩ with x̂ formed first, so that huge x do not overflow.
    let g_xhat: f64 = g.iter().zip(x).map(|(gi, xi)| gi * (xi / n)).sum();
    for ((o, gi), xi) in gx.iter_mut().zip(g).zip(x) {
        *o += m / n * (gi - g_xhat * (xi / n));
    }
}

impl PoincareBall {
    /// Pulls every row of `x` (any finite vector) to norm at most `max_norm::<T>()`; rows
    /// already inside are copied unchanged.
    pub fn project<T: Real>(&self, x: MatRef<'_, T>, out: MatMut<'_, T>, par: Par) -> Result<(), HyperbolicError> {
        assert_width(x.ncols(), &[("out", out.ncols())]);
        self.check_finite("x", x)?;
        let m = self.max_norm::<T>();
        map_rows([x], [out], Needs::default(), par, #[inline(always)] |p| project(p.inputs[0], m, p.outputs[0]));
        Ok(())
    }

    /// Gradient of `Σᵢ ⟨gᵢ, project(xᵢ)⟩` with respect to `x`.
    pub fn project_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(x.ncols(), &[("grad", grad.ncols()), ("grad_x", grad_x.ncols())]);
        self.check_finite("x", x)?;
        self.check_finite("grad", grad)?;
        let m = self.max_norm::<T>();
        map_rows([x, grad], [grad_x], Needs::default(), par, #[inline(always)] |p| {
            let [x, g] = p.inputs;
            let [gx] = p.outputs;
            gx.fill(0.0);
            project_vjp(x, m, g, gx);
        });
        Ok(())
    }
}
