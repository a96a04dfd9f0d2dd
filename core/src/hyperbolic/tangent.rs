//! The conformal factor `λ_x = 2/δ_x` (`δ_x = 1 − c‖x‖²`, compensated) and the tangent-vector
//! rescalings by powers of it: `egrad_to_rgrad` here, transport to and from the origin in
//! `transport.rs`. All are `out = k δ_x^p v`, one kernel with its VJP.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, map_vectors, Tile, TileKernel, VectorKernel};
use super::vectors::{Vectors, VectorsMut};
use super::lane::{Lane, TileLane};
use super::primitives::{conformal_denominator, dot, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `d^p` by repeated multiplication (`p` is a small constant of the operation).
#[inline(always)]
fn powi<S: Lane>(d: S, p: i32) -> S {
    let mut r = S::splat(1.0);
    for _ in 0..p.unsigned_abs() {
        r *= d;
    }
    if p < 0 {
        S::splat(1.0) / r
    } else {
        r
    }
}

/// `out ← k δ_x^p v` for one point or tile.
#[inline(always)]
pub(super) fn conformal_scale<S: Lane, A: Vectors<S>>(c: f64, x: A, v: A, p: i32, k: f64, out: impl VectorsMut<S, A>) {
    scaled(S::splat(k) * powi(conformal_denominator(c, x), p), v, out);
}

/// Writes the gradients of `⟨g, k δ_x^p v⟩` to `gx` and `gv`:
/// `gv = k δ^p g`, `gx = −2c k p δ^(p−1) ⟨g, v⟩ x`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn conformal_scale_vjp<S: Lane, A: Vectors<S>>(
    c: f64,
    x: A,
    v: A,
    p: i32,
    k: f64,
    g: A,
    gx: impl VectorsMut<S, A>,
    gv: impl VectorsMut<S, A>,
) {
    let d = conformal_denominator(c, x);
    let dp1 = powi(d, p - 1);
    scaled(S::splat(k) * dp1 * d, g, gv);
    scaled(S::splat(-2.0 * c * k * p as f64) * dp1 * dot(g, v), x, gx);
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
        map_tiles([x], [out], 0, par, LambdaTiles { c });
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
        map_tiles([x, grad], [grad_x], 0, par, LambdaVjpTiles { c });
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
        map_vectors([x, v], [out], par, ScaleTangentTiles { c, p, k });
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
        map_vectors([x, v, grad], [grad_x, grad_v], par, ScaleTangentVjpTiles { c, p, k });
        Ok(())
    }
}

struct LambdaTiles {
    c: f64,
}

impl TileKernel<1, 1> for LambdaTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 1, 1>) {
        let &Self { c } = self;
        p.outputs[0][0] = S::splat(2.0) / conformal_denominator(c, p.inputs[0]);
    }
}

struct LambdaVjpTiles {
    c: f64,
}

impl TileKernel<2, 1> for LambdaVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let &Self { c } = self;
        let [x, g] = p.inputs;
        let d = conformal_denominator(c, x);
        scaled(S::splat(4.0 * c) * g[0] / (d * d), x, &mut *p.outputs[0]);
    }
}

struct ScaleTangentTiles {
    c: f64,
    p: i32,
    k: f64,
}

impl VectorKernel<2, 1> for ScaleTangentTiles {
    #[inline(always)]
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, [x, v]: [A; 2], [out]: [O; 1]) {
        let &Self { c, p, k } = self;
        conformal_scale(c, x, v, p, k, out);
    }
}

struct ScaleTangentVjpTiles {
    c: f64,
    p: i32,
    k: f64,
}

impl VectorKernel<3, 2> for ScaleTangentVjpTiles {
    #[inline(always)]
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, [x, v, g]: [A; 3], [gx, gv]: [O; 2]) {
        let &Self { c, p, k } = self;
        conformal_scale_vjp(c, x, v, p, k, g, gx, gv);
    }
}
