//! Estimators, their options and what a solve reports.

use super::shape::{check_mode, Shape};
use super::TensorError;
use faer::Par;

/// Which convex relaxation of the Tucker rank to minimise (Tomioka, Hayashi, Kashima 2011).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// "As a matrix": the trace norm of the mode-`mode` unfolding alone.
    AsMatrix { mode: usize },
    /// "Constraint": the overlapped trace norm `Σ_k γ_k ‖X_(k)‖_*`, by ADMM with one split
    /// variable and multiplier per mode.
    Overlapped,
    /// "Mixture": the latent trace norm `inf_{ΣX_k = X} Σ_k γ_k ‖X_k,(k)‖_*`, by ADMM on the
    /// dual.
    Latent,
}

/// The weights `γ_k` of the per-mode trace norms.
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    /// `γ_k = 1` (the reference code's default).
    Ones,
    /// `γ_k = 1/√n_k`: with [`Method::Latent`] this is the scaled latent norm (Wimalawarne,
    /// Tomioka, Sugiyama 2014).
    Scaled,
    /// One positive weight per mode (for [`Method::AsMatrix`], only the chosen mode's is used).
    Custom(Vec<f64>),
}

/// Options of a completion or denoising solve. `Default` gives the published defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// `λ ≥ 0`: 0 fits the observed entries exactly; `λ > 0` minimises
    /// `Σ_k γ_k ‖·‖_* + (1/2λ) ‖Ω(X) − y‖²`.
    pub lambda: f64,
    /// Trace-norm weights.
    pub weights: Weights,
    /// ADMM penalty `η > 0`; `None` takes the reference code's `1/(10 std y)` for the primal
    /// methods and `10 std y` for the dual (latent) one, `std` being the sample standard
    /// deviation of the observed values.
    pub eta: Option<f64>,
    /// Stop when the relative duality gap `(f − d)/f` is below `tol` (`> 0`).
    pub tol: f64,
    /// Iteration limit (`≥ 1`).
    pub max_iter: usize,
    /// A singular value counts towards a mode's rank when above `rank_threshold · σ_max`
    /// (in `[0, 1)`).
    pub rank_threshold: f64,
    /// Over-relaxation `α ∈ (0, 2)` of the primal methods (Boyd et al. 2011, §3.4.3): the
    /// split and multiplier updates use `αX_(k) + (1 − α)Z_k` in place of `X_(k)`. 1 (the
    /// default) is the published scheme; 1.5–1.8 is the usual choice. Not for [`Method::Latent`].
    pub relaxation: f64,
    /// Adaptive penalty by residual balancing for the primal methods (Boyd et al. 2011,
    /// §3.4.1): after an iteration `η` is doubled when the primal residual exceeds 10 times
    /// the dual one and halved in the opposite case, at most 50 times per solve (then it stays
    /// fixed). `false` (the default) keeps `η` fixed as published. Not for [`Method::Latent`].
    pub residual_balancing: bool,
    /// Parallelism of the dense kernels.
    pub par: Par,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lambda: 0.0,
            weights: Weights::Ones,
            eta: None,
            tol: 1e-3,
            max_iter: 2000,
            rank_threshold: 0.01,
            relaxation: 1.0,
            residual_balancing: false,
            par: Par::Seq,
        }
    }
}

fn invalid(name: &'static str, value: f64, requirement: &'static str) -> TensorError {
    TensorError::InvalidParameter { name, value, requirement }
}

