//! QSGD stochastic gradient quantisation and Elias coding (Alistarh, Grubic, Li, Tomioka &
//! Vojnovic, NIPS 2017).
//!
//! [`quantize`] computes Q_s(v) bucket by bucket (scale ‖v_b‖₂ or ‖v_b‖_∞, levels
//! 0..=s, unbiased randomised rounding, seeded); [`encode`] writes the same draws as the
//! paper's code (per bucket: the scale, then Elias-ω coded position gaps and levels with a
//! sign bit) in a checksummed stream; [`decode`] reads it back bit-exactly and rejects
//! truncated or corrupted streams. [`variance_bounds`] and [`paper_bits_bound`] give the
//! numbers of Lemma 3.1 and Theorem 3.2 to compare against. See docs/quant.md.

mod bits;
mod bounds;
mod crc32;
mod elias;
mod element;
mod error;
mod options;
mod quantize;
mod stream;

pub use bits::{BitReader, BitWriter};
pub use bounds::{paper_bits_bound, paper_nonzeros_bound, variance_bounds, VarianceBounds};
pub use crc32::crc32;
pub use elias::{omega_len, read_omega, write_omega};
pub use element::Element;
pub use error::QuantError;
pub use options::{Norm, QsgdOptions, QsgdParams, MAX_LEVELS};
pub use quantize::{quantize, Quantized};
pub use stream::{decode, decode_quantized, encode, max_encoded_len, stream_info, StreamInfo, HEADER_BYTES, MAGIC, TRAILER_BYTES, VERSION};
