//! The ball itself: curvature, input validation, errors.

use super::batch::{first_row_where, Vouch};
use super::primitives::{conformal_denominator, norm, norm2};
use super::real::Real;
use faer::MatRef;

/// What can be wrong with the input of a ball operation.
#[derive(Debug, Clone, PartialEq)]
pub enum HyperbolicError {
    /// The curvature parameter `c` is not a finite positive number.
    InvalidCurvature(f64),
    /// A NaN or an infinity in an input.
    NonFinite { input: &'static str, row: usize },
    /// A point on or outside the boundary `‖x‖ = 1/√c`.
    OutsideBall { input: &'static str, row: usize, norm: f64, radius: f64 },
    /// A row that must be a non-zero vector (a gyroplane normal) is exactly zero.
    ZeroNormal { input: &'static str, row: usize },
}

impl core::fmt::Display for HyperbolicError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidCurvature(c) => {
                write!(f, "curvature parameter c = {c} must be finite and > 0 (the ball has curvature -c)")
            }
            Self::NonFinite { input, row } => write!(f, "`{input}` has a NaN or infinite value in row {row}"),
            Self::OutsideBall { input, row, norm, radius } => write!(
                f,
                "`{input}` row {row} has norm {norm:e}, not strictly inside the ball of radius 1/sqrt(c) = {radius:e} (use project first)"
            ),
            Self::ZeroNormal { input, row } => {
                write!(f, "`{input}` row {row} is the zero vector, which defines no hyperplane")
            }
        }
    }
}

impl std::error::Error for HyperbolicError {}

/// The Poincaré ball of curvature `−c`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoincareBall {
    pub(super) c: f64,
    pub(super) sqrt_c: f64,
}

impl PoincareBall {
    /// The ball of curvature `−c`; `c` must be finite and positive.
    pub fn new(c: f64) -> Result<Self, HyperbolicError> {
        if c.is_finite() && c > 0.0 {
            Ok(Self { c, sqrt_c: c.sqrt() })
        } else {
            Err(HyperbolicError::InvalidCurvature(c))
        }
    }

    /// The curvature parameter `c` (the ball has sectional curvature `−c`).
    pub fn c(&self) -> f64 {
        self.c
    }

    /// The radius `1/√c`.
    pub fn radius(&self) -> f64 {
        1.0 / self.sqrt_c
    }

    /// Largest norm of a computed point stored as `T`: `(1 − T::MARGIN)/√c`.
    pub fn max_norm<T: Real>(&self) -> f64 {
        (1.0 - T::MARGIN) / self.sqrt_c
    }

    /// Checks that every row of `x` is a finite point strictly inside the ball.
    pub fn check_points<T: Real>(
        &self,
        input: &'static str,
        x: MatRef<'_, T>,
    ) -> Result<(), HyperbolicError> {
        let c = self.c;
        // Screen: a NaN or infinity makes the plain sum non-finite, and a sum clearly below
        // 1/c (by a relative 1e-9, far more than its rounding error) needs no second look.
        let inside = clearly_inside(c);
        first_bad_row(x, inside, #[inline(always)] move |row| {
            if inside.holds(norm2(row)) {
                return None;
            }
            if row.iter().any(|v| !v.is_finite()) {
                Some(HyperbolicError::NonFinite { input, row: 0 })
            } else if !(conformal_denominator(c, row) > 0.0) {
                Some(HyperbolicError::OutsideBall { input, row: 0, norm: norm(row), radius: 1.0 / c.sqrt() })
            } else {
                None
            }
        })
    }

    /// Checks that every entry of `v` is finite.
    pub fn check_finite<T: Real>(
        &self,
        input: &'static str,
        v: MatRef<'_, T>,
    ) -> Result<(), HyperbolicError> {
        // A finite sum of squares (the vectorised screen) proves every entry finite.
        let finite = Vouch { scale: 1.0, bound: f64::INFINITY };
        first_bad_row(v, finite, #[inline(always)] move |row| {
            (!norm2(row).is_finite() && row.iter().any(|v| !v.is_finite()))
                .then_some(HyperbolicError::NonFinite { input, row: 0 })
        })
    }
}

/// The screen that proves a row finite and inside the ball of `c` from its plain sum of
/// squares `s`: `c·s < 1 − 1e-9` (false for a non-finite `s`).
fn clearly_inside(c: f64) -> Vouch {
    Vouch { scale: c, bound: 1.0 - 1e-9 }
}

/// Applies `test` to every row not vouched for by `vouch` (see [`first_row_where`]) and
/// returns the error of the first failing row, with its index filled in.
#[inline(always)]
fn first_bad_row<T: Real>(
    x: MatRef<'_, T>,
    vouch: Vouch,
    test: impl Fn(&[f64]) -> Option<HyperbolicError>,
) -> Result<(), HyperbolicError> {
    let Some(i) = first_row_where(x, vouch, #[inline(always)] |row| test(row).is_some()) else {
        return Ok(());
    };
    let row: Vec<f64> = x.row(i).iter().map(|v| v.to_f64()).collect();
    let mut e = test(&row).expect("the same row fails again");
    match &mut e {
        HyperbolicError::NonFinite { row, .. }
        | HyperbolicError::OutsideBall { row, .. }
        | HyperbolicError::ZeroNormal { row, .. } => *row = i,
        HyperbolicError::InvalidCurvature(_) => {}
    }
    Err(e)
}
