//! Every class of bad input gives a clear error.

use tessera::tensor::*;

fn obs() -> Observations {
    let shape = Shape::new(&[3, 4, 2]).unwrap();
    let values: Vec<f64> = (0..24).map(|i| (i as f64).sin()).collect();
    Observations::from_dense(&shape, &values, &[1; 24]).unwrap()
}

#[test]
fn observations_are_validated() {
    let shape = Shape::new(&[3, 4]).unwrap();
    assert_eq!(Observations::from_dense(&shape, &[1.0; 12], &[0; 12]), Err(TensorError::NoObservations));
    assert_eq!(Observations::from_coordinates(&shape, &[], &[]), Err(TensorError::NoObservations));
    let mut values = [1.0; 12];
    values[5] = f64::NAN;
    assert_eq!(Observations::from_dense(&shape, &values, &[1; 12]), Err(TensorError::NonFinite { what: "values", index: 5 }));
    // A NaN where nothing is observed is never read.
    let mut mask = [1u8; 12];
    mask[5] = 0;
    assert!(Observations::from_dense(&shape, &values, &mask).is_ok());
    assert!(matches!(Observations::from_dense(&shape, &[1.0; 11], &[1; 12]), Err(TensorError::LengthMismatch { .. })));
    assert_eq!(
        Observations::from_coordinates(&shape, &[0, 0, 3, 1], &[1.0, 2.0]),
        Err(TensorError::IndexOutOfRange { obs: 1, mode: 0, index: 3, extent: 3 })
    );
    assert_eq!(
        Observations::from_coordinates(&shape, &[0, -1], &[1.0]),
        Err(TensorError::IndexOutOfRange { obs: 0, mode: 1, index: -1, extent: 4 })
    );
    assert_eq!(
        Observations::from_coordinates(&shape, &[2, 1, 0, 0, 2, 1], &[1.0, 2.0, 3.0]),
        Err(TensorError::DuplicateObservation { first: 0, second: 2 })
    );
    assert_eq!(
        Observations::from_coordinates(&shape, &[0, 0], &[f64::INFINITY]),
        Err(TensorError::NonFinite { what: "values", index: 0 })
    );
    assert!(matches!(Observations::from_coordinates(&shape, &[0, 0, 1], &[1.0]), Err(TensorError::LengthMismatch { .. })));
}

#[test]
fn options_are_validated() {
    let obs = obs();
    let bad = |options: Options, name: &str| {
        let err = complete(&obs, Method::Overlapped, &options, None).unwrap_err();
        assert!(matches!(err, TensorError::InvalidParameter { name: n, .. } if n == name), "{err}");
    };
    let d = Options::default;
    bad(Options { lambda: -1.0, ..d() }, "lambda");
    bad(Options { lambda: f64::NAN, ..d() }, "lambda");
    bad(Options { eta: Some(0.0), ..d() }, "eta");
    bad(Options { eta: Some(f64::INFINITY), ..d() }, "eta");
    bad(Options { tol: 0.0, ..d() }, "tol");
    bad(Options { max_iter: 0, ..d() }, "max_iter");
    bad(Options { rank_threshold: 1.0, ..d() }, "rank_threshold");
    bad(Options { relaxation: 0.0, ..d() }, "relaxation");
    bad(Options { relaxation: 2.0, ..d() }, "relaxation");
    bad(Options { relaxation: f64::NAN, ..d() }, "relaxation");
    let latent = |options: Options| complete(&obs, Method::Latent, &options, None).unwrap_err();
    assert!(matches!(latent(Options { relaxation: 1.5, ..d() }), TensorError::InvalidParameter { name: "relaxation", .. }));
    assert!(matches!(
        latent(Options { residual_balancing: true, ..d() }),
        TensorError::InvalidParameter { name: "residual_balancing", .. }
    ));
    bad(Options { weights: Weights::Custom(vec![1.0, 0.0, 1.0]), ..d() }, "gamma");
    bad(Options { weights: Weights::Custom(vec![1.0, -2.0, 1.0]), ..d() }, "gamma");
    assert!(matches!(
        complete(&obs, Method::Overlapped, &Options { weights: Weights::Custom(vec![1.0]), ..d() }, None),
        Err(TensorError::LengthMismatch { what: "gamma", .. })
    ));
    assert_eq!(
        complete(&obs, Method::AsMatrix { mode: 3 }, &d(), None),
        Err(TensorError::ModeOutOfRange { mode: 3, order: 3 })
    );
    // Constant observations leave the default η undefined.
    let shape = Shape::new(&[2, 2]).unwrap();
    let flat = Observations::from_dense(&shape, &[2.0; 4], &[1; 4]).unwrap();
    assert_eq!(complete(&flat, Method::Latent, &d(), None), Err(TensorError::ZeroSpread));
    assert!(complete(&flat, Method::Latent, &Options { eta: Some(1.0), ..d() }, None).is_ok());
}

#[test]
fn tucker_and_cp_are_validated() {
    let shape = Shape::new(&[3, 4, 2]).unwrap();
    let x = vec![1.0; 24];
    let par = faer::Par::Seq;
    assert!(matches!(tucker(&x, &shape, &[1, 1], par), Err(TensorError::LengthMismatch { .. })));
    assert!(matches!(tucker(&x, &shape, &[1, 0, 1], par), Err(TensorError::InvalidParameter { .. })));
    assert!(matches!(tucker(&x, &shape, &[4, 1, 1], par), Err(TensorError::InvalidParameter { .. })));
    assert!(matches!(tucker(&x[..5], &shape, &[1, 1, 1], par), Err(TensorError::LengthMismatch { .. })));
    assert!(matches!(cp_als(&x, &shape, &CpOptions { rank: 0, ..CpOptions::default() }), Err(TensorError::InvalidParameter { .. })));
}
