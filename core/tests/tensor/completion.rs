//! Recovery and denoising behaviour of the three estimators on the papers' synthetic problems,
//! optimality of the returned solutions, and the reporting contract.

use core::ops::ControlFlow;
use faer::Par;
use crate::support::*;
use tessera::tensor::{complete, singular_values, Method, Observations, Options, Shape, Termination, Weights};

const DIMS: [usize; 3] = [50, 50, 20];

#[test]
fn overlapped_recovers_rank_789_from_40_percent() {
    let truth = tucker_tensor(&DIMS, &[7, 8, 9], 1);
    let obs = observe(&truth, &DIMS, 0.4, 0.0, 2);
    let est = complete(&obs, Method::Overlapped, &Options::default(), None).unwrap();
    assert_eq!(est.info.termination, Termination::Converged);
    let err = relative_error(&est.x, &truth, |_| true);
    assert!(err < 1e-2, "relative error {err:e}");
    assert_eq!(est.info.ranks, vec![7, 8, 9]);
    assert!(est.info.data_residual < 1e-12 * truth.iter().map(|v| v * v).sum::<f64>().sqrt());
}

#[test]
fn latent_error_falls_with_the_observed_fraction() {
    let truth = tucker_tensor(&DIMS, &[7, 8, 9], 3);
    let errors: Vec<f64> = [0.3, 0.5, 0.7]
        .iter()
        .map(|&fraction| {
            let obs = observe(&truth, &DIMS, fraction, 0.0, 4);
            let est = complete(&obs, Method::Latent, &Options::default(), None).unwrap();
            assert_eq!(est.info.termination, Termination::Converged);
            test_error(&est.x, &truth, &obs)
        })
        .collect();
    assert!(errors[0] > errors[1] && errors[1] > errors[2], "{errors:?}");
    assert!(errors[2] < 0.05, "{errors:?}");
}

