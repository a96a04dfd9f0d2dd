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
    /// Primal objective at the current (primal-feasible) iterate.
    pub objective: f64,
    /// Dual objective at a dual-feasible point built from the multipliers.
    pub dual: f64,
    /// Largest per-mode constraint violation.
    pub primal_residual: f64,
}

/// One ADMM scheme.
pub(crate) trait Admm {
    fn step(&mut self) -> Result<Step, TensorError>;
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
            run(&mut Overlapped::new(obs, terms, options.lambda, eta, options.par), obs, options, eta, progress)
        }
        Method::Overlapped => {
            let terms = gamma.into_iter().enumerate().collect();
            run(&mut Overlapped::new(obs, terms, options.lambda, eta, options.par), obs, options, eta, progress)
        }
        Method::Latent => run(&mut Latent::new(obs, gamma, options.lambda, eta, options.par), obs, options, eta, progress),
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
    eta: f64,
    mut progress: Option<ProgressFn<'_>>,
) -> Result<Estimate, TensorError> {
    let mut best_x = vec![0.0; obs.shape().len()];
    let mut best: Option<(f64, Step)> = None;
    let mut dual = f64::NEG_INFINITY;
    let mut termination = Termination::MaxIterations;
    let mut iterations = 0;
    while iterations < options.max_iter {
        iterations += 1;
        let step = admm.step()?;
        dual = dual.max(step.dual);
        let gap = relative_gap(step.objective, dual);
        let report = Progress {
            iteration: iterations,
            objective: step.objective,
            duality_gap: gap,
            primal_residual: step.primal_residual,
        };
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
            eta,
            objective: step.objective,
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
