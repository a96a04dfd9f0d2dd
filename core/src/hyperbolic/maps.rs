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
use super::batch::{map_rows, Needs};
use super::mobius::{add, add_vjp};
use super::primitives::{
    artanh_with_complement, axpy, clamp_norm, conformal_denominator, dist2, dot, norm2,
    norm_scaled, scaled,
};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `out ← (−x) ⊕ y = (δ_x (y−x) − c s x)/D`, `s = ‖y−x‖²`, `D = δ_x δ_y + c s`.
/// Returns `(δ_x, δ_w)` with `δ_w = 1 − c‖out‖² = δ_x δ_y / D` in closed form.
#[inline(always)]
pub(super) fn sub(c: f64, x: &[f64], y: &[f64], out: &mut [f64]) -> (f64, f64) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let s = dist2(x, y);
    let den = dx.mul_add(dy, c * s);
    let (a, b) = (dx / den, c * s / den);
    for ((o, xi), yi) in out.iter_mut().zip(x).zip(y) {
        *o = a * (yi - xi) - b * xi;
    }
    (dx, dx * dy / den)
}

/// Adds the gradients of `k⟨g, w⟩ + m δ_w` (`w = (−x) ⊕ y`, `δ_w = 1 − c‖w‖²`) to `gx`, `gy`.
///
/// `∇δ_w` is taken in closed form: with `e = y − x`, `s = ‖e‖²`,
/// `∂δ_w/∂x = 2cδ_y (δ_x e − c s x)/D²` and `∂δ_w/∂y = −2cδ_x (δ_y e + c s y)/D²`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn sub_vjp(
    c: f64,
    x: &[f64],
    y: &[f64],
    k: f64,
    g: &[f64],
    m: f64,
    gx: &mut [f64],
    gy: &mut [f64],
) {
    let dx = conformal_denominator(c, x);
    let dy = conformal_denominator(c, y);
    let s = dist2(x, y);
    let inv = 1.0 / dx.mul_add(dy, c * s);
    let (mut g_e, mut g_x) = (0.0, 0.0);
    for ((gi, xi), yi) in g.iter().zip(x).zip(y) {
        g_e = gi.mul_add(yi - xi, g_e);
        g_x = gi.mul_add(*xi, g_x);
    }
    // k⟨g, w⟩ = k⟨g, n⟩/D with n = δ_x e − c s x.
    let g_den = -k * (dx * g_e - c * s * g_x) * inv * inv;
    let g_dx = k * g_e * inv + dy * g_den;
    let g_dy = dx * g_den;
    let g_s = c * (g_den - k * g_x * inv);
    let (k_e, k_x) = (k * dx * inv, -c * s * k * inv);
    let mx = m * (2.0 * c * dy * inv) * inv;
    let my = -m * (2.0 * c * dx * inv) * inv;
    for ((((gxi, gyi), gi), xi), yi) in gx.iter_mut().zip(gy.iter_mut()).zip(g).zip(x).zip(y) {
        let e = yi - xi;
        let ge = k_e * gi + 2.0 * g_s * e;
        *gxi += -2.0 * c * g_dx * xi + k_x * gi - ge + mx * (dx * e - c * s * xi);
        *gyi += -2.0 * c * g_dy * yi + ge + my * (dy * e + c * s * yi);
    }
}

/// `χ(z) = artanh(z)/z` given `δ = 1 − z²` (accurate), with `χ(0) = 1`.
#[inline(always)]
fn chi(z: f64, delta: f64) -> f64 {
    if z == 0.0 {
        1.0
    } else {
        artanh_with_complement(z, delta / (1.0 + z)) / z
    }
}

/// `χ'(z)/z = (1/δ − χ)/z²`, by its series `Σ_{k≥1} 2k/(2k+1) z^{2k−2}` below `z = ½`
/// (where the closed form cancels).
#[inline(always)]
fn chi_slope(z: f64, delta: f64, chi: f64) -> f64 {
    if z >= 0.5 {
        return (1.0 / delta - chi) / (z * z);
    }
    let z2 = z * z;
    let (mut sum, mut pow, mut k) = (0.0, 1.0, 1.0);
    while pow > 1e-18 {
        sum += 2.0 * k / (2.0 * k + 1.0) * pow;
        pow *= z2;
        k += 1.0;
    }
    sum
}