/// Tomioka & Suzuki (2013): when only one mode has low rank, the latent norm denoises better
/// than the overlapped one. Best mean squared error over the papers' λ grids, σ = 0.1.
#[test]
fn latent_beats_overlapped_when_one_mode_is_low_rank() {
    let truth = tucker_tensor(&DIMS, &[40, 40, 3], 5);
    let obs = observe(&truth, &DIMS, 1.0, 0.1, 6);
    assert!(obs.is_complete());
    let mse = |method: Method, lambdas: &[f64]| {
        lambdas
            .iter()
            .map(|&lambda| {
                let options = Options { lambda, tol: 1e-4, ..Options::default() };
                let est = complete(&obs, method, &options, None).unwrap();
                est.x.iter().zip(&truth).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / truth.len() as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    let overlapped = mse(Method::Overlapped, &[0.43, 0.89, 3.8]);
    let latent = mse(Method::Latent, &[0.89, 3.8, 11.3]);
    assert!(latent < 0.8 * overlapped, "latent {latent:e} vs overlapped {overlapped:e}");
}

/// Objective of the overlapped problem with λ > 0, evaluated independently (full SVDs).
fn overlapped_objective(x: &[f64], shape: &Shape, obs: &Observations, lambda: f64, gamma: &[f64]) -> f64 {
    let norms: f64 = (0..3).map(|k| gamma[k] * singular_values(x, shape, k, Par::Seq).unwrap().iter().sum::<f64>()).sum();
    let misfit: f64 = obs.indices().iter().zip(obs.values()).map(|(&i, &y)| (x[i] - y).powi(2)).sum();
    norms + 0.5 * misfit / lambda
}

#[test]
fn returned_solution_is_optimal_and_the_gap_certifies_it() {
    let dims = [8, 7, 6];
    let shape = Shape::new(&dims).unwrap();
    let truth = tucker_tensor(&dims, &[2, 3, 2], 7);
    let obs = observe(&truth, &dims, 0.6, 0.05, 8);
    let gamma = [1.0, 0.5, 2.0];
    let lambda = 0.05;
    let options = Options { lambda, tol: 1e-9, max_iter: 100_000, weights: Weights::Custom(gamma.to_vec()), ..Options::default() };
    let est = complete(&obs, Method::Overlapped, &options, None).unwrap();
    assert_eq!(est.info.termination, Termination::Converged);
    let f = overlapped_objective(&est.x, &shape, &obs, lambda, &gamma);
    assert!((f - est.info.objective).abs() <= 1e-9 * f);
    // The dual objective is a lower bound on every primal value, and no perturbation improves
    // the objective by more than the gap allows.
    assert!(est.info.dual_objective <= f * (1.0 + 1e-12));
    assert!(f - est.info.dual_objective <= 1e-9 * f * 1.0001);
    let mut rng = Rng::new(9);
    for t in [1e-2, 1e-4] {
        for _ in 0..20 {
            let y: Vec<f64> = est.x.iter().map(|v| v + t * rng.normal()).collect();
            let fy = overlapped_objective(&y, &shape, &obs, lambda, &gamma);
            assert!(fy >= est.info.dual_objective, "perturbation by {t} lowers the objective below the dual bound");
        }
    }
}

#[test]
fn coordinate_and_mask_inputs_agree_and_zero_is_an_observation() {
    let dims = [6, 5, 4];
    let shape = Shape::new(&dims).unwrap();
    let mut truth = tucker_tensor(&dims, &[2, 2, 2], 10);
    truth[7] = 0.0;
    truth[33] = 0.0;
    let mut rng = Rng::new(11);
    let mut mask = vec![0u8; truth.len()];
    let (mut coords, mut values) = (Vec::new(), Vec::new());
    for (l, idx) in multi_indices(&dims).iter().enumerate() {
        if l == 7 || l == 33 || rng.uniform() < 0.6 {
            mask[l] = 1;
            coords.extend(idx.iter().map(|&i| i as i64));
            values.push(truth[l]);
        }
    }
    // Coordinates in reverse order: the input order must not matter.
    let m = values.len();
    let coords_rev: Vec<i64> = (0..m).rev().flat_map(|o| coords[3 * o..3 * o + 3].to_vec()).collect();
    let values_rev: Vec<f64> = values.iter().rev().copied().collect();
    let from_mask = Observations::from_dense(&shape, &truth, &mask).unwrap();
    let from_coords = Observations::from_coordinates(&shape, &coords_rev, &values_rev).unwrap();
    assert_eq!(from_mask, from_coords);
    assert!(from_mask.indices().contains(&7) && from_mask.indices().contains(&33));
    for method in [Method::Overlapped, Method::Latent, Method::AsMatrix { mode: 2 }] {
        let a = complete(&from_mask, method, &Options::default(), None).unwrap();
        let b = complete(&from_coords, method, &Options::default(), None).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.x[7], a.x[33]), (0.0, 0.0), "{method:?}: observed zeros are kept");
    }
}

/// Blocks and reductions follow trees fixed by the shape (docs/tensor.md), so 1 and 2 threads
/// give the same bits, and so do repeated runs with 2 threads; 40×30×20 is cut into blocks.
#[test]
fn thread_count_does_not_change_the_bits() {
    let pools: Vec<rayon::ThreadPool> =
        [1, 2].iter().map(|&n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap()).collect();
    let accelerated = Options { relaxation: 1.6, residual_balancing: true, ..Options::default() };
    for (dims, lambda) in [([30, 20, 40], 0.01), ([40, 30, 20], 0.0)] {
        let truth = tucker_tensor(&dims, &[3, 3, 3], 12);
        let obs = observe(&truth, &dims, 0.5, lambda, 13);
        for (method, options) in [
            (Method::Overlapped, Options { lambda, ..Options::default() }),
            (Method::Overlapped, Options { lambda, ..accelerated.clone() }),
            (Method::Latent, Options { lambda, ..Options::default() }),
            (Method::AsMatrix { mode: 2 }, Options { lambda, ..Options::default() }),
        ] {
            let run = |par| complete(&obs, method, &Options { par, ..options.clone() }, None).unwrap();
            let seq = run(Par::Seq);
            assert_eq!(pools[0].install(|| run(Par::rayon(1))), seq, "{dims:?} {method:?}: 1 thread");
            for repeat in 0..3 {
                assert_eq!(pools[1].install(|| run(Par::rayon(2))), seq, "{dims:?} {method:?}: 2 threads, run {repeat}");
            }
        }
    }
}

#[test]
fn cancellation_and_iteration_limit_return_the_best_iterate() {
    let truth = tucker_tensor(&DIMS, &[5, 5, 5], 14);
    let obs = observe(&truth, &DIMS, 0.5, 0.0, 15);
    let mut seen = Vec::new();
    let mut callback = |p: &tessera::tensor::Progress| {
        seen.push(*p);
        if p.iteration == 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let est = complete(&obs, Method::Overlapped, &Options::default(), Some(&mut callback)).unwrap();
    assert_eq!(est.info.termination, Termination::Cancelled);
    assert_eq!(est.info.iterations, 4);
    assert_eq!(seen.iter().map(|p| p.iteration).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    let best = seen.iter().map(|p| p.duality_gap).fold(f64::INFINITY, f64::min);
    assert_eq!(est.info.duality_gap, best);

    let est = complete(&obs, Method::Latent, &Options { max_iter: 3, ..Options::default() }, None).unwrap();
    assert_eq!(est.info.termination, Termination::MaxIterations);
    assert_eq!(est.info.iterations, 3);
    assert!(est.info.duality_gap > 0.0 && est.info.objective > 0.0);
    assert!(est.x.iter().all(|v| v.is_finite()));
}
