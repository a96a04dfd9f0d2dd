//! The stochastic quantiser Q_s (Alistarh et al. 2017, eq. 4), bucket by bucket.
//!
//! For a bucket v with scale σ (‖v‖₂ or ‖v‖_∞) and x_i = s·|v_i|/σ ∈ [0, s], the level is
//! ζ_i = ⌊x_i⌋ + 1 with probability p_i = x_i − ⌊x_i⌋ and ⌊x_i⌋ otherwise, so E ζ_i = x_i and
//! Q_s(v)_i = sgn(v_i)·σ·ζ_i/s is unbiased. The draw is u < p_i with u uniform in [0, 1)
//! (rounding up iff u > p_i instead, as one widely used reimplementation does, rounds up
//! with probability 1 − p_i and is biased). No draw is made when p_i = 0.

use super::element::Element;
use super::options::{Norm, QsgdOptions, QsgdParams};
use super::QuantError;
use crate::rng::SplitMix64;

/// Receives a quantised vector bucket by bucket: its scale, its nonzeros in increasing
/// position (0-based within the bucket), then its end.
pub(crate) trait Sink<T> {
    fn begin(&mut self, scale: T);
    fn nonzero(&mut self, pos: usize, negative: bool, level: u32);
    /// Every entry of a bucket with a positive scale, zero levels included (a sink may handle
    /// both without a data-dependent branch).
    #[inline(always)]
    fn entry(&mut self, pos: usize, negative: bool, level: u32) {
        if level > 0 {
            self.nonzero(pos, negative, level);
        }
    }
    fn end(&mut self, len: usize);
}

/// A quantised vector: one scale per bucket and a signed level −s..=s per entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantized<T> {
    pub params: QsgdParams,
    pub scales: Vec<T>,
    pub levels: Vec<i32>,
}

impl<T: Element> Quantized<T> {
    /// Q_s(v): entry i of bucket b is sgn·σ_b·(|ζ_i|/s).
    pub fn dequantize(&self) -> Vec<T> {
        let s = self.params.levels;
        self.levels
            .chunks(self.params.bucket_size)
            .zip(&self.scales)
            .flat_map(|(bucket, &scale)| bucket.iter().map(move |&l| value(scale.to_f64(), l < 0, l.unsigned_abs(), s)))
            .collect()
    }
}

/// The dequantised entry sgn·σ·(ζ/s), rounded once to `T` (shared by every decoder, so they
/// agree bit for bit).
#[inline]
pub(crate) fn value<T: Element>(scale: f64, negative: bool, level: u32, s: u32) -> T {
    let magnitude = scale * (level as f64 / s as f64);
    T::from_f64(if negative { -magnitude } else { magnitude })
}

/// The rounding stream of bucket `b`: a SplitMix64 started at a hash of (seed, b), so a
/// bucket's draws do not depend on the others (the order of buckets may change).
fn bucket_rng(seed: u64, b: usize) -> SplitMix64 {
    SplitMix64::new(SplitMix64::new(seed ^ (b as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)).next_u64())
}

/// The scale of bucket `b` starting at entry `start`, in `T`, never below its largest
/// magnitude (so x_i ≤ s even after rounding the 2-norm to `T`).
pub(crate) fn bucket_scale<T: Element>(bucket: &[T], norm: Norm, b: usize, start: usize) -> Result<T, QuantError> {
    let mut max = 0.0f64;
    let mut squares = 0.0f64;
    for (i, x) in bucket.iter().enumerate() {
        let a = x.to_f64().abs();
        if !(a <= f64::MAX) {
            return Err(QuantError::NonFinite { index: start + i });
        }
        max = max.max(a);
        squares += a * a;
    }
    if norm == Norm::Max || max == 0.0 {
        return Ok(T::from_f64(max));
    }
    let norm2 = if squares.is_finite() && squares >= f64::MIN_POSITIVE {
        squares.sqrt()
    } else {
        // Over- or underflow of the squares (f64 input only): scale by the largest magnitude.
        max * bucket.iter().map(|x| (x.to_f64() / max).powi(2)).sum::<f64>().sqrt()
    };
    let scale = T::from_f64(norm2);
    if !scale.to_f64().is_finite() {
        return Err(QuantError::NormOverflow { bucket: b });
    }
    Ok(T::from_f64(scale.to_f64().max(max)))
}

