//! Cost of the Path-SGD scaling κ and of the f-divergence objectives.
//!
//! 1. For a 784-1024-1024-10 chain with biases: the κ of every parameter
//!    ([`PathNorm::kappa`]: |W|^p, forward and backward sweeps, outer products) and a whole
//!    Path-SGD step ([`PathNorm::step`]), against one forward pass of a batch through the same
//!    weights (the three products W_l A only, no bias or activation).
//! 2. `objective_grad` of every divergence on `n` outputs of P and `n` of Q, in outputs per
//!    second.
//!
//! Median of `k` timed calls after a warm-up, one thread (`Par::Seq`).
//!
//!     cargo run --release -p tessera-benches --bin path_sgd -- [--k 20] [--n 1000000]

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};
use std::time::Instant;
use tessera::nn::{objective_grad, Divergence, Float, Layer, LayerMut, PathNorm};

const WIDTHS: [usize; 4] = [784, 1024, 1024, 10];

/// Median wall time of `k` calls after one warm-up (the median resists the load of a
/// shared machine better than the minimum or the mean).
fn median_of(k: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = Vec::with_capacity(k);
    for _ in 0..k.max(1) {
        let start = Instant::now();
        f();
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Deterministic weights of size `0.05`, varying in sign.
fn filled<T: Float>(rows: usize, cols: usize, salt: usize) -> Mat<T> {
    Mat::from_fn(rows, cols, |i, j| T::from_f64(0.05 * (((i * 31 + j * 17 + salt * 7) % 97) as f64 / 48.0 - 1.0)))
}

fn chain<T: Float>() -> (Vec<Mat<T>>, Vec<Col<T>>) {
    let w = (0..3).map(|l| filled(WIDTHS[l + 1], WIDTHS[l], l)).collect();
    let b = (0..3).map(|l| filled::<T>(WIDTHS[l + 1], 1, l + 3).col(0).to_owned()).collect();
    (w, b)
}

fn path_bench<T: Float>(name: &str, k: usize) {
    let (mut w, mut b) = chain::<T>();
    let (gw, gb) = chain::<T>();
    let (mut kw, mut kb) = chain::<T>();
    let mut ws = PathNorm::<T>::new(&WIDTHS, 2.0, Par::Seq).expect("valid widths");
    let kappa = median_of(k, || {
        let layers: Vec<Layer<'_, T>> = w.iter().zip(&b).map(|(w, b)| Layer::new(w.as_ref(), Some(b.as_ref()))).collect();
        let mut out: Vec<LayerMut<'_, T>> =
            kw.iter_mut().zip(kb.iter_mut()).map(|(w, b)| LayerMut::new(w.as_mut(), Some(b.as_mut()))).collect();
        ws.kappa(&layers, &mut out).expect("shapes match");
    });
    let grads: Vec<Layer<'_, T>> = gw.iter().zip(&gb).map(|(w, b)| Layer::new(w.as_ref(), Some(b.as_ref()))).collect();
    let step = median_of(k, || {
        let mut layers: Vec<LayerMut<'_, T>> =
            w.iter_mut().zip(b.iter_mut()).map(|(w, b)| LayerMut::new(w.as_mut(), Some(b.as_mut()))).collect();
        ws.step(&mut layers, &grads, T::from_f64(1e-9)).expect("shapes match");
    });
    println!("{name}: kappa {:.3} ms, Path-SGD step {:.3} ms", 1e3 * kappa, 1e3 * step);
    for batch in [1, 64, 256] {
        let mut acts: Vec<Mat<T>> = WIDTHS.iter().map(|&d| filled(d, batch, d)).collect();
        let forward = median_of(k, || {
            for l in 0..3 {
                let (lo, hi) = acts.split_at_mut(l + 1);
                matmul(hi[0].as_mut(), Accum::Replace, w[l].as_ref(), lo[l].as_ref(), T::from_f64(1.0), Par::Seq);
            }
        });
        println!(
            "{name}: forward products, batch {batch:>3}: {:.3} ms; kappa / forward = {:.2}, step / forward = {:.2}",
            1e3 * forward,
            kappa / forward,
            step / forward
        );
    }
}

fn fdiv_bench<T: Float>(name: &str, n: usize, k: usize) {
    let vp = Col::<T>::from_fn(n, |i| T::from_f64(((i % 1000) as f64 - 500.0) / 100.0));
    let vq = Col::<T>::from_fn(n, |i| T::from_f64(((i * 7 % 1000) as f64 - 500.0) / 120.0));
    let (mut gp, mut gq) = (Col::<T>::zeros(n), Col::<T>::zeros(n));
    for div in Divergence::ALL {
        let t = median_of(k, || {
            objective_grad(div, vp.as_ref(), vq.as_ref(), gp.as_mut(), gq.as_mut()).expect("non-empty");
        });
        println!("{name} {:<10}: objective + gradient {:.1} M outputs/s", div.name(), 2.0 * n as f64 / t / 1e6);
    }
}

fn main() {
    let (mut k, mut n) = (20, 1_000_000);
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value: usize = pair.get(1).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{} takes a number", pair[0]));
        match pair[0].as_str() {
            "--k" => k = value,
            "--n" => n = value,
            other => panic!("unknown option {other}"),
        }
    }
    path_bench::<f32>("f32", k);
    path_bench::<f64>("f64", k);
    // After the products above: the kernels clear the upper vector state themselves.
    fdiv_bench::<f32>("f32", n, k.min(5));
    fdiv_bench::<f64>("f64", n, k.min(5));
}
