//! The latent trace norm ("Mixture"), by ADMM on the dual (Tomioka et al. 2011, 2013).
//!
//! Primal: `min_{Z_1..Z_K} Σ_k γ_k ‖Z_k,(k)‖_* + (1/2λ)‖Ω(ΣZ_k) − y‖²` (`λ = 0`: subject to
//! `Ω(ΣZ_k) = y`); the estimate is `X = ΣZ_k`. Dual: `max_α αᵀy − (λ/2)‖α‖²` subject to
//! `‖(Ω*α)_(k)‖_op ≤ γ_k`, split as `V_k = (Ω*α)_(k)`; the `Z_k` are the multipliers of that
//! split. With `A = Ω*α`, one iteration is
//! 1. `Z_k ← prox_{γ_kη‖·‖_*}(Z_k + ηA_(k))` and `V_k = (Z_k^old + ηA_(k) − Z_k)/η` (the
//!    projection of `Z_k^old/η + A_(k)` onto the spectral-norm ball of radius `γ_k`);
//! 2. `α = (y − (ΣZ_k)_Ω + η(ΣV_k)_Ω)/(λ + ηK)`, `A_Ω = α`.
//!
//! Objective: for `λ > 0`, `(1/2λ)‖(ΣZ_k)_Ω − y‖² + Σγ_k‖Z_k‖_*` (the nuclear norms come free
//! from the thresholding); for `λ = 0`, each `Z_k` is shifted by `−((ΣZ_k)_Ω − y)/K` on `Ω`,
//! which makes the point feasible, and the nuclear norms of the shifted components are used.
//! The returned estimate for `λ = 0` is that feasible point (it equals `y` on `Ω`; the
//! reference code returns the unshifted sum); the shift moves each nuclear norm by at most
//! `√min(n_k, N/n_k)` times its Frobenius norm, which bounds the objective between exact
//! evaluations.
//!
//! Dual: `α` scaled by `s = min(1, min_k γ_k/‖A_(k)‖_op)`, the largest feasible multiple; the
//! best value over the iterations is kept, as in the reference. Between exact evaluations
//! `|‖A_(k)‖_op − ‖V_k‖_op| ≤ ‖A_(k) − V_k‖_F` with `‖V_k‖_op = min(σ_1/η, γ_k)` (`σ_1` the top
//! singular value of `Z_k^old + ηA_(k)`) brackets `s` at no cost.

use super::elementwise::{reduce, update};
use super::observations::Observations;
use super::solve::{feasible_scale, scaled_dual, Admm, Step};
use super::svt::ModeSpectrum;
use super::TensorError;
use faer::Par;

pub(crate) struct Latent<'a> {
    obs: &'a Observations,
    gamma: Vec<f64>,
    lambda: f64,
    eta: f64,
    par: Par,
    alpha: Vec<f64>,
    /// `A = Ω*α` as a dense tensor (zero off `Ω`).
    a: Vec<f64>,
    z: Vec<Vec<f64>>,
    spectra: Vec<ModeSpectrum>,
    ranks: Vec<usize>,
    /// Per-mode spectral norms: `‖V_k‖_op` in a step, then the exact `‖A_(k)‖_op`; and the
    /// distances `‖A_(k) − V_k‖_F`.
    norms: Vec<f64>,
    gaps: Vec<f64>,
    /// Thresholded nuclear norms `‖Z_k‖_*` of the current iterate.
    nuclear: Vec<f64>,
    scratch: Vec<f64>,
    /// `(V_k)_Ω` for every mode, and `‖(V_k)_{Ωᶜ}‖²`.
    v_observed: Vec<Vec<f64>>,
    v_unobserved: Vec<f64>,
    /// `(ΣZ_k)_Ω` and `(ΣV_k)_Ω` of the current iteration.
    z_sum: Vec<f64>,
    v_sum: Vec<f64>,
    mask: Vec<bool>,
}

