//! The estimate of one queried entry, shared by the rank-1 and the minor-based completions.

/// An estimate of a queried entry `A_ij` and its first-order variance under the observation
/// noise (unit variances when none are given). An entry the method cannot determine has
/// `value = NaN`, `variance = +∞` and `estimators = 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The estimated value.
    pub value: f64,
    /// First-order variance of the estimator.
    pub variance: f64,
    /// How many elementary estimators (paths, minors) were combined; 0 when undetermined.
    pub estimators: u32,
}

impl Estimate {
    /// The estimate of an entry the method cannot determine.
    pub const UNDETERMINED: Self = Self { value: f64::NAN, variance: f64::INFINITY, estimators: 0 };

    /// Whether the method determined the entry.
    pub fn is_determined(&self) -> bool {
        self.estimators > 0
    }
}
