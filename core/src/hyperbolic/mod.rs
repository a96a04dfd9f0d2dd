//! Poincaré-ball geometry (Mathieu et al. 2019, "Continuous hierarchical representations with
//! Poincaré variational auto-encoders"; gyrovector formulas of Ungar and of Ganea et al. 2018).
//!
//! The ball of curvature `−c` (`c > 0`) is `B = { x ∈ ℝᵈ : c‖x‖² < 1 }`, with conformal factor
//! `λ_x = 2 / (1 − c‖x‖²)`. Every operation is batched: a batch of `n` points is an `n × d`
//! strided view, one point per row; per-point scalars are `n × 1`. Rows of an input may be
//! broadcast by giving it a zero row stride.
//!
//! Every operation has a vector-Jacobian product (`*_vjp`) that maps the gradient of a loss
//! with respect to the output to gradients with respect to every input, so a caller can train
//! through it.
//!
//! # Numerics
//! All arithmetic is done in `f64` whatever the storage type; `‖x‖²` and `1 − c‖x‖²` use
//! compensated sums, distances use `arcosh(1 + 2c‖x−y‖² / ((1−c‖x‖²)(1−c‖y‖²)))` with `‖x−y‖`
//! formed directly, so results stay accurate up to the boundary. Input points must be strictly
//! inside the ball (anything else is an error, except for [`PoincareBall::project`]); output
//! points are pulled to at most `(1 − Real::MARGIN)/√c` from the origin.

mod ball;
mod batch;
mod distance;
mod geodesic;
mod gyroplane;
mod gyration;
mod matvec;
mod maps;
mod mobius;
mod primitives;
mod project;
mod real;
mod scalar_mul;
mod shape;
mod tangent;
mod transport;
mod vectors;

use crate::simd::{elementary, lane};

pub use ball::{HyperbolicError, PoincareBall};
pub use real::Real;

#[cfg(test)]
mod isa_tests;