impl<'a> Latent<'a> {
    pub fn new(obs: &'a Observations, gamma: Vec<f64>, lambda: f64, eta: f64, par: Par) -> Self {
        let shape = obs.shape();
        let (len, order, m) = (shape.len(), shape.order(), obs.len());
        let mut a = vec![0.0; len];
        for (&i, &y) in obs.indices().iter().zip(obs.values()) {
            a[i] = y;
        }
        Self {
            obs,
            lambda,
            eta,
            par,
            alpha: obs.values().to_vec(),
            a,
            z: (0..order).map(|_| vec![0.0; len]).collect(),
            spectra: (0..order).map(|k| ModeSpectrum::new(shape, k, par)).collect(),
            ranks: vec![0; order],
            norms: vec![0.0; order],
            gaps: vec![0.0; order],
            nuclear: vec![0.0; order],
            gamma,
            scratch: vec![0.0; len],
            v_observed: (0..order).map(|_| vec![0.0; m]).collect(),
            v_unobserved: vec![0.0; order],
            z_sum: vec![0.0; m],
            v_sum: vec![0.0; m],
            mask: obs.mask(),
        }
    }

    /// `Z_k ← prox(Z_k + ηA_(k))` and `V_k`; returns `‖V_k‖_op`.
    fn update_component(&mut self, k: usize) -> Result<f64, TensorError> {
        let (eta, inv_eta) = (self.eta, 1.0 / self.eta);
        let (z, a) = (&self.z[k], &self.a);
        update(self.par, &mut self.scratch, |start, s| {
            let (z, a) = (&z[start..start + s.len()], &a[start..start + s.len()]);
            s.iter_mut().zip(z).zip(a).for_each(|((s, &z), &a)| *s = z + eta * a);
            0.0
        });
        let shrink = self.spectra[k].shrink(&mut self.scratch, self.gamma[k] * eta)?;
        self.ranks[k] = shrink.rank;
        self.nuclear[k] = shrink.nuclear_norm;
        // Off Ω, A = 0 and V_k = (Z_old − Z_new)/η.
        let (old, new, mask) = (&self.z[k], &self.scratch, &self.mask);
        self.v_unobserved[k] = reduce(self.par, new.len(), |range| {
            range.filter(|&i| !mask[i]).map(|i| ((old[i] - new[i]) * inv_eta).powi(2)).sum()
        });
        for (j, &i) in self.obs.indices().iter().enumerate() {
            let v = (old[i] + eta * self.a[i] - new[i]) * inv_eta;
            self.v_observed[k][j] = v;
            self.v_sum[j] += v;
            self.z_sum[j] += new[i];
        }
        core::mem::swap(&mut self.z[k], &mut self.scratch);
        Ok((shrink.sigma_max * inv_eta).min(self.gamma[k]))
    }

    /// `‖A_(k) − V_k‖_F` for the current `A`.
    fn distance_to_projection(&self, k: usize) -> f64 {
        let observed: f64 = self.alpha.iter().zip(&self.v_observed[k]).map(|(a, v)| (a - v) * (a - v)).sum();
        (observed + self.v_unobserved[k]).sqrt()
    }

    /// `(αᵀy, ‖α‖²)`.
    fn candidate(&self) -> (f64, f64) {
        let ay = self.alpha.iter().zip(self.obs.values()).map(|(a, y)| a * y).sum();
        (ay, self.alpha.iter().map(|a| a * a).sum())
    }

    /// `‖(ΣZ_k)_Ω − y‖`.
    fn misfit_norm(&self) -> f64 {
        self.z_sum.iter().zip(self.obs.values()).map(|(s, y)| (s - y) * (s - y)).sum::<f64>().sqrt()
    }
}

