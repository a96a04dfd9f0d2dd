//! What can be wrong with the input of a network routine.

/// Errors of the network module.
#[derive(Debug, Clone, PartialEq)]
pub enum NnError {
    /// A network needs at least one layer.
    NoLayers,
    /// Layer `layer` has zero inputs or zero outputs.
    ZeroSize { layer: usize },
    /// Layer `layer` has `outputs` outputs but layer `layer + 1` takes `next_inputs` inputs.
    SizesDoNotChain { layer: usize, outputs: usize, next_inputs: usize },
    /// An activation code that names no [`super::Activation`].
    UnknownActivation(u32),
    /// A loss code that names no [`super::Loss`].
    UnknownLoss(u32),
    /// The parameters do not fit in the address space (or in the file format's 64-bit counts).
    TooLarge,
    /// A buffer whose length does not follow from the spec.
    LengthMismatch { what: &'static str, expected: usize, got: usize },
    /// A matrix whose shape does not follow from the spec and the batch.
    ShapeMismatch { what: &'static str, expected: (usize, usize), got: (usize, usize) },
    /// A workspace made for a network of other layer sizes.
    WorkspaceMismatch,
    /// A batch of zero samples.
    EmptyBatch,
    /// More samples than the workspace was made for.
    BatchTooLarge { batch: usize, max: usize },
    /// A NaN or infinity in `what` at flat index `index` (column-major for matrices).
    NonFinite { what: &'static str, index: usize },
    /// Sample `sample` has class label `label`, outside `0..classes`.
    LabelOutOfRange { sample: usize, label: u32, classes: usize },
    /// A logistic-loss target outside `[0, 1]` at flat index `index`.
    TargetOutOfRange { index: usize, value: f64 },
    /// Class labels given to a loss that takes target values, or the other way round.
    WrongTargets { loss: &'static str, expected: &'static str },
    /// An option outside its domain.
    InvalidParameter { name: &'static str, value: f64, requirement: &'static str },
    /// A parameter file that ends before `needed` bytes (it has `got`).
    Truncated { needed: usize, got: usize },
    /// A parameter file that does not start with the magic bytes.
    BadMagic,
    /// A parameter file of a format version this build does not read.
    UnsupportedVersion(u32),
    /// A parameter file of another precision (or an unknown precision code).
    WrongDtype { expected: u32, got: u32 },
    /// A parameter file whose checksum does not match its contents.
    ChecksumMismatch,
    /// Bytes after the end of a parameter file.
    TrailingBytes(usize),
    /// A file could not be read or written.
    Io(String),
}

impl core::fmt::Display for NnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoLayers => write!(f, "a network needs at least one layer"),
            Self::ZeroSize { layer } => write!(f, "layer {layer} has zero inputs or outputs"),
            Self::SizesDoNotChain { layer, outputs, next_inputs } => write!(
                f,
                "layer {layer} has {outputs} outputs but layer {} takes {next_inputs} inputs",
                layer + 1
            ),
            Self::UnknownActivation(c) => write!(f, "unknown activation code {c}"),
            Self::UnknownLoss(c) => write!(f, "unknown loss code {c}"),
            Self::TooLarge => write!(f, "the network has more parameters than can be addressed"),
            Self::LengthMismatch { what, expected, got } => {
                write!(f, "`{what}` has length {got}, expected {expected}")
            }
            Self::ShapeMismatch { what, expected, got } => write!(
                f,
                "`{what}` is {}×{}, expected {}×{}",
                got.0, got.1, expected.0, expected.1
            ),
            Self::WorkspaceMismatch => write!(f, "the workspace was made for another network"),
            Self::EmptyBatch => write!(f, "the batch has no samples"),
            Self::BatchTooLarge { batch, max } => {
                write!(f, "batch of {batch} samples, the workspace holds at most {max}")
            }
            Self::NonFinite { what, index } => write!(f, "`{what}` has a NaN or infinite value at {index}"),
            Self::LabelOutOfRange { sample, label, classes } => write!(
                f,
                "sample {sample} has label {label}, outside 0..{classes} (labels are 0-based)"
            ),
            Self::TargetOutOfRange { index, value } => {
                write!(f, "logistic target {value} at {index} is outside [0, 1]")
            }
            Self::WrongTargets { loss, expected } => write!(f, "the {loss} loss takes {expected}"),
            Self::InvalidParameter { name, value, requirement } => {
                write!(f, "`{name}` = {value} is invalid: it must be {requirement}")
            }
            Self::Truncated { needed, got } => {
                write!(f, "parameter file truncated: {got} bytes, at least {needed} needed")
            }
            Self::BadMagic => write!(f, "not a Tessera network parameter file (bad magic)"),
            Self::UnsupportedVersion(v) => write!(f, "parameter file format version {v} is not supported"),
            Self::WrongDtype { expected, got } => {
                write!(f, "parameter file has precision code {got}, expected {expected}")
            }
            Self::ChecksumMismatch => write!(f, "parameter file is corrupted (checksum mismatch)"),
            Self::TrailingBytes(n) => write!(f, "parameter file has {n} bytes after its end"),
            Self::Io(m) => write!(f, "i/o error: {m}"),
        }
    }
}

impl std::error::Error for NnError {}
