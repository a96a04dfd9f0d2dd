//! Exponential and logarithmic maps, at the origin and at any point, and their VJPs.
//!
//! With `δ_x = 1 − c‖x‖²` (so `λ_x/2 = 1/δ_x`) and `z = √c‖·‖` of the vector mapped:
//!
//! * `exp₀(v) = tanh(z) v/z/√c`, `exp_x(u) = x ⊕ exp₀(u/δ_x)`;
//! * `log₀(y) = artanh(z) y/z/√c`, `log_x(y) = δ_x log₀(w)` with `w = (−x) ⊕ y`.
//!
//! # Stability
//! `artanh(z) = ½ log1p(2z/(1−z))` is never fed `1 − z` computed from a rounded norm: it uses
//! `1 − z = δ/(1+z)` with `δ = 1 − z²` the compensated conformal denominator of `y` for `log₀`
//! and, for `w = (−x) ⊕ y`, the closed form `δ_w = δ_x δ_y / D`, `D = δ_x δ_y + c‖y−x‖²`
//! (Ungar's gyro-norm identity). The gyro-difference itself is formed as
//! `w = (δ_x (y−x) − c‖y−x‖² x)/D` with `y − x` taken directly, so `x ≈ y` does not cancel.
//! In the VJPs the derivative of `artanh(z)/z` (of size `1/δ_w`) multiplies `∇δ_w`, also in
//! closed form; going through `∇‖w‖` instead would lose all digits when `δ_w ≪ 1`.
//! `exp₀` takes norms through [`norm_scaled`], so any finite `u` saturates at the boundary
//! instead of overflowing.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, map_vectors, Tile, TileKernel, VectorKernel};
use super::vectors::{Vectors, VectorsMut};
use super::elementary::{poly, tanh_sech2};
use super::lane::{Lane, TileLane};
use super::mobius::{add, add_vjp};
use super::primitives::{
    artanh_with_complement, axpy, clamp_norm, conformal_denominator, dist2, dot, norm2, norm_scaled,
    scale, scaled,
};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `out ← (−x) ⊕ y = (δ_x (y−x) − c s x)/D`, `s = ‖y−x‖²`, `D = δ_x δ_y + c s`.
/// Returns `(δ_x, δ_w)` with `δ_w = 1 − c‖out‖² = δ_x δ_y / D` in closed form.
#[inline(always)]
pub(super) fn sub<S: Lane>(c: f64, x: &[S], y: &[S], out: &mut [S]) -> (S, S) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let cs = S::splat(c) * dist2(x, y);
    let inv = S::splat(1.0) / dx.mul_add(dy, cs);
    let (a, b) = (dx * inv, cs * inv);
    for ((o, xi), yi) in out.iter_mut().zip(x).zip(y) {
        *o = a.mul_add(*yi - *xi, -(b * *xi));
    }
    (dx, dx * dy * inv)
}

/// Adds the gradients of `k⟨g, w⟩ + m δ_w` (`w = (−x) ⊕ y`, `δ_w = 1 − c‖w‖²`) to `gx`, `gy`.
///
/// `∇δ_w` is taken in closed form: with `e = y − x`, `s = ‖e‖²`,
/// `∂δ_w/∂x = 2cδ_y (δ_x e − c s x)/D²` and `∂δ_w/∂y = −2cδ_x (δ_y e + c s y)/D²`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn sub_vjp<S: Lane>(c: f64, x: &[S], y: &[S], k: S, g: &[S], m: S, gx: &mut [S], gy: &mut [S]) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let cv = S::splat(c);
    let s = dist2(x, y);
    let cs = cv * s;
    let inv = S::splat(1.0) / dx.mul_add(dy, cs);
    let (mut g_e, mut g_x) = (S::splat(0.0), S::splat(0.0));
    for ((gi, xi), yi) in g.iter().zip(x).zip(y) {
        g_e = gi.mul_add(*yi - *xi, g_e);
        g_x = gi.mul_add(*xi, g_x);
    }
    // k⟨g, w⟩ = k⟨g, n⟩/D with n = δ_x e − c s x.
    let g_den = -k * (dx * g_e - cs * g_x) * inv * inv;
    let g_dx = k * g_e * inv + dy * g_den;
    let g_dy = dx * g_den;
    let g_s = cv * (g_den - k * g_x * inv);
    let (k_e, k_x) = (k * dx * inv, -cs * k * inv);
    let mx = m * (S::splat(2.0 * c) * dy * inv) * inv;
    let my = -m * (S::splat(2.0 * c) * dx * inv) * inv;
    let two_c = S::splat(-2.0 * c);
    let (px, py) = (two_c * g_dx - mx * cs, two_c * g_dy + my * cs);
    let (ex, ey) = (mx * dx, my * dy);
    let two_gs = S::splat(2.0) * g_s;
    for ((((gxi, gyi), gi), xi), yi) in gx.iter_mut().zip(gy.iter_mut()).zip(g).zip(x).zip(y) {
        let e = *yi - *xi;
        let ge = k_e.mul_add(*gi, two_gs * e);
        *gxi += px.mul_add(*xi, k_x.mul_add(*gi, ex.mul_add(e, -ge)));
        *gyi += py.mul_add(*yi, ey.mul_add(e, ge));
    }
}

