//! Test helpers for the minor completion and the first-order variance: seeded random low-rank
//! matrices and masks, and a brute-force Jacobian-rank completability test.
#![allow(dead_code)]

use faer::Mat;
use tessera::completability::Mask;

pub use crate::common::rayon2;

/// SplitMix64 with uniform and normal draws.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A rank-r matrix U Vᵀ with standard normal factors.
pub struct LowRank {
    pub m: usize,
    pub n: usize,
    pub u: Mat<f64>,
    pub v: Mat<f64>,
}

impl LowRank {
    pub fn new(m: usize, n: usize, r: usize, rng: &mut Rng) -> Self {
        let u = Mat::from_fn(m, r, |_, _| rng.normal());
        let v = Mat::from_fn(n, r, |_, _| rng.normal());
        Self { m, n, u, v }
    }
    pub fn rank(&self) -> usize {
        self.u.ncols()
    }
    pub fn at(&self, i: usize, j: usize) -> f64 {
        (0..self.rank()).map(|k| self.u[(i, k)] * self.v[(j, k)]).sum()
    }
    /// The observed values of `mask`, in entry order.
    pub fn observe(&self, mask: &Mask) -> Vec<f64> {
        (0..mask.len()).map(|e| {
            let (i, j) = mask.entry(e);
            self.at(i, j)
        }).collect()
    }
}

/// Bernoulli(p) mask of an m × n matrix (column-major entry order), re-drawn until nonempty.
pub fn bernoulli_mask(m: usize, n: usize, p: f64, rng: &mut Rng) -> Mask {
    loop {
        let dense: Vec<u8> = (0..m * n).map(|_| u8::from(rng.uniform() < p)).collect();
        if let Ok(mask) = Mask::from_dense(m, n, &dense) {
            return mask;
        }
    }
}

/// All positions of an m × n matrix, column by column.
pub fn all_positions(m: usize, n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|j| (0..m).map(move |i| (i, j))).collect()
}

/// Numerical rank of the Jacobian of the entries `positions` of U Vᵀ in (U, V), by SVD with
/// the threshold 1e-9 σ_max.
pub fn jacobian_rank(truth: &LowRank, positions: &[(usize, usize)]) -> usize {
    let (m, r) = (truth.m, truth.rank());
    let dim = r * (truth.m + truth.n);
    let j = Mat::from_fn(positions.len(), dim, |e, t| {
        let (i, c) = positions[e];
        if t / r == i {
            truth.v[(c, t % r)]
        } else if t / r == m + c {
            truth.u[(i, t % r)]
        } else {
            0.0
        }
    });
    let s = j.singular_values().unwrap();
    let top = s.iter().copied().fold(0.0, f64::max);
    s.iter().filter(|&&x| x > 1e-9 * top).count()
}

/// Whether (i, j) is in the rank-r closure of `mask`: the Jacobian rank does not grow when the
/// entry is added (at the generic point `truth`).
pub fn completable_brute_force(truth: &LowRank, mask: &Mask, i: usize, j: usize) -> bool {
    let mut positions: Vec<(usize, usize)> = (0..mask.len()).map(|e| mask.entry(e)).collect();
    if mask.find(i, j).is_some() {
        return true;
    }
    let before = jacobian_rank(truth, &positions);
    positions.push((i, j));
    jacobian_rank(truth, &positions) == before
}

/// Relative error `|x − t| / |t|`.
pub fn relative(x: f64, t: f64) -> f64 {
    (x - t).abs() / t.abs()
}
