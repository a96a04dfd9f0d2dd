//! Test helpers for the ball operations: central differences, precision and thread checks.
#![allow(dead_code)]

use faer::Mat;

pub use crate::common::{in_two_threads, rayon2};

pub fn to_f32(m: &Mat<f64>) -> Mat<f32> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32)
}

pub fn widen(m: &Mat<f32>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f64)
}

/// `m` rounded to f32 and back.
pub fn through_f32(m: &Mat<f64>) -> Mat<f64> {
    widen(&to_f32(m))
}

pub fn assert_all_finite(m: &Mat<f64>, what: &str) {
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            assert!(m[(i, j)].is_finite(), "{what}: non-finite {} at ({i}, {j})", m[(i, j)]);
        }
    }
}

pub fn assert_all_finite32(m: &Mat<f32>, what: &str) {
    assert_all_finite(&widen(m), what)
}

/// Bitwise equality.
pub fn assert_same_bits(a: &Mat<f64>, b: &Mat<f64>, what: &str) {
    assert_eq!(a.shape(), b.shape());
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            assert_eq!(a[(i, j)].to_bits(), b[(i, j)].to_bits(), "{what}: ({i}, {j}) differs");
        }
    }
}

/// `|a − b| ≤ tol · (1 + max |b| of the row)`, entrywise.
pub fn assert_close(a: &Mat<f64>, b: &Mat<f64>, tol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    for i in 0..a.nrows() {
        let scale = 1.0 + (0..b.ncols()).map(|j| b[(i, j)].abs()).fold(0.0, f64::max);
        for j in 0..a.ncols() {
            let err = (a[(i, j)] - b[(i, j)]).abs();
            assert!(err <= tol * scale, "{what}: ({i}, {j}) {} vs {} (err {err:e})", a[(i, j)], b[(i, j)]);
        }
    }
}

pub fn row_norm(m: &Mat<f64>, i: usize) -> f64 {
    (0..m.ncols()).map(|j| m[(i, j)] * m[(i, j)]).sum::<f64>().sqrt()
}

/// Checks `grads[k]` (the VJP's gradient of `Σ g ∘ f(inputs)` with respect to `inputs[k]`)
/// against central differences with step `h`, to `tol · (1 + |fd|)`.
pub fn check_vjp(
    inputs: &[Mat<f64>],
    f: impl Fn(&[Mat<f64>]) -> Mat<f64>,
    g: &Mat<f64>,
    grads: &[Mat<f64>],
    h: f64,
    tol: f64,
    what: &str,
) {
    let loss = |ins: &[Mat<f64>]| {
        let out = f(ins);
        let mut s = 0.0;
        for i in 0..out.nrows() {
            for j in 0..out.ncols() {
                s += g[(i, j)] * out[(i, j)];
            }
        }
        s
    };
    for (k, grad) in grads.iter().enumerate() {
        assert_eq!(grad.shape(), inputs[k].shape());
        for i in 0..grad.nrows() {
            for j in 0..grad.ncols() {
                let (mut p, mut m) = (inputs.to_vec(), inputs.to_vec());
                p[k][(i, j)] += h;
                m[k][(i, j)] -= h;
                let fd = (loss(&p) - loss(&m)) / (2.0 * h);
                let an = grad[(i, j)];
                assert!(
                    (fd - an).abs() <= tol * (1.0 + fd.abs()),
                    "{what}: d/d input {k} ({i}, {j}): fd {fd} vs vjp {an}"
                );
            }
        }
    }
}
