//! One trace-norm completion solve on a problem directory (format: benches/tensor/README.md),
//! timed, printed as one JSON line with the keys of `benches/tensor/octave/run_reference.m`,
//! so that `benches/tensor_vs_octave.py` can put Tessera and the reference side by side.
//!
//!     tensor --data DIR --method constraint|mixture|matrix --lambda 0 --tol 1e-3 \
//!            [--mode k (1-based, matrix only)] [--maxiter n] [--threads n] [--repeat n] [--verbose] [--eta e] \
//!            [--relax alpha] [--balance]

use faer::Par;
use std::time::Instant;
use tessera::tensor::{complete, Method, Observations, Options, Shape};

fn read(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{dir}/{name}: {e}"))
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect()
}

/// The `"shape": [..]` array of meta.json.
fn shape_of(meta: &str) -> Vec<usize> {
    let start = meta.find("\"shape\"").expect("meta.json has a shape");
    let open = start + meta[start..].find('[').expect("shape is an array");
    let close = open + meta[open..].find(']').expect("shape array closes");
    meta[open + 1..close].split(',').map(|s| s.trim().parse().expect("shape entries are integers")).collect()
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| argv.iter().position(|a| a == flag).map(|i| argv[i + 1].clone());
    let data = get("--data").expect("--data DIR");
    let method_name = get("--method").unwrap_or_else(|| "constraint".into());
    let mode: usize = get("--mode").map_or(1, |m| m.parse().expect("--mode k"));
    let method = match method_name.as_str() {
        "constraint" => Method::Overlapped,
        "mixture" => Method::Latent,
        "matrix" => Method::AsMatrix { mode: mode - 1 },
        other => panic!("unknown method {other}"),
    };
    let lambda: f64 = get("--lambda").map_or(0.0, |v| v.parse().expect("--lambda"));
    let tol: f64 = get("--tol").map_or(1e-3, |v| v.parse().expect("--tol"));
    let threads: usize = get("--threads").map_or(1, |v| v.parse().expect("--threads"));
    let repeat: usize = get("--repeat").map_or(1, |v| v.parse().expect("--repeat"));
    let verbose = argv.iter().any(|a| a == "--verbose");
    let mut options = Options { lambda, tol, par: Par::rayon(threads), ..Options::default() };
    if let Some(e) = get("--eta") {
        options.eta = Some(e.parse().expect("--eta"));
    }
    if let Some(a) = get("--relax") {
        options.relaxation = a.parse().expect("--relax");
    }
    options.residual_balancing = argv.iter().any(|a| a == "--balance");
    if let Some(m) = get("--maxiter") {
        options.max_iter = m.parse().expect("--maxiter");
    }

    let shape = Shape::new(&shape_of(&String::from_utf8_lossy(&read(&data, "meta.json")))).expect("valid shape");
    let truth = f64s(&read(&data, "truth.f64"));
    let idx = read(&data, "obs_idx.i64");
    let vals = f64s(&read(&data, "obs_val.f64"));
    let mut mask = vec![0u8; shape.len()];
    let mut dense = vec![0.0; shape.len()];
    for (b, &v) in idx.chunks_exact(8).zip(&vals) {
        let i = i64::from_le_bytes(b.try_into().expect("8 bytes")) as usize;
        mask[i] = 1;
        dense[i] = v;
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let (mut best, mut estimate) = (f64::INFINITY, None);
    for _ in 0..repeat {
        let start = Instant::now();
        let est = pool.install(|| {
            let obs = Observations::from_dense(&shape, &dense, &mask).expect("valid problem");
            let mut report = |p: &tessera::tensor::Progress| {
                if verbose {
                    eprintln!(
                        "[{:4}] {:8.3} s  objective {:.6e}  gap {:.3e}  violation {:.3e}  eta {:.3e}",
                        p.iteration,
                        start.elapsed().as_secs_f64(),
                        p.objective,
                        p.duality_gap,
                        p.primal_residual,
                        p.eta
                    );
                }
                core::ops::ControlFlow::Continue(())
            };
            complete(&obs, method, &options, Some(&mut report)).expect("solve")
        });
        best = best.min(start.elapsed().as_secs_f64());
        estimate = Some(est);
    }
    let est = estimate.expect("at least one run");
    let (mut num, mut den, mut tnum, mut tden) = (0.0, 0.0, 0.0, 0.0);
    for (i, (&x, &t)) in est.x.iter().zip(&truth).enumerate() {
        num += (x - t) * (x - t);
        den += t * t;
        if mask[i] == 0 {
            tnum += (x - t) * (x - t);
            tden += t * t;
        }
    }
    let info = &est.info;
    println!(
        "{{\"impl\":\"tessera\",\"method\":\"{method_name}\",\"lambda\":{lambda},\"tol\":{tol},\"iters\":{},\"exact_duals\":{},\"exact_objectives\":{},\"seconds\":{best:.4},\
         \"rel_error\":{:e},\"test_rel_error\":{:e},\"final_res\":{:e},\"final_fval\":{},\"eta\":{},\"mode\":{},\
         \"threads\":{threads},\"termination\":\"{:?}\",\"ranks\":{:?}}}",
        info.iterations,
        info.exact_duals,
        info.exact_objectives,
        (num / den).sqrt(),
        if tden > 0.0 { (tnum / tden).sqrt() } else { 0.0 },
        info.duality_gap,
        info.objective,
        info.eta,
        if method_name == "matrix" { mode.to_string() } else { "null".into() },
        info.termination,
        info.ranks,
    );
}
