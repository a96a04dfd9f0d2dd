//! The ADMM iterations allocate nothing: a solve's heap allocations are the same for 5 and
//! for 15 iterations, so every one of them happens before the loop, in its first iteration
//! (buffers made on first use) or after it. Shapes with only short-fat unfoldings (Gram path)
//! and with a tall one (thin SVD), sequentially; and a 40×30×20 tensor with `Par::rayon(2)` in
//! a 2-thread pool, where the Gram matrices, low-rank updates, element-wise passes and modes
//! are split over the pool.
//!
//! Allocations are counted (atomically, `common/counting.rs`) on every thread that carries a
//! test's counter: the test's own thread and the workers of the pool it builds.

use crate::counting;
use faer::Par;
use std::sync::atomic::{AtomicUsize, Ordering};
use crate::support::*;
use tessera::tensor::{complete, Method, Options, Termination, Weights};

/// Where solves run: on the test's thread, or in a pool of `threads` workers.
struct Runner {
    counter: &'static AtomicUsize,
    pool: Option<rayon::ThreadPool>,
}

impl Runner {
    fn new(threads: Option<usize>) -> Self {
        let counter = counting::new_counter();
        counting::attach(counter);
        let pool = threads.map(|n| {
            let builder = rayon::ThreadPoolBuilder::new().num_threads(n);
            builder.start_handler(move |_| counting::attach(counter)).build().unwrap()
        });
        Self { counter, pool }
    }

    /// `f()` on the pool (if any) and the allocations made meanwhile by the pool's workers and
    /// this thread (counted inside the pool, so that handing the job to it is not).
    fn count<R: Send>(&self, f: impl FnOnce() -> R + Send) -> (R, usize) {
        let measure = || {
            let before = self.counter.load(Ordering::SeqCst);
            let r = f();
            (r, self.counter.load(Ordering::SeqCst) - before)
        };
        match &self.pool {
            Some(pool) => pool.install(measure),
            None => measure(),
        }
    }
}

/// Mode 0 of the second shape is tall (12 > 2·3), so it is thresholded by thin SVDs.
const SHAPES: [[usize; 3]; 2] = [[6, 5, 7], [12, 2, 3]];

/// Allocations of a solve stopped after `max_iter` iterations, and its exact dual evaluations.
fn solve(runner: &Runner, dims: [usize; 3], method: Method, options: &Options, max_iter: usize) -> (usize, usize) {
    let truth = tucker_tensor(&dims, &[2, 2, 2], 11);
    let obs = observe(&truth, &dims, 0.5, if options.lambda > 0.0 { 0.05 } else { 0.0 }, 12);
    let options = Options { max_iter, ..options.clone() };
    let (est, allocations) = runner.count(|| complete(&obs, method, &options, None).unwrap());
    assert_eq!(est.info.termination, Termination::MaxIterations);
    assert_eq!(est.info.iterations, max_iter);
    (allocations, est.info.exact_duals)
}

fn check_shapes(runner: &Runner, shapes: &[[usize; 3]], method: Method, options: Options) {
    for &dims in shapes {
        // Warm-up solves, so that one-time initialisations in these threads are not counted.
        // With a pool, which worker first runs a given kind of block (and makes its one-time
        // thread-local buffers) depends on work stealing, so such a first use can still land
        // in either counted run: 15 iterations may allocate fewer than 5, never more (an
        // allocation per iteration would add at least 10).
        for _ in 0..3 {
            solve(runner, dims, method, &options, 5);
        }
        let (short, _) = solve(runner, dims, method, &options, 5);
        let (long, exact_duals) = solve(runner, dims, method, &options, 15);
        assert!(short > 0, "the counter counts");
        let message = format!("{dims:?} {method:?} {options:?}: {long} allocations in 15 iterations, {short} in 5");
        match options.par {
            Par::Seq => assert_eq!(long, short, "{message}"),
            _ => assert!(long <= short, "{message}"),
        }
        println!("{dims:?} {method:?} {:?}: {short} allocations, {exact_duals} exact duals in 15 iterations", options.par);
    }
}

fn check(method: Method, options: Options) {
    check_shapes(&Runner::new(None), &SHAPES, method, options);
}

/// `tol` small enough that 15 iterations do not converge.
fn base(lambda: f64) -> Options {
    Options { lambda, tol: 1e-14, weights: Weights::Custom(vec![1.0, 0.5, 2.0]), ..Options::default() }
}

#[test]
fn overlapped_iterations_do_not_allocate() {
    check(Method::Overlapped, base(0.0));
    check(Method::Overlapped, base(0.1));
}

#[test]
fn accelerated_overlapped_iterations_do_not_allocate() {
    check(Method::Overlapped, Options { relaxation: 1.6, residual_balancing: true, ..base(0.0) });
}

#[test]
fn as_matrix_iterations_do_not_allocate() {
    check(Method::AsMatrix { mode: 0 }, base(0.0));
    check(Method::AsMatrix { mode: 1 }, base(0.0));
}

#[test]
fn latent_iterations_do_not_allocate() {
    check(Method::Latent, base(0.0));
    check(Method::Latent, base(0.1));
}

/// 40×30×20 with 2 threads: mode 0 is cut into blocks of lanes, mode 1 of slabs, mode 2 of
/// rows of its one slab.
#[test]
fn parallel_iterations_do_not_allocate() {
    let runner = Runner::new(Some(2));
    let par = Options { par: Par::rayon(2), ..base(0.0) };
    let dims = [[40, 30, 20]];
    check_shapes(&runner, &dims, Method::Overlapped, par.clone());
    check_shapes(&runner, &dims, Method::Overlapped, Options { lambda: 0.1, ..par.clone() });
    check_shapes(&runner, &dims, Method::Overlapped, Options { relaxation: 1.6, residual_balancing: true, ..par.clone() });
    check_shapes(&runner, &dims, Method::AsMatrix { mode: 2 }, par.clone());
    check_shapes(&runner, &dims, Method::Latent, par.clone());
    check_shapes(&runner, &dims, Method::Latent, Options { lambda: 0.1, ..par });
}
