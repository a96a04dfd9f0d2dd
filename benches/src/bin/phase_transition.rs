//! The completability phase transition: for n × n masks of |Ω| = round(x · r(2n − r))
//! positions drawn uniformly, the mean fraction of the n² entries in the rank-r closure and
//! the number of trials in which the whole matrix was finitely completable.
//!
//!     phase_transition [--n 50] [--trials 5] [--seed 1] [--threads 2] [--ranks 1,2,3]
//!                      [--xs 0.5,0.75,1,1.25,1.5,2,3]

use faer::Par;
use std::time::Instant;
use tessera::completability::phase_transition;

fn list<T: std::str::FromStr>(s: &str, flag: &str) -> Vec<T> {
    s.split(',').map(|v| v.trim().parse().unwrap_or_else(|_| panic!("{flag}: bad value {v}"))).collect()
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: &str| {
        argv.iter().position(|a| a == flag).map_or(default.to_string(), |i| argv[i + 1].clone())
    };
    let n: usize = get("--n", "50").parse().expect("--n");
    let trials: usize = get("--trials", "5").parse().expect("--trials");
    let seed: u64 = get("--seed", "1").parse().expect("--seed");
    let threads: usize = get("--threads", "2").parse().expect("--threads");
    let ranks: Vec<usize> = list(&get("--ranks", "1,2,3"), "--ranks");
    let xs: Vec<f64> = list(&get("--xs", "0.5,0.75,1,1.25,1.5,2,3"), "--xs");
    let par = if threads > 1 { Par::rayon(threads) } else { Par::Seq };

    println!("n = {n}, {trials} uniform masks per cell, seed {seed}: mean fraction of entries in the closure");
    println!("(in brackets: trials with the whole matrix finitely completable), x = |Omega| / (r(2n - r))");
    print!("| r |");
    xs.iter().for_each(|x| print!(" x={x} |"));
    println!();
    print!("|---|");
    xs.iter().for_each(|_| print!("---|"));
    println!();
    let start = Instant::now();
    for &r in &ranks {
        let points = phase_transition(n, r, &xs, trials, seed, par).expect("valid n, rank, xs");
        print!("| {r} |");
        for p in points {
            print!(" {:.3} ({}/{}) |", p.fraction, p.fully_completable, p.trials);
        }
        println!();
    }
    println!("{:.2} s", start.elapsed().as_secs_f64());
}
