//! Singular value thresholding of unfoldings against the proximal operator computed from a
//! full SVD of the materialised unfolding.

use faer::{Mat, Par};
use crate::support::*;
use tessera::tensor::{fold, prox_nuclear, singular_values, unfold, Shape};

/// `U (Σ − τ)₊ Vᵀ` by a full SVD of `X_(k)`.
fn prox_by_svd(x: &[f64], shape: &Shape, k: usize, tau: f64) -> (Vec<f64>, usize) {
    let m = unfold(x, shape, k);
    let svd = m.svd().unwrap();
    let s = svd.S().column_vector();
    let r = (0..s.nrows()).filter(|&i| s[i] > tau).count();
    let mut out = Mat::<f64>::zeros(m.nrows(), m.ncols());
    for i in 0..r {
        for a in 0..m.nrows() {
            for b in 0..m.ncols() {
                out[(a, b)] += svd.U()[(a, i)] * (s[i] - tau) * svd.V()[(b, i)];
            }
        }
    }
    (fold(out.as_ref(), shape, k), r)
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn thresholding_equals_the_svd_proximal_operator() {
    // Slabs, lanes, a single piece, a tall unfolding (mode 0 of 40×3×2) and order 4; then
    // tensors large enough to be cut into blocks (docs/tensor.md): 40×30×20 into 4 (mode 0:
    // lanes by trailing index, mode 1: slabs, mode 2: rows of its one slab), and 4×30×10×30
    // into 8 (mode 1: lanes of a leading extent 4).
    let cases: &[(&[usize], &[usize])] = &[
        (&[12, 10, 8], &[3, 4, 2]),
        (&[3, 20, 30], &[2, 3, 3]),
        (&[40, 3, 2], &[2, 2, 2]),
        (&[5, 6, 4, 3], &[2, 2, 2, 2]),
        (&[40, 30, 20], &[3, 4, 3]),
        (&[4, 30, 10, 30], &[2, 3, 2, 3]),
    ];
    for (c, &(dims, ranks)) in cases.iter().enumerate() {
        let shape = Shape::new(dims).unwrap();
        let mut rng = Rng::new(40 + c as u64);
        // Low rank plus noise: a spread of singular values around every threshold tried.
        let x: Vec<f64> = tucker_tensor(dims, ranks, c as u64).iter().map(|v| 3.0 * v + 0.05 * rng.normal()).collect();
        for k in 0..dims.len() {
            let sigma = singular_values(&x, &shape, k, Par::Seq).unwrap();
            let reference = unfold(&x, &shape, k).singular_values().unwrap();
            assert_eq!(sigma.len(), reference.len());
            for (a, b) in sigma.iter().zip(&reference) {
                assert!((a - b).abs() <= 1e-7 * reference[0], "{dims:?} k={k}: {a} vs {b}");
            }
            // Thresholds between, above and below the singular values, and one tiny enough to
            // take the SVD path.
            let between = 0.5 * (sigma[1] + sigma.get(2).copied().unwrap_or(0.0));
            for tau in [0.5 * sigma[0], between, 1.1 * sigma[0], 1e-9 * sigma[0], 0.0] {
                let (want, want_rank) = prox_by_svd(&x, &shape, k, tau);
                for par in [Par::Seq, Par::rayon(2)] {
                    let mut got = x.clone();
                    let shrink = prox_nuclear(&mut got, &shape, k, tau, par).unwrap();
                    assert_eq!(shrink.rank, want_rank, "{dims:?} k={k} tau={tau}");
                    let scale = sigma[0];
                    assert!(max_abs_diff(&got, &want) <= 1e-9 * scale, "{dims:?} k={k} tau={tau}: {}", max_abs_diff(&got, &want));
                    let kept: f64 = reference.iter().map(|s| (s - tau).max(0.0)).sum();
                    assert!((shrink.nuclear_norm - kept).abs() <= 1e-8 * scale * reference.len() as f64);
                }
            }
        }
    }
}

#[test]
fn thresholding_rejects_bad_input() {
    let shape = Shape::new(&[2, 3]).unwrap();
    let mut x = vec![1.0; 6];
    assert!(prox_nuclear(&mut x, &shape, 0, -1.0, Par::Seq).is_err());
    assert!(prox_nuclear(&mut x, &shape, 0, f64::NAN, Par::Seq).is_err());
    assert!(prox_nuclear(&mut x, &shape, 2, 1.0, Par::Seq).is_err());
    x[4] = f64::INFINITY;
    assert!(prox_nuclear(&mut x, &shape, 1, 1.0, Par::Seq).is_err());
    assert!(singular_values(&x[..5], &shape, 0, Par::Seq).is_err());
}
