//! Throughput of every Poincaré-ball operation, forward and forward + VJP, in points per second.
//!
//! Same protocol as `benches/geoopt/geoopt_bench.py` (n points of dimension d inside the ball
//! with norms uniform in [0, 0.9]/√c, tangent vectors N(0, 1/d), best of k timed calls after a
//! warm-up) and the same JSON lines, with `"peer": "tessera"`, so `benches/poincare_vs_geoopt.py`
//! can put both side by side.
//!
//!     cargo run --release -p tessera-benches --bin poincare -- [--n 1000000] [--d 16] [--threads 1] [--k 5]
//!         [--offset 0]
//!
//! Every buffer starts on a cache line, as PyTorch's tensors do; `--offset 2` starts each
//! one 2 elements past it instead, as the 16-byte blocks of `malloc` and NumPy's arrays do
//! (`numpy.empty(10**6).ctypes.data % 64` is 16).

use faer::{Mat, MatMut, MatRef, Par};
use std::sync::OnceLock;
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

/// Elements from a cache line to the start of every buffer (`--offset`).
static OFFSET: OnceLock<usize> = OnceLock::new();

fn offset() -> usize {
    *OFFSET.get().unwrap_or(&0)
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
            "--offset" => OFFSET.set(num()).expect("--offset is given once"),
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

/// `n` rows of `d` values, contiguous and row-major (a C or NumPy `(n, d)` array, as geoopt's
/// tensors are), in one buffer starting [`offset`] elements past a cache line (a faer column).
struct Rows<T> {
    buf: Mat<T>,
    n: usize,
    d: usize,
}

impl<T: Real + faer::traits::ComplexField> Rows<T> {
    fn from_fn(n: usize, d: usize, mut f: impl FnMut(usize, usize) -> f64) -> Self {
        let o = offset();
        Self { buf: Mat::from_fn(o + n * d, 1, |k, _| T::from_f64(if k < o { 0.0 } else { f((k - o) / d, (k - o) % d) })), n, d }
    }
    fn zeros(n: usize, d: usize) -> Self {
        Self { buf: Mat::zeros(offset() + n * d, 1), n, d }
    }
    fn view(&self) -> MatRef<'_, T> {
        MatRef::from_row_major_slice(self.slice(), self.n, self.d)
    }
    fn view_mut(&mut self) -> MatMut<'_, T> {
        let (n, d) = (self.n, self.d);
        MatMut::from_row_major_slice_mut(self.slice_mut(), n, d)
    }
    fn slice(&self) -> &[T] {
        &self.buf.col_as_slice(0)[offset()..]
    }
    fn slice_mut(&mut self) -> &mut [T] {
        &mut self.buf.col_as_slice_mut(0)[offset()..]
    }
}

/// The memory limit of a call: every input read once (eight independent sums, so the loop is
/// bound by the loads) and every output written once with non-temporal stores (no
/// read-for-ownership), the least traffic any implementation of the call can cause; split
/// over the pool's threads.
fn stream_limit<T: Real>(inputs: &[&[T]], outputs: &mut [&mut [T]]) {
    use rayon::prelude::*;
    stream_reads(inputs);
    for output in outputs.iter_mut() {
        let len = output.len();
        output.par_chunks_mut(part(len)).for_each(stream_zeros);
    }
}

/// The cap of a call that validates every input before its first store (as the C ABI
/// requires: on bad input nothing is written): one read of the inputs, then the memory limit.
fn validated_limit<T: Real>(inputs: &[&[T]], outputs: &mut [&mut [T]]) {
    stream_reads(inputs);
    stream_limit(inputs, outputs);
}

/// Every input read once, split over the pool's threads.
fn stream_reads<T: Real>(inputs: &[&[T]]) {
    use rayon::prelude::*;
    for input in inputs {
        input.par_chunks(part(input.len())).for_each(|s| {
            std::hint::black_box(sum(s));
        });
    }
}

/// Elements per thread for a buffer of `len`.
fn part(len: usize) -> usize {
    len.div_ceil(rayon::current_num_threads()).max(1)
}

fn sum<T: Real>(s: &[T]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = s.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|v| v.to_f64()).sum();
    for chunk in chunks {
        for (a, v) in acc.iter_mut().zip(chunk) {
            *a += v.to_f64();
        }
    }
    acc.iter().sum::<f64>() + tail
}

