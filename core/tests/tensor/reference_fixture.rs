//! The three estimators against the authors' MATLAB toolbox (ryotat/tensor) run under GNU
//! Octave to a relative duality gap of 1e-10 on a 6×5×4 problem; see
//! benches/tensor/README.md for the commands that made `tests/fixtures/tensor/`.

use crate::support::*;
use tessera::tensor::{complete, Method, Observations, Options, Shape, Termination};

fn fixture_observations() -> Observations {
    let shape = Shape::new(&[6, 5, 4]).unwrap();
    let idx = read_i64("obs_idx.i64");
    let vals = read_f64("obs_val.f64");
    // Linear indices to coordinate lists.
    let coords: Vec<i64> = idx.iter().flat_map(|&l| [l % 6, (l / 6) % 5, l / 30]).collect();
    Observations::from_coordinates(&shape, &coords, &vals).unwrap()
}

fn check(name: &str, method: Method, lambda: f64, objective: f64) {
    let obs = fixture_observations();
    let options = Options { lambda, tol: 1e-10, max_iter: 1_000_000, ..Options::default() };
    let est = complete(&obs, method, &options, None).unwrap();
    assert_eq!(est.info.termination, Termination::Converged, "{name}: {:?}", est.info);
    let reference = read_f64(&format!("{name}_X.f64"));
    let err = relative_error(&est.x, &reference, |_| true);
    assert!(err < 1e-6, "{name}: relative difference to the reference {err:e} ({:?})", est.info);
    let f = est.info.objective;
    assert!((f - objective).abs() < 1e-8 * objective, "{name}: objective {f} vs reference {objective}");
}

#[test]
fn overlapped_matches_reference_noiseless() {
    check("constraint_lam0", Method::Overlapped, 0.0, 14.798220323480654);
}

#[test]
fn overlapped_matches_reference_noisy() {
    check("constraint_lam0p1", Method::Overlapped, 0.1, 13.176155531156944);
}

#[test]
fn latent_matches_reference_noiseless() {
    check("mixture_lam0", Method::Latent, 0.0, 4.2237338058573748);
}

#[test]
fn latent_matches_reference_noisy() {
    check("mixture_lam0p1", Method::Latent, 0.1, 4.0614794268566259);
}

#[test]
fn as_matrix_matches_reference() {
    check("matrix1_lam0", Method::AsMatrix { mode: 0 }, 0.0, 4.9271994544851081);
}
