//! Reproducer: glibc `exp` throughput on one thread before and after a faer matrix product,
//! and after `vzeroupper`. On AVX-512 machines faer's kernels leave the upper vector state
//! dirty and libm calls that follow run many times slower until it is cleared.
//!
//!     cargo run --release -p tessera-benches --bin libm_after_gemm -- [n]   (default 256)

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use std::time::Instant;

fn exp_rate(v: &[f64]) -> f64 {
    let t = Instant::now();
    let s: f64 = v.iter().map(|x| x.exp()).sum();
    std::hint::black_box(s);
    v.len() as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(256, |s| s.parse().expect("n: a size"));
    let v: Vec<f64> = (0..1_000_000).map(|i| ((i % 1000) as f64 - 500.0) / 100.0).collect();
    println!("exp before any product: {:.1} M/s", exp_rate(&v));
    let a = Mat::<f64>::from_fn(n, n, |i, j| (i + j) as f64);
    let mut c = Mat::<f64>::zeros(n, n);
    matmul(c.as_mut(), Accum::Replace, a.as_ref(), a.as_ref(), 1.0, Par::Seq);
    println!("exp after a {n}×{n} f64 product: {:.1} M/s", exp_rate(&v));
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX was just detected.
        unsafe { core::arch::x86_64::_mm256_zeroupper() };
        println!("exp after vzeroupper: {:.1} M/s", exp_rate(&v));
    }
}
