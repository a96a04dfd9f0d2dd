//! Full rank-r closure of a uniformly random n × n mask with |Ω| = round(x · r(2n − r)),
//! every entry decided (fill_dense), seconds per phase.
//!
//!     closure [--n 1000] [--rank 5] [--x 3] [--threads 2] [--seed 1] [--trials 2]

use faer::Par;
use std::time::Instant;
use tessera::completability::{closure, ClosureOptions, Mask, RCore};

/// `size` distinct positions of an n × n matrix (partial Fisher–Yates on a SplitMix64 stream).
fn uniform_mask(n: usize, size: usize, seed: u64) -> Mask {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut cells: Vec<u32> = (0..(n * n) as u32).collect();
    for k in 0..size {
        let pick = k + ((next() as u128 * (cells.len() - k) as u128) >> 64) as usize;
        cells.swap(k, pick);
    }
    let rows: Vec<i64> = cells[..size].iter().map(|&c| (c as usize % n) as i64).collect();
    let cols: Vec<i64> = cells[..size].iter().map(|&c| (c as usize / n) as i64).collect();
    Mask::from_coordinates(n, n, &rows, &cols).expect("distinct in-range positions")
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: &str| {
        argv.iter().position(|a| a == flag).map_or(default.to_string(), |i| argv[i + 1].clone())
    };
    let n: usize = get("--n", "1000").parse().expect("--n");
    let rank: usize = get("--rank", "5").parse().expect("--rank");
    let x: f64 = get("--x", "3").parse().expect("--x");
    let threads: usize = get("--threads", "2").parse().expect("--threads");
    let seed: u64 = get("--seed", "1").parse().expect("--seed");
    let trials: usize = get("--trials", "2").parse().expect("--trials");
    let par = if threads > 1 { Par::rayon(threads) } else { Par::Seq };
    let size = ((x * (rank * (2 * n - rank)) as f64).round() as usize).min(n * n);
    let mask = uniform_mask(n, size, seed);

    let t = Instant::now();
    let core = RCore::new(&mask, rank);
    let prune_alone = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let c = closure(&mask, rank, &ClosureOptions { seed, trials }, par).expect("valid rank");
    let total = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut dense = vec![0u8; n * n];
    c.fill_dense(&mut dense);
    let fill = t.elapsed().as_secs_f64();
    let p = c.profile();
    println!("n {n} rank {rank} |Omega| {size} (x {x}) threads {threads} trials {trials}");
    println!(
        "pruned rows/cols {:?} (r-core alone {prune_alone:.3} s), components {}",
        core.pruned(),
        c.components()
    );
    println!(
        "jacobian rank {} of {} (deficiency {}), closure {} of {} entries",
        c.jacobian_rank(),
        c.full_rank(),
        c.deficiency(),
        dense.iter().filter(|&&b| b == 1).count(),
        n * n
    );
    println!(
        "seconds: prune {:.3}  reduce {:.3}  eliminate {:.3}  kernel {:.3}  (closure total {total:.3})  fill {fill:.3}  all {:.3}",
        p.prune,
        p.reduce,
        p.eliminate,
        p.kernel,
        total + fill
    );
}