/// `χ(z) = artanh(z)/z` given `δ = 1 − z²` (accurate), with `χ(0) = 1`.
#[inline(always)]
fn chi<S: Lane>(z: S, delta: S) -> S {
    let zero = z.eq(S::splat(0.0));
    let zs = S::select(zero, S::splat(1.0), z);
    S::select(zero, S::splat(1.0), artanh_with_complement(zs, delta / (S::splat(1.0) + zs)) / zs)
}

/// Coefficients `2k/(2k+1)`, `k = 1..=30`, of the series of `χ'(z)/z` in `z²` (enough below
/// `z = ½`: the 31st term is below `4⁻³⁰`).
const CHI_SLOPE_SERIES: [f64; 30] = {
    let mut c = [0.0; 30];
    let mut k = 0;
    while k < 30 {
        let m = (k + 1) as f64;
        c[k] = 2.0 * m / (2.0 * m + 1.0);
        k += 1;
    }
    c
};

/// `χ'(z)/z = (1/δ − χ)/z²`, by its series `Σ_{k≥1} 2k/(2k+1) z^{2k−2}` below `z = ½`
/// (where the closed form cancels).
#[inline(always)]
fn chi_slope<S: Lane>(z: S, delta: S, chi: S) -> S {
    let small = z.lt(S::splat(0.5));
    let series = if S::any(small) { poly(&CHI_SLOPE_SERIES, z * z) } else { S::splat(0.0) };
    if !S::any(S::not(small)) {
        return series;
    }
    S::select(small, series, (S::splat(1.0) / delta - chi) / (z * z))
}

/// Coefficients `4ᵏ/(2k+1)!`, `k = 1..=12`, of the series of `−(sech² z − tanh(z)/z)·cosh² z`
/// in `z²` (the 13th term is below `1e-18` of the sum below `z = ½`).
const EXP0_SLOPE_SERIES: [f64; 12] = {
    let mut c = [0.0; 12];
    let (mut k, mut t) = (0, 4.0 / 6.0);
    while k < 12 {
        c[k] = t;
        let m = (k + 1) as f64;
        t *= 4.0 / ((2.0 * m + 2.0) * (2.0 * m + 3.0));
        k += 1;
    }
    c
};

/// `z φ'(z) = sech² z − φ(z)` for `φ(z) = tanh(z)/z`, by its series
/// `−Σ_{k≥1} 4ᵏ z^{2k}/(2k+1)! / cosh² z` below `z = ½`.
#[inline(always)]
fn exp0_slope<S: Lane>(z: S, phi: S, sech2: S) -> S {
    let small = z.lt(S::splat(0.5));
    let z2 = z * z;
    let series = if S::any(small) { -(z2 * poly(&EXP0_SLOPE_SERIES, z2)) * sech2 } else { S::splat(0.0) };
    S::select(small, series, sech2 - phi)
}

/// `out ← exp₀(s u)` for any finite `s` and `u` (saturating at the boundary, unprojected).
#[inline(always)]
pub(super) fn exp0<S: Lane>(sqrt_c: f64, s: S, u: &[S], out: &mut [S]) {
    let (sigma, r) = norm_scaled(u);
    let zero = r.eq(S::splat(0.0));
    let r = S::select(zero, S::splat(1.0), r);
    let z = S::splat(sqrt_c) * s.abs() * sigma * r;
    let k = (tanh_sech2(z).0 / (S::splat(sqrt_c) * r)).copysign(s);
    let k = S::select(zero, S::splat(0.0), k / sigma);
    scaled(k, u, out);
}

