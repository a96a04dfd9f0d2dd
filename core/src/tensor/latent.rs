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
//! reference code returns the unshifted sum). Dual: `α` scaled by `min(1, min_k γ_k/‖A_(k)‖_op)`.

use super::observations::Observations;
use super::solve::{Admm, Step};
use super::svt::ModeSpectrum;
use super::TensorError;
use faer::Par;

pub(crate) struct Latent<'a> {
    obs: &'a Observations,
    gamma: Vec<f64>,
    lambda: f64,
    eta: f64,
    alpha: Vec<f64>,
    /// `A = Ω*α` as a dense tensor (zero off `Ω`).
    a: Vec<f64>,
    z: Vec<Vec<f64>>,
    spectra: Vec<ModeSpectrum>,
    ranks: Vec<usize>,
    scratch: Vec<f64>,
    /// `(ΣZ_k)_Ω` and `(ΣV_k)_Ω` of the current iteration.
    z_sum: Vec<f64>,
    v_sum: Vec<f64>,
    mask: Vec<bool>,
}

impl<'a> Latent<'a> {
    pub fn new(obs: &'a Observations, gamma: Vec<f64>, lambda: f64, eta: f64, par: Par) -> Self {
        let shape = obs.shape();
        let len = shape.len();
        let order = shape.order();
        let mut a = vec![0.0; len];
        for (&i, &y) in obs.indices().iter().zip(obs.values()) {
            a[i] = y;
        }
        Self {
            obs,
            lambda,
            eta,
            alpha: obs.values().to_vec(),
            a,
            z: (0..order).map(|_| vec![0.0; len]).collect(),
            spectra: (0..order).map(|k| ModeSpectrum::new(shape, k, par)).collect(),
            ranks: vec![0; order],
            gamma,
            scratch: vec![0.0; len],
            z_sum: vec![0.0; obs.len()],
            v_sum: vec![0.0; obs.len()],
            mask: obs.mask(),
        }
    }

    /// `Σγ_k ‖Z_k − Ω*shift‖_*` with `shift = ((ΣZ_k)_Ω − y)/K`: the objective of the feasible
    /// point used when `λ = 0`.
    fn feasible_nuclear_norms(&mut self) -> Result<f64, TensorError> {
        let count = self.z.len() as f64;
        let mut f = 0.0;
        for k in 0..self.z.len() {
            self.scratch.copy_from_slice(&self.z[k]);
            for ((&i, &y), &s) in self.obs.indices().iter().zip(self.obs.values()).zip(&self.z_sum) {
                self.scratch[i] -= (s - y) / count;
            }
            f += self.gamma[k] * self.spectra[k].nuclear_norm(&self.scratch)?;
        }
        Ok(f)
    }
}

impl Admm for Latent<'_> {
    fn step(&mut self) -> Result<Step, TensorError> {
        let (eta, lambda) = (self.eta, self.lambda);
        let count = self.z.len() as f64;
        self.z_sum.fill(0.0);
        self.v_sum.fill(0.0);
        let mut shrunk_norms = 0.0;
        let mut primal_residual: f64 = 0.0;
        for k in 0..self.z.len() {
            // scratch ← Z_k + ηA, then thresholded in place; Z_k keeps the old value until
            // the swap so that V_k = (Z_k^old + ηA − Z_k^new)/η can be formed.
            for ((s, &z), &a) in self.scratch.iter_mut().zip(&self.z[k]).zip(&self.a) {
                *s = z + eta * a;
            }
            let shrink = self.spectra[k].shrink(&mut self.scratch, self.gamma[k] * eta)?;
            self.ranks[k] = shrink.rank;
            shrunk_norms += self.gamma[k] * shrink.nuclear_norm;
            let mut violation = 0.0;
            for (((&old, &new), &a), &observed) in self.z[k].iter().zip(&self.scratch).zip(&self.a).zip(&self.mask) {
                let v = (old + eta * a - new) / eta;
                let d = if observed { a - v } else { v };
                violation += d * d;
            }
            primal_residual = primal_residual.max(violation.sqrt());
            for (j, &i) in self.obs.indices().iter().enumerate() {
                let new = self.scratch[i];
                self.v_sum[j] += (self.z[k][i] + eta * self.a[i] - new) / eta;
                self.z_sum[j] += new;
            }
            core::mem::swap(&mut self.z[k], &mut self.scratch);
        }
        let denominator = lambda + eta * count;
        for (j, (&i, &y)) in self.obs.indices().iter().zip(self.obs.values()).enumerate() {
            self.alpha[j] = (y - self.z_sum[j] + eta * self.v_sum[j]) / denominator;
            self.a[i] = self.alpha[j];
        }
        let objective = if lambda > 0.0 {
            let misfit: f64 = self.z_sum.iter().zip(self.obs.values()).map(|(s, y)| (s - y) * (s - y)).sum();
            0.5 * misfit / lambda + shrunk_norms
        } else {
            self.feasible_nuclear_norms()?
        };
        let mut scale: f64 = 1.0;
        for k in 0..self.z.len() {
            let norm = self.spectra[k].spectral_norm(&self.a)?;
            if norm > 0.0 {
                scale = scale.min(self.gamma[k] / norm);
            }
        }
        let ay: f64 = self.alpha.iter().zip(self.obs.values()).map(|(a, y)| a * y).sum();
        let aa: f64 = self.alpha.iter().map(|a| a * a).sum();
        let dual = scale * ay - 0.5 * lambda * scale * scale * aa;
        Ok(Step { objective, dual, primal_residual })
    }

    fn estimate(&self, x: &mut [f64]) {
        x.fill(0.0);
        for z in &self.z {
            x.iter_mut().zip(z).for_each(|(x, &z)| *x += z);
        }
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
