//! The three views of completability agree: the exact prime-field closure, the entries the
//! minors reach, and where the first-order variance is finite.

use faer::Par;
use crate::support::{all_positions, bernoulli_mask, relative, LowRank, Rng};
use tessera::completability::{closure, complete_minors, first_order_variance, ClosureOptions, MinorOptions};

#[test]
fn closure_minors_and_variance_agree_on_random_masks() {
    let mut rng = Rng::new(20261201);
    let (mut inside, mut outside, mut reached) = (0, 0, 0);
    for trial in 0..24 {
        let (m, n, r) = (9 + trial % 4, 8 + trial % 3, 2 + trial % 2);
        let truth = LowRank::new(m, n, r, &mut rng);
        let mask = bernoulli_mask(m, n, 0.35 + 0.02 * (trial % 5) as f64, &mut rng);
        let values = truth.observe(&mask);
        let queries = all_positions(m, n);
        let c = closure(&mask, r, &ClosureOptions::default(), Par::Seq).unwrap();
        let estimates = complete_minors(&mask, &values, None, r, &queries, &MinorOptions::default(), Par::Seq).unwrap();
        let variances = first_order_variance(&mask, &values, None, r, &queries, Par::Seq).unwrap();
        for (q, &(i, j)) in queries.iter().enumerate() {
            let completable = c.contains(i, j);
            assert_eq!(variances[q].is_finite(), completable, "trial {trial}: variance at ({i}, {j})");
            if estimates[q].is_determined() {
                assert!(completable, "trial {trial}: minors reached ({i}, {j}) outside the closure");
                assert!(relative(estimates[q].value, truth.at(i, j)) < 1e-8, "trial {trial}: ({i}, {j})");
                reached += usize::from(mask.find(i, j).is_none());
            }
            if completable { inside += 1 } else { outside += 1 }
        }
    }
    // Both answers occur often, and the minors complete missing entries: the test has teeth.
    assert!(inside > 500 && outside > 200 && reached > 200, "inside {inside}, outside {outside}, reached {reached}");
}