/// `z φ'(z) = sech² z − φ(z)` for `φ(z) = tanh(z)/z`, by its series
/// `−Σ_{k≥1} 4ᵏ z^{2k}/(2k+1)! / cosh² z` below `z = ½`.
#[inline(always)]
fn exp0_slope(z: f64, phi: f64, sech2: f64) -> f64 {
    if z >= 0.5 {
        return sech2 - phi;
    }
    let q = 4.0 * z * z;
    let (mut sum, mut term, mut k) = (0.0, q / 6.0, 1.0);
    while term > 1e-18 * (sum + term) {
        sum += term;
        term *= q / ((2.0 * k + 2.0) * (2.0 * k + 3.0));
        k += 1.0;
    }
    -sum * sech2
}

/// `out ← exp₀(s u)` for any finite `s` and `u` (saturating at the boundary, unprojected).
#[inline(always)]
pub(super) fn exp0(sqrt_c: f64, s: f64, u: &[f64], out: &mut [f64]) {
    let (sigma, r) = norm_scaled(u);
    if r == 0.0 {
        out.fill(0.0);
        return;
    }
    let z = sqrt_c * s.abs() * sigma * r;
    let k = (z.tanh() / (sqrt_c * r)).copysign(s);
    let inv_sigma = 1.0 / sigma;
    for (o, v) in out.iter_mut().zip(u) {
        *o = k * (v * inv_sigma);
    }
}

/// Adds `s Jᵀg` to `gu`, `J = φ I + zφ'(z) ûûᵀ` the Jacobian of `exp₀` at `s u`
/// (`z = √c|s|‖u‖`, `û = u/‖u‖`); returns `∂⟨g, exp₀(s u)⟩/∂s = ‖u‖⟨g, û⟩ sech² z`.
#[inline(always)]
pub(super) fn exp0_vjp(sqrt_c: f64, s: f64, u: &[f64], g: &[f64], gu: &mut [f64]) -> f64 {
    let (sigma, r) = norm_scaled(u);
    if r == 0.0 {
        axpy(s, g, gu);
        return 0.0;
    }
    let z = sqrt_c * s.abs() * sigma * r;
    let phi = if z == 0.0 { 1.0 } else { z.tanh() / z };
    let ch = z.cosh();
    let sech2 = 1.0 / (ch * ch);
    let rho = exp0_slope(z, phi, sech2);
    let inv_sigma = 1.0 / sigma;
    let g_u = g.iter().zip(u).fold(0.0, |acc, (gi, ui)| gi.mul_add(ui * inv_sigma, acc)) / r;
    let (a, b) = (s * phi, s * rho * g_u / r);
    for ((o, gi), ui) in gu.iter_mut().zip(g).zip(u) {
        *o += a * gi + b * (ui * inv_sigma);
    }
    if sech2 == 0.0 {
        0.0
    } else {
        sigma * r * g_u * sech2
    }
}

/// `out ← log₀(y)`.
#[inline(always)]
pub(super) fn log0(c: f64, sqrt_c: f64, y: &[f64], out: &mut [f64]) {
    let z = sqrt_c * norm2(y).sqrt();
    scaled(chi(z, conformal_denominator(c, y)), y, out);
}

/// Adds the gradient of `⟨g, log₀(y)⟩`: `χ g + c χ'(z)/z ⟨g, y⟩ y`.
#[inline(always)]
pub(super) fn log0_vjp(c: f64, sqrt_c: f64, y: &[f64], g: &[f64], gy: &mut [f64]) {
    let dy = conformal_denominator(c, y);
    let z = sqrt_c * norm2(y).sqrt();
    let k = chi(z, dy);
    axpy(k, g, gy);
    axpy(c * chi_slope(z, dy, k) * dot(g, y), y, gy);
}

/// `out ← log₀((−x) ⊕ y)`, so that `log_x(y) = δ_x out`; returns `δ_x`.
#[inline(always)]
pub(super) fn log_sub(c: f64, sqrt_c: f64, x: &[f64], y: &[f64], out: &mut [f64]) -> f64 {
    let (dx, dw) = sub(c, x, y, out);
    let k = chi(sqrt_c * norm2(out).sqrt(), dw);
    out.iter_mut().for_each(|v| *v *= k);
    dx
}

