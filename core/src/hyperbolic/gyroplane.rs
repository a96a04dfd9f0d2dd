//! Signed distance to gyroplanes (Ganea et al. 2018, the gyroplane layer of the Poincaré VAE).
//!
//! The gyroplane through `p` with normal `a` (a tangent vector at `p`) is
//! `H = { x : ⟨(−p) ⊕ x, a⟩ = 0 }`, and the signed distance of `x` to it is
//!
//! `d(x, H) = arsinh(2√c ⟨w, a⟩ / ((1 − c‖w‖²) ‖a‖)) / √c`, `w = (−p) ⊕ x`.
//!
//! With `w = (δ_p e − c s p)/D` (`e = x − p`, `s = ‖e‖²`) and `1 − c‖w‖² = δ_p δ_x / D`, the
//! denominator `D` cancels and the argument is formed without ever building `w`:
//!
//! `z = 2√c (δ_p ⟨e, â⟩ − c s ⟨p, â⟩) / (δ_p δ_x)`, `â = a/‖a‖`,
//!
//! accurate up to the boundary (the only cancellation left is the genuine one of a point near
//! its plane). The distance is invariant under `a → λa` (`λ > 0`) and odd under `a → −a`; its
//! gradient with respect to `a` is orthogonal to `a`. A zero normal defines no plane: rows of
//! `a` that are exactly zero are rejected with [`HyperbolicError::ZeroNormal`].

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_rows, map_tiles, Tile, TileKernel};
use super::lane::{Lane, TileLane};
use super::primitives::{arsinh, conformal_denominator, dot, norm_scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::reborrow::ReborrowMut;
use faer::{MatMut, MatRef, Par};

/// The planes in `f64`, with the per-plane constants.
struct Planes {
    d: usize,
    /// `p`, row-major `K × d`.
    p: Vec<f64>,
    /// `â = a/‖a‖`, row-major `K × d`.
    a_hat: Vec<f64>,
    /// `‖a‖`.
    a_norm: Vec<f64>,
    /// `δ_p = 1 − c‖p‖²`.
    dp: Vec<f64>,
    /// `⟨p, â⟩`.
    beta: Vec<f64>,
}

/// One plane's data and `(α, s, z)` at a point or tile: `α = ⟨x − p, â⟩`, `s = ‖x − p‖²`,
/// `z` the arsinh argument (`dx = δ_x`).
struct At<'a, S> {
    p: &'a [f64],
    a_hat: &'a [f64],
    dp: f64,
    beta: f64,
    alpha: S,
    s: S,
    z: S,
}

impl Planes {
    /// Validates `p` (points) and `a` (finite, non-zero rows) and widens them.
    fn new<T: Real>(
        ball: &PoincareBall,
        p: MatRef<'_, T>,
        a: MatRef<'_, T>,
    ) -> Result<Self, HyperbolicError> {
        ball.check_points("p", p)?;
        ball.check_finite("a", a)?;
        let (kk, d) = (p.nrows(), p.ncols());
        let widen = |m: MatRef<'_, T>| {
            let mut v = Vec::with_capacity(kk * d);
            (0..kk).for_each(|i| v.extend(m.row(i).iter().map(|x| x.to_f64())));
            v
        };
        let mut planes = Self {
            d,
            p: widen(p),
            a_hat: widen(a),
            a_norm: Vec::with_capacity(kk),
            dp: Vec::with_capacity(kk),
            beta: Vec::with_capacity(kk),
        };
        for k in 0..kk {
            let rows = k * d..(k + 1) * d;
            let a = &mut planes.a_hat[rows.clone()];
            let (sigma, r) = norm_scaled(a);
            if r == 0.0 {
                return Err(HyperbolicError::ZeroNormal { input: "a", row: k });
            }
            a.iter_mut().for_each(|v| *v = *v / sigma / r);
            let p = &planes.p[rows.clone()];
            planes.a_norm.push(sigma * r);
            planes.dp.push(conformal_denominator(ball.c, p));
            planes.beta.push(dot(p, &planes.a_hat[rows]));
        }
        Ok(planes)
    }

    #[inline(always)]
    fn at<S: Lane>(&self, k: usize, c: f64, sqrt_c: f64, x: &[S], dx: S) -> At<'_, S> {
        let r = k * self.d..(k + 1) * self.d;
        let (p, a_hat) = (&self.p[r.clone()], &self.a_hat[r]);
        let (dp, beta) = (self.dp[k], self.beta[k]);
        let zero = S::splat(0.0);
        let (alpha, s) = x.iter().zip(p).zip(a_hat).fold((zero, zero), |(alpha, s), ((xi, pi), ai)| {
            let e = *xi - S::splat(*pi);
            (e.mul_add(S::splat(*ai), alpha), e.mul_add(e, s))
        });
        let z = S::splat(2.0 * sqrt_c) * S::splat(dp).mul_add(alpha, S::splat(-c) * s * S::splat(beta)) / (S::splat(dp) * dx);
        At { p, a_hat, dp, beta, alpha, s, z }
    }
}

