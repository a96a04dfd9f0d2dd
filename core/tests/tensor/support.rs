//! Shared inputs of the tensor tests: random Tucker tensors, observation subsets, errors.
#![allow(dead_code)]

pub use crate::common::Rng;

use faer::Mat;
use tessera::tensor::{Observations, Shape};

/// Element `index` (a multi-index) of a column-major tensor, by the definition.
pub fn at(x: &[f64], dims: &[usize], index: &[usize]) -> f64 {
    let mut linear = 0;
    let mut stride = 1;
    for (&i, &n) in index.iter().zip(dims) {
        linear += i * stride;
        stride *= n;
    }
    x[linear]
}

/// Every multi-index of `dims`, first index fastest.
pub fn multi_indices(dims: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = dims.iter().product();
    (0..total)
        .map(|mut l| {
            dims.iter()
                .map(|&n| {
                    let i = l % n;
                    l /= n;
                    i
                })
                .collect()
        })
        .collect()
}

/// `n × r` matrix with orthonormal columns (Gram–Schmidt of a Gaussian matrix, twice).
pub fn orthonormal(n: usize, r: usize, rng: &mut Rng) -> Mat<f64> {
    let mut q = Mat::from_fn(n, r, |_, _| rng.normal());
    for _ in 0..2 {
        for j in 0..r {
            for p in 0..j {
                let d: f64 = (0..n).map(|i| q[(i, j)] * q[(i, p)]).sum();
                for i in 0..n {
                    q[(i, j)] -= d * q[(i, p)];
                }
            }
            let norm = (0..n).map(|i| q[(i, j)] * q[(i, j)]).sum::<f64>().sqrt();
            for i in 0..n {
                q[(i, j)] /= norm;
            }
        }
    }
    q
}

/// A random tensor of Tucker rank `ranks` as the reference's `randtensor3`: standard normal
/// core, orthonormal factors. Built element by element from the definition.
pub fn tucker_tensor(dims: &[usize], ranks: &[usize], seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let core: Vec<f64> = (0..ranks.iter().product::<usize>()).map(|_| rng.normal()).collect();
    let factors: Vec<Mat<f64>> = dims.iter().zip(ranks).map(|(&n, &r)| orthonormal(n, r, &mut rng)).collect();
    // Apply the factors one mode at a time (each step is a plain sum over one index).
    let mut t = core;
    let mut shape: Vec<usize> = ranks.to_vec();
    for (k, u) in factors.iter().enumerate() {
        let mut next_shape = shape.clone();
        next_shape[k] = dims[k];
        let next: Vec<f64> = multi_indices(&next_shape)
            .iter()
            .map(|idx| {
                let mut src = idx.clone();
                (0..shape[k])
                    .map(|j| {
                        src[k] = j;
                        u[(idx[k], j)] * at(&t, &shape, &src)
                    })
                    .sum()
            })
            .collect();
        t = next;
        shape = next_shape;
    }
    t
}

/// Observations of a uniformly random subset of `round(fraction · N)` entries, plus
/// Gaussian noise of standard deviation `sigma`.
pub fn observe(x: &[f64], dims: &[usize], fraction: f64, sigma: f64, seed: u64) -> Observations {
    let mut rng = Rng::new(seed);
    let n = x.len();
    let m = (fraction * n as f64).round() as usize;
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = i + ((rng.uniform() * (n - i) as f64) as usize).min(n - i - 1);
        order.swap(i, j);
    }
    let mut mask = vec![0u8; n];
    let mut values = vec![f64::NAN; n];
    for &i in &order[..m] {
        mask[i] = 1;
        values[i] = x[i] + sigma * rng.normal();
    }
    Observations::from_dense(&Shape::new(dims).unwrap(), &values, &mask).unwrap()
}

/// `‖a − b‖ / ‖b‖` over the entries where `keep` holds.
pub fn relative_error(a: &[f64], b: &[f64], keep: impl Fn(usize) -> bool) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for i in (0..a.len()).filter(|&i| keep(i)) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    (num / den).sqrt()
}

/// Relative error over the unobserved entries.
pub fn test_error(estimate: &[f64], truth: &[f64], obs: &Observations) -> f64 {
    let mut observed = vec![false; truth.len()];
    obs.indices().iter().for_each(|&i| observed[i] = true);
    relative_error(estimate, truth, |i| !observed[i])
}

/// Raw little-endian f64 file from the fixture directory.
pub fn read_f64(name: &str) -> Vec<f64> {
    let path = format!("{}/tests/fixtures/tensor/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect()
}

/// Raw little-endian i64 file from the fixture directory.
pub fn read_i64(name: &str) -> Vec<i64> {
    let path = format!("{}/tests/fixtures/tensor/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap())).collect()
}
