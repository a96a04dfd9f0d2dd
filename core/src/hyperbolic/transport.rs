//! Parallel transport of tangent vectors along geodesics, and its vector-Jacobian product.
//!
//! `P_{x→y}(v) = (λ_x/λ_y) gyr[y, −x] v = (δ_y/δ_x) gyr[y, −x] v` (`δ = 1 − c‖·‖²`,
//! compensated), computed with the gyration kernel (whose `s = y − x` is formed directly).
//! From and to the origin it reduces to `P_{0→y}(v) = δ_y v` and `P_{x→0}(v) = v/δ_x`.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, Tile, TileKernel};
use super::gyration::{gyr, gyr_vjp, GYR_VJP_SCRATCH};
use super::lane::{Lane, TileLane};
use super::primitives::{axpy, conformal_denominator, dot, scale, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `out ← P_{x→y}(v)` for one point or tile; `scratch` has length `2d`.
#[inline(always)]
pub(super) fn transport<S: Lane>(c: f64, x: &[S], y: &[S], v: &[S], scratch: &mut [S], out: &mut [S]) {
    let (neg_x, s) = scratch.split_at_mut(x.len());
    scaled(S::splat(-1.0), x, &mut *neg_x);
    gyr(c, y, neg_x, v, s, out);
    scale(conformal_denominator(c, y) / conformal_denominator(c, x), out);
}

/// Scratch of [`transport_vjp`], in multiples of `d`.
const TRANSPORT_VJP_SCRATCH: usize = 4 + GYR_VJP_SCRATCH;

/// Adds the gradients of `⟨g, P_{x→y}(v)⟩` to `gx`, `gy`, `gv`; `scratch` has length
/// `TRANSPORT_VJP_SCRATCH · d`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn transport_vjp<S: Lane>(
    c: f64,
    x: &[S],
    y: &[S],
    v: &[S],
    g: &[S],
    scratch: &mut [S],
    gx: &mut [S],
    gy: &mut [S],
    gv: &mut [S],
) {
    let d = x.len();
    let (neg_x, rest) = scratch.split_at_mut(d);
    let (gyr_v, rest) = rest.split_at_mut(d);
    let (rho_g, rest) = rest.split_at_mut(d);
    let (g_neg_x, rest) = rest.split_at_mut(d);
    let (dx, dy) = (conformal_denominator(c, x), conformal_denominator(c, y));
    let rho = dy / dx;
    scaled(S::splat(-1.0), x, &mut *neg_x);
    gyr(c, y, neg_x, v, &mut rest[..d], gyr_v);
    let g_rho = dot(g, gyr_v);
    scaled(rho, g, &mut *rho_g);
    g_neg_x.fill(S::splat(0.0));
    gyr_vjp(c, y, neg_x, v, rho_g, rest, gy, g_neg_x, gv);
    axpy(S::splat(-1.0), g_neg_x, gx);
    // ρ = δ_y/δ_x, δ = 1 − c‖·‖².
    axpy(S::splat(-2.0 * c) * g_rho / dx, y, gy);
    axpy(S::splat(2.0 * c) * g_rho * rho / dx, x, gx);
}

impl PoincareBall {
    /// Parallel transport `out = P_{x→y}(v)` row by row (`x`, `y` points, `v` tangent vectors at
    /// `x`; `n × d` each). Tangent vectors are not projected.
    pub fn transport<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        v: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols()), ("v", v.ncols()), ("out", out.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("v", v)?;
        let c = self.c;
        map_tiles([x, y, v], [out], 2 * d, par, TransportTiles { c });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, P_{xᵢ→yᵢ}(vᵢ)⟩` with respect to `x`, `y` and `v`.
    #[allow(clippy::too_many_arguments)]
    pub fn transport_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        v: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_y: MatMut<'_, T>,
        grad_v: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(
            d,
            &[
                ("y", y.ncols()),
                ("v", v.ncols()),
                ("grad", grad.ncols()),
                ("grad_x", grad_x.ncols()),
                ("grad_y", grad_y.ncols()),
                ("grad_v", grad_v.ncols()),
            ],
        );
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("v", v)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_tiles([x, y, v, grad], [grad_x, grad_y, grad_v], TRANSPORT_VJP_SCRATCH * d, par, TransportVjpTiles { c });
        Ok(())
    }

    /// `out = P_{0→y}(v) = (1 − c‖y‖²) v` row by row.
    pub fn transport_from_origin<T: Real>(
        &self,
        y: MatRef<'_, T>,
        v: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.scale_tangent(("y", y), ("v", v), 1, 1.0, out, par)
    }

    /// Gradients of `Σᵢ ⟨gᵢ, P_{0→yᵢ}(vᵢ)⟩` with respect to `y` and `v`.
    pub fn transport_from_origin_vjp<T: Real>(
        &self,
        y: MatRef<'_, T>,
        v: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_y: MatMut<'_, T>,
        grad_v: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.scale_tangent_vjp(("y", y), ("v", v), 1, 1.0, grad, grad_y, grad_v, par)
    }

    /// `out = P_{x→0}(v) = v / (1 − c‖x‖²)` row by row.
    pub fn transport_to_origin<T: Real>(
        &self,
        x: MatRef<'_, T>,
        v: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.scale_tangent(("x", x), ("v", v), -1, 1.0, out, par)
    }

    /// Gradients of `Σᵢ ⟨gᵢ, P_{xᵢ→0}(vᵢ)⟩` with respect to `x` and `v`.
    pub fn transport_to_origin_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        v: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_v: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        self.scale_tangent_vjp(("x", x), ("v", v), -1, 1.0, grad, grad_x, grad_v, par)
    }
}

struct TransportTiles {
    c: f64,
}

impl TileKernel<3, 1> for TransportTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 1>) {
        let &Self { c } = self;
        let [x, y, v] = p.inputs;
        transport(c, x, y, v, p.scratch, p.outputs[0]);
    }
}

struct TransportVjpTiles {
    c: f64,
}

impl TileKernel<4, 3> for TransportVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 4, 3>) {
        let &Self { c } = self;
        let [x, y, v, g] = p.inputs;
        let [gx, gy, gv] = p.outputs;
        gx.fill(S::splat(0.0));
        gy.fill(S::splat(0.0));
        gv.fill(S::splat(0.0));
        transport_vjp(c, x, y, v, g, p.scratch, gx, gy, gv);
    }
}