impl PoincareBall {
    /// Signed distances `out[i, k] = d(xᵢ, H_{a_k, p_k})` of points `x` (`n × d`) to the
    /// gyroplanes through `p_k` with normals `a_k` (`p`, `a`: `K × d`; `out`: `n × K`).
    /// Positive on the side `a` points to. Errors on a zero row of `a`.
    pub fn gyroplane_dist<T: Real>(
        &self,
        x: MatRef<'_, T>,
        p: MatRef<'_, T>,
        a: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("p", p.ncols()), ("a", a.ncols())]);
        assert_eq!(a.nrows(), p.nrows(), "`a` must have as many rows as `p`");
        assert_width(p.nrows(), &[("out", out.ncols())]);
        self.check_points("x", x)?;
        let planes = Planes::new(self, p, a)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_tiles([x], [out], 0, par, DistTiles { c, sqrt_c, planes: &planes });
        Ok(())
    }

    /// Gradients of `Σᵢₖ gᵢₖ d(xᵢ, H_{a_k, p_k})` (`grad`: `n × K`) with respect to `x`
    /// (`n × d`), `p` and `a` (`K × d`, summed over the points in a fixed order: the result
    /// does not depend on the thread count). `∇_a` is orthogonal to `a` and of size
    /// `O(|g|/‖a‖)`, so it overflows only for normals shorter than about `1e-300`.
    #[allow(clippy::too_many_arguments)]
    pub fn gyroplane_dist_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        p: MatRef<'_, T>,
        a: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        mut grad_p: MatMut<'_, T>,
        mut grad_a: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let (d, kk) = (x.ncols(), p.nrows());
        assert_width(d, &[("p", p.ncols()), ("a", a.ncols()), ("grad_x", grad_x.ncols())]);
        assert_width(d, &[("grad_p", grad_p.ncols()), ("grad_a", grad_a.ncols())]);
        assert_width(kk, &[("grad", grad.ncols())]);
        for (name, rows) in [("a", a.nrows()), ("grad_p", grad_p.nrows()), ("grad_a", grad_a.nrows())] {
            assert_eq!(rows, kk, "`{name}` must have as many rows as `p`");
        }
        self.check_points("x", x)?;
        let planes = Planes::new(self, p, a)?;
        self.check_finite("grad", grad)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        let total = map_rows([x, grad], [grad_x], 2 * kk * d, par, #[inline(always)] |pt| {
            let [x, g] = pt.inputs;
            let [gx] = pt.outputs;
            gx.fill(0.0);
            let dx = conformal_denominator(c, x);
            let (acc_p, acc_a) = pt.acc.split_at_mut(kk * d);
            for (k, &gk) in g.iter().enumerate() {
                let At { p, a_hat, dp, beta, alpha, s, z } = planes.at(k, c, sqrt_c, x, dx);
                // d = arsinh(z)/√c: ∂d/∂z = 1/(√c h), h = √(1 + z²).
                let h = z.hypot(1.0);
                let gz = gk / (sqrt_c * h);
                let m = 2.0 * gk / (h * dp * dx);
                let (zx, zp) = (2.0 * c * gz * z / dx, 2.0 * c * gz * z / dp);
                let gp = &mut acc_p[k * d..(k + 1) * d];
                let ga = &mut acc_a[k * d..(k + 1) * d];
                for j in 0..d {
                    let e = x[j] - p[j];
                    gx[j] += m * (dp * a_hat[j] - 2.0 * c * beta * e) + zx * x[j];
                    gp[j] += m * (2.0 * c * (beta * e - alpha * p[j]) - (dp + c * s) * a_hat[j]) + zp * p[j];
                    ga[j] += m * (dp * e - c * s * p[j]);
                }
            }
        });
        let (total_p, total_a) = total.split_at(kk * d);
        for k in 0..kk {
            let rows = k * d..(k + 1) * d;
            let grad_p_k = grad_p.rb_mut().row_mut(k);
            grad_p_k.iter_mut().zip(&total_p[rows.clone()]).for_each(|(o, v)| *o = T::from_f64(*v));
            // ∇_a = (I − ââᵀ) ∇_â / ‖a‖, projected once on the sum.
            let (v, a_hat) = (&total_a[rows.clone()], &planes.a_hat[rows]);
            let (along, inv_norm) = (dot(v, a_hat), 1.0 / planes.a_norm[k]);
            let grad_a_k = grad_a.rb_mut().row_mut(k);
            grad_a_k.iter_mut().zip(v.iter().zip(a_hat)).for_each(|(o, (vj, aj))| {
                *o = T::from_f64((vj - along * aj) * inv_norm);
            });
        }
        Ok(())
    }
}

struct DistTiles<'a> {
    c: f64,
    sqrt_c: f64,
    planes: &'a Planes,
}

impl TileKernel<1, 1> for DistTiles<'_> {
    #[inline(always)]
    fn run<S: TileLane>(&self, pt: Tile<'_, S, 1, 1>) {
        let &Self { c, sqrt_c, planes } = self;
        let [x] = pt.inputs;
        let [out] = pt.outputs;
        let dx = conformal_denominator(c, x);
        for (k, o) in out.iter_mut().enumerate() {
            *o = arsinh(planes.at(k, c, sqrt_c, x, dx).z) / S::splat(sqrt_c);
        }
    }
}