/// Adds `s Jᵀg` to `gu`, `J = φ I + zφ'(z) ûûᵀ` the Jacobian of `exp₀` at `s u`
/// (`z = √c|s|‖u‖`, `û = u/‖u‖`); returns `∂⟨g, exp₀(s u)⟩/∂s = ‖u‖⟨g, û⟩ sech² z`.
#[inline(always)]
pub(super) fn exp0_vjp<S: Lane>(sqrt_c: f64, s: S, u: &[S], g: &[S], gu: &mut [S]) -> S {
    let (sigma, r) = norm_scaled(u);
    // At u = 0: z = 0, φ = 1, ⟨g, û⟩ = 0, so gu += s g.
    let r = S::select(r.eq(S::splat(0.0)), S::splat(1.0), r);
    let z = S::splat(sqrt_c) * s.abs() * sigma * r;
    let z0 = z.eq(S::splat(0.0));
    let (tanh, sech2) = tanh_sech2(z);
    let phi = S::select(z0, S::splat(1.0), tanh / S::select(z0, S::splat(1.0), z));
    let rho = exp0_slope(z, phi, sech2);
    let inv_sigma = S::splat(1.0) / sigma;
    // u/σ is formed first (exact), so that huge u do not overflow.
    let g_u = S::reduce2(g, u, #[inline(always)] |gi, ui, acc| gi.mul_add(ui * inv_sigma, acc)) / r;
    let (a, b) = (s * phi, s * rho * g_u / r);
    for ((o, gi), ui) in gu.iter_mut().zip(g).zip(u) {
        *o += a.mul_add(*gi, b * (*ui * inv_sigma));
    }
    S::select(sech2.eq(S::splat(0.0)), S::splat(0.0), sigma * r * g_u * sech2)
}

/// `out ← log₀(y)`.
#[inline(always)]
pub(super) fn log0<S: Lane, A: Vectors<S>>(c: f64, sqrt_c: f64, y: A, out: impl VectorsMut<S, A>) {
    let z = S::splat(sqrt_c) * norm2(y).sqrt();
    scaled(chi(z, conformal_denominator(c, y)), y, out);
}

/// Writes the gradient of `⟨g, log₀(y)⟩`, `χ g + c χ'(z)/z ⟨g, y⟩ y`, to `gy`.
#[inline(always)]
pub(super) fn log0_vjp<S: Lane, A: Vectors<S>>(c: f64, sqrt_c: f64, y: A, g: A, gy: impl VectorsMut<S, A>) {
    let dy = conformal_denominator(c, y);
    let z = S::splat(sqrt_c) * norm2(y).sqrt();
    let k = chi(z, dy);
    let m = S::splat(c) * chi_slope(z, dy, k) * dot(g, y);
    gy.set([k, m], [g, y], #[inline(always)] |[k, m], [g, y]| k.mul_add(g, m * y));
}

/// `out ← log₀((−x) ⊕ y)`, so that `log_x(y) = δ_x out`; returns `δ_x`.
#[inline(always)]
pub(super) fn log_sub<S: Lane>(c: f64, sqrt_c: f64, x: &[S], y: &[S], out: &mut [S]) -> S {
    let (dx, dw) = sub(c, x, y, out);
    let k = chi(S::splat(sqrt_c) * norm2(&*out).sqrt(), dw);
    scale(k, out);
    dx
}

/// Adds the gradients of `k⟨g, log₀((−x) ⊕ y)⟩` to `gx`, `gy` (`w`: scratch of length d);
/// returns `⟨g, log₀((−x) ⊕ y)⟩`. With `χ(z(w)) w` and `∂χ = −½ (χ'(z)/z) ∇δ_w`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn log_sub_vjp<S: Lane>(
    c: f64,
    sqrt_c: f64,
    x: &[S],
    y: &[S],
    k: S,
    g: &[S],
    gx: &mut [S],
    gy: &mut [S],
    w: &mut [S],
) -> S {
    let (_, dw) = sub(c, x, y, w);
    let z = S::splat(sqrt_c) * norm2(&*w).sqrt();
    let ch = chi(z, dw);
    let g_w = dot(g, &*w);
    sub_vjp(c, x, y, k * ch, g, S::splat(-0.5) * k * chi_slope(z, dw, ch) * g_w, gx, gy);
    ch * g_w
}

impl PoincareBall {
    /// Exponential map at the origin, `out = tanh(√c‖u‖) u/(√c‖u‖)` (`n × d`); any finite `u`
    /// is accepted, long vectors saturate at the boundary and are clamped.
    pub fn expmap0<T: Real>(
        &self,
        u: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(u.ncols(), &[("out", out.ncols())]);
        self.check_finite("u", u)?;
        let (sqrt_c, max_norm) = (self.sqrt_c, self.max_norm::<T>());
        map_tiles([u], [out], 0, par, Exp0Tiles { sqrt_c, max_norm });
        Ok(())
    }

    /// Gradient of `Σᵢ ⟨gᵢ, exp₀(uᵢ)⟩` with respect to `u` (at `u = 0`: `g`).
    pub fn expmap0_vjp<T: Real>(
        &self,
        u: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_u: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = u.ncols();
        assert_width(d, &[("grad", grad.ncols()), ("grad_u", grad_u.ncols())]);
        self.check_finite("u", u)?;
        self.check_finite("grad", grad)?;
        let sqrt_c = self.sqrt_c;
        map_tiles([u, grad], [grad_u], 0, par, Exp0VjpTiles { sqrt_c });
        Ok(())
    }

    /// Exponential map `out = exp_x(u) = x ⊕ exp₀(λ_x u/2)` (`n × d` each); `u = 0` gives `x`,
    /// long `u` saturate at the boundary and are clamped.
    pub fn expmap<T: Real>(
        &self,
        x: MatRef<'_, T>,
        u: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("u", u.ncols()), ("out", out.ncols())]);
        self.check_points("x", x)?;
        self.check_finite("u", u)?;
        let (c, sqrt_c, max_norm) = (self.c, self.sqrt_c, self.max_norm::<T>());
        let max_e = self.max_norm::<f64>();
        map_tiles([x, u], [out], d, par, ExpTiles { c, sqrt_c, max_e, max_norm, d });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, exp_{xᵢ}(uᵢ)⟩` with respect to `x` and `u`.
    #[allow(clippy::too_many_arguments)]
    pub fn expmap_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        u: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_u: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("u", u.ncols()), ("grad", grad.ncols()), ("grad_x", grad_x.ncols()), ("grad_u", grad_u.ncols())]);
        self.check_points("x", x)?;
        self.check_finite("u", u)?;
        self.check_finite("grad", grad)?;
        let (c, sqrt_c, max_e) = (self.c, self.sqrt_c, self.max_norm::<f64>());
        map_tiles([x, u, grad], [grad_x, grad_u], 2 * d, par, ExpVjpTiles { c, sqrt_c, max_e, d });
        Ok(())
    }

    /// Logarithmic map at the origin, `out = artanh(√c‖y‖) y/(√c‖y‖)` (`n × d`).
    pub fn logmap0<T: Real>(
        &self,
        y: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(y.ncols(), &[("out", out.ncols())]);
        self.check_points("y", y)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_vectors([y], [out], par, Log0Tiles { c, sqrt_c });
        Ok(())
    }

    /// Gradient of `Σᵢ ⟨gᵢ, log₀(yᵢ)⟩` with respect to `y`.
    pub fn logmap0_vjp<T: Real>(
        &self,
        y: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_y: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = y.ncols();
        assert_width(d, &[("grad", grad.ncols()), ("grad_y", grad_y.ncols())]);
        self.check_points("y", y)?;
        self.check_finite("grad", grad)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_vectors([y, grad], [grad_y], par, Log0VjpTiles { c, sqrt_c });
        Ok(())
    }

    /// Logarithmic map `out = log_x(y) = (2/(√c λ_x)) artanh(√c‖w‖) w/‖w‖`, `w = (−x) ⊕ y`
    /// (`n × d` each). `‖log_x y‖_x = λ_x‖log_x y‖ = d_c(x, y)`.
    pub fn logmap<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols()), ("out", out.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_tiles([x, y], [out], 0, par, LogTiles { c, sqrt_c });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, log_{xᵢ}(yᵢ)⟩` with respect to `x` and `y` (smooth everywhere,
    /// including `x = y`).
    #[allow(clippy::too_many_arguments)]
    pub fn logmap_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        y: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        grad_y: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let d = x.ncols();
        assert_width(d, &[("y", y.ncols()), ("grad", grad.ncols()), ("grad_x", grad_x.ncols()), ("grad_y", grad_y.ncols())]);
        self.check_points("x", x)?;
        self.check_points("y", y)?;
        self.check_finite("grad", grad)?;
        let (c, sqrt_c) = (self.c, self.sqrt_c);
        map_tiles([x, y, grad], [grad_x, grad_y], d, par, LogVjpTiles { c, sqrt_c, d });
        Ok(())
    }
}

