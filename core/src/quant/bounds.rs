//! The paper's guarantees as numbers: the variance of Q_s exactly and its bounds, and the
//! expected code length of Theorem 3.2, so tests and benchmarks can compare against them.
//!
//! Per entry, Var Q_s(v)_i = (σ/s)² p_i(1 − p_i) with p_i the fractional part of s|v_i|/σ.
//! With p(1 − p) ≤ 1/4 and p(1 − p) ≤ p ≤ s|v_i|/σ, a bucket of d entries has
//! E‖Q_s(v) − v‖² ≤ min(d σ²/(4s²), σ‖v‖₁/s). For σ = ‖v‖₂ this gives (with ‖v‖₁ ≤ √d‖v‖₂)
//! the paper's Lemma 3.1 (ii), min(d/s², √d/s)‖v‖₂², with a factor 4 to spare in the first
//! term; for σ = ‖v‖_∞ ≤ ‖v‖₂ the same min(d/(4s²), √d/s)‖v‖₂² holds.

use super::element::Element;
use super::options::{QsgdOptions, QsgdParams};
use super::quantize::bucket_scale;
use super::QuantError;

/// The variance per bucket: E‖Q_s(v) − v‖² exactly and its bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarianceBounds {
    /// Σ (σ/s)² p_i(1 − p_i), with the scales the quantiser uses.
    pub exact: f64,
    /// Σ over buckets of min(dσ²/(4s²), σ‖v‖₁/s) (this module's bound, both norms).
    pub derived: f64,
    /// Σ over buckets of min(d/s², √d/s)‖v‖₂² (Lemma 3.1 (ii); holds for both norms).
    pub paper: f64,
}

/// The variance of Q_s(v) and its bounds, summed over the buckets.
pub fn variance_bounds<T: Element>(v: &[T], options: &QsgdOptions) -> Result<VarianceBounds, QuantError> {
    let p = options.params(v.len())?;
    let s = p.levels as f64;
    let mut out = VarianceBounds { exact: 0.0, derived: 0.0, paper: 0.0 };
    for (b, bucket) in v.chunks(p.bucket_size).enumerate() {
        let sigma = bucket_scale(bucket, p.norm, b, b * p.bucket_size)?.to_f64();
        if sigma == 0.0 {
            continue;
        }
        let d = bucket.len() as f64;
        let (mut l1, mut l2sq) = (0.0, 0.0);
        for x in bucket {
            let a = x.to_f64().abs();
            let xi = (a / sigma * s).min(s);
            let frac = xi - xi.floor();
            out.exact += (sigma / s).powi(2) * frac * (1.0 - frac);
            l1 += a;
            l2sq += a * a;
        }
        out.derived += (d * sigma * sigma / (4.0 * s * s)).min(sigma * l1 / s);
        out.paper += (d / (s * s)).min(d.sqrt() / s) * l2sq;
    }
    Ok(out)
}

/// Theorem 3.2's expected code length in bits, Σ over buckets of
/// (3 + (3/2)·log₂(2(s² + d)/(s(s + √d))))·s(s + √d) + (scale bits), with the o(1) dropped.
/// The theorem is for 2-norm scaling and s ≥ 2; for s = 1 it is the same expression (the
/// paper's sparse regime, O(√d log d) bits), and max-norm scaling has no such guarantee.
pub fn paper_bits_bound(params: &QsgdParams, scale_bits: u32) -> f64 {
    let s = params.levels as f64;
    params
        .bucket_lens()
        .map(|len| {
            let d = len as f64;
            let nnz = s * (s + d.sqrt());
            (3.0 + 1.5 * (2.0 * (s * s + d) / nnz).log2()) * nnz + scale_bits as f64
        })
        .sum()
}

/// Sparsity bound of Lemma 3.1 (iii), Σ over buckets of s(s + √d) (2-norm scaling).
pub fn paper_nonzeros_bound(params: &QsgdParams) -> f64 {
    let s = params.levels as f64;
    params.bucket_lens().map(|len| s * (s + (len as f64).sqrt())).sum()
}

