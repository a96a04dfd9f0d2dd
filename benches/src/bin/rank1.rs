//! Rank-1 completion at scale: an m × n random rank-1 matrix (factors with random signs and
//! magnitudes in [0.5, 2)), `obs` distinct uniform observations with multiplicative noise of
//! relative size `noise`, `queries` uniform queried entries. Prints one JSON line with the
//! wall (t_*) and process CPU (cpu_*, all threads) times of the components (union–find), of `complete_rank1` without queries (closure and
//! the potentials: the estimates) and with the queries (adds the variances), and the accuracy
//! against the truth. `--check N` (with a sketch) also solves the first N queries' variances
//! exactly, untimed, and reports the sketch's relative errors on them.
//!
//!     rank1 [--m 100000] [--n 100000] [--obs 1000000] [--queries 10000] [--threads 1]
//!           [--method path|minvar] [--variance exact|sketch:K] [--tol 1e-10] [--noise 0] [--seed 1]
//!           [--check 0]

use faer::Par;
use std::collections::HashSet;
use std::time::Instant;
use tessera::completability::{complete_rank1, Components, Mask, Rank1Method, Rank1Options, Rank1Variance};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, k: usize) -> usize {
        (self.uniform() * k as f64) as usize
    }
}

/// User + system CPU seconds of this process (all threads), from /proc/self/stat.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |k: usize| fields.get(k).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| argv.iter().position(|a| a == flag).map(|i| argv[i + 1].clone());
    let num = |flag: &str, default: f64| get(flag).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{flag}")));
    let (m, n) = (num("--m", 1e5) as usize, num("--n", 1e5) as usize);
    let (obs, nq) = (num("--obs", 1e6) as usize, num("--queries", 1e4) as usize);
    let threads = num("--threads", 1.0) as usize;
    let noise = num("--noise", 0.0);
    let method = match get("--method").as_deref().unwrap_or("minvar") {
        "path" => Rank1Method::Path,
        "minvar" => Rank1Method::MinVariance,
        other => panic!("unknown method {other}"),
    };
    let variance = match get("--variance").as_deref().unwrap_or("exact") {
        "exact" => Rank1Variance::Exact,
        s if s.starts_with("sketch:") => {
            Rank1Variance::Sketch { dimensions: s[7..].parse().expect("sketch:K"), seed: 7 }
        }
        other => panic!("unknown variance {other}"),
    };
    let options = Rank1Options { method, variance, tol: num("--tol", 1e-10), ..Rank1Options::default() };
    let par = if threads > 1 { Par::rayon(threads) } else { Par::Seq };
    let mut rng = Rng(num("--seed", 1.0) as u64);

    let factor = |len: usize, rng: &mut Rng| -> Vec<f64> {
        (0..len).map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 } * (0.5 + 1.5 * rng.uniform())).collect()
    };
    let (u, v) = (factor(m, &mut rng), factor(n, &mut rng));
    let mut seen = HashSet::with_capacity(obs);
    let (mut rows, mut cols) = (Vec::with_capacity(obs), Vec::with_capacity(obs));
    while rows.len() < obs {
        let (i, j) = (rng.below(m), rng.below(n));
        if seen.insert((i, j)) {
            rows.push(i as i64);
            cols.push(j as i64);
        }
    }
    let values: Vec<f64> = rows
        .iter()
        .zip(&cols)
        .map(|(&i, &j)| u[i as usize] * v[j as usize] * (1.0 + noise * (2.0 * rng.uniform() - 1.0)))
        .collect();
    let queries: Vec<(usize, usize)> = (0..nq).map(|_| (rng.below(m), rng.below(n))).collect();

    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    pool.install(|| {
        let t = Instant::now();
        let mask = Mask::from_coordinates(m, n, &rows, &cols).expect("valid mask");
        let t_mask = t.elapsed().as_secs_f64();
        let (t, c) = (Instant::now(), cpu());
        let components = Components::new(&mask);
        let (t_components, c_components) = (t.elapsed().as_secs_f64(), cpu() - c);
        let (t, c) = (Instant::now(), cpu());
        complete_rank1(&mask, &values, None, &[], &options, par).expect("estimates");
        let (t_estimates, c_estimates) = (t.elapsed().as_secs_f64(), cpu() - c);
        let (t, c) = (Instant::now(), cpu());
        let est = complete_rank1(&mask, &values, None, &queries, &options, par).expect("estimates");
        let (t_all, c_all) = (t.elapsed().as_secs_f64(), cpu() - c);
        let determined = est.iter().filter(|e| e.is_determined()).count();
        let max_rel = queries
            .iter()
            .zip(&est)
            .filter(|(_, e)| e.is_determined())
            .map(|(&(i, j), e)| (e.value - u[i] * v[j]).abs() / (u[i] * v[j]).abs())
            .fold(0.0, f64::max);
        let mean_var = est.iter().filter(|e| e.is_determined()).map(|e| e.variance).sum::<f64>() / determined.max(1) as f64;
        let check = (num("--check", 0.0) as usize).min(nq);
        let (mut max_var_rel, mut rms_var_rel) = (0.0f64, 0.0);
        if check > 0 {
            let exact_options = Rank1Options { variance: Rank1Variance::Exact, ..options };
            let exact = complete_rank1(&mask, &values, None, &queries[..check], &exact_options, par).expect("exact");
            let rel: Vec<f64> = exact
                .iter()
                .zip(&est)
                .filter(|(e, _)| e.is_determined())
                .map(|(e, a)| (a.variance - e.variance).abs() / e.variance)
                .collect();
            max_var_rel = rel.iter().copied().fold(0.0, f64::max);
            rms_var_rel = (rel.iter().map(|r| r * r).sum::<f64>() / rel.len().max(1) as f64).sqrt();
        }
        println!(
            "{{\"m\": {m}, \"n\": {n}, \"obs\": {obs}, \"queries\": {nq}, \"threads\": {threads}, \"method\": \"{method:?}\", \
             \"variance\": \"{variance:?}\", \"tol\": {}, \"components\": {}, \"t_mask\": {t_mask:.4}, \
             \"t_components\": {t_components:.4}, \"t_estimates\": {t_estimates:.4}, \"t_with_variances\": {t_all:.4}, \"cpu_components\": {c_components:.2}, \"cpu_estimates\": {c_estimates:.2}, \"cpu_with_variances\": {c_all:.2}, \
             \"determined\": {determined}, \"max_rel_error\": {max_rel:.3e}, \"mean_variance\": {mean_var:.4e}, \"checked\": {check}, \"max_variance_rel_error\": {max_var_rel:.3e}, \"rms_variance_rel_error\": {rms_var_rel:.3e}}}",
            options.tol,
            components.count()
        );
    });
}
