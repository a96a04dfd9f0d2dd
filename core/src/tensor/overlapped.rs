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
//! Options (off by default): over-relaxation by `α` (Boyd et al. 2011, §3.4.3) replaces
//! `X_(k)` in steps 2 and 3 by `X̂_k = αX_(k) + (1 − α)Z_k^old`, and still `A_k = η(P_k − Z_k)`.
//! Residual balancing (§3.4.1) compares the primal residual `r = (Σ_k‖X_(k) − Z_k‖²)^½` with the
//! dual residual `s = ‖(ΣA_k)_{Ωᶜ}‖`, the infeasibility of the multipliers as a dual point
//! (`s` is `M` above, times `K`). Off `Ω` the X-update gives `KX = ΣZ_k^old − ΣA_k^old/η`, so
//! for `α = 1` after step 3 `ΣA_k = −ηΣ_k(Z_k − Z_k^old)` there: `s` is Boyd's dual residual
//! `η‖Σ_k(Z_k − Z_k^old)‖` on the entries the X-update is free in, at no cost. `η ← 2η` when
//! `r > 10s`, `η ← η/2` when `s > 10r`, at most [`BALANCE_MAX_CHANGES`] times, so that `η` is
//! eventually fixed and the fixed-penalty convergence theory applies. The multipliers are
//! unscaled and carry over unchanged; every bound above uses the `η` of its iteration.
//!
//! Objective bounds: `|‖X_(k)‖_* − ‖Z_k‖_*| ≤ ‖X_(k) − Z_k‖_* ≤ √min(n_k, N/n_k) ‖X_(k) − Z_k‖_F`
//! with `‖Z_k‖_*` known from the thresholding; and, tighter in practice, the subgradient
//! inequality `‖X_(k)‖_* ≥ ‖Z_k‖_* + ⟨X_(k) − Z_k, A_k⟩/γ_k`, since the optimality of the prox
//! in step 2 makes `A_k/γ_k = (P_k − Z_k)/τ_k` a subgradient of `‖·‖_*` at `Z_k`
//! (`⟨X_(k) − Z_k, A_k⟩` is summed in step 3's pass).

use super::elementwise::{reduce, update, update_many, update_sums};
use super::observations::Observations;
use super::options::Options;
use super::solve::{feasible_scale, scaled_dual, Admm, Step};
use super::svt::ModeSpectrum;
use super::tree::try_each;
use super::TensorError;
use faer::Par;

/// One term `γ_k‖X_(k)‖_*`: its split variable, multiplier and workspaces. Terms are updated
/// in parallel (each is independent given `X`), their results kept here and combined in term
/// order.
struct Term {
    mode: usize,
    gamma: f64,
    z: Vec<f64>,
    a: Vec<f64>,
    spectrum: ModeSpectrum,
    /// `A_k − M`, for the exact dual.
    scratch: Vec<f64>,
    rank: usize,
    /// The bound `‖A_k‖_op` of a step, then the exact `‖A_k − M‖_op`.
    norm: f64,
    /// The last step's `‖X_(k) − Z_k‖²` and bounds `lo ≤ ‖X_(k)‖_* ≤ hi`.
    squares: f64,
    lo: f64,
    hi: f64,
    /// `‖X_(k)‖_*` at the last exact evaluation.
    nuclear: f64,
}

impl Term {
    /// Steps 2 and 3 for this term.
    fn step(&mut self, par: Par, x: &[f64], eta: f64, beta: f64) -> Result<(), TensorError> {
        // Z_k ← P_k = X̂_k + A_k/η, X̂_k − X_(k) = (1 − α)(Z_k^old − X_(k)).
        relaxed_point(par, x, &mut self.z, &mut self.a, eta, beta);
        let shrink = self.spectrum.shrink(&mut self.z, self.gamma * (1.0 / eta))?;
        self.rank = shrink.rank;
        self.norm = (eta * shrink.sigma_max).min(self.gamma);
        let [squares, inner] = multiplier_update(par, x, &self.z, &mut self.a, eta);
        let slack = self.spectrum.nuclear_norm_slack() * squares.sqrt();
        let subgradient = shrink.nuclear_norm + inner / self.gamma;
        self.squares = squares;
        self.lo = (shrink.nuclear_norm - slack).max(subgradient).max(0.0);
        self.hi = shrink.nuclear_norm + slack;
        Ok(())
    }
}

pub(crate) struct Overlapped<'a> {
    obs: &'a Observations,
    terms: Vec<Term>,
    lambda: f64,
    eta: f64,
    /// Over-relaxation `α` (1: none).
    relaxation: f64,
    /// Changes of `η` residual balancing may still make (0 without balancing).
    balance_changes: usize,
    par: Par,
    x: Vec<f64>,
    mask: Vec<bool>,
    /// `M = (ΣA_k)_{Ωᶜ}/K`, for the exact dual.
    mean_off_support: Vec<f64>,
}

