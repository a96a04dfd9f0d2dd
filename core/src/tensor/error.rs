//! What can be wrong with the input of a tensor routine.

/// Errors of the tensor module. Numerical outcomes (no convergence, cancellation) are not
/// errors: they are reported in [`super::Termination`] together with the best iterate.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorError {
    /// The order `K` is 0 or above [`super::MAX_ORDER`].
    InvalidOrder(usize),
    /// An extent is zero.
    ZeroExtent { mode: usize },
    /// `Π n_k` elements do not fit in the address space.
    TooLarge,
    /// A mode index `≥ K`.
    ModeOutOfRange { mode: usize, order: usize },
    /// A buffer whose length does not follow from the shape.
    LengthMismatch { what: &'static str, expected: usize, got: usize },
    /// No entry is observed.
    NoObservations,
    /// Observation `obs` has index `index ≥ n_k` in mode `mode`.
    IndexOutOfRange { obs: usize, mode: usize, index: i64, extent: usize },
    /// Observations `first` and `second` name the same entry.
    DuplicateObservation { first: usize, second: usize },
    /// A NaN or infinity in an input (`index` is the element or observation number).
    NonFinite { what: &'static str, index: usize },
    /// An option outside its domain.
    InvalidParameter { name: &'static str, value: f64, requirement: &'static str },
    /// The default `η` depends on the spread of the observed values, which is zero (or
    /// undefined with one observation): pass `eta` explicitly.
    ZeroSpread,
    /// A dense eigen- or singular value solver did not converge.
    Decomposition(&'static str),
}

impl core::fmt::Display for TensorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidOrder(k) => {
                write!(f, "tensor order {k} is not supported (1 to {} modes)", super::MAX_ORDER)
            }
            Self::ZeroExtent { mode } => write!(f, "extent of mode {mode} is zero"),
            Self::TooLarge => write!(f, "the tensor has more elements than can be addressed"),
            Self::ModeOutOfRange { mode, order } => {
                write!(f, "mode {mode} does not exist in a tensor of order {order} (modes are 0-based)")
            }
            Self::LengthMismatch { what, expected, got } => {
                write!(f, "`{what}` has length {got}, expected {expected}")
            }
            Self::NoObservations => write!(f, "no entry of the tensor is observed"),
            Self::IndexOutOfRange { obs, mode, index, extent } => write!(
                f,
                "observation {obs} has index {index} in mode {mode}, outside 0..{extent} (indices are 0-based)"
            ),
            Self::DuplicateObservation { first, second } => {
                write!(f, "observations {first} and {second} name the same entry")
            }
            Self::NonFinite { what, index } => write!(f, "`{what}` has a NaN or infinite value at {index}"),
            Self::InvalidParameter { name, value, requirement } => {
                write!(f, "`{name}` = {value} is invalid: it must be {requirement}")
            }
            Self::ZeroSpread => write!(
                f,
                "the observed values have no spread (all equal, or only one), so the default eta = f(std(y)) is undefined; set eta explicitly"
            ),
            Self::Decomposition(what) => write!(f, "the {what} did not converge"),
        }
    }
}

impl std::error::Error for TensorError {}