impl Admm for Latent<'_> {
    fn step(&mut self) -> Result<Step, TensorError> {
        let (eta, lambda) = (self.eta, self.lambda);
        let order = self.z.len();
        self.z_sum.fill(0.0);
        self.v_sum.fill(0.0);
        let mut primal_residual: f64 = 0.0;
        for k in 0..order {
            self.norms[k] = self.update_component(k)?;
            primal_residual = primal_residual.max(self.distance_to_projection(k));
        }
        let denominator = lambda + eta * order as f64;
        for (j, (&i, &y)) in self.obs.indices().iter().zip(self.obs.values()).enumerate() {
            self.alpha[j] = (y - self.z_sum[j] + eta * self.v_sum[j]) / denominator;
            self.a[i] = self.alpha[j];
        }
        let norms: f64 = self.gamma.iter().zip(&self.nuclear).map(|(g, n)| g * n).sum();
        let objective = if lambda > 0.0 {
            let f = 0.5 * self.misfit_norm().powi(2) / lambda + norms;
            (f, f)
        } else {
            let shift = self.misfit_norm() / order as f64;
            let slack: f64 = self.gamma.iter().zip(&self.spectra).map(|(g, s)| g * s.nuclear_norm_slack() * shift).sum();
            ((norms - slack).max(0.0), norms + slack)
        };
        for k in 0..order {
            self.gaps[k] = self.distance_to_projection(k);
        }
        let bounds = || self.norms.iter().zip(&self.gaps);
        let s_lo = feasible_scale(self.gamma.iter().copied().zip(bounds().map(|(v, g)| v + g)));
        let s_hi = feasible_scale(self.gamma.iter().copied().zip(bounds().map(|(v, g)| (v - g).max(0.0))));
        let (ay, aa) = self.candidate();
        Ok(Step { objective, dual: scaled_dual(ay, aa, lambda, s_lo, s_hi), primal_residual })
    }

    /// The objective (for `λ = 0`, `Σγ_k ‖Z_k − Ω*shift‖_*` with `shift = ((ΣZ_k)_Ω − y)/K`,
    /// the objective of the feasible point) and the dual with exact `‖A_(k)‖_op`.
    fn exact_dual(&mut self) -> Result<f64, TensorError> {
        let order = self.z.len();
        for k in 0..order {
            self.norms[k] = self.spectra[k].spectral_norm(&self.a)?;
        }
        let scale = feasible_scale(self.gamma.iter().copied().zip(self.norms.iter().copied()));
        let (ay, aa) = self.candidate();
        Ok(scaled_dual(ay, aa, self.lambda, scale, scale).0)
    }

    fn exact_objective(&mut self) -> Result<f64, TensorError> {
        let order = self.z.len();
        let nuclear: f64 = self.gamma.iter().zip(&self.nuclear).map(|(g, n)| g * n).sum();
        if self.lambda > 0.0 {
            return Ok(0.5 * self.misfit_norm().powi(2) / self.lambda + nuclear);
        }
        let mut f = 0.0;
        for k in 0..order {
            self.scratch.copy_from_slice(&self.z[k]);
            for ((&i, &y), &s) in self.obs.indices().iter().zip(self.obs.values()).zip(&self.z_sum) {
                self.scratch[i] -= (s - y) / order as f64;
            }
            f += self.gamma[k] * self.spectra[k].nuclear_norm(&self.scratch)?;
        }
        Ok(f)
    }

    fn eta(&self) -> f64 {
        self.eta
    }

    fn estimate(&self, x: &mut [f64]) {
        let z = &self.z;
        update(self.par, x, |start, out| {
            out.fill(0.0);
            let len = out.len();
            for z in z {
                out.iter_mut().zip(&z[start..start + len]).for_each(|(x, &z)| *x += z);
            }
            0.0
        });
        if self.lambda == 0.0 {
            for (&i, &y) in self.obs.indices().iter().zip(self.obs.values()) {
                x[i] = y;
            }
        }
    }

    fn component_ranks(&self) -> Vec<usize> {
        self.ranks.clone()
    }
}
