//! faer's product time for the training step's shapes (784-1024-1024-10 at batch 256, f32) in
//! every operand layout: each of `dst = lhs · rhs` stored column-major (`N`) or as the
//! transpose of a column-major matrix (`T`, i.e. row-major). The engine stores weights and
//! activations column-major, so its forward product is `N N N`, `∂A = Wᵀ ∂Z` is `T N N` and
//! `∂W = ∂Z Aᵀ` is `N T N`; this shows what other layouts would gain.
//!
//! Fastest of `--rounds` rounds (default 6) of 15 calls each, the layouts interleaved within
//! a round so that the machine's drift affects them alike.
//!
//!     cargo run --release -p tessera-benches --bin nn_layouts -- [--threads 1] [--rounds 6]

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use std::collections::BTreeMap;
use std::time::Instant;

fn fastest(k: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    (0..k)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// One round of `m × n = (m × k)(k × n)` in the eight layouts, into `best`.
fn round(case: usize, (m, n, k): (usize, usize, usize), par: Par, best: &mut BTreeMap<(usize, String), f64>) {
    let a = Mat::<f32>::from_fn(m, k, |i, j| ((i + j) % 7) as f32 * 0.1);
    let at = Mat::<f32>::from_fn(k, m, |i, j| ((i + j) % 7) as f32 * 0.1);
    let b = Mat::<f32>::from_fn(k, n, |i, j| ((i + 2 * j) % 5) as f32 * 0.1);
    let bt = Mat::<f32>::from_fn(n, k, |i, j| ((i + 2 * j) % 5) as f32 * 0.1);
    let (mut c, mut ct) = (Mat::<f32>::zeros(m, n), Mat::<f32>::zeros(n, m));
    for (ln, lhs) in [("N", a.as_ref()), ("T", at.transpose())] {
        for (rn, rhs) in [("N", b.as_ref()), ("T", bt.transpose())] {
            for dn in ["N", "T"] {
                let t = fastest(15, || {
                    let dst: MatMut<'_, f32> = if dn == "N" { c.as_mut() } else { ct.as_mut().transpose_mut() };
                    let (lhs, rhs): (MatRef<'_, f32>, MatRef<'_, f32>) = (lhs, rhs);
                    matmul(dst, Accum::Replace, lhs, rhs, 1.0f32, par);
                });
                let e = best.entry((case, format!("{ln} {rn} {dn}"))).or_insert(f64::INFINITY);
                *e = e.min(t);
            }
        }
    }
}

fn main() {
    let (mut threads, mut rounds) = (1usize, 6usize);
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value: usize = pair.get(1).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{} needs a number", pair[0]));
        match pair[0].as_str() {
            "--threads" => threads = value,
            "--rounds" => rounds = value,
            other => panic!("unknown option {other}"),
        }
    }
    let par = if threads > 1 { Par::rayon(threads) } else { Par::Seq };
    let cases = [("forward and dA of the 1024 layer", (1024, 256, 1024)), ("dW of the 1024 layer", (1024, 1024, 256)), ("dW of the 784 layer", (1024, 784, 256))];
    let mut best = BTreeMap::new();
    for _ in 0..rounds {
        for (case, &(_, shape)) in cases.iter().enumerate() {
            round(case, shape, par, &mut best);
        }
    }
    println!("| product | m×n×k | lhs rhs dst | ms | GMAC/s |");
    println!("|---|---|---|---:|---:|");
    for ((case, layout), t) in &best {
        let (name, (m, n, k)) = cases[*case];
        println!("| {name} | {m}×{n}×{k} | {layout} | {:.3} | {:.1} |", t * 1e3, (m * n * k) as f64 / t / 1e9);
    }
}
