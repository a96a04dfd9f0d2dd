//! Group norms ‖W‖_{p,q} against direct loops (q = ∞ and p = ∞ included, biases as one more
//! incoming weight), homogeneity far outside the range where |w|^p is representable, the
//! per-layer product, and the rescaling characterisation φ_p = min over rescalings of
//! Π_l ‖W_l‖_{p,∞} for one output (Neyshabur, Tomioka, Srebro 2015).

use faer::{Col, Mat, Par};
use crate::chain::Net;
use tessera::nn::{group_norm, group_norm_product, Layer, PathError, PathNorm};

/// `(Σ_v (Σ_u |w_vu|^p)^{q/p})^{1/q}` by plain loops over the rows of `[W b]`.
fn direct(w: &Mat<f64>, b: Option<&Col<f64>>, p: f64, q: f64) -> f64 {
    let rows: Vec<f64> = (0..w.nrows())
        .map(|v| {
            let mut entries: Vec<f64> = (0..w.ncols()).map(|u| w[(v, u)].abs()).collect();
            entries.extend(b.map(|b| b[v].abs()));
            if p.is_infinite() {
                entries.iter().copied().fold(0.0, f64::max)
            } else {
                entries.iter().map(|x| x.powf(p)).sum::<f64>().powf(1.0 / p)
            }
        })
        .collect();
    if q.is_infinite() {
        rows.iter().copied().fold(0.0, f64::max)
    } else {
        rows.iter().map(|r| r.powf(q)).sum::<f64>().powf(1.0 / q)
    }
}

const EXPONENTS: [f64; 4] = [1.0, 2.0, 3.0, f64::INFINITY];

#[test]
fn matches_direct_loops() {
    let net = Net::random(&[5, 4, 3], &[true, false], 1.0, 1);
    let net32 = net.to_f32();
    for &p in &EXPONENTS {
        for &q in &EXPONENTS {
            let mut product = 1.0;
            for l in 0..2 {
                let want = direct(&net.w[l], net.b[l].as_ref(), p, q);
                let got = group_norm(net.layers()[l], p, q).unwrap();
                assert!((got - want).abs() <= 1e-14 * want, "p={p} q={q} layer {l}: {got} vs {want}");
                let got32 = group_norm(net32.layers()[l], p, q).unwrap();
                assert!((got32 - want).abs() <= 1e-6 * want, "f32 p={p} q={q}: {got32} vs {want}");
                product *= want;
            }
            let got = group_norm_product(&net.layers(), p, q).unwrap();
            assert!((got - product).abs() <= 1e-14 * product);
        }
    }
    // p = q = 2 is the Frobenius norm of [W b].
    let (w, b) = (&net.w[0], net.b[0].as_ref().unwrap());
    let frob = (w.norm_l2().powi(2) + b.norm_l2().powi(2)).sqrt();
    assert!((group_norm(net.layers()[0], 2.0, 2.0).unwrap() - frob).abs() <= 1e-14 * frob);
}

#[test]
fn homogeneous_beyond_the_range_of_powers() {
    let net = Net::random(&[6, 4], &[true], 1.0, 2);
    for &c in &[1e200, 1e-200] {
        let big = net.map(|x| x * c);
        for &(p, q) in &[(3.0, 2.0), (2.0, 3.0), (1.5, f64::INFINITY)] {
            let want = c * group_norm(net.layers()[0], p, q).unwrap();
            let got = group_norm(big.layers()[0], p, q).unwrap();
            assert!((got - want).abs() <= 1e-13 * want, "c={c:e} p={p} q={q}: {got:e} vs {want:e}");
        }
    }
    let zero = Mat::<f64>::zeros(3, 2);
    assert_eq!(group_norm(Layer::new(zero.as_ref(), None), 2.0, 2.0).unwrap(), 0.0);
}

#[test]
fn path_norm_is_the_smallest_per_unit_product_over_rescalings() {
    for (seed, bias) in [(3u64, [false, false, false]), (4, [true, true, true])] {
        let widths = [4, 5, 3, 1];
        let net = Net::random(&widths, &bias, 0.9, seed);
        for &p in &[1.0, 2.0, 3.0] {
            let phi = PathNorm::new(&widths, p, Par::Seq).unwrap().norm(&net.layers()).unwrap();
            let product = group_norm_product(&net.layers(), p, f64::INFINITY).unwrap();
            assert!(phi <= product * (1.0 + 1e-13), "p={p}: φ {phi} > Π μ {product}");
            assert!(phi < 0.99 * product, "a random network is not balanced (p={p})");
            // Rescale every hidden unit, layer by layer, to unit incoming ℓ_p norm.
            let mut balanced = net.clone();
            for l in 1..widths.len() - 1 {
                for h in 0..widths[l] {
                    let mut row: Vec<f64> = (0..widths[l - 1]).map(|u| balanced.w[l - 1][(h, u)]).collect();
                    row.extend(balanced.b[l - 1].as_ref().map(|b| b[h]));
                    let norm = row.iter().map(|x| x.abs().powf(p)).sum::<f64>().powf(1.0 / p);
                    balanced.rescale(l, h, 1.0 / norm);
                }
            }
            let product = group_norm_product(&balanced.layers(), p, f64::INFINITY).unwrap();
            assert!((product - phi).abs() <= 1e-13 * phi, "p={p}: balanced Π μ {product} vs φ {phi}");
        }
    }
}

#[test]
fn bad_input() {
    let net = Net::random(&[3, 2], &[false], 1.0, 5);
    let layer = net.layers()[0];
    assert!(matches!(group_norm(layer, 0.5, 2.0), Err(PathError::InvalidExponent { name: "p", .. })));
    assert!(matches!(group_norm(layer, 2.0, f64::NAN), Err(PathError::InvalidExponent { name: "q", .. })));
    assert_eq!(group_norm_product::<f64>(&[], 2.0, 2.0).unwrap_err(), PathError::EmptyChain);
}
