//! Minor completion and first-order variances of a random rank-r matrix on a Bernoulli mask,
//! timed, printed as one JSON line (the fit is timed again on its own, with its residual).
//!
//!     minors [--m 200] [--n 200] [--rank 3] [--density 0.3] [--seed 1] [--threads 1] [--estimators 8]

use faer::Par;
use std::time::Instant;
use tessera::completability::{complete_minors, first_order_variance, fit_low_rank, Mask, MinorOptions};

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: &str| {
        argv.iter().position(|a| a == flag).map_or(default.to_string(), |i| argv[i + 1].clone())
    };
    let m: usize = get("--m", "200").parse().expect("--m");
    let n: usize = get("--n", "200").parse().expect("--n");
    let r: usize = get("--rank", "3").parse().expect("--rank");
    let density: f64 = get("--density", "0.3").parse().expect("--density");
    let threads: usize = get("--threads", "1").parse().expect("--threads");
    let estimators: usize = get("--estimators", "8").parse().expect("--estimators");
    let mut rng = SplitMix(get("--seed", "1").parse().expect("--seed"));
    let u: Vec<f64> = (0..m * r).map(|_| rng.normal()).collect();
    let v: Vec<f64> = (0..n * r).map(|_| rng.normal()).collect();
    let at = |i: usize, j: usize| (0..r).map(|k| u[i * r + k] * v[j * r + k]).sum::<f64>();
    let dense: Vec<u8> = (0..m * n).map(|_| u8::from(rng.next() < density)).collect();
    let mask = Mask::from_dense(m, n, &dense).expect("nonempty mask");
    let values: Vec<f64> = (0..mask.len()).map(|e| { let (i, j) = mask.entry(e); at(i, j) }).collect();
    let queries: Vec<(usize, usize)> = (0..n).flat_map(|j| (0..m).map(move |i| (i, j))).collect();
    let par = if threads > 1 { Par::rayon(threads) } else { Par::Seq };
    let options = MinorOptions { max_estimators: estimators, ..MinorOptions::default() };

    let start = Instant::now();
    let est = complete_minors(&mask, &values, None, r, &queries, &options, par).expect("minors");
    let minors_s = start.elapsed().as_secs_f64();
    let determined = est.iter().filter(|e| e.is_determined()).count();
    let worst = queries.iter().zip(&est).filter(|(_, e)| e.is_determined())
        .map(|(&(i, j), e)| (e.value - at(i, j)).abs() / at(i, j).abs()).fold(0.0, f64::max);

    let start = Instant::now();
    let var = first_order_variance(&mask, &values, None, r, &queries, par).expect("variance");
    let variance_s = start.elapsed().as_secs_f64();
    let finite = var.iter().filter(|v| v.is_finite()).count();
    let start = Instant::now();
    let fit = fit_low_rank(&mask, &values, None, r, par).expect("fit");
    let fit_s = start.elapsed().as_secs_f64();
    println!(
        "{{\"m\": {m}, \"n\": {n}, \"rank\": {r}, \"observed\": {}, \"threads\": {threads}, \"estimators\": {estimators}, \
         \"minors_s\": {minors_s:.3}, \"determined\": {determined}, \"worst_relative_error\": {worst:.3e}, \
         \"variance_s\": {variance_s:.3}, \"finite_variances\": {finite}, \
         \"fit_s\": {fit_s:.3}, \"fit_relative_residual\": {:.3e}, \"fit_sweeps\": {}, \"fit_steps\": {}}}",
        mask.len(),
        fit.relative_residual,
        fit.sweeps,
        fit.steps
    );
}
