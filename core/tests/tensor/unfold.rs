//! Unfolding, folding and mode products against their element-wise definitions.

use faer::{Mat, Par};
use crate::support::*;
use tessera::tensor::{fold, mode_product, unfold, Shape, TensorError, MAX_ORDER};

fn random(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.normal()).collect()
}

/// Column of `(i_1..i_K)` in `X_(k)`: the other indices in increasing mode order, first fastest.
fn kolda_column(index: &[usize], dims: &[usize], k: usize) -> usize {
    let (mut col, mut stride) = (0, 1);
    for (j, (&i, &n)) in index.iter().zip(dims).enumerate() {
        if j != k {
            col += i * stride;
            stride *= n;
        }
    }
    col
}

const SHAPES: &[&[usize]] = &[&[7], &[4, 5], &[3, 4, 5], &[20, 3, 2], &[2, 3, 30], &[2, 1, 3, 2, 3, 1, 2, 2], &[17, 2, 40]];

#[test]
fn unfold_matches_definition_and_fold_inverts_it() {
    for (s, dims) in SHAPES.iter().enumerate() {
        let shape = Shape::new(dims).unwrap();
        let x = random(shape.len(), s as u64);
        for k in 0..dims.len() {
            let m = unfold(&x, &shape, k);
            assert_eq!((m.nrows(), m.ncols()), (dims[k], shape.len() / dims[k]));
            for idx in multi_indices(dims) {
                assert_eq!(m[(idx[k], kolda_column(&idx, dims, k))], at(&x, dims, &idx));
            }
            assert_eq!(fold(m.as_ref(), &shape, k), x);
        }
    }
}

#[test]
fn mode_product_matches_definition() {
    for (s, dims) in SHAPES.iter().enumerate() {
        let shape = Shape::new(dims).unwrap();
        let x = random(shape.len(), 100 + s as u64);
        for k in 0..dims.len() {
            for j in [1, 3, dims[k] + 2] {
                let mut rng = Rng::new(7 * k as u64 + j as u64);
                let m = Mat::from_fn(j, dims[k], |_, _| rng.normal());
                for par in [Par::Seq, Par::rayon(2)] {
                    let (y, yshape) = mode_product(&x, &shape, k, m.as_ref(), par).unwrap();
                    assert_eq!(yshape.dim(k), j);
                    for idx in multi_indices(yshape.dims()) {
                        let mut src = idx.clone();
                        let want: f64 = (0..dims[k])
                            .map(|i| {
                                src[k] = i;
                                m[(idx[k], i)] * at(&x, dims, &src)
                            })
                            .sum();
                        let got = at(&y, yshape.dims(), &idx);
                        assert!((got - want).abs() <= 1e-13 * (1.0 + want.abs()), "{dims:?} k={k}: {got} vs {want}");
                    }
                }
            }
        }
    }
}

#[test]
fn shapes_are_validated() {
    assert_eq!(Shape::new(&[]), Err(TensorError::InvalidOrder(0)));
    assert_eq!(Shape::new(&[2; MAX_ORDER + 1]), Err(TensorError::InvalidOrder(MAX_ORDER + 1)));
    assert!(Shape::new(&[2; MAX_ORDER]).is_ok());
    assert_eq!(Shape::new(&[3, 0, 2]), Err(TensorError::ZeroExtent { mode: 1 }));
    assert_eq!(Shape::new(&[usize::MAX / 4, 8]), Err(TensorError::TooLarge));
    let shape = Shape::new(&[2, 3]).unwrap();
    let m = Mat::<f64>::zeros(2, 2);
    assert_eq!(
        mode_product(&[0.0; 6], &shape, 2, m.as_ref(), Par::Seq).unwrap_err(),
        TensorError::ModeOutOfRange { mode: 2, order: 2 }
    );
    assert!(matches!(mode_product(&[0.0; 6], &shape, 1, m.as_ref(), Par::Seq), Err(TensorError::LengthMismatch { .. })));
}
