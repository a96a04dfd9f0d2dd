//! What can be wrong with the input of a quantiser call or with an encoded stream.

/// Errors of the quant module.
#[derive(Debug, Clone, PartialEq)]
pub enum QuantError {
    /// An option outside its domain.
    InvalidParameter { name: &'static str, value: u64, requirement: &'static str },
    /// A NaN or infinity in the input vector at `index`.
    NonFinite { index: usize },
    /// The 2-norm of bucket `bucket` overflows the element type (finite entries near its
    /// largest value); max-norm scaling does not overflow.
    NormOverflow { bucket: usize },
    /// The stream is shorter or longer than its header says (or shorter than a header).
    Truncated { expected: usize, got: usize },
    /// The first four bytes are not the magic `TQSG`.
    BadMagic,
    /// A stream version this library does not read.
    UnsupportedVersion(u8),
    /// The stream holds another element type than the one asked for.
    TypeMismatch { stream: &'static str, requested: &'static str },
    /// The CRC-32 of the stream does not match its content.
    ChecksumMismatch { stored: u32, computed: u32 },
    /// A stream with a valid checksum whose content breaks the format (what is wrong).
    Corrupt(&'static str),
}

impl core::fmt::Display for QuantError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidParameter { name, value, requirement } => {
                write!(f, "`{name}` = {value} is invalid: it must be {requirement}")
            }
            Self::NonFinite { index } => write!(f, "the input has a NaN or infinite value at {index}"),
            Self::NormOverflow { bucket } => {
                write!(f, "the 2-norm of bucket {bucket} overflows the element type (use max-norm scaling)")
            }
            Self::Truncated { expected, got } => {
                write!(f, "the QSGD stream has {got} bytes but its header says {expected} (truncated or padded)")
            }
            Self::BadMagic => write!(f, "not a QSGD stream (bad magic)"),
            Self::UnsupportedVersion(v) => write!(f, "QSGD stream version {v} is not supported (this library reads 1)"),
            Self::TypeMismatch { stream, requested } => {
                write!(f, "the QSGD stream holds {stream} values, but {requested} were requested")
            }
            Self::ChecksumMismatch { stored, computed } => {
                write!(f, "QSGD stream checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): corrupted")
            }
            Self::Corrupt(what) => write!(f, "corrupted QSGD stream: {what}"),
        }
    }
}

impl std::error::Error for QuantError {}
