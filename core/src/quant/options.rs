//! Options of the quantiser and the parameters they fix for a vector of length n.

use super::QuantError;

/// The scale of a bucket: its 2-norm (the paper's Q_s) or its largest magnitude (the
/// variant of the paper's experiments, Section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    L2,
    Max,
}

/// Options of [`super::quantize`] and [`super::encode`].
#[derive(Clone, Debug, PartialEq)]
pub struct QsgdOptions {
    /// Quantisation levels s ≥ 1 (at most 2³¹ − 1): magnitudes are rounded to multiples of
    /// scale / s. Default 16.
    pub levels: u32,
    /// Entries per bucket, each with its own scale; 0 means one bucket for the whole vector.
    /// Default 512.
    pub bucket_size: usize,
    /// Default [`Norm::L2`].
    pub norm: Norm,
    /// Seed of the rounding draws: the same seed, input and options give the same result.
    pub seed: u64,
}

impl Default for QsgdOptions {
    fn default() -> Self {
        Self { levels: 16, bucket_size: 512, norm: Norm::L2, seed: 0 }
    }
}

/// Largest number of levels (signed levels fit an `i32`).
pub const MAX_LEVELS: u32 = i32::MAX as u32;

/// What a stream's header records: length, levels, bucket size (≥ 1) and norm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QsgdParams {
    pub n: usize,
    pub levels: u32,
    pub bucket_size: usize,
    pub norm: Norm,
}

impl QsgdParams {
    /// Checks the ranges (levels in 1..=2³¹ − 1, bucket size ≥ 1).
    pub(crate) fn checked(self) -> Result<Self, QuantError> {
        if !(1..=MAX_LEVELS).contains(&self.levels) {
            return Err(QuantError::InvalidParameter { name: "levels", value: self.levels as u64, requirement: "in 1..=2^31-1" });
        }
        if self.bucket_size == 0 {
            return Err(QuantError::InvalidParameter { name: "bucket_size", value: 0, requirement: ">= 1" });
        }
        Ok(self)
    }

    /// Number of buckets, ⌈n / bucket_size⌉.
    pub fn buckets(&self) -> usize {
        self.n.div_ceil(self.bucket_size)
    }

    /// Lengths of the buckets in order (the last one may be shorter).
    pub fn bucket_lens(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.buckets()).map(|b| self.bucket_size.min(self.n - b * self.bucket_size))
    }
}

impl QsgdOptions {
    /// The parameters for a vector of length `n` (a whole-vector bucket has size max(n, 1)).
    pub fn params(&self, n: usize) -> Result<QsgdParams, QuantError> {
        let bucket_size = if self.bucket_size == 0 { n.max(1) } else { self.bucket_size };
        QsgdParams { n, levels: self.levels, bucket_size, norm: self.norm }.checked()
    }
}
