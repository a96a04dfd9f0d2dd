//! Which entries of a partially observed low-rank matrix are determined by the observed
//! positions, how to compute them from a few others, and how accurate they are (Király &
//! Tomioka 2012; Király, Theran & Tomioka 2015; Király & Theran 2013).
//!
//! A mask Ω ⊆ [m] × [n] ([`Mask`]) and a rank r define the determinantal matroid: entry
//! (i, j) is in the closure of Ω when, for a generic rank-r matrix, the observed entries leave
//! only finitely many possible values of A_ij.

mod closure;
mod components;
mod echelon;
mod error;
mod estimate;
mod field;
mod input;
mod mask;
mod minors;
mod minors_block;
mod minors_combine;
mod minors_gradient;
mod minors_known;
mod minors_search;
mod phase;
mod prune;
mod rank1;
mod rank1_forest;
mod rank1_laplacian;
mod rank1_local;
mod variance;
mod variance_dense;
mod variance_fisher;
mod variance_fit;

pub use closure::{closure, Closure, ClosureOptions, ClosureProfile};
pub use components::Components;
pub use error::CompletabilityError;
pub use estimate::Estimate;
pub use mask::Mask;
pub use minors::{complete_minors, MinorOptions};
pub use phase::{phase_transition, PhasePoint};
pub use prune::RCore;
pub use rank1::{complete_rank1, Rank1Method, Rank1Options, Rank1Variance};
pub use variance::{first_order_variance, fit_low_rank, variance_at_fit, LowRankFit};