/// Quantises `v` bucket by bucket into `sink`.
pub(crate) fn quantize_into<T: Element>(v: &[T], p: &QsgdParams, seed: u64, sink: &mut impl Sink<T>) -> Result<(), QuantError> {
    let s = p.levels as f64;
    for (b, bucket) in v.chunks(p.bucket_size).enumerate() {
        let scale = bucket_scale(bucket, p.norm, b, b * p.bucket_size)?;
        sink.begin(scale);
        let sigma = scale.to_f64();
        if sigma > 0.0 {
            let mut rng = bucket_rng(seed, b);
            let factor = s / sigma;
            if factor.is_finite() {
                round_bucket(bucket, s, &mut rng, sink, |a| a * factor);
            } else {
                // σ so small (subnormal) that s/σ overflows.
                round_bucket(bucket, s, &mut rng, sink, |a| a / sigma * s);
            }
        }
        sink.end(bucket.len());
    }
    Ok(())
}

/// Randomised rounding of x_i = ratio(|v_i|) (clamped to s against rounding) to a level.
#[inline(always)]
fn round_bucket<T: Element>(bucket: &[T], s: f64, rng: &mut SplitMix64, sink: &mut impl Sink<T>, ratio: impl Fn(f64) -> f64) {
    for (i, x) in bucket.iter().enumerate() {
        let v = x.to_f64();
        let xi = ratio(v.abs()).min(s);
        // ⌊x_i⌋ by truncation (0 ≤ x_i ≤ s < 2³¹): no libm `floor` call on baseline x86-64.
        let floor = xi as u32;
        let p = xi - floor as f64;
        let level = floor + u32::from(p > 0.0 && rng.unit() < p);
        sink.entry(i, v < 0.0, level);
    }
}

/// Collects the levels into a [`Quantized`].
struct LevelSink<T> {
    q: Quantized<T>,
    start: usize,
}

impl<T: Element> Sink<T> for LevelSink<T> {
    fn begin(&mut self, scale: T) {
        self.q.scales.push(scale);
    }
    fn nonzero(&mut self, pos: usize, negative: bool, level: u32) {
        let l = level as i32;
        self.q.levels[self.start + pos] = if negative { -l } else { l };
    }
    /// Every level written, zeros included (they are zeros already): no branch on the level.
    #[inline(always)]
    fn entry(&mut self, pos: usize, negative: bool, level: u32) {
        self.nonzero(pos, negative, level);
    }
    fn end(&mut self, len: usize) {
        self.start += len;
    }
}

/// An empty [`Quantized`] of `params` (all levels zero), to be filled by a sink.
pub(crate) fn level_sink<T: Element>(params: QsgdParams) -> impl Sink<T> + Into<Quantized<T>> {
    LevelSink { q: Quantized { params, scales: Vec::with_capacity(params.buckets()), levels: vec![0; params.n] }, start: 0 }
}

impl<T> From<LevelSink<T>> for Quantized<T> {
    fn from(s: LevelSink<T>) -> Self {
        s.q
    }
}

/// Q_s(v) as scales and signed levels. Errors: invalid options, a NaN or infinity, a 2-norm
/// that overflows `T`.
pub fn quantize<T: Element>(v: &[T], options: &QsgdOptions) -> Result<Quantized<T>, QuantError> {
    let params = options.params(v.len())?;
    let mut sink = level_sink(params);
    quantize_into(v, &params, options.seed, &mut sink)?;
    Ok(sink.into())
}
