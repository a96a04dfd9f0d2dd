//! Throughput of every Poincaré-ball operation, forward and forward + VJP, in points per second.
//!
//! Same protocol as `benches/geoopt/geoopt_bench.py` (n points of dimension d inside the ball
//! with norms uniform in [0, 0.9]/√c, tangent vectors N(0, 1/d), best of k timed calls after a
//! warm-up) and the same JSON lines, with `"peer": "tessera"`, so `benches/poincare_vs_geoopt.py`
//! can put both side by side.
//!
//!     cargo run --release -p tessera-benches --bin poincare -- [--n 1000000] [--d 16] [--threads 1] [--k 5]

use faer::{Mat, Par};
use std::time::Instant;
use tessera::hyperbolic::{PoincareBall, Real};

struct Args {
    n: usize,
    d: usize,
    k: usize,
    threads: usize,
    c: f64,
    dtypes: Vec<String>,
    ops: Option<Vec<String>>,
}

fn parse_args() -> Args {
    let mut a = Args { n: 1_000_000, d: 16, k: 5, threads: 1, c: 1.0, dtypes: vec!["f64".into(), "f32".into()], ops: None };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).unwrap_or_else(|| panic!("{} needs a value", pair[0]));
        let num = || value.parse::<usize>().unwrap_or_else(|_| panic!("{} takes a number", pair[0]));
        match pair[0].as_str() {
            "--n" => a.n = num(),
            "--d" => a.d = num(),
            "--k" => a.k = num(),
            "--threads" => a.threads = num(),
            "--c" => a.c = value.parse().expect("--c takes a number"),
            "--dtypes" => a.dtypes = value.split(',').map(str::to_owned).collect(),
            "--ops" => a.ops = Some(value.split(',').map(str::to_owned).collect()),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// xorshift64* uniforms and Box–Muller normals: seeded, dependency-free.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * core::f64::consts::PI * v).cos()
    }
}

struct Inputs<T> {
    x: Mat<T>,
    y: Mat<T>,
    z: Mat<T>,
    p: Mat<T>,
    u: Mat<T>,
    v: Mat<T>,
    a: Mat<T>,
    r: Mat<T>,
    t: Mat<T>,
    m: Mat<T>,
    ones_d: Mat<T>,
    ones_1: Mat<T>,
}

fn make_inputs<T: Real>(n: usize, d: usize, c: f64, seed: u64) -> Inputs<T> {
    let mut rng = Rng(seed | 1);
    let points = |rng: &mut Rng| {
        let mut m = Mat::<f64>::from_fn(n, d, |_, _| rng.normal());
        for i in 0..n {
            let norm = (0..d).map(|j| m[(i, j)] * m[(i, j)]).sum::<f64>().sqrt();
            let r = 0.9 * rng.uniform() / c.sqrt();
            for j in 0..d {
                m[(i, j)] *= r / norm;
            }
        }
        m
    };
    // Stored transposed (d × n, column-major) and used through `.transpose()`: each point's
    // coordinates are contiguous, as in a C or NumPy (n, d) array and in geoopt's tensors.
    let cast = |m: Mat<f64>| Mat::<T>::from_fn(m.ncols(), m.nrows(), |j, i| T::from_f64(m[(i, j)]));
    let (x, y, z, p) = (points(&mut rng), points(&mut rng), points(&mut rng), points(&mut rng));
    let s = 1.0 / (d as f64).sqrt();
    let vecs = |rows: usize, cols: usize, rng: &mut Rng| Mat::<f64>::from_fn(rows, cols, |_, _| s * rng.normal());
    let (u, v, a, m) = (vecs(n, d, &mut rng), vecs(n, d, &mut rng), vecs(n, d, &mut rng), vecs(d, d, &mut rng));
    let r = Mat::<f64>::from_fn(n, 1, |_, _| 4.0 * rng.uniform() - 2.0);
    let t = Mat::<f64>::from_fn(n, 1, |_, _| rng.uniform());
    Inputs {
        x: cast(x), y: cast(y), z: cast(z), p: cast(p), u: cast(u), v: cast(v), a: cast(a),
        r: cast(r), t: cast(t), m: cast(m),
        ones_d: Mat::from_fn(d, n, |_, _| T::from_f64(1.0)),
        ones_1: Mat::from_fn(1, n, |_, _| T::from_f64(1.0)),
    }
}

/// Best wall time of `k` calls after one warm-up.
fn best_of(k: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..k)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn report(op: &str, dtype: &str, a: &Args, mode: &str, secs: f64) {
    println!(
        "{{\"peer\":\"tessera\",\"op\":\"{op}\",\"dtype\":\"{dtype}\",\"d\":{},\"n\":{},\"threads\":{},\"mode\":\"{mode}\",\"points_per_s\":{:.1},\"best_s\":{:.6e}}}",
        a.d, a.n, a.threads, a.n as f64 / secs, secs
    );
}

