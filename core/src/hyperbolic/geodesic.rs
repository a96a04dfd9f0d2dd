//! The geodesic through two points, `γ(t) = x ⊕ (t ⊗ ((−x) ⊕ y))`, and its VJP.
//!
//! The Möbius scalar multiple is `t ⊗ w = exp₀(t log₀(w))`, so `γ(t) = x ⊕ exp₀(t log₀(w))`,
//! composed from the kernels of `maps.rs`: `log₀(w)` uses the closed-form `1 − c‖w‖²` (stable
//! near the boundary), `exp₀` saturates instead of overflowing for any finite `t`, and the
//! intermediate point is kept strictly inside the ball before the final addition.
//! `γ(0) = x`, `γ(1) = y`, and `d_c(x, γ(t)) = |t| d_c(x, y)`.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, Tile, TileKernel};
use super::lane::{Lane, TileLane};
use super::maps::{exp0, exp0_vjp, log_sub, log_sub_vjp};
use super::mobius::{add, add_vjp};
use super::primitives::clamp_norm;
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `l ← log₀((−x) ⊕ y)`, `e ← t ⊗ ((−x) ⊕ y) = exp₀(t l)`, pulled to at most `max_e`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn step<S: Lane>(c: f64, sqrt_c: f64, max_e: f64, x: &[S], y: &[S], t: S, l: &mut [S], e: &mut [S]) {
    log_sub(c, sqrt_c, x, y, l);
    exp0(sqrt_c, t, &*l, e);
    clamp_norm(e, max_e);
}

impl PoincareBall {
    /// Points `out[i] = γᵢ(tᵢ)` on the geodesics through `xᵢ` (at `t = 0`) and `yᵢ` (at `t = 1`)
    /// (`x`, `y`, `out`: `n × d`; `t`: `n × 1`, any finite value).
    pub fn geodesic<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        t: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols()), ("out", out.ncols())]);
        assert_width(1, &[("t", t.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("t", t)?;
        let (c, sqrt_c, max_norm) = (self.c, self.sqrt_c, self.max_norm::<T>());
        let max_e = self.max_norm::<f64>();
        map_tiles([x, y, t], [out], 2 * d, par, GeodesicTiles { c, sqrt_c, max_e, max_norm, d });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, γᵢ(tᵢ)⟩` with respect to `x`, `y` (`n × d`) and `t` (`n × 1`).
    #[allow(clippy::too_many_arguments)]
    pub fn geodesic_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        t: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_y: MatMut<'_, T>,
        grad_t: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols()), ("grad", grad.ncols()), ("grad_x", grad_x.ncols()), ("grad_y", grad_y.ncols())]);
        assert_width(1, &[("t", t.ncols()), ("grad_t", grad_t.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("t", t)?;
        self.check_finite("grad", grad)?;
        let (c, sqrt_c, max_e) = (self.c, self.sqrt_c, self.max_norm::<f64>());
        map_tiles([x, y, t, grad], [grad_x, grad_y, grad_t], 4 * d, par, GeodesicVjpTiles { c, sqrt_c, max_e, d });
        Ok(())
    }
}

struct GeodesicTiles {
    c: f64,
    sqrt_c: f64,
    max_e: f64,
    max_norm: f64,
    d: usize,
}

impl TileKernel<3, 1> for GeodesicTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 1>) {
        let &Self { c, sqrt_c, max_e, max_norm, d } = self;
        let [x, y, t] = p.inputs;
        let [out] = p.outputs;
        let (l, e) = p.scratch[..2 * d].split_at_mut(d);
        step(c, sqrt_c, max_e, x, y, t[0], l, e);
        add(c, x, e, out);
        clamp_norm(out, max_norm);
    }
}

struct GeodesicVjpTiles {
    c: f64,
    sqrt_c: f64,
    max_e: f64,
    d: usize,
}

impl TileKernel<4, 3> for GeodesicVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 4, 3>) {
        let &Self { c, sqrt_c, max_e, d } = self;
        let [x, y, t, g] = p.inputs;
        let [gx, gy, gt] = p.outputs;
        let (l, rest) = p.scratch[..4 * d].split_at_mut(d);
        let (e, rest) = rest.split_at_mut(d);
        let (ge, gl) = rest.split_at_mut(d);
        step(c, sqrt_c, max_e, x, y, t[0], l, e);
        for b in [&mut *gx, &mut *gy, &mut *ge, &mut *gl] {
            b.fill(S::splat(0.0));
        }
        add_vjp(c, x, e, g, gx, ge);
        gt[0] = exp0_vjp(sqrt_c, t[0], l, ge, gl);
        log_sub_vjp(c, sqrt_c, x, y, S::splat(1.0), gl, gx, gy, e);
    }
}
