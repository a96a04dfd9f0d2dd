//! The gyration `gyr[u,v]w = ⊖(u ⊕ v) ⊕ (u ⊕ (v ⊕ w))` and its vector-Jacobian product.
//!
//! The closed form is `w + 2(A u + B v)/D` with
//! `A = −c²⟨u,w⟩‖v‖² + c⟨v,w⟩ + 2c²⟨u,v⟩⟨v,w⟩`, `B = −c²⟨v,w⟩‖u‖² − c⟨u,w⟩`,
//! `D = 1 + 2c⟨u,v⟩ + c²‖u‖²‖v‖² = δ_uδ_v + c‖s‖²` (`s = u + v`, `δ_u = 1 − c‖u‖²`).
//! Substituting `v = s − u` gives the same vector as
//!
//! `gyr[u,v]w = w + 2(C_u u + C_s s)/D`,
//! `C_u = c(⟨s,w⟩(δ_u + 2c⟨u,s⟩) − c⟨u,w⟩‖s‖²)`, `C_s = −c(⟨u,w⟩δ_u + c⟨s,w⟩‖u‖²)`,
//!
//! in which every term vanishes with `‖s‖` or `δ_u`: at `u ≈ −v` near the boundary, where
//! `D ≈ δ²`, `A u + B v` would be the difference of terms of size `c‖w‖` while `C_u`, `C_s` keep
//! their relative accuracy.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, Tile, TileKernel};
use super::lane::{Lane, TileLane};
use super::primitives::{axpy, conformal_denominator, dot, lincomb, norm2};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// Scratch needed by [`gyr_vjp`], in multiples of `d` ([`gyr`] needs one).
pub(super) const GYR_VJP_SCRATCH: usize = 2;

/// Scalars of the closed form; `s = u + v` is left in the caller's buffer.
struct Terms<S> {
    du: S,
    dv: S,
    /// `⟨s, w⟩`, `⟨u, w⟩`, `⟨u, s⟩`, `‖s‖²`, `‖u‖²`.
    sw: S,
    uw: S,
    us: S,
    ss: S,
    uu: S,
    cu: S,
    cs: S,
    d: S,
}

#[inline(always)]
fn terms<S: Lane>(c: f64, u: &[S], v: &[S], w: &[S], s: &mut [S]) -> Terms<S> {
    let one = S::splat(1.0);
    lincomb(one, u, one, v, s);
    let s = &*s;
    let (du, dv) = (conformal_denominator(c, u), conformal_denominator(c, v));
    let (sw, uw, us, ss, uu) = (dot(s, w), dot(u, w), dot(u, s), norm2(s), norm2(u));
    let cv = S::splat(c);
    let cu = cv * (sw * (du + S::splat(2.0 * c) * us) - cv * uw * ss);
    let cs = -cv * (uw * du + cv * sw * uu);
    Terms { du, dv, sw, uw, us, ss, uu, cu, cs, d: du.mul_add(dv, cv * ss) }
}

/// `out ← gyr[u,v]w` for one point or tile; `s` is scratch of length `d`.
#[inline(always)]
pub(super) fn gyr<S: Lane>(c: f64, u: &[S], v: &[S], w: &[S], s: &mut [S], out: &mut [S]) {
    let t = terms(c, u, v, w, s);
    let k = S::splat(2.0) / t.d;
    let (ku, ks) = (k * t.cu, k * t.cs);
    for (((o, wi), ui), si) in out.iter_mut().zip(w).zip(u).zip(s.iter()) {
        *o = ku.mul_add(*ui, ks.mul_add(*si, *wi));
    }
}