/// Times `$fwd(inputs.., out)` and `$fwd` followed by `$vjp(inputs.., ones, grads..)`.
macro_rules! bench_op {
    ($a:expr, $dtype:expr, $ball:expr, $inp:expr, $par:expr, $name:literal, $fwd:ident, $vjp:ident,
     out: ($orows:expr, $ocols:expr), ones: $ones:expr, [$($arg:ident),+]) => {{
        if $a.ops.as_ref().map_or(true, |ops| ops.iter().any(|o| o == $name)) {
            let mut out = Mat::zeros($ocols, $orows);
            let secs = best_of($a.k, || {
                $ball.$fwd($($inp.$arg.as_ref().transpose(),)+ out.as_mut().transpose_mut(), $par).expect("forward");
            });
            report($name, $dtype, &$a, "fwd", secs);
            let mut grads = [$(Mat::zeros($inp.$arg.nrows(), $inp.$arg.ncols()),)+];
            let secs = best_of($a.k, || {
                $ball.$fwd($($inp.$arg.as_ref().transpose(),)+ out.as_mut().transpose_mut(), $par).expect("forward");
                let mut it = grads.iter_mut();
                $ball.$vjp($($inp.$arg.as_ref().transpose(),)+ $ones.as_ref().transpose(), $({ let _ = stringify!($arg); it.next().unwrap().as_mut().transpose_mut() },)+ $par).expect("vjp");
            });
            report($name, $dtype, &$a, "fwd+bwd", secs);
        }
    }};
}

fn run<T: Real + faer::traits::ComplexField>(a: &Args, dtype: &str, par: Par) {
    let ball = PoincareBall::new(a.c).expect("valid curvature");
    let i = make_inputs::<T>(a.n, a.d, a.c, 20240611);
    let (n, d) = (a.n, a.d);
    bench_op!(a, dtype, ball, i, par, "mobius_add", mobius_add, mobius_add_vjp, out: (n, d), ones: i.ones_d, [x, y]);
    bench_op!(a, dtype, ball, i, par, "mobius_scalar_mul", mobius_scalar_mul, mobius_scalar_mul_vjp, out: (n, d), ones: i.ones_d, [r, x]);
    bench_op!(a, dtype, ball, i, par, "mobius_matvec", mobius_matvec, mobius_matvec_vjp, out: (n, d), ones: i.ones_d, [m, x]);
    bench_op!(a, dtype, ball, i, par, "expmap", expmap, expmap_vjp, out: (n, d), ones: i.ones_d, [x, u]);
    bench_op!(a, dtype, ball, i, par, "expmap0", expmap0, expmap0_vjp, out: (n, d), ones: i.ones_d, [u]);
    bench_op!(a, dtype, ball, i, par, "logmap", logmap, logmap_vjp, out: (n, d), ones: i.ones_d, [x, y]);
    bench_op!(a, dtype, ball, i, par, "logmap0", logmap0, logmap0_vjp, out: (n, d), ones: i.ones_d, [x]);
    bench_op!(a, dtype, ball, i, par, "dist", dist, dist_vjp, out: (n, 1), ones: i.ones_1, [x, y]);
    bench_op!(a, dtype, ball, i, par, "dist0", dist0, dist0_vjp, out: (n, 1), ones: i.ones_1, [x]);
    bench_op!(a, dtype, ball, i, par, "geodesic", geodesic, geodesic_vjp, out: (n, d), ones: i.ones_d, [x, y, t]);
    bench_op!(a, dtype, ball, i, par, "gyration", gyration, gyration_vjp, out: (n, d), ones: i.ones_d, [x, y, z]);
    bench_op!(a, dtype, ball, i, par, "transport", transport, transport_vjp, out: (n, d), ones: i.ones_d, [x, y, v]);
    bench_op!(a, dtype, ball, i, par, "transport_from_origin", transport_from_origin, transport_from_origin_vjp, out: (n, d), ones: i.ones_d, [y, u]);
    bench_op!(a, dtype, ball, i, par, "transport_to_origin", transport_to_origin, transport_to_origin_vjp, out: (n, d), ones: i.ones_d, [y, u]);
    bench_op!(a, dtype, ball, i, par, "project", project, project_vjp, out: (n, d), ones: i.ones_d, [x]);
    bench_op!(a, dtype, ball, i, par, "egrad_to_rgrad", egrad_to_rgrad, egrad_to_rgrad_vjp, out: (n, d), ones: i.ones_d, [x, u]);
    // geoopt's dist2plane pairs point i with plane i; one plane per point is our k = 1 column
    // only when every point shares the plane, so time the paired case as n points x 1 plane.
    let (p1, a1) = (i.p.subcols(0, 1).to_owned(), i.a.subcols(0, 1).to_owned());
    let planes = Planes { x: i.x.clone(), p: p1, a: a1 };
    bench_op!(a, dtype, ball, planes, par, "gyroplane_dist", gyroplane_dist, gyroplane_dist_vjp, out: (n, 1), ones: i.ones_1, [x, p, a]);
}

struct Planes<T> {
    x: Mat<T>,
    p: Mat<T>,
    a: Mat<T>,
}

fn main() {
    let a = parse_args();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(a.threads.max(1)).build().expect("thread pool");
    let par = if a.threads > 1 { Par::rayon(a.threads) } else { Par::Seq };
    pool.install(|| {
        for dtype in a.dtypes.clone() {
            match dtype.as_str() {
                "f64" => run::<f64>(&a, "f64", par),
                "f32" => run::<f32>(&a, "f32", par),
                other => panic!("unknown dtype {other}"),
            }
        }
    });
}
