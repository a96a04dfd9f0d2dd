//! The overlapped trace norm ("Constraint") and single-unfolding ("As a matrix") estimators.
//!
//! `min_X Σ_{k∈T} γ_k ‖X_(k)‖_* + (1/2λ)‖Ω(X) − y‖²` (with `λ = 0`: subject to `Ω(X) = y`) is
//! split as `Z_k = X_(k)` with multipliers `A_k` and penalty `η` (Tomioka et al. 2011). With
//! `K = |T|`, one iteration is
//! 1. `X = (Σ_k (ηZ_k − A_k) + Ω*y/λ) ⊘ (Ω*1/λ + Kη)`; for `λ = 0`, `X = Σ_k (ηZ_k − A_k)/(Kη)`
//!    then `X_Ω = y` (the exact minimiser of the augmented Lagrangian in `X`);
//! 2. `Z_k = prox_{(γ_k/η)‖·‖_*}(X_(k) + A_k/η)`;
//! 3. `A_k += η (X_(k) − Z_k)`.
//!
//! Duality gap: the primal objective at `X` against the dual objective `βᵀy − (λ/2)‖β‖²` of a
//! feasible point built from the multipliers: `ΣA_k` is made to vanish off `Ω` by removing
//! `(ΣA_k)_{Ωᶜ}/K` from every `A_k`, then all `A_k` are scaled by one common factor
//! `min(1, min_k γ_k/‖A_k‖_op)` so that `‖A_k‖_op ≤ γ_k`; `β = (ΣA_k)_Ω`. (The reference code
//! takes the factor of the last mode only, which can leave the point infeasible; a common
//! factor keeps `ΣA_k` supported on `Ω` and every norm constraint satisfied.)

use super::observations::Observations;
use super::solve::{Admm, Step};
use super::svt::ModeSpectrum;
use super::TensorError;
use faer::Par;

pub(crate) struct Overlapped<'a> {
    obs: &'a Observations,
    /// `(mode, γ_k)` of every term.
    terms: Vec<(usize, f64)>,
    lambda: f64,
    eta: f64,
    x: Vec<f64>,
    z: Vec<Vec<f64>>,
    a: Vec<Vec<f64>>,
    spectra: Vec<ModeSpectrum>,
    ranks: Vec<usize>,
    scratch: Vec<f64>,
    unobserved_sum: Vec<f64>,
    mask: Vec<bool>,
}

impl<'a> Overlapped<'a> {
    pub fn new(obs: &'a Observations, terms: Vec<(usize, f64)>, lambda: f64, eta: f64, par: Par) -> Self {
        let shape = obs.shape();
        let len = shape.len();
        let spectra = terms.iter().map(|&(k, _)| ModeSpectrum::new(shape, k, par)).collect();
        let zeros = || vec![0.0; len];
        Self {
            obs,
            lambda,
            eta,
            x: zeros(),
            z: terms.iter().map(|_| zeros()).collect(),
            a: terms.iter().map(|_| zeros()).collect(),
            spectra,
            ranks: vec![0; terms.len()],
            terms,
            scratch: zeros(),
            unobserved_sum: zeros(),
            mask: obs.mask(),
        }
    }

    /// Step 1: the exact X-update.
    fn update_x(&mut self) {
        let (eta, lambda) = (self.eta, self.lambda);
        let count = self.terms.len() as f64;
        self.x.fill(0.0);
        for (z, a) in self.z.iter().zip(&self.a) {
            for ((x, &z), &a) in self.x.iter_mut().zip(z).zip(a) {
                *x += eta * z - a;
            }
        }
        let off = 1.0 / (count * eta);
        self.x.iter_mut().for_each(|x| *x *= off);
        let (indices, values) = (self.obs.indices(), self.obs.values());
        if lambda > 0.0 {
            // x_Ω = (s + y/λ)/(1/λ + Kη) where s = Kη·x_Ω before the update.
            let on = 1.0 / (1.0 + lambda * count * eta);
            for (&i, &y) in indices.iter().zip(values) {
                self.x[i] = (lambda * count * eta * self.x[i] + y) * on;
            }
        } else {
            for (&i, &y) in indices.iter().zip(values) {
                self.x[i] = y;
            }
        }
    }

    /// Primal objective `Σ γ_k ‖X_(k)‖_* + (1/2λ)‖Ω(X) − y‖²`.
    fn objective(&mut self) -> Result<f64, TensorError> {
        let mut f = 0.0;
        for (spectrum, &(_, gamma)) in self.spectra.iter_mut().zip(&self.terms) {
            f += gamma * spectrum.nuclear_norm(&self.x)?;
        }
        if self.lambda > 0.0 {
            let misfit: f64 =
                self.obs.indices().iter().zip(self.obs.values()).map(|(&i, &y)| (self.x[i] - y).powi(2)).sum();
            f += 0.5 * misfit / self.lambda;
        }
        Ok(f)
    }

    /// Dual objective at the feasible point built from the multipliers (see the module docs).
    fn dual(&mut self) -> Result<f64, TensorError> {
        let count = self.terms.len() as f64;
        self.unobserved_sum.fill(0.0);
        for a in &self.a {
            self.unobserved_sum.iter_mut().zip(a).for_each(|(s, &a)| *s += a);
        }
        let mut beta: Vec<f64> = self.obs.indices().iter().map(|&i| self.unobserved_sum[i]).collect();
        for (s, &observed) in self.unobserved_sum.iter_mut().zip(&self.mask) {
            *s = if observed { 0.0 } else { *s / count };
        }
        let mut scale: f64 = 1.0;
        for ((spectrum, a), &(_, gamma)) in self.spectra.iter_mut().zip(&self.a).zip(&self.terms) {
            for ((s, &a), &m) in self.scratch.iter_mut().zip(a).zip(&self.unobserved_sum) {
                *s = a - m;
            }
            let norm = spectrum.spectral_norm(&self.scratch)?;
            if norm > 0.0 {
                scale = scale.min(gamma / norm);
            }
        }
        beta.iter_mut().for_each(|b| *b *= scale);
        let by: f64 = beta.iter().zip(self.obs.values()).map(|(b, y)| b * y).sum();
        let bb: f64 = beta.iter().map(|b| b * b).sum();
        Ok(by - 0.5 * self.lambda * bb)
    }
}

impl Admm for Overlapped<'_> {
    fn step(&mut self) -> Result<Step, TensorError> {
        self.update_x();
        let eta = self.eta;
        let mut primal_residual: f64 = 0.0;
        for t in 0..self.terms.len() {
            let (z, a) = (&mut self.z[t], &mut self.a[t]);
            for ((z, &x), &a) in z.iter_mut().zip(&self.x).zip(a.iter()) {
                *z = x + a / eta;
            }
            self.ranks[t] = self.spectra[t].shrink(z, self.terms[t].1 / eta)?.rank;
            let mut violation = 0.0;
            for ((a, &x), &z) in a.iter_mut().zip(&self.x).zip(z.iter()) {
                let v = x - z;
                *a += eta * v;
                violation += v * v;
            }
            primal_residual = primal_residual.max(violation.sqrt());
        }
        Ok(Step { objective: self.objective()?, dual: self.dual()?, primal_residual })
    }

    fn estimate(&self, x: &mut [f64]) {
        x.copy_from_slice(&self.x);
    }

    fn component_ranks(&self) -> Vec<usize> {
        let mut ranks = vec![0; self.obs.shape().order()];
        for (&(k, _), &r) in self.terms.iter().zip(&self.ranks) {
            ranks[k] = r;
        }
        ranks
    }
}
