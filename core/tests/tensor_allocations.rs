//! The ADMM iterations allocate nothing: a solve's heap allocations (counted by a wrapper
//! around the system allocator, per thread) are the same for 5 and for 15 iterations, so every
//! one of them happens before the loop, in its first iteration (buffers made on first use) or
//! after it. Shapes with only short-fat unfoldings (Gram path) and with a tall one (thin SVD).

#[path = "common/counting.rs"]
mod counting;
mod tensor_support;

use counting::allocations;
use tensor_support::*;
use tessera::tensor::{complete, Method, Options, Termination, Weights};

/// Mode 0 of the second shape is tall (12 > 2·3), so it is thresholded by thin SVDs.
const SHAPES: [[usize; 3]; 2] = [[6, 5, 7], [12, 2, 3]];

/// Allocations of a solve stopped after `max_iter` iterations, and its exact dual evaluations.
fn solve(dims: [usize; 3], method: Method, options: &Options, max_iter: usize) -> (usize, usize) {
    let truth = tucker_tensor(&dims, &[2, 2, 2], 11);
    let obs = observe(&truth, &dims, 0.5, if options.lambda > 0.0 { 0.05 } else { 0.0 }, 12);
    let options = Options { max_iter, ..options.clone() };
    let before = allocations();
    let est = complete(&obs, method, &options, None).unwrap();
    let after = allocations();
    assert_eq!(est.info.termination, Termination::MaxIterations);
    assert_eq!(est.info.iterations, max_iter);
    (after - before, est.info.exact_duals)
}

fn check(method: Method, options: Options) {
    for dims in SHAPES {
        // A first solve, so that one-time initialisations in this thread are not counted.
        solve(dims, method, &options, 5);
        let (short, _) = solve(dims, method, &options, 5);
        let (long, exact_duals) = solve(dims, method, &options, 15);
        assert!(short > 0, "the counter counts");
        assert_eq!(long, short, "{dims:?} {method:?} {options:?}: {long} allocations in 15 iterations, {short} in 5");
        println!("{dims:?} {method:?}: {short} allocations, {exact_duals} exact duals in 15 iterations");
    }
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