impl Options {
    /// Checks every option against `shape` and returns the weights as a vector of `K`.
    pub(crate) fn validate(&self, shape: &Shape, method: Method) -> Result<Vec<f64>, TensorError> {
        if !(self.lambda >= 0.0 && self.lambda.is_finite()) {
            return Err(invalid("lambda", self.lambda, "finite and >= 0"));
        }
        if let Some(eta) = self.eta {
            if !(eta > 0.0 && eta.is_finite()) {
                return Err(invalid("eta", eta, "finite and > 0"));
            }
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(invalid("tol", self.tol, "finite and > 0"));
        }
        if self.max_iter == 0 {
            return Err(invalid("max_iter", 0.0, ">= 1"));
        }
        if !(0.0..1.0).contains(&self.rank_threshold) {
            return Err(invalid("rank_threshold", self.rank_threshold, "in [0, 1)"));
        }
        if !(self.relaxation > 0.0 && self.relaxation < 2.0) {
            return Err(invalid("relaxation", self.relaxation, "in (0, 2)"));
        }
        if method == Method::Latent && (self.relaxation != 1.0 || self.residual_balancing) {
            let value = if self.residual_balancing { 1.0 } else { self.relaxation };
            let name = if self.residual_balancing { "residual_balancing" } else { "relaxation" };
            return Err(invalid(name, value, "off (1 and false) for the latent method"));
        }
        if let Method::AsMatrix { mode } = method {
            check_mode(shape, mode)?;
        }
        let gamma = match &self.weights {
            Weights::Ones => vec![1.0; shape.order()],
            Weights::Scaled => shape.dims().iter().map(|&n| 1.0 / (n as f64).sqrt()).collect(),
            Weights::Custom(g) => {
                if g.len() != shape.order() {
                    return Err(TensorError::LengthMismatch { what: "gamma", expected: shape.order(), got: g.len() });
                }
                if let Some(&bad) = g.iter().find(|&&g| !(g > 0.0 && g.is_finite())) {
                    return Err(invalid("gamma", bad, "finite and > 0 for every mode"));
                }
                g.clone()
            }
        };
        Ok(gamma)
    }
}

/// Why a solve stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// The relative duality gap fell below `tol`.
    Converged,
    /// `max_iter` iterations ran without reaching `tol`.
    MaxIterations,
    /// The progress callback asked to stop.
    Cancelled,
}

/// State reported to a progress callback after every iteration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Iterations done (1-based).
    pub iteration: usize,
    /// Primal objective at the current iterate; while the gap is certainly above `tol`, a
    /// cheap upper bound on it (see docs/tensor.md).
    pub objective: f64,
    /// Relative duality gap `(f − d)/f` at the current iterate (an upper bound on it when
    /// `objective` is).
    pub duality_gap: f64,
    /// Largest per-mode ADMM constraint violation (Frobenius norm).
    pub primal_residual: f64,
    /// Penalty for the next iteration (changes only with `residual_balancing`).
    pub eta: f64,
}

/// What a solve did.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    pub termination: Termination,
    /// Iterations run.
    pub iterations: usize,
    /// Iterations at which the exact dual objective was computed (`K` spectral computations;
    /// the others use the bounds that come free from the iteration; docs/tensor.md).
    pub exact_duals: usize,
    /// Iterations at which the exact primal objective was computed (`K` more).
    pub exact_objectives: usize,
    /// ADMM penalty at the end (the starting one unless `residual_balancing` changed it).
    pub eta: f64,
    /// Primal objective of the returned estimate (exact on convergence and at `max_iter`; after
    /// a cancellation possibly the upper bound reported to the callback).
    pub objective: f64,
    /// Best dual objective found (a lower bound on the optimum).
    pub dual_objective: f64,
    /// Relative duality gap of the returned estimate.
    pub duality_gap: f64,
    /// Largest per-mode ADMM constraint violation at the returned estimate.
    pub primal_residual: f64,
    /// `‖Ω(X) − y‖₂` at the returned estimate (0 up to rounding when `λ = 0`).
    pub data_residual: f64,
    /// Tucker rank estimate of the returned tensor in every mode.
    pub ranks: Vec<usize>,
    /// [`Method::Latent`] only: rank of each latent component in its own mode; for the other
    /// methods the rank of each mode's split variable `Z_k` (empty for modes not used).
    pub component_ranks: Vec<usize>,
}

/// A completed or denoised tensor with its report.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The estimate, column-major in the observations' shape.
    pub x: Vec<f64>,
    pub info: Info,
}
