//! Möbius scalar multiplication `r ⊗_c x` and its vector-Jacobian product.
//!
//! With `z = √c‖x‖`, `δ = 1 − c‖x‖²` (compensated), `a = artanh z` (from `1 − z = δ/(1 + z)`,
//! no cancellation) and `u = r a`:
//!
//! `r ⊗ x = s x`, `s = tanh(u)/z` (`s = r` at `x = 0`, the limit).
//!
//! The Jacobian in `x` is `s (I − x̂x̂ᵀ) + (r sech²u / δ) x̂x̂ᵀ` (tangential scaling `s`, radial
//! derivative `d‖out‖/d‖x‖ = r sech²u/δ`); `∂s/∂r = a sech²u / z` (`1` at `x = 0`).
//! `sech²u = 4e/(1 + e)²`, `e = e^{−2|u|}`, underflows to 0 rather than cancelling as `1 − tanh²u` would.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, Tile, TileKernel};
use super::elementary::tanh_sech2;
use super::lane::{Lane, TileLane};
use super::primitives::{artanh_with_complement, clamp_norm, conformal_denominator, dot, norm, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `tanh(ρ artanh z)` and the pieces of its derivatives, for `z = √c‖x‖ ∈ [0, 1)`.
pub(super) struct Profile<S> {
    /// `δ = 1 − z²`.
    pub delta: S,
    /// `a = artanh z`.
    pub a: S,
    /// `tanh(ρ a)`.
    pub t: S,
    /// `sech²(ρ a)`.
    pub sech2: S,
}

impl<S: Lane> Profile<S> {
    #[inline(always)]
    pub fn new(z: S, delta: S, rho: S) -> Self {
        let a = artanh_with_complement(z, delta / (S::splat(1.0) + z));
        let (t, sech2) = tanh_sech2(rho * a);
        Self { delta, a, t, sech2 }
    }
}

/// `(s, profile, ‖x‖, z, at_zero)` with `r ⊗ x = s x`; at `x = 0` (`at_zero`) `s = r` and the
/// profile and `z` are those of a stand-in `‖x‖ = 1/(2√c)` (finite, unused).
#[inline(always)]
fn factor<S: Lane>(c: f64, r: S, x: &[S]) -> (S, Profile<S>, S, S, S::Mask) {
    let n = norm(x);
    let zero = n.eq(S::splat(0.0));
    let sqrt_c = S::splat(c.sqrt());
    let n = S::select(zero, S::splat(0.5 / c.sqrt()), n);
    let z = sqrt_c * n;
    let delta = S::select(zero, S::splat(0.75), conformal_denominator(c, x));
    let prof = Profile::new(z, delta, r);
    (S::select(zero, r, prof.t / z), prof, n, z, zero)
}

/// `out ← r ⊗_c x` for one point or tile (unprojected).
#[inline(always)]
pub(super) fn mul<S: Lane>(c: f64, r: S, x: &[S], out: &mut [S]) {
    scaled(factor(c, r, x).0, x, out);
}

/// Writes the gradients of `⟨g, r ⊗_c x⟩` to `gr` and `gx`.
#[inline(always)]
pub(super) fn mul_vjp<S: Lane>(c: f64, r: S, x: &[S], g: &[S], gr: &mut S, gx: &mut [S]) {
    let (s, p, n, z, zero) = factor(c, r, x);
    // ⟨g, x̂⟩ and x̂ are formed before any product: s can be ~1/z for tiny x.
    let g_xhat = dot(g, x) / n;
    let d_r = g_xhat * n * p.a * p.sech2 / z;
    // At x = 0: ∂s/∂r = 1, so ∂⟨g, r ⊗ x⟩/∂r = ⟨g, x⟩ = 0, and ∇_x = r g.
    *gr = S::select(zero, S::splat(0.0), d_r);
    let coef = S::select(zero, S::splat(0.0), (r * p.sech2 / p.delta - s) * g_xhat);
    for ((o, gi), xi) in gx.iter_mut().zip(g).zip(x) {
        *o = s.mul_add(*gi, coef * (*xi / n));
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
        map_tiles([r, x], [out], 0, par, MulTiles { c, max_norm });
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
        map_tiles([r, x, grad], [grad_r, grad_x], 0, par, MulVjpTiles { c });
        Ok(())
    }
}

struct MulTiles {
    c: f64,
    max_norm: f64,
}

impl TileKernel<2, 1> for MulTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let &Self { c, max_norm } = self;
        let [r, x] = p.inputs;
        let [out] = p.outputs;
        mul(c, r[0], x, out);
        clamp_norm(out, max_norm);
    }
}

struct MulVjpTiles {
    c: f64,
}

impl TileKernel<3, 2> for MulVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 2>) {
        let &Self { c } = self;
        let [r, x, g] = p.inputs;
        let [gr, gx] = p.outputs;
        mul_vjp(c, r[0], x, g, &mut gr[0], gx);
    }
}
