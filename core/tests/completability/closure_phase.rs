//! The phase-transition driver: exact end points, determinism, bad input.

use faer::Par;
use tessera::completability::{phase_transition, CompletabilityError};

#[test]
fn end_points_are_exact() {
    let n = 12;
    for r in 1..=3 {
        let dof = (r * (2 * n - r)) as f64;
        // One observation: only that entry; all n² observed: everything, finitely completable.
        let points = phase_transition(n, r, &[0.5 / dof, (n * n) as f64 / dof], 4, 3, Par::Seq).unwrap();
        assert_eq!(points[0].fraction, 1.0 / (n * n) as f64);
        assert_eq!((points[0].fully_completable, points[0].trials), (0, 4));
        assert_eq!(points[1].fraction, 1.0);
        assert_eq!(points[1].fully_completable, 4);
    }
}

#[test]
fn the_curve_rises_and_does_not_depend_on_threads() {
    let xs = [0.5, 1.0, 3.0];
    let seq = phase_transition(25, 2, &xs, 6, 9, Par::Seq).unwrap();
    let par = phase_transition(25, 2, &xs, 6, 9, Par::rayon(2)).unwrap();
    assert_eq!(seq, par);
    assert!(seq[0].fraction < 0.3 && seq[1].fraction > seq[0].fraction && seq[2].fraction > 0.99, "{seq:?}");
    assert_ne!(seq, phase_transition(25, 2, &xs, 6, 10, Par::Seq).unwrap(), "the seed changes the masks");
}

#[test]
fn bad_input_is_rejected() {
    use CompletabilityError::*;
    assert_eq!(phase_transition(10, 0, &[1.0], 1, 0, Par::Seq), Err(InvalidRank { rank: 0, nrows: 10, ncols: 10 }));
    assert_eq!(phase_transition(10, 10, &[1.0], 1, 0, Par::Seq), Err(InvalidRank { rank: 10, nrows: 10, ncols: 10 }));
    assert_eq!(phase_transition(0, 1, &[1.0], 1, 0, Par::Seq), Err(ZeroExtent { nrows: 0, ncols: 0 }));
    assert!(matches!(phase_transition(10, 1, &[1.0], 0, 0, Par::Seq), Err(InvalidParameter { name: "trials", .. })));
    for x in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(phase_transition(10, 1, &[1.0, x], 1, 0, Par::Seq), Err(InvalidParameter { name: "x", .. })));
    }
}