struct Exp0Tiles {
    sqrt_c: f64,
    max_norm: f64,
}

impl TileKernel<1, 1> for Exp0Tiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 1, 1>) {
        let &Self { sqrt_c, max_norm } = self;
        let [u] = p.inputs;
        let [out] = p.outputs;
        exp0(sqrt_c, S::splat(1.0), u, out);
        clamp_norm(out, max_norm);
    }
}

struct Exp0VjpTiles {
    sqrt_c: f64,
}

impl TileKernel<2, 1> for Exp0VjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let &Self { sqrt_c } = self;
        let [u, g] = p.inputs;
        let [gu] = p.outputs;
        gu.fill(S::splat(0.0));
        exp0_vjp(sqrt_c, S::splat(1.0), u, g, gu);
    }
}

struct ExpTiles {
    c: f64,
    sqrt_c: f64,
    max_e: f64,
    max_norm: f64,
    d: usize,
}

impl TileKernel<2, 1> for ExpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let &Self { c, sqrt_c, max_e, max_norm, d } = self;
        let [x, u] = p.inputs;
        let [out] = p.outputs;
        let e = &mut p.scratch[..d];
        exp0(sqrt_c, S::splat(1.0) / conformal_denominator(c, x), u, e);
        clamp_norm(e, max_e);
        add(c, x, e, out);
        clamp_norm(out, max_norm);
    }
}

