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
use super::tree::try_each;
use super::TensorError;
use faer::Par;

/// One latent component `Z_k` with its workspaces. Step 1 reads only `A`, so the components
/// are updated in parallel, their results kept here and combined in mode order.
struct Component {
    gamma: f64,
    z: Vec<f64>,
    /// `Z_k + ηA_(k)` before thresholding; the old `Z_k` after it.
    scratch: Vec<f64>,
    spectrum: ModeSpectrum,
    rank: usize,
    /// `‖V_k‖_op` in a step, then the exact `‖A_(k)‖_op`; and the distance `‖A_(k) − V_k‖_F`.
    norm: f64,
    gap: f64,
    /// Thresholded nuclear norm `‖Z_k‖_*` of the current iterate.
    nuclear: f64,
    /// `‖Z_k − Ω*shift‖_*` at the last exact evaluation (`λ = 0`).
    shifted_nuclear: f64,
    /// `(V_k)_Ω` and `‖(V_k)_{Ωᶜ}‖²`.
    v_observed: Vec<f64>,
    v_unobserved: f64,
}

impl Component {
    /// `Z_k ← prox(Z_k + ηA_(k))`, `V_k` and the bound `‖V_k‖_op`.
    fn update(&mut self, par: Par, obs: &Observations, a: &[f64], mask: &[bool], eta: f64) -> Result<(), TensorError> {
        let inv_eta = 1.0 / eta;
        let z = &self.z;
        update(par, &mut self.scratch, |start, s| {
            let (z, a) = (&z[start..start + s.len()], &a[start..start + s.len()]);
            s.iter_mut().zip(z).zip(a).for_each(|((s, &z), &a)| *s = z + eta * a);
            0.0
        });
        let shrink = self.spectrum.shrink(&mut self.scratch, self.gamma * eta)?;
        self.rank = shrink.rank;
        self.nuclear = shrink.nuclear_norm;
        // Off Ω, A = 0 and V_k = (Z_old − Z_new)/η.
        let (old, new) = (&self.z, &self.scratch);
        self.v_unobserved = reduce(par, new.len(), |range| {
            range.filter(|&i| !mask[i]).map(|i| ((old[i] - new[i]) * inv_eta).powi(2)).sum()
        });
        for (v, &i) in self.v_observed.iter_mut().zip(obs.indices()) {
            *v = (old[i] + eta * a[i] - new[i]) * inv_eta;
        }
        core::mem::swap(&mut self.z, &mut self.scratch);
        self.norm = (shrink.sigma_max * inv_eta).min(self.gamma);
        Ok(())
    }

    /// `‖A_(k) − V_k‖_F` for `A = Ω*α`.
    fn distance_to_projection(&self, alpha: &[f64]) -> f64 {
        let observed: f64 = alpha.iter().zip(&self.v_observed).map(|(a, v)| (a - v) * (a - v)).sum();
        (observed + self.v_unobserved).sqrt()
    }
}

pub(crate) struct Latent<'a> {
    obs: &'a Observations,
    lambda: f64,
    eta: f64,
    par: Par,
    alpha: Vec<f64>,
    /// `A = Ω*α` as a dense tensor (zero off `Ω`).
    a: Vec<f64>,
    components: Vec<Component>,
    /// `(ΣZ_k)_Ω` and `(ΣV_k)_Ω` of the current iteration.
    z_sum: Vec<f64>,
    v_sum: Vec<f64>,
    mask: Vec<bool>,
}

