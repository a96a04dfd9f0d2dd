//! The overlapped trace norm ("Constraint") and single-unfolding ("As a matrix") estimators.
//!
//! `min_X Σ_{k∈T} γ_k ‖X_(k)‖_* + (1/2λ)‖Ω(X) − y‖²` (with `λ = 0`: subject to `Ω(X) = y`) is
//! split as `Z_k = X_(k)` with multipliers `A_k` and penalty `η` (Tomioka et al. 2011). With
//! `K = |T|`, one iteration is
//! 1. `X = (Σ_k (ηZ_k − A_k) + Ω*y/λ) ⊘ (Ω*1/λ + Kη)`; for `λ = 0`, `X = Σ_k (ηZ_k − A_k)/(Kη)`
//!    then `X_Ω = y` (the exact minimiser of the augmented Lagrangian in `X`);
//! 2. `Z_k = prox_{(γ_k/η)‖·‖_*}(P_k)`, `P_k = X_(k) + A_k/η`;
//! 3. `A_k += η (X_(k) − Z_k)`, so that `A_k = η(P_k − Z_k)` and `‖A_k‖_op = min(ησ_1(P_k), γ_k)`.
//!
//! Duality gap: the primal objective at `X` against the dual objective `βᵀy − (λ/2)‖β‖²` of a
//! feasible point built from the multipliers: `ΣA_k` is made to vanish off `Ω` by removing
//! `M = (ΣA_k)_{Ωᶜ}/K` from every `A_k`; then all are scaled by one common factor
//! `s = min(1, min_k γ_k/‖A_k − M‖_op)`; `β = s(ΣA_k)_Ω`. (The reference code estimates each
//! `‖A_k − M‖_op` by a randomised method, which can only underestimate it, and applies the last
//! mode's factor to every mode, which can leave the point infeasible; Tessera computes the
//! norms exactly and uses the common factor.) Between exact evaluations the triangle
//! inequality `|‖A_k − M‖_op − ‖A_k‖_op| ≤ ‖M‖_F` brackets `s` at no cost.
//!
//! Objective bounds: `|‖X_(k)‖_* − ‖Z_k‖_*| ≤ ‖X_(k) − Z_k‖_* ≤ √min(n_k, N/n_k) ‖X_(k) − Z_k‖_F`
//! with `‖Z_k‖_*` known from the thresholding.

use super::elementwise::{reduce, update};
use super::observations::Observations;
use super::solve::{feasible_scale, scaled_dual, Admm, Step};
use super::svt::ModeSpectrum;
use super::TensorError;
use faer::Par;

pub(crate) struct Overlapped<'a> {
    obs: &'a Observations,
    /// `(mode, γ_k)` of every term.
    terms: Vec<(usize, f64)>,
    lambda: f64,
    eta: f64,
    par: Par,
    x: Vec<f64>,
    z: Vec<Vec<f64>>,
    a: Vec<Vec<f64>>,
    spectra: Vec<ModeSpectrum>,
    ranks: Vec<usize>,
    mask: Vec<bool>,
    /// `M = (ΣA_k)_{Ωᶜ}/K` and `A_k − M`, for the exact dual.
    mean_off_support: Vec<f64>,
    scratch: Vec<f64>,
}

impl<'a> Overlapped<'a> {
    pub fn new(obs: &'a Observations, terms: Vec<(usize, f64)>, lambda: f64, eta: f64, par: Par) -> Self {
        let shape = obs.shape();
        let len = shape.len();
        let spectra = terms.iter().map(|&(k, _)| ModeSpectrum::new(shape, k, par)).collect();
        Self {
            obs,
            lambda,
            eta,
            par,
            x: vec![0.0; len],
            z: terms.iter().map(|_| vec![0.0; len]).collect(),
            a: terms.iter().map(|_| vec![0.0; len]).collect(),
            spectra,
            ranks: vec![0; terms.len()],
            terms,
            mask: obs.mask(),
            mean_off_support: vec![0.0; len],
            scratch: vec![0.0; len],
        }
    }

    /// Step 1: the exact X-update.
    fn update_x(&mut self) {
        let (eta, lambda) = (self.eta, self.lambda);
        let count = self.terms.len() as f64;
        let off = 1.0 / (count * eta);
        let (z, a) = (&self.z, &self.a);
        update(self.par, &mut self.x, |start, x| {
            x.fill(0.0);
            for (z, a) in z.iter().zip(a) {
                let (z, a) = (&z[start..start + x.len()], &a[start..start + x.len()]);
                x.iter_mut().zip(z).zip(a).for_each(|((x, &z), &a)| *x += eta * z - a);
            }
            x.iter_mut().for_each(|x| *x *= off);
            0.0
        });
        let (indices, values) = (self.obs.indices(), self.obs.values());
        if lambda > 0.0 {
            // x_Ω = (s + y/λ)/(1/λ + Kη) where s = Kη·x_Ω before the update.
            let (w, on) = (lambda * count * eta, 1.0 / (1.0 + lambda * count * eta));
            for (&i, &y) in indices.iter().zip(values) {
                self.x[i] = (w * self.x[i] + y) * on;
            }
        } else {
            for (&i, &y) in indices.iter().zip(values) {
                self.x[i] = y;
            }
        }
    }

    /// `(1/2λ)‖Ω(X) − y‖²` (0 when `λ = 0`).
    fn misfit(&self) -> f64 {
        if self.lambda == 0.0 {
            return 0.0;
        }
        let ss: f64 = self.obs.indices().iter().zip(self.obs.values()).map(|(&i, &y)| (self.x[i] - y).powi(2)).sum();
        0.5 * ss / self.lambda
    }