struct ExpVjpTiles {
    c: f64,
    sqrt_c: f64,
    max_e: f64,
    d: usize,
}

impl TileKernel<3, 2> for ExpVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 2>) {
        let &Self { c, sqrt_c, max_e, d } = self;
        let [x, u, g] = p.inputs;
        let [gx, gu] = p.outputs;
        let (e, ge) = p.scratch[..2 * d].split_at_mut(d);
        let s = S::splat(1.0) / conformal_denominator(c, x);
        exp0(sqrt_c, s, u, e);
        clamp_norm(e, max_e);
        gx.fill(S::splat(0.0));
        gu.fill(S::splat(0.0));
        ge.fill(S::splat(0.0));
        add_vjp(c, x, e, g, gx, ge);
        // ∂(1/δ_x)/∂x = 2c x/δ_x².
        let g_s = exp0_vjp(sqrt_c, s, u, ge, gu);
        axpy(S::splat(2.0 * c) * g_s * s * s, x, gx);
    }
}

struct Log0Tiles {
    c: f64,
    sqrt_c: f64,
}

impl VectorKernel<1, 1> for Log0Tiles {
    #[inline(always)]
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, [y]: [A; 1], [out]: [O; 1]) {
        let &Self { c, sqrt_c } = self;
        log0(c, sqrt_c, y, out);
    }
}

struct Log0VjpTiles {
    c: f64,
    sqrt_c: f64,
}

impl VectorKernel<2, 1> for Log0VjpTiles {
    #[inline(always)]
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, [y, g]: [A; 2], [gy]: [O; 1]) {
        let &Self { c, sqrt_c } = self;
        log0_vjp(c, sqrt_c, y, g, gy);
    }
}

struct LogTiles {
    c: f64,
    sqrt_c: f64,
}

impl TileKernel<2, 1> for LogTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 1>) {
        let &Self { c, sqrt_c } = self;
        let [x, y] = p.inputs;
        let [out] = p.outputs;
        let dx = log_sub(c, sqrt_c, x, y, out);
        scale(dx, out);
    }
}

struct LogVjpTiles {
    c: f64,
    sqrt_c: f64,
    d: usize,
}

impl TileKernel<3, 2> for LogVjpTiles {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 3, 2>) {
        let &Self { c, sqrt_c, d } = self;
        let [x, y, g] = p.inputs;
        let [gx, gy] = p.outputs;
        gx.fill(S::splat(0.0));
        gy.fill(S::splat(0.0));
        let dx = conformal_denominator(c, x);
        let g_l = log_sub_vjp(c, sqrt_c, x, y, dx, g, gx, gy, &mut p.scratch[..d]);
        // ∂δ_x/∂x = −2c x.
        axpy(S::splat(-2.0 * c) * g_l, x, gx);
    }
}