/// Adds the gradients of `k⟨g, log₀((−x) ⊕ y)⟩` to `gx`, `gy` (`w`: scratch of length d);
/// returns `⟨g, log₀((−x) ⊕ y)⟩`. With `χ(z(w)) w` and `∂χ = −½ (χ'(z)/z) ∇δ_w`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn log_sub_vjp(
    c: f64,
    sqrt_c: f64,
    x: &[f64],
    y: &[f64],
    k: f64,
    g: &[f64],
    gx: &mut [f64],
    gy: &mut [f64],
    w: &mut [f64],
) -> f64 {
    let (_, dw) = sub(c, x, y, w);
    let z = sqrt_c * norm2(w).sqrt();
    let ch = chi(z, dw);
    let g_w = dot(g, w);
    sub_vjp(c, x, y, k * ch, g, -0.5 * k * chi_slope(z, dw, ch) * g_w, gx, gy);
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
        map_rows([u], [out], Needs::default(), par, #[inline(always)] |p| {
            let [u] = p.inputs;
            let [out] = p.outputs;
            exp0(sqrt_c, 1.0, u, out);
            clamp_norm(out, max_norm);
        });
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
        map_rows([u, grad], [grad_u], Needs::default(), par, #[inline(always)] |p| {
            let [u, g] = p.inputs;
            let [gu] = p.outputs;
            gu.fill(0.0);
            exp0_vjp(sqrt_c, 1.0, u, g, gu);
        });
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
        map_rows([x, u], [out], Needs { scratch: d, acc: 0 }, par, #[inline(always)] |p| {
            let [x, u] = p.inputs;
            let [out] = p.outputs;
            let e = &mut p.scratch[..d];
            exp0(sqrt_c, 1.0 / conformal_denominator(c, x), u, e);
            clamp_norm(e, max_e);
            add(c, x, e, out);
            clamp_norm(out, max_norm);
        });
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
        map_rows([x, u, grad], [grad_x, grad_u], Needs { scratch: 2 * d, acc: 0 }, par, #[inline(always)] |p| {
            let [x, u, g] = p.inputs;
            let [gx, gu] = p.outputs;
            let (e, ge) = p.scratch[..2 * d].split_at_mut(d);
            let s = 1.0 / conformal_denominator(c, x);
            exp0(sqrt_c, s, u, e);
            clamp_norm(e, max_e);
            gx.fill(0.0);
            gu.fill(0.0);
            ge.fill(0.0);
            add_vjp(c, x, e, g, gx, ge);
            // ∂(1/δ_x)/∂x = 2c x/δ_x².
            let g_s = exp0_vjp(sqrt_c, s, u, ge, gu);
            axpy(2.0 * c * g_s * s * s, x, gx);
        });
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
        map_rows([y], [out], Needs::default(), par, #[inline(always)] |p| {
            let [y] = p.inputs;
            let [out] = p.outputs;
            log0(c, sqrt_c, y, out);
        });
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
        map_rows([y, grad], [grad_y], Needs::default(), par, #[inline(always)] |p| {
            let [y, g] = p.inputs;
            let [gy] = p.outputs;
            gy.fill(0.0);
            log0_vjp(c, sqrt_c, y, g, gy);
        });
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
        map_rows([x, y], [out], Needs::default(), par, #[inline(always)] |p| {
            let [x, y] = p.inputs;
            let [out] = p.outputs;
            let dx = log_sub(c, sqrt_c, x, y, out);
            out.iter_mut().for_each(|v| *v *= dx);
        });
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
        map_rows([x, y, grad], [grad_x, grad_y], Needs { scratch: d, acc: 0 }, par, #[inline(always)] |p| {
            let [x, y, g] = p.inputs;
            let [gx, gy] = p.outputs;
            gx.fill(0.0);
            gy.fill(0.0);
            let dx = conformal_denominator(c, x);
            let g_l = log_sub_vjp(c, sqrt_c, x, y, dx, g, gx, gy, &mut p.scratch[..d]);
            // ∂δ_x/∂x = −2c x.
            axpy(-2.0 * c * g_l, x, gx);
        });
        Ok(())
    }
}
