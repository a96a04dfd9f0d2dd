//! The driver shared by the ADMM solvers: stopping on the relative duality gap, progress and
//! cancellation, and keeping the best iterate.

use super::latent::Latent;
use super::observations::Observations;
use super::options::{Estimate, Info, Method, Options, Progress, Termination};
use super::overlapped::Overlapped;
use super::svt::ModeSpectrum;
use super::TensorError;
use core::ops::ControlFlow;

/// What one ADMM iteration reports.
pub(crate) struct Step {
    /// Bounds `lo ≤ f ≤ hi` on the primal objective at the current (primal-feasible) iterate,
    /// from quantities the iteration computes anyway.
    pub objective: (f64, f64),
    /// `(d, d_max)`: the dual objective `d` of a feasible point, and an upper bound on the
    /// dual objective [`Admm::exact`] would give.
    pub dual: (f64, f64),
    /// Largest per-mode constraint violation.
    pub primal_residual: f64,
}

/// One ADMM scheme.
pub(crate) trait Admm {
    fn step(&mut self) -> Result<Step, TensorError>;
    /// The exact primal objective at the current iterate.
    fn exact_objective(&mut self) -> Result<f64, TensorError>;
    /// The dual objective of the feasible point the published method builds from the current
    /// iterate (exact spectral norms).
    fn exact_dual(&mut self) -> Result<f64, TensorError>;
    /// The current penalty (fixed unless the solver adapts it).
    fn eta(&self) -> f64;
    /// Writes the current primal iterate.
    fn estimate(&self, x: &mut [f64]);
    /// Rank of each mode's split variable or latent component (0 for unused modes).
    fn component_ranks(&self) -> Vec<usize>;
}

/// A progress callback: return `ControlFlow::Break(())` to cancel.
pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress) -> ControlFlow<()>;

/// Completes (or, with every entry observed, denoises) a tensor by the chosen trace-norm
/// estimator. On [`Termination::MaxIterations`] and [`Termination::Cancelled`] the estimate is
/// the iterate with the smallest relative duality gap seen.
pub fn complete(
    obs: &Observations,
    method: Method,
    options: &Options,
    progress: Option<ProgressFn<'_>>,
) -> Result<Estimate, TensorError> {
    let gamma = options.validate(obs.shape(), method)?;
    let eta = match options.eta {
        Some(eta) => eta,
        None => {
            let spread = obs.sample_std().filter(|&s| s > 0.0).ok_or(TensorError::ZeroSpread)?;
            match method {
                Method::Latent => 10.0 * spread,
                Method::AsMatrix { .. } | Method::Overlapped => 1.0 / (10.0 * spread),
            }
        }
    };
    match method {
        Method::AsMatrix { mode } => {
            let terms = vec![(mode, gamma[mode])];
            run(&mut Overlapped::new(obs, terms, eta, options), obs, options, progress)
        }
        Method::Overlapped => {
            let terms = gamma.into_iter().enumerate().collect();
            run(&mut Overlapped::new(obs, terms, eta, options), obs, options, progress)
        }
        Method::Latent => run(&mut Latent::new(obs, gamma, options.lambda, eta, options.par), obs, options, progress),
    }
}

/// `(f − d)/f`, 0 for the zero problem.
fn relative_gap(objective: f64, dual: f64) -> f64 {
    if objective > 0.0 { (objective - dual) / objective } else { 0.0 }
}

