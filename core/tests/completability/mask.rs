//! The mask and its components against brute force.

use tessera::completability::{CompletabilityError, Components, Mask};

#[test]
fn adjacency_lists_and_lookup_match_the_coordinates() {
    let rows = [2i64, 0, 1, 2, 0];
    let cols = [1i64, 3, 0, 0, 1];
    let mask = Mask::from_coordinates(3, 4, &rows, &cols).unwrap();
    assert_eq!(mask.len(), 5);
    assert_eq!(mask.row(2).collect::<Vec<_>>(), vec![(0, 3), (1, 0)]);
    assert_eq!(mask.col(1).collect::<Vec<_>>(), vec![(0, 4), (2, 0)]);
    assert_eq!(mask.row_degree(0), 2);
    assert_eq!(mask.col_degree(2), 0);
    for i in 0..3 {
        for j in 0..4 {
            let expected = (0..5).find(|&e| rows[e] == i as i64 && cols[e] == j as i64);
            assert_eq!(mask.find(i, j), expected, "({i}, {j})");
        }
    }
    let dense: Vec<u8> = (0..12).map(|k| u8::from(mask.find(k % 3, k / 3).is_some())).collect();
    let from_dense = Mask::from_dense(3, 4, &dense).unwrap();
    assert_eq!(from_dense.len(), 5);
    assert_eq!(from_dense.entry(0), (1, 0));
}

#[test]
fn bad_masks_are_rejected() {
    use CompletabilityError::*;
    assert_eq!(Mask::from_coordinates(0, 3, &[], &[]), Err(ZeroExtent { nrows: 0, ncols: 3 }));
    assert_eq!(Mask::from_coordinates(2, 3, &[], &[]), Err(NoObservations));
    assert_eq!(
        Mask::from_coordinates(2, 3, &[0, 2], &[0, 0]),
        Err(IndexOutOfRange { entry: 1, axis: "row", index: 2, extent: 2 })
    );
    assert_eq!(
        Mask::from_coordinates(2, 3, &[0, 1], &[0, -1]),
        Err(IndexOutOfRange { entry: 1, axis: "column", index: -1, extent: 3 })
    );
    assert_eq!(Mask::from_coordinates(2, 3, &[1, 0, 1], &[2, 0, 2]), Err(DuplicateEntry { first: 0, second: 2 }));
    assert_eq!(Mask::from_coordinates(2, 3, &[1], &[2, 0]), Err(LengthMismatch { what: "cols", expected: 1, got: 2 }));
    assert_eq!(Mask::from_dense(2, 3, &[0; 5]), Err(LengthMismatch { what: "mask", expected: 6, got: 5 }));
    assert_eq!(Mask::from_dense(2, 3, &[0; 6]), Err(NoObservations));
}

/// Components by repeated relaxation of labels (brute force) on seeded random masks.
#[test]
fn components_match_label_propagation() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |k: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % k
    };
    for trial in 0..200 {
        let (m, n) = (1 + next(12) as usize, 1 + next(12) as usize);
        let mut dense = vec![0u8; m * n];
        let density = 1 + next(4);
        for b in dense.iter_mut() {
            *b = u8::from(next(10) < density);
        }
        dense[next((m * n) as u64) as usize] = 1;
        let mask = Mask::from_dense(m, n, &dense).unwrap();
        let comps = Components::new(&mask);
        let mut label: Vec<usize> = (0..m + n).collect();
        loop {
            let mut changed = false;
            for e in 0..mask.len() {
                let (i, j) = mask.entry(e);
                let low = label[i].min(label[m + j]);
                for v in [i, m + j] {
                    if label[v] != low {
                        label[v] = low;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let distinct: std::collections::BTreeSet<_> = label.iter().collect();
        assert_eq!(comps.count(), distinct.len(), "trial {trial}");
        for i in 0..m {
            for j in 0..n {
                assert_eq!(comps.connected(i, j), label[i] == label[m + j], "trial {trial} ({i}, {j})");
            }
        }
    }
}