    /// `(βᵀy, ‖β‖²)` for the unscaled candidate `β = (ΣA_k)_Ω`.
    fn candidate(&self) -> (f64, f64) {
        let (mut by, mut bb) = (0.0, 0.0);
        for (&i, &y) in self.obs.indices().iter().zip(self.obs.values()) {
            let b: f64 = self.a.iter().map(|a| a[i]).sum();
            by += b * y;
            bb += b * b;
        }
        (by, bb)
    }

    fn gammas(&self) -> Vec<f64> {
        self.terms.iter().map(|&(_, g)| g).collect()
    }

    /// Dual bracket from `‖A_k‖_op` (`op_norms`) and `‖M‖_F`, without spectral computations.
    fn dual_bounds(&self, op_norms: &[f64]) -> (f64, f64) {
        let count = self.terms.len() as f64;
        let (a, mask) = (&self.a, &self.mask);
        let off_support = reduce(self.par, self.x.len(), |range| {
            range
                .filter(|&i| !mask[i])
                .map(|i| {
                    let s: f64 = a.iter().map(|a| a[i]).sum();
                    s * s
                })
                .sum()
        });
        let m = off_support.sqrt() / count;
        let gamma = self.gammas();
        let s_lo = feasible_scale(&gamma, op_norms.iter().map(|n| n + m));
        let s_hi = feasible_scale(&gamma, op_norms.iter().map(|n| (n - m).max(0.0)));
        let (by, bb) = self.candidate();
        scaled_dual(by, bb, self.lambda, s_lo, s_hi)
    }

    /// The dual objective with exact spectral norms `‖A_k − M‖_op`.
    fn exact_dual(&mut self) -> Result<f64, TensorError> {
        let count = self.terms.len() as f64;
        let (a, mask) = (&self.a, &self.mask);
        update(self.par, &mut self.mean_off_support, |start, out| {
            for (j, m) in out.iter_mut().enumerate() {
                let i = start + j;
                *m = if mask[i] { 0.0 } else { a.iter().map(|a| a[i]).sum::<f64>() / count };
            }
            0.0
        });
        let mut norms = Vec::with_capacity(self.terms.len());
        for t in 0..self.terms.len() {
            let (a, m) = (&self.a[t], &self.mean_off_support);
            update(self.par, &mut self.scratch, |start, s| {
                let (a, m) = (&a[start..start + s.len()], &m[start..start + s.len()]);
                s.iter_mut().zip(a).zip(m).for_each(|((s, &a), &m)| *s = a - m);
                0.0
            });
            norms.push(self.spectra[t].spectral_norm(&self.scratch)?);
        }
        let scale = feasible_scale(&self.gammas(), norms);
        let (by, bb) = self.candidate();
        Ok(scaled_dual(by, bb, self.lambda, scale, scale).0)
    }
}

impl Admm for Overlapped<'_> {
    fn step(&mut self) -> Result<Step, TensorError> {
        self.update_x();
        let (eta, inv_eta) = (self.eta, 1.0 / self.eta);
        let (mut lo, mut hi) = (0.0, 0.0);
        let mut primal_residual: f64 = 0.0;
        let mut op_norms = vec![0.0; self.terms.len()];
        for t in 0..self.terms.len() {
            let (x, a) = (&self.x, &self.a[t]);
            update(self.par, &mut self.z[t], |start, z| {
                let (x, a) = (&x[start..start + z.len()], &a[start..start + z.len()]);
                z.iter_mut().zip(x).zip(a).for_each(|((z, &x), &a)| *z = x + a * inv_eta);
                0.0
            });
            let gamma = self.terms[t].1;
            let shrink = self.spectra[t].shrink(&mut self.z[t], gamma * inv_eta)?;
            self.ranks[t] = shrink.rank;
            op_norms[t] = (eta * shrink.sigma_max).min(gamma);
            let z = &self.z[t];
            let violation = update(self.par, &mut self.a[t], |start, a| {
                let (x, z) = (&x[start..start + a.len()], &z[start..start + a.len()]);
                a.iter_mut().zip(x).zip(z).fold(0.0, |acc, ((a, &x), &z)| {
                    let v = x - z;
                    *a += eta * v;
                    acc + v * v
                })
            })
            .sqrt();
            primal_residual = primal_residual.max(violation);
            let slack = self.spectra[t].nuclear_norm_slack() * violation;
            lo += gamma * (shrink.nuclear_norm - slack).max(0.0);
            hi += gamma * (shrink.nuclear_norm + slack);
        }
        let misfit = self.misfit();
        Ok(Step { objective: (lo + misfit, hi + misfit), dual: self.dual_bounds(&op_norms), primal_residual })
    }

    fn exact(&mut self) -> Result<(f64, f64), TensorError> {
        let mut f = self.misfit();
        for (spectrum, &(_, gamma)) in self.spectra.iter_mut().zip(&self.terms) {
            f += gamma * spectrum.nuclear_norm(&self.x)?;
        }
        Ok((f, self.exact_dual()?))
    }

    fn estimate(&self, x: &mut [f64]) {
        update(self.par, x, |start, out| {
            out.copy_from_slice(&self.x[start..start + out.len()]);
            0.0
        });
    }

    fn component_ranks(&self) -> Vec<usize> {
        let mut ranks = vec![0; self.obs.shape().order()];
        for (&(k, _), &r) in self.terms.iter().zip(&self.ranks) {
            ranks[k] = r;
        }
        ranks
    }
}
