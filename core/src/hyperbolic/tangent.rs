//! The conformal factor `λ_x = 2/δ_x` (`δ_x = 1 − c‖x‖²`, compensated) and the tangent-vector
//! rescalings by powers of it: `egrad_to_rgrad` here, transport to and from the origin in
//! `transport.rs`. All are `out = k δ_x^p v`, one kernel with its VJP.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_rows, Needs};
use super::primitives::{axpy, conformal_denominator, dot, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `out ← k δ_x^p v` for one point.
#[inline(always)]
pub(super) fn conformal_scale(c: f64, x: &[f64], v: &[f64], p: i32, k: f64, out: &mut [f64]) {
    scaled(k * conformal_denominator(c, x).powi(p), v, out);
}

/// Adds the gradients of `⟨g, k δ_x^p v⟩` to `gx` and `gv`:
/// `gv += k δ^p g`, `gx += −2c k p δ^(p−1) ⟨g, v⟩ x`.
#[inline(always)]
pub(super) fn conformal_scale_vjp(
    c: f64,
    x: &[f64],
    v: &[f64],
    p: i32,
    k: f64,
    g: &[f64],
    gx: &mut [f64],
    gv: &mut [f64],
) {
    let d = conformal_denominator(c, x);
    axpy(k * d.powi(p), g, gv);
    axpy(-2.0 * c * k * p as f64 * d.powi(p - 1) * dot(g, v), x, gx);
}

impl PoincareBall {
    /// Conformal factor `λ_x = 2/(1 − c‖x‖²)` of every row of `x` (`n × d`) into `out` (`n × 1`).
    pub fn conformal_factor<T: Real>(
        &self,
        x: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(1, &[("out", out.ncols())]);
        self.check_points("x", x)?;
        let c = self.c;
        map_rows([x], [out], Needs::default(), par, #[inline(always)] |p| {
            p.outputs[0][0] = 2.0 / conformal_denominator(c, p.inputs[0]);
        });
        Ok(())
    }

    /// Gradient of `Σᵢ gᵢ λ_{xᵢ}` with respect to `x`: `grad_x = g · 4c/δ² · x` (`grad`: `n × 1`).
    pub fn conformal_factor_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(1, &[("grad", grad.ncols())]);
        assert_width(x.ncols(), &[("grad_x", grad_x.ncols())]);
        self.check_points("x", x)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_rows([x, grad], [grad_x], Needs::default(), par, #[inline(always)] |p| {
            let [x, g] = p.inputs;
            let d = conformal_denominator(c, x);
            scaled(4.0 * c * g[0] / (d * d), x, p.outputs[0]);
        });
        Ok(())
    }

    /// Riemannian gradient from the Euclidean one: `out = g / λ_x² = g (1 − c‖x‖²)²/4`.
    pub fn egrad_to_rgrad<T: Real>(
        &self,
        x: MatRef<'_, T>,
        g: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.scale_tangent(("x", x), ("g", g), 2, 0.25, out, par)
    }

    /// Gradients of `Σᵢ ⟨gradᵢ, egrad_to_rgrad(xᵢ, gᵢ)⟩` with respect to `x` and `g`.
    pub fn egrad_to_rgrad_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        g: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_g: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.scale_tangent_vjp(("x", x), ("g", g), 2, 0.25, grad, grad_x, grad_g, par)
    }

    /// `out = k δ_x^p v` row by row, after validating `x` (points) and `v` (finite); the names
    /// are those reported in errors.
    pub(super) fn scale_tangent<T: Real>(
        &self,
        (name, x): (&'static str, MatRef<'_, T>),
        (vname, v): (&'static str, MatRef<'_, T>),
        p: i32,
        k: f64,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(x.ncols(), &[(vname, v.ncols()), ("out", out.ncols())]);
        self.check_points(name, x)?;
        self.check_finite(vname, v)?;
        let c = self.c;
        map_rows([x, v], [out], Needs::default(), par, #[inline(always)] |pt| {
            let [x, v] = pt.inputs;
            conformal_scale(c, x, v, p, k, pt.outputs[0]);
        });
        Ok(())
    }

    /// VJP of [`Self::scale_tangent`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scale_tangent_vjp<T: Real>(
        &self,
        (name, x): (&'static str, MatRef<'_, T>),
        (vname, v): (&'static str, MatRef<'_, T>),
        p: i32,
        k: f64,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_v: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(
            x.ncols(),
            &[(vname, v.ncols()), ("grad", grad.ncols()), ("grad_x", grad_x.ncols()), ("grad_v", grad_v.ncols())],
        );
        self.check_points(name, x)?;
        self.check_finite(vname, v)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_rows([x, v, grad], [grad_x, grad_v], Needs::default(), par, #[inline(always)] |pt| {
            let [x, v, g] = pt.inputs;
            let [gx, gv] = pt.outputs;
            gx.fill(0.0);
            gv.fill(0.0);
            conformal_scale_vjp(c, x, v, p, k, g, gx, gv);
        });
        Ok(())
    }
}
