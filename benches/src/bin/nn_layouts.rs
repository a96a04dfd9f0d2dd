//! faer's product time for the training step's shapes (784-1024-1024-10 at batch 256, f32) in
//! every operand layout: each of `dst = lhs · rhs` stored column-major (`N`) or as the
//! transpose of a column-major matrix (`T`, i.e. row-major). The engine stores weights and
//! activations column-major, so its forward product is `N N N`, `∂A = Wᵀ ∂Z` is `T N N` and
//! `∂W = ∂Z Aᵀ` is `N T N`; this shows what other layouts would gain.
//!
//! Fastest of `--rounds` rounds (default 6) of 15 calls each, the layouts interleaved within
//! a round so that the machine's drift affects them alike.
//!
//! With `--threads` above 1, a second table: how to spread each product over the threads.
//! faer's own parallel split against cutting the output into one block of rows (or of columns)
//! per thread, each a one-thread product (what the network engine does,
//! `core/src/nn/network.rs`), and the row blocks after a column-major copy of a transposed
//! right operand; the speed-up over one thread of each, fastest of the rounds of 10 calls.
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

/// `dst = lhs · rhs` as `parts` one-thread products on consecutive blocks of rows (`rows`) or
/// of columns, on a tree of `rayon::join`.
fn in_blocks(parts: usize, rows: bool, dst: MatMut<'_, f32>, lhs: MatRef<'_, f32>, rhs: MatRef<'_, f32>) {
    if parts == 1 {
        return matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
    }
    let left = parts / 2;
    if rows {
        let at = dst.nrows() * left / parts;
        let ((d0, d1), (l0, l1)) = (dst.split_at_row_mut(at), lhs.split_at_row(at));
        rayon::join(|| in_blocks(left, rows, d0, l0, rhs), || in_blocks(parts - left, rows, d1, l1, rhs));
    } else {
        let at = dst.ncols() * left / parts;
        let ((d0, d1), (r0, r1)) = (dst.split_at_col_mut(at), rhs.split_at_col(at));
        rayon::join(|| in_blocks(left, rows, d0, lhs, r0), || in_blocks(parts - left, rows, d1, lhs, r1));
    }
}

const VARIANTS: [&str; 5] = ["one thread", "faer's split", "row blocks", "column blocks", "copy of rhs, row blocks"];

/// The second table: faer's split against row and column blocks, on `threads` threads.
fn splits(threads: usize, rounds: usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    // (product, m, n, k, whether lhs and rhs are transposes of column-major matrices)
    let cases = [
        ("forward of the 1024 layer, W A", 1024, 256, 1024, false, false),
        ("forward of the 784 layer, W A", 1024, 256, 784, false, false),
        ("dA of the 1024 layer, Wᵀ dZ", 1024, 256, 1024, true, false),
        ("dW of the 1024 layer, dZ Aᵀ", 1024, 1024, 256, false, true),
        ("dW of the 784 layer, dZ Aᵀ", 1024, 784, 256, false, true),
    ];
    println!("| product | m×n×k | {} |", VARIANTS.join(" | "));
    println!("|---|---|{}", "---:|".repeat(VARIANTS.len()));
    for (name, m, n, k, lhs_t, rhs_t) in cases {
        let a = Mat::<f32>::from_fn(m, k, |i, j| ((i + j) % 7) as f32 * 0.1);
        let at = Mat::<f32>::from_fn(k, m, |i, j| ((i + j) % 7) as f32 * 0.1);
        let lhs = if lhs_t { at.transpose() } else { a.as_ref() };
        let b = Mat::<f32>::from_fn(k, n, |i, j| ((i + 2 * j) % 5) as f32 * 0.1);
        let bt = Mat::<f32>::from_fn(n, k, |i, j| ((i + 2 * j) % 5) as f32 * 0.1);
        let rhs = if rhs_t { bt.transpose() } else { b.as_ref() };
        let (mut c, mut copy) = (Mat::<f32>::zeros(m, n), Mat::<f32>::zeros(k, n));
        let mut best = [f64::INFINITY; VARIANTS.len()];
        for _ in 0..rounds {
            pool.install(|| {
                let times = [
                    fastest(10, || matmul(c.as_mut(), Accum::Replace, lhs, rhs, 1.0, Par::Seq)),
                    fastest(10, || matmul(c.as_mut(), Accum::Replace, lhs, rhs, 1.0, Par::rayon(threads))),
                    fastest(10, || in_blocks(threads, true, c.as_mut(), lhs, rhs)),
                    fastest(10, || in_blocks(threads, false, c.as_mut(), lhs, rhs)),
                    fastest(10, || {
                        copy.as_mut().copy_from(rhs);
                        in_blocks(threads, true, c.as_mut(), lhs, copy.as_ref());
                    }),
                ];
                for (b, t) in best.iter_mut().zip(times) {
                    *b = b.min(t);
                }
            });
        }
        let cells: Vec<String> = best
            .iter()
            .enumerate()
            .map(|(i, &t)| if i == 0 { format!("{:.3} ms", t * 1e3) } else { format!("{:.3} ms ({:.2}×)", t * 1e3, best[0] / t) })
            .collect();
        println!("| {name} | {m}×{n}×{k} | {} |", cells.join(" | "));
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
    if threads > 1 {
        println!();
        splits(threads, rounds);
    }
}
