//! The entries known so far in the r-closure iteration: observed ones and those completed in
//! earlier rounds, with their values and gradients with respect to the observations.

use super::minors_gradient::Gradient;
use super::Mask;

const NONE: u32 = u32::MAX;

/// Known entries of an `m × n` matrix, looked up through a dense `m · n` table of slots, with
/// the known columns of every row and the known rows of every column (each sorted).
pub(super) struct Known {
    nrows: usize,
    slot: Vec<u32>,
    value: Vec<f64>,
    gradient: Vec<Gradient>,
    estimators: Vec<u32>,
    row: Vec<Vec<u32>>,
    col: Vec<Vec<u32>>,
}

/// A completed entry: value, gradient and the number of minors combined.
pub(super) struct Completed {
    pub value: f64,
    pub gradient: Gradient,
    pub estimators: u32,
}

impl Known {
    /// The observed entries (the caller has checked that `m · n` fits in `u32`).
    pub fn new(mask: &Mask, values: &[f64]) -> Self {
        let (m, n) = (mask.nrows(), mask.ncols());
        let mut slot = vec![NONE; m * n];
        for e in 0..mask.len() {
            let (i, j) = mask.entry(e);
            slot[i + j * m] = e as u32;
        }
        Self {
            nrows: m,
            slot,
            value: values.to_vec(),
            gradient: (0..mask.len()).map(Gradient::unit).collect(),
            estimators: vec![1; mask.len()],
            row: (0..m).map(|i| mask.row(i).map(|(j, _)| j as u32).collect()).collect(),
            col: (0..n).map(|j| mask.col(j).map(|(i, _)| i as u32).collect()).collect(),
        }
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }

    pub fn ncols(&self) -> usize {
        self.col.len()
    }

    /// Slot of `(i, j)` if it is known.
    pub fn get(&self, i: usize, j: usize) -> Option<usize> {
        let s = self.slot[i + j * self.nrows];
        (s != NONE).then_some(s as usize)
    }

    pub fn is_known(&self, i: usize, j: usize) -> bool {
        self.slot[i + j * self.nrows] != NONE
    }

    pub fn value(&self, s: usize) -> f64 {
        self.value[s]
    }

    pub fn gradient(&self, s: usize) -> &Gradient {
        &self.gradient[s]
    }

    pub fn estimators(&self, s: usize) -> u32 {
        self.estimators[s]
    }

    /// Known columns of row `i`, increasing.
    pub fn row(&self, i: usize) -> &[u32] {
        &self.row[i]
    }

    /// Known rows of column `j`, increasing.
    pub fn col(&self, j: usize) -> &[u32] {
        &self.col[j]
    }

    /// Adds a completed entry `(i, j)`, not known before.
    pub fn insert(&mut self, i: usize, j: usize, done: Completed) {
        self.slot[i + j * self.nrows] = self.value.len() as u32;
        self.value.push(done.value);
        self.gradient.push(done.gradient);
        self.estimators.push(done.estimators);
        let (row, col) = (&mut self.row[i], &mut self.col[j]);
        let at = row.partition_point(|&c| (c as usize) < j);
        row.insert(at, j as u32);
        let at = col.partition_point(|&r| (r as usize) < i);
        col.insert(at, i as u32);
    }
}