fn run(
    admm: &mut dyn Admm,
    obs: &Observations,
    options: &Options,
    mut progress: Option<ProgressFn<'_>>,
) -> Result<Estimate, TensorError> {
    let mut best_x = vec![0.0; obs.shape().len()];
    let mut best: Option<(f64, Step)> = None;
    let mut dual = f64::NEG_INFINITY;
    let mut termination = Termination::MaxIterations;
    let mut iterations = 0;
    let (mut exact_duals, mut exact_objectives) = (0, 0);
    while iterations < options.max_iter {
        iterations += 1;
        let step = admm.step()?;
        // The exact objective and dual cost K spectral computations each; they are only
        // needed when the gap might be below tol (or at the last iteration). Otherwise the gap
        // at the smallest possible objective and largest possible dual already shows that it
        // is not (the gap 1 − d/f falls with d, grows with f for d > 0 and is ≥ 1 for d ≤ 0),
        // and the bounds are used: the stopping decision is the one exact evaluation would
        // make. The exact dual comes first: with it, the objective's lower bound may already
        // settle the decision.
        let ((f_lo, f_hi), (d, d_max)) = (step.objective, step.dual);
        let last = iterations == options.max_iter;
        let far = |most: f64| !last && relative_gap(f_lo, most) >= options.tol && (most > 0.0 || options.tol <= 1.0);
        let settled = far(dual.max(d_max));
        let d = if settled {
            d
        } else {
            exact_duals += 1;
            admm.exact_dual()?
        };
        let objective = if settled || far(dual.max(d)) {
            f_hi
        } else {
            exact_objectives += 1;
            admm.exact_objective()?
        };
        dual = dual.max(d);
        let gap = relative_gap(objective, dual);
        let step = Step { objective: (objective, objective), ..step };
        let report = Progress { iteration: iterations, objective, duality_gap: gap, primal_residual: step.primal_residual, eta: admm.eta() };
        if best.as_ref().is_none_or(|(g, _)| gap <= *g) {
            admm.estimate(&mut best_x);
            best = Some((gap, step));
        }
        if let Some(f) = progress.as_mut() {
            if f(&report).is_break() {
                termination = Termination::Cancelled;
                break;
            }
        }
        if iterations > 1 && gap < options.tol {
            termination = Termination::Converged;
            break;
        }
    }
    let Some((duality_gap, step)) = best else {
        return Err(TensorError::InvalidParameter { name: "max_iter", value: 0.0, requirement: ">= 1" });
    };
    let data_residual = obs
        .indices()
        .iter()
        .zip(obs.values())
        .map(|(&i, &y)| (best_x[i] - y) * (best_x[i] - y))
        .sum::<f64>()
        .sqrt();
    let ranks = tucker_ranks(&best_x, obs, options)?;
    Ok(Estimate {
        info: Info {
            termination,
            iterations,
            exact_duals,
            exact_objectives,
            eta: admm.eta(),
            objective: step.objective.1,
            dual_objective: dual,
            duality_gap,
            primal_residual: step.primal_residual,
            data_residual,
            ranks,
            component_ranks: admm.component_ranks(),
        },
        x: best_x,
    })
}

/// Per-mode ranks: singular values of `X_(k)` above `rank_threshold · σ_max`.
fn tucker_ranks(x: &[f64], obs: &Observations, options: &Options) -> Result<Vec<usize>, TensorError> {
    let shape = obs.shape();
    (0..shape.order())
        .map(|k| {
            let mut spectrum = ModeSpectrum::new(shape, k, options.par);
            Ok(super::tucker::numerical_rank(spectrum.singular_values(x)?, options.rank_threshold))
        })
        .collect()
}

/// The dual objective `d(s) = s·βᵀy − (λ/2)s²‖β‖²` of the scaled candidate `sβ`, at `s_lo`
/// (a feasible scale) and its maximum over `[s_lo, s_hi]` (an interval known to hold the
/// scale exact spectral norms would give). `by = βᵀy`, `bb = ‖β‖²`.
pub(crate) fn scaled_dual(by: f64, bb: f64, lambda: f64, s_lo: f64, s_hi: f64) -> (f64, f64) {
    let d = |s: f64| s * by - 0.5 * lambda * s * s * bb;
    let peak = if lambda * bb > 0.0 { (by / (lambda * bb)).clamp(s_lo, s_hi) } else if by > 0.0 { s_hi } else { s_lo };
    (d(s_lo), d(s_lo).max(d(s_hi)).max(d(peak)))
}

/// The scale `min(1, min_k γ_k/norm_k)` that makes `‖s·A_k‖_op ≤ γ_k` given `‖A_k‖_op ≤ norm_k`,
/// from the pairs `(γ_k, norm_k)`.
pub(crate) fn feasible_scale(bounds: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    bounds.into_iter().fold(1.0f64, |s, (g, norm)| if norm > 0.0 { s.min(g / norm) } else { s })
}