impl<'a> Latent<'a> {
    pub fn new(obs: &'a Observations, gamma: Vec<f64>, lambda: f64, eta: f64, par: Par) -> Self {
        let shape = obs.shape();
        let (len, m) = (shape.len(), obs.len());
        let mut a = vec![0.0; len];
        for (&i, &y) in obs.indices().iter().zip(obs.values()) {
            a[i] = y;
        }
        let components = gamma
            .into_iter()
            .enumerate()
            .map(|(k, gamma)| Component {
                gamma,
                z: vec![0.0; len],
                scratch: vec![0.0; len],
                spectrum: ModeSpectrum::new(shape, k, par),
                rank: 0,
                norm: 0.0,
                gap: 0.0,
                nuclear: 0.0,
                shifted_nuclear: 0.0,
                v_observed: vec![0.0; m],
                v_unobserved: 0.0,
            })
            .collect();
        Self {
            obs,
            lambda,
            eta,
            par,
            alpha: obs.values().to_vec(),
            a,
            components,
            z_sum: vec![0.0; m],
            v_sum: vec![0.0; m],
            mask: obs.mask(),
        }
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

    /// `Σ_k γ_k ‖Z_k‖_*` of the thresholded components.
    fn nuclear_norms(&self) -> f64 {
        self.components.iter().map(|c| c.gamma * c.nuclear).sum()
    }

    /// [`feasible_scale`] for the bounds `f(component)` on the `‖A_(k)‖_op`.
    fn scale(&self, f: impl Fn(&Component) -> f64) -> f64 {
        feasible_scale(self.components.iter().map(|c| (c.gamma, f(c))))
    }
}

impl Admm for Latent<'_> {
    fn step(&mut self) -> Result<Step, TensorError> {
        let (eta, lambda, par) = (self.eta, self.lambda, self.par);
        let order = self.components.len();
        let (obs, a, mask) = (self.obs, &self.a, &self.mask);
        try_each(par, &mut self.components, |_, c| c.update(par, obs, a, mask, eta))?;
        self.z_sum.fill(0.0);
        self.v_sum.fill(0.0);
        let mut primal_residual: f64 = 0.0;
        for c in &self.components {
            for (j, &i) in self.obs.indices().iter().enumerate() {
                self.v_sum[j] += c.v_observed[j];
                self.z_sum[j] += c.z[i];
            }
            primal_residual = primal_residual.max(c.distance_to_projection(&self.alpha));
        }
        let denominator = lambda + eta * order as f64;
        for (j, (&i, &y)) in self.obs.indices().iter().zip(self.obs.values()).enumerate() {
            self.alpha[j] = (y - self.z_sum[j] + eta * self.v_sum[j]) / denominator;
            self.a[i] = self.alpha[j];
        }
        let norms = self.nuclear_norms();
        let objective = if lambda > 0.0 {
            let f = 0.5 * self.misfit_norm().powi(2) / lambda + norms;
            (f, f)
        } else {
            let shift = self.misfit_norm() / order as f64;
            let slack: f64 = self.components.iter().map(|c| c.gamma * c.spectrum.nuclear_norm_slack() * shift).sum();
            ((norms - slack).max(0.0), norms + slack)
        };
        for c in &mut self.components {
            c.gap = c.distance_to_projection(&self.alpha);
        }
        let s_lo = self.scale(|c| c.norm + c.gap);
        let s_hi = self.scale(|c| (c.norm - c.gap).max(0.0));
        let (ay, aa) = self.candidate();
        Ok(Step { objective, dual: scaled_dual(ay, aa, lambda, s_lo, s_hi), primal_residual })
    }

    /// The dual with exact `‖A_(k)‖_op` (components in parallel).
    fn exact_dual(&mut self) -> Result<f64, TensorError> {
        let a = &self.a;
        try_each(self.par, &mut self.components, |_, c| {
            c.norm = c.spectrum.spectral_norm(a)?;
            Ok(())
        })?;
        let scale = self.scale(|c| c.norm);
        let (ay, aa) = self.candidate();
        Ok(scaled_dual(ay, aa, self.lambda, scale, scale).0)
    }

    /// The objective (for `λ = 0`, `Σγ_k ‖Z_k − Ω*shift‖_*` with `shift = ((ΣZ_k)_Ω − y)/K`,
    /// the objective of the feasible point; components in parallel).
    fn exact_objective(&mut self) -> Result<f64, TensorError> {
        if self.lambda > 0.0 {
            return Ok(0.5 * self.misfit_norm().powi(2) / self.lambda + self.nuclear_norms());
        }
        let order = self.components.len() as f64;
        let (obs, z_sum) = (self.obs, &self.z_sum);
        try_each(self.par, &mut self.components, |_, c| {
            c.scratch.copy_from_slice(&c.z);
            for ((&i, &y), &s) in obs.indices().iter().zip(obs.values()).zip(z_sum) {
                c.scratch[i] -= (s - y) / order;
            }
            c.shifted_nuclear = c.spectrum.nuclear_norm(&c.scratch)?;
            Ok(())
        })?;
        Ok(self.components.iter().fold(0.0, |f, c| f + c.gamma * c.shifted_nuclear))
    }

    fn eta(&self) -> f64 {
        self.eta
    }

    fn estimate(&self, x: &mut [f64]) {
        let components = &self.components;
        update(self.par, x, |start, out| {
            out.fill(0.0);
            let len = out.len();
            for c in components {
                out.iter_mut().zip(&c.z[start..start + len]).for_each(|(x, &z)| *x += z);
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
        self.components.iter().map(|c| c.rank).collect()
    }
}
