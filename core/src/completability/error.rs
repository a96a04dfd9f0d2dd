//! What can be wrong with the input of a completability routine.

/// Errors of the completability module. "Not completable" is an answer, not an error: routines
/// that estimate entries report it per entry.
#[derive(Debug, Clone, PartialEq)]
pub enum CompletabilityError {
    /// The matrix has a zero extent.
    ZeroExtent { nrows: usize, ncols: usize },
    /// The matrix has more entries, or the mask more observations, than can be indexed.
    TooLarge,
    /// No entry is observed.
    NoObservations,
    /// Entry `entry` (0-based position in the caller's list) has `index` outside `0..extent`
    /// in its `axis` ("row" or "column").
    IndexOutOfRange { entry: usize, axis: &'static str, index: i64, extent: usize },
    /// Entries `first` and `second` of the caller's list name the same matrix entry.
    DuplicateEntry { first: usize, second: usize },
    /// The rank is 0 or not below `min(m, n)`.
    InvalidRank { rank: usize, nrows: usize, ncols: usize },
    /// A buffer whose length does not follow from the inputs.
    LengthMismatch { what: &'static str, expected: usize, got: usize },
    /// A NaN or infinity in an input (`index` is the element number).
    NonFinite { what: &'static str, index: usize },
    /// An observed value of zero at `entry` where an estimate must divide by it.
    ZeroValue { entry: usize },
    /// Observed entry `entry` is zero while its row and its column both have nonzero observed
    /// entries: no rank-1 matrix has these values.
    InconsistentZero { entry: usize },
    /// An iterative solve stopped after `iterations` with relative residual `residual` above
    /// the tolerance.
    NotConverged { iterations: usize, residual: f64 },
    /// A noise variance that is not positive (`index` is the element number).
    NonPositiveVariance { index: usize },
    /// An option outside its domain.
    InvalidParameter { name: &'static str, value: f64, requirement: &'static str },
    /// A dense factorisation failed (it names the factorisation).
    Decomposition(&'static str),
}

impl core::fmt::Display for CompletabilityError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ZeroExtent { nrows, ncols } => write!(f, "the matrix is {nrows} x {ncols}: both extents must be positive"),
            Self::TooLarge => write!(f, "the matrix or the mask is too large to index"),
            Self::NoObservations => write!(f, "no entry of the matrix is observed"),
            Self::IndexOutOfRange { entry, axis, index, extent } => write!(
                f,
                "entry {entry} has {axis} index {index}, outside 0..{extent} (indices are 0-based)"
            ),
            Self::DuplicateEntry { first, second } => write!(f, "entries {first} and {second} name the same matrix entry"),
            Self::InvalidRank { rank, nrows, ncols } => write!(
                f,
                "rank {rank} is invalid for a {nrows} x {ncols} matrix: it must satisfy 1 <= r < min(m, n)"
            ),
            Self::LengthMismatch { what, expected, got } => write!(f, "`{what}` has length {got}, expected {expected}"),
            Self::NonFinite { what, index } => write!(f, "`{what}` has a NaN or infinite value at {index}"),
            Self::ZeroValue { entry } => write!(
                f,
                "observed entry {entry} is zero and the estimate would divide by it"
            ),
            Self::InconsistentZero { entry } => write!(
                f,
                "observed entry {entry} is zero but its row and its column both have nonzero observed entries: no rank-1 matrix fits"
            ),
            Self::NotConverged { iterations, residual } => write!(
                f,
                "the Laplacian solve did not converge: relative residual {residual:e} after {iterations} iterations"
            ),
            Self::NonPositiveVariance { index } => write!(f, "noise variance {index} is not positive"),
            Self::InvalidParameter { name, value, requirement } => {
                write!(f, "`{name}` = {value} is invalid: it must be {requirement}")
            }
            Self::Decomposition(what) => write!(f, "the {what} failed"),
        }
    }
}

impl std::error::Error for CompletabilityError {}