impl<'a> Overlapped<'a> {
    /// The solver for the terms `(mode, γ_k)` with starting penalty `eta`; `options` give `λ`,
    /// the accelerations and the parallelism.
    pub fn new(obs: &'a Observations, terms: Vec<(usize, f64)>, eta: f64, options: &Options) -> Self {
        let shape = obs.shape();
        let (len, par) = (shape.len(), options.par);
        let terms = terms
            .into_iter()
            .map(|(mode, gamma)| Term {
                mode,
                gamma,
                z: vec![0.0; len],
                a: vec![0.0; len],
                spectrum: ModeSpectrum::new(shape, mode, par),
                scratch: vec![0.0; len],
                rank: 0,
                norm: 0.0,
                squares: 0.0,
                lo: 0.0,
                hi: 0.0,
                nuclear: 0.0,
            })
            .collect();
        Self {
            obs,
            terms,
            lambda: options.lambda,
            eta,
            relaxation: options.relaxation,
            balance_changes: if options.residual_balancing { BALANCE_MAX_CHANGES } else { 0 },
            par,
            x: vec![0.0; len],
            mask: obs.mask(),
            mean_off_support: vec![0.0; len],
        }
    }

    /// Step 1: the exact X-update.
    fn update_x(&mut self) {
        let (eta, lambda) = (self.eta, self.lambda);
        let count = self.terms.len() as f64;
        let off = 1.0 / (count * eta);
        let terms = &self.terms;
        update(self.par, &mut self.x, |start, x| {
            x.fill(0.0);
            for t in terms {
                let (z, a) = (&t.z[start..start + x.len()], &t.a[start..start + x.len()]);
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

    /// `(ΣA_k)_i`.
    fn multiplier_sum(terms: &[Term], i: usize) -> f64 {
        terms.iter().map(|t| t.a[i]).sum()
    }

    /// `(βᵀy, ‖β‖²)` for the unscaled candidate `β = (ΣA_k)_Ω`.
    fn candidate(&self) -> (f64, f64) {
        let (mut by, mut bb) = (0.0, 0.0);
        for (&i, &y) in self.obs.indices().iter().zip(self.obs.values()) {
            let b = Self::multiplier_sum(&self.terms, i);
            by += b * y;
            bb += b * b;
        }
        (by, bb)
    }

    /// [`feasible_scale`] for the bounds `f(norm_k)` on the terms' `‖A_k‖_op`.
    fn scale(&self, f: impl Fn(f64) -> f64) -> f64 {
        feasible_scale(self.terms.iter().map(|t| (t.gamma, f(t.norm))))
    }

    /// Dual bracket from `‖A_k‖_op` (in the terms' `norm`) and `‖M‖_F`, without spectral
    /// computations, and `‖(ΣA_k)_{Ωᶜ}‖ = K‖M‖_F`.
    fn dual_bounds(&self) -> ((f64, f64), f64) {
        let count = self.terms.len() as f64;
        let (terms, mask) = (&self.terms, &self.mask);
        let off_support = reduce(self.par, self.x.len(), |range| {
            range.filter(|&i| !mask[i]).map(|i| Self::multiplier_sum(terms, i).powi(2)).sum()
        });
        let m = off_support.sqrt() / count;
        let s_lo = self.scale(|n| n + m);
        let s_hi = self.scale(|n| (n - m).max(0.0));
        let (by, bb) = self.candidate();
        (scaled_dual(by, bb, self.lambda, s_lo, s_hi), off_support.sqrt())
    }

    /// The dual objective with exact spectral norms `‖A_k − M‖_op` (terms in parallel).
    fn feasible_dual(&mut self) -> Result<f64, TensorError> {
        let count = self.terms.len() as f64;
        let (terms, mask) = (&self.terms, &self.mask);
        update(self.par, &mut self.mean_off_support, |start, out| {
            for (j, m) in out.iter_mut().enumerate() {
                let i = start + j;
                *m = if mask[i] { 0.0 } else { Self::multiplier_sum(terms, i) / count };
            }
            0.0
        });
        let (par, m) = (self.par, &self.mean_off_support);
        try_each(par, &mut self.terms, |_, t| {
            let a = &t.a;
            update(par, &mut t.scratch, |start, s| {
                let (a, m) = (&a[start..start + s.len()], &m[start..start + s.len()]);
                s.iter_mut().zip(a).zip(m).for_each(|((s, &a), &m)| *s = a - m);
                0.0
            });
            t.norm = t.spectrum.spectral_norm(&t.scratch)?;
            Ok(())
        })?;
        let scale = self.scale(|n| n);
        let (by, bb) = self.candidate();
        Ok(scaled_dual(by, bb, self.lambda, scale, scale).0)
    }

    /// Residual balancing: adapts `η` for the next iteration from the primal and dual
    /// residuals `r`, `s`.
    fn balance(&mut self, r: f64, s: f64) {
        if self.balance_changes == 0 {
            return;
        }
        let factor = if r > BALANCE_RATIO * s {
            BALANCE_FACTOR
        } else if s > BALANCE_RATIO * r {
            1.0 / BALANCE_FACTOR
        } else {
            return;
        };
        self.eta *= factor;
        self.balance_changes -= 1;
    }
}

/// Residual balancing: the ratio of the residuals that triggers a change of `η`, and the
/// factor applied (Boyd et al. 2011, §3.4.1: μ = 10, τ = 2).
const BALANCE_RATIO: f64 = 10.0;
const BALANCE_FACTOR: f64 = 2.0;
/// The most changes of `η` residual balancing makes in one solve.
const BALANCE_MAX_CHANGES: usize = 50;

/// `z ← X̂ + a/η` with `X̂ = x + β(z − x)`, `β = 1 − α`. With relaxation `a` absorbs
/// `η(X̂ − x)` so that step 3 can use `x`: then `z = x + a/η`.
fn relaxed_point(par: Par, x: &[f64], z: &mut [f64], a: &mut [f64], eta: f64, beta: f64) {
    let inv_eta = 1.0 / eta;
    if beta == 0.0 {
        update(par, z, |start, z| {
            let (x, a) = (&x[start..start + z.len()], &a[start..start + z.len()]);
            z.iter_mut().zip(x).zip(a).for_each(|((z, &x), &a)| *z = x + a * inv_eta);
            0.0
        });
    } else {
        update_many(par, [z, a], |start, [z, a]| {
            let x = &x[start..start + z.len()];
            for ((&x, z), a) in x.iter().zip(z.iter_mut()).zip(a.iter_mut()) {
                *a += eta * beta * (*z - x);
                *z = x + *a * inv_eta;
            }
            0.0
        });
    }
}

/// `a ← a + η(x − z)`; returns `‖x − z‖²` and `⟨x − z, a⟩` (with the updated `a`).
fn multiplier_update(par: Par, x: &[f64], z: &[f64], a: &mut [f64], eta: f64) -> [f64; 2] {
    update_sums(par, a, |start, a| {
        let (x, z) = (&x[start..start + a.len()], &z[start..start + a.len()]);
        a.iter_mut().zip(x).zip(z).fold([0.0, 0.0], |[squares, inner], ((a, &x), &z)| {
            let v = x - z;
            *a += eta * v;
            [squares + v * v, inner + v * *a]
        })
    })
}

impl Admm for Overlapped<'_> {
    fn step(&mut self) -> Result<Step, TensorError> {
        self.update_x();
        let (par, eta, beta) = (self.par, self.eta, 1.0 - self.relaxation);
        let x = &self.x;
        try_each(par, &mut self.terms, |_, t| t.step(par, x, eta, beta))?;
        let (mut lo, mut hi) = (0.0, 0.0);
        let (mut primal_residual, mut residual_squares): (f64, f64) = (0.0, 0.0);
        for t in &self.terms {
            residual_squares += t.squares;
            primal_residual = primal_residual.max(t.squares.sqrt());
            lo += t.gamma * t.lo;
            hi += t.gamma * t.hi;
        }
        let misfit = self.misfit();
        let (dual, dual_residual) = self.dual_bounds();
        self.balance(residual_squares.sqrt(), dual_residual);
        Ok(Step { objective: (lo + misfit, hi + misfit), dual, primal_residual })
    }

    fn exact_objective(&mut self) -> Result<f64, TensorError> {
        let x = &self.x;
        try_each(self.par, &mut self.terms, |_, t| {
            t.nuclear = t.spectrum.nuclear_norm(x)?;
            Ok(())
        })?;
        Ok(self.terms.iter().fold(self.misfit(), |f, t| f + t.gamma * t.nuclear))
    }

    fn exact_dual(&mut self) -> Result<f64, TensorError> {
        self.feasible_dual()
    }

    fn estimate(&self, x: &mut [f64]) {
        update(self.par, x, |start, out| {
            out.copy_from_slice(&self.x[start..start + out.len()]);
            0.0
        });
    }

    fn eta(&self) -> f64 {
        self.eta
    }

    fn component_ranks(&self) -> Vec<usize> {
        let mut ranks = vec![0; self.obs.shape().order()];
        for t in &self.terms {
            ranks[t.mode] = t.rank;
        }
        ranks
    }
}