/// Adds the gradients of `⟨g, gyr[u,v]w⟩` to `gu`, `gv`, `gw`; `scratch` has length
/// `GYR_VJP_SCRATCH · d`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn gyr_vjp<S: Lane>(
    c: f64,
    u: &[S],
    v: &[S],
    w: &[S],
    g: &[S],
    scratch: &mut [S],
    gu: &mut [S],
    gv: &mut [S],
    gw: &mut [S],
) {
    let (s, gs) = scratch.split_at_mut(u.len());
    let t = terms(c, u, v, w, s);
    let s = &*s;
    let (cv, c2) = (S::splat(c), S::splat(c * c));
    let (one, two) = (S::splat(1.0), S::splat(2.0));
    let k = two / t.d;
    let (g_u, g_s) = (dot(g, u), dot(g, s));
    let (g_cu, g_cs) = (k * g_u, k * g_s);
    let g_d = -(t.cu * g_u + t.cs * g_s) * k / t.d;
    let g_sw = g_cu * cv * (t.du + two * cv * t.us) - g_cs * c2 * t.uu;
    let g_us = g_cu * two * c2 * t.sw;
    let g_uw = -g_cu * c2 * t.ss - g_cs * cv * t.du;
    let g_ss = -g_cu * c2 * t.uw + g_d * cv;
    let g_du = g_cu * cv * t.sw - g_cs * cv * t.uw + g_d * t.dv;
    let g_dv = g_d * t.du;
    let g_uu = -g_cs * c2 * t.sw - cv * g_du;
    // w: identity, ⟨s,w⟩, ⟨u,w⟩.
    axpy(one, g, gw);
    axpy(g_sw, s, gw);
    axpy(g_uw, u, gw);
    // s = u + v: output, ⟨s,w⟩, ‖s‖², ⟨u,s⟩.
    lincomb(k * t.cs, g, g_sw, w, &mut gs[..]);
    axpy(two * g_ss, s, gs);
    axpy(g_us, u, gs);
    // u: output, ⟨u,w⟩, ⟨u,s⟩, ‖u‖² (with δ_u), and through s.
    axpy(k * t.cu, g, gu);
    axpy(g_uw, w, gu);
    axpy(g_us, s, gu);
    axpy(two * g_uu, u, gu);
    axpy(one, gs, gu);
    // v: δ_v, and through s.
    axpy(S::splat(-2.0 * c) * g_dv, v, gv);
    axpy(one, gs, gv);
}

impl PoincareBall {
    /// Gyration `out = gyr[u,v]w` row by row (`u`, `v` points; `w` any vectors; `n × d` each).
    /// A linear isometry of `w`, so the output is not projected.
    pub fn gyration<T: Real>(
        &self,
        u: MatRef<'_, T>,
        v: MatRef<'_, T>,
        w: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(u.ncols(), &[("v", v.ncols()), ("w", w.ncols()), ("out", out.ncols())]);
        self.check_points("u", u)?;
        self.check_points("v", v)?;
        self.check_finite("w", w)?;
        let c = self.c;
        map_tiles([u, v, w], [out], u.ncols(), par, GyrTiles { c });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, gyr[uᵢ,vᵢ]wᵢ⟩` with respect to `u`, `v` and `w`.
    #[allow(clippy::too_many_arguments)]
    pub fn gyration_vjp<T: Real>(
        &self,
        u: MatRef<'_, T>,
        v: MatRef<'_, T>,
        w: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_u: MatMut<'_, T>,
        grad_v: MatMut<'_, T>,
        grad_w: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = u.ncols();
        assert_width(
            d,
            &[
                ("v", v.ncols()),
                ("w", w.ncols()),
                ("grad", grad.ncols()),
                ("grad_u", grad_u.ncols()),
                ("grad_v", grad_v.ncols()),
                ("grad_w", grad_w.ncols()),
            ],
        );
        self.check_points("u", u)?;
        self.check_points("v", v)?;
        self.check_finite("w", w)?;
        self.check_finite("grad", grad)?;
        let c = self.c;
        map_tiles([u, v, w, grad], [grad_u, grad_v, grad_w], GYR_VJP_SCRATCH * d, par, GyrVjpTiles { c });
        Ok(())
    }
}

struct GyrTiles {
    c: f64,
}

impl TileKernel<3, 1> for GyrTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 1>) {
        let &Self { c } = self;
        let [u, v, w] = p.inputs;
        gyr(c, u, v, w, p.scratch, p.outputs[0]);
    }
}

struct GyrVjpTiles {
    c: f64,
}

impl TileKernel<4, 3> for GyrVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 4, 3>) {
        let &Self { c } = self;
        let [u, v, w, g] = p.inputs;
        let [gu, gv, gw] = p.outputs;
        gu.fill(S::splat(0.0));
        gv.fill(S::splat(0.0));
        gw.fill(S::splat(0.0));
        gyr_vjp(c, u, v, w, g, p.scratch, gu, gv, gw);
    }
}
