//! Low-rank tensor completion and denoising by trace-norm ADMM (Tomioka, Hayashi, Kashima
//! 2011; Tomioka & Suzuki 2013), with rank estimation, Tucker factors and core, and a CP
//! decomposition of the core for interpretation.
//!
//! Tensors are dense, column-major (first index fastest), of order `1 ≤ K ≤ MAX_ORDER`, and
//! passed as a flat slice with a [`Shape`]. Observations are entries with values
//! ([`Observations`]); when every entry is observed, completion is denoising.
//!
//! ```text
//! complete(&obs, Method::Overlapped, &Options::default(), None)  // "Constraint", λ = 0
//! ```

mod cp;
mod elementwise;
mod error;
mod latent;
mod observations;
mod options;
mod overlapped;
mod shape;
mod solve;
mod svt;
mod tree;
mod tucker;
mod unfold;

pub use cp::{cp_als, Cp, CpOptions};
pub use error::TensorError;
pub use observations::Observations;
pub use options::{Estimate, Info, Method, Options, Progress, Termination, Weights};
pub use shape::{ModeSplit, Shape, MAX_ORDER};
pub use solve::{complete, ProgressFn};
pub use svt::{prox_nuclear, singular_values, Shrinkage, GRAM_MIN_RELATIVE_THRESHOLD};
pub use tucker::{numerical_rank, tucker, tucker_components, Tucker};
pub use unfold::{fold, mode_product, unfold};