#[cfg(target_arch = "x86_64")]
fn stream_zeros<T: Real>(out: &mut [T]) {
    use core::arch::x86_64::{__m128i, _mm_setzero_si128, _mm_sfence, _mm_stream_si128};
    // SAFETY: every bit pattern of zeros is a valid f32/f64 and every `__m128i` is a valid
    // pattern of the bytes it covers; `align_to_mut` hands out only the aligned middle, which
    // `_mm_stream_si128` requires; SSE2 is part of x86_64.
    unsafe {
        let (head, body, tail) = out.align_to_mut::<__m128i>();
        head.iter_mut().chain(tail.iter_mut()).for_each(|v| *v = T::from_f64(0.0));
        for line in body {
            _mm_stream_si128(line, _mm_setzero_si128());
        }
        _mm_sfence();
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn stream_zeros<T: Real>(out: &mut [T]) {
    out.iter_mut().for_each(|v| *v = T::from_f64(0.0));
}

struct Inputs<T> {
    x: Rows<T>,
    y: Rows<T>,
    z: Rows<T>,
    p: Rows<T>,
    u: Rows<T>,
    v: Rows<T>,
    a: Rows<T>,
    r: Rows<T>,
    t: Rows<T>,
    m: Rows<T>,
    ones_d: Rows<T>,
    ones_1: Rows<T>,
}

fn make_inputs<T: Real + faer::traits::ComplexField>(n: usize, d: usize, c: f64, seed: u64) -> Inputs<T> {
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
        Rows::from_fn(n, d, |i, j| m[(i, j)])
    };
    let (x, y, z, p) = (points(&mut rng), points(&mut rng), points(&mut rng), points(&mut rng));
    let s = 1.0 / (d as f64).sqrt();
    let vecs = |rows: usize, cols: usize, rng: &mut Rng| Rows::from_fn(rows, cols, |_, _| s * rng.normal());
    let (u, v, a, m) = (vecs(n, d, &mut rng), vecs(n, d, &mut rng), vecs(n, d, &mut rng), vecs(d, d, &mut rng));
    let r = Rows::from_fn(n, 1, |_, _| 4.0 * rng.uniform() - 2.0);
    let t = Rows::from_fn(n, 1, |_, _| rng.uniform());
    Inputs { x, y, z, p, u, v, a, r, t, m, ones_d: Rows::from_fn(n, d, |_, _| 1.0), ones_1: Rows::from_fn(n, 1, |_, _| 1.0) }
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

fn report(op: &str, dtype: &str, a: &Args, mode: &str, secs: f64, (limit_secs, cap_secs): (f64, f64)) {
    println!(
        "{{\"peer\":\"tessera\",\"op\":\"{op}\",\"dtype\":\"{dtype}\",\"d\":{},\"n\":{},\"threads\":{},\"offset\":{},\"mode\":\"{mode}\",\"points_per_s\":{:.1},\"best_s\":{:.6e},\"limit_points_per_s\":{:.1},\"validated_limit_points_per_s\":{:.1}}}",
        a.d, a.n, a.threads, offset(), a.n as f64 / secs, secs, a.n as f64 / limit_secs, a.n as f64 / cap_secs
    );
}

/// Times `$fwd(inputs.., out)` and `$fwd` followed by `$vjp(inputs.., ones, grads..)`, the
/// memory limit of each (the same buffers moved once at streaming speed) and its validated
/// limit (every call's inputs read once more first).
macro_rules! bench_op {
    ($a:expr, $dtype:expr, $ball:expr, $inp:expr, $par:expr, $name:literal, $fwd:ident, $vjp:ident,
     out: $ocols:expr, ones: $ones:expr, [$($arg:ident),+]) => {{
        if $a.ops.as_ref().map_or(true, |ops| ops.iter().any(|o| o == $name)) {
            let mut out = Rows::zeros($a.n, $ocols);
            let inputs = [$($inp.$arg.slice(),)+];
            let secs = best_of($a.k, || {
                $ball.$fwd($($inp.$arg.view(),)+ out.view_mut(), $par).expect("forward");
            });
            let limit = best_of($a.k, || stream_limit(&inputs, &mut [out.slice_mut()]));
            let cap = best_of($a.k, || validated_limit(&inputs, &mut [out.slice_mut()]));
            report($name, $dtype, &$a, "fwd", secs, (limit, cap));
            let mut grads = [$(Rows::zeros($inp.$arg.n, $inp.$arg.d),)+];
            let secs = best_of($a.k, || {
                $ball.$fwd($($inp.$arg.view(),)+ out.view_mut(), $par).expect("forward");
                let mut it = grads.iter_mut();
                $ball.$vjp($($inp.$arg.view(),)+ $ones.view(), $({ let _ = stringify!($arg); it.next().unwrap().view_mut() },)+ $par).expect("vjp");
            });
            let vjp_inputs = [&inputs[..], &[$ones.slice()]].concat();
            let mut both = |bound: fn(&[&[T]], &mut [&mut [T]])| {
                bound(&inputs, &mut [out.slice_mut()]);
                let mut outs: Vec<&mut [T]> = grads.iter_mut().map(Rows::slice_mut).collect();
                bound(&vjp_inputs, &mut outs);
            };
            let limit = best_of($a.k, || both(stream_limit));
            let cap = best_of($a.k, || both(validated_limit));
            report($name, $dtype, &$a, "fwd+bwd", secs, (limit, cap));
        }
    }};
}

fn run<T: Real + faer::traits::ComplexField>(a: &Args, dtype: &str, par: Par) {
    let ball = PoincareBall::new(a.c).expect("valid curvature");
    let i = make_inputs::<T>(a.n, a.d, a.c, 20240611);
    let d = a.d;
    bench_op!(a, dtype, ball, i, par, "mobius_add", mobius_add, mobius_add_vjp, out: d, ones: i.ones_d, [x, y]);
    bench_op!(a, dtype, ball, i, par, "mobius_scalar_mul", mobius_scalar_mul, mobius_scalar_mul_vjp, out: d, ones: i.ones_d, [r, x]);
    bench_op!(a, dtype, ball, i, par, "mobius_matvec", mobius_matvec, mobius_matvec_vjp, out: d, ones: i.ones_d, [m, x]);
    bench_op!(a, dtype, ball, i, par, "expmap", expmap, expmap_vjp, out: d, ones: i.ones_d, [x, u]);
    bench_op!(a, dtype, ball, i, par, "expmap0", expmap0, expmap0_vjp, out: d, ones: i.ones_d, [u]);
    bench_op!(a, dtype, ball, i, par, "logmap", logmap, logmap_vjp, out: d, ones: i.ones_d, [x, y]);
    bench_op!(a, dtype, ball, i, par, "logmap0", logmap0, logmap0_vjp, out: d, ones: i.ones_d, [x]);
    bench_op!(a, dtype, ball, i, par, "dist", dist, dist_vjp, out: 1, ones: i.ones_1, [x, y]);
    bench_op!(a, dtype, ball, i, par, "dist0", dist0, dist0_vjp, out: 1, ones: i.ones_1, [x]);
    bench_op!(a, dtype, ball, i, par, "geodesic", geodesic, geodesic_vjp, out: d, ones: i.ones_d, [x, y, t]);
    bench_op!(a, dtype, ball, i, par, "gyration", gyration, gyration_vjp, out: d, ones: i.ones_d, [x, y, z]);
    bench_op!(a, dtype, ball, i, par, "transport", transport, transport_vjp, out: d, ones: i.ones_d, [x, y, v]);
    bench_op!(a, dtype, ball, i, par, "transport_from_origin", transport_from_origin, transport_from_origin_vjp, out: d, ones: i.ones_d, [y, u]);
    bench_op!(a, dtype, ball, i, par, "transport_to_origin", transport_to_origin, transport_to_origin_vjp, out: d, ones: i.ones_d, [y, u]);
    bench_op!(a, dtype, ball, i, par, "project", project, project_vjp, out: d, ones: i.ones_d, [x]);
    bench_op!(a, dtype, ball, i, par, "egrad_to_rgrad", egrad_to_rgrad, egrad_to_rgrad_vjp, out: d, ones: i.ones_d, [x, u]);
    // geoopt's dist2plane pairs point i with plane i; one plane per point is our k = 1 column
    // only when every point shares the plane, so time the paired case as n points x 1 plane.
    let first_row = |r: &Rows<T>| Rows::from_fn(1, d, |_, j| r.view()[(0, j)].to_f64());
    let planes = Planes { x: i.x, p: first_row(&i.p), a: first_row(&i.a) };
    bench_op!(a, dtype, ball, planes, par, "gyroplane_dist", gyroplane_dist, gyroplane_dist_vjp, out: 1, ones: i.ones_1, [x, p, a]);
}

struct Planes<T> {
    x: Rows<T>,
    p: Rows<T>,
    a: Rows<T>,
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
