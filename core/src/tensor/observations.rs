//! Observed entries of a partially observed tensor.
//!
//! Every observation is an entry (its column-major linear index) and a finite value. A value
//! of exactly zero is an observation like any other (the reference code's mask, `B ≠ 0`,
//! silently drops such entries; Tessera does not).

use super::shape::Shape;
use super::TensorError;

/// Observed entries, sorted by linear index, without duplicates.
#[derive(Clone, Debug, PartialEq)]
pub struct Observations {
    shape: Shape,
    indices: Vec<usize>,
    values: Vec<f64>,
}

impl Observations {
    /// From a dense tensor and a mask (entries with `mask ≠ 0` are observed). Values at
    /// unobserved entries are not read, so they may be anything, NaN included.
    pub fn from_dense(shape: &Shape, values: &[f64], mask: &[u8]) -> Result<Self, TensorError> {
        for (what, len) in [("values", values.len()), ("mask", mask.len())] {
            if len != shape.len() {
                return Err(TensorError::LengthMismatch { what, expected: shape.len(), got: len });
            }
        }
        let indices: Vec<usize> = (0..shape.len()).filter(|&i| mask[i] != 0).collect();
        if let Some(&index) = indices.iter().find(|&&i| !values[i].is_finite()) {
            return Err(TensorError::NonFinite { what: "values", index });
        }
        let values = indices.iter().map(|&i| values[i]).collect();
        Self::checked(shape, indices, values)
    }

    /// From coordinate lists: `coords` holds `m` multi-indices, `coords[obs * K + k]` being the
    /// 0-based index of observation `obs` in mode `k`, and `values` the `m` values.
    pub fn from_coordinates(shape: &Shape, coords: &[i64], values: &[f64]) -> Result<Self, TensorError> {
        let order = shape.order();
        let m = values.len();
        if coords.len() != m.saturating_mul(order) {
            return Err(TensorError::LengthMismatch { what: "coordinates", expected: m * order, got: coords.len() });
        }
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(TensorError::NonFinite { what: "values", index });
        }
        let mut linear = Vec::with_capacity(m);
        for (obs, multi) in coords.chunks_exact(order.max(1)).enumerate() {
            let mut index = 0usize;
            let mut stride = 1usize;
            for (mode, (&i, &n)) in multi.iter().zip(shape.dims()).enumerate() {
                if i < 0 || i as u64 >= n as u64 {
                    return Err(TensorError::IndexOutOfRange { obs, mode, index: i, extent: n });
                }
                index += i as usize * stride;
                stride *= n;
            }
            linear.push(index);
        }
        let mut order_of: Vec<usize> = (0..m).collect();
        order_of.sort_unstable_by_key(|&o| (linear[o], o));
        if let Some(w) = order_of.windows(2).find(|w| linear[w[0]] == linear[w[1]]) {
            return Err(TensorError::DuplicateObservation { first: w[0], second: w[1] });
        }
        let indices = order_of.iter().map(|&o| linear[o]).collect();
        let values = order_of.iter().map(|&o| values[o]).collect();
        Self::checked(shape, indices, values)
    }

    fn checked(shape: &Shape, indices: Vec<usize>, values: Vec<f64>) -> Result<Self, TensorError> {
        if indices.is_empty() {
            return Err(TensorError::NoObservations);
        }
        Ok(Self { shape: shape.clone(), indices, values })
    }

    /// The tensor's shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Linear (column-major) indices of the observed entries, increasing.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// Observed values, in the order of [`Self::indices`].
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of observations `m`.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Always false: construction rejects empty observation sets.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether every entry is observed (then completion is denoising).
    pub fn is_complete(&self) -> bool {
        self.indices.len() == self.shape.len()
    }

    /// Sample standard deviation of the values (`N − 1` normalisation, as MATLAB's `std`);
    /// `None` when fewer than two values.
    pub fn sample_std(&self) -> Option<f64> {
        let m = self.values.len();
        (m >= 2).then(|| {
            let mean = self.values.iter().sum::<f64>() / m as f64;
            let ss: f64 = self.values.iter().map(|v| (v - mean) * (v - mean)).sum();
            (ss / (m - 1) as f64).sqrt()
        })
    }

    /// A boolean mask over all `N` entries.
    pub(crate) fn mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.shape.len()];
        for &i in &self.indices {
            mask[i] = true;
        }
        mask
    }
}
