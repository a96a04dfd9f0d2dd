//! Path norm and Path-SGD: φ_p and κ against explicit enumeration of every path (biases
//! included), both precisions; invariance of φ_p and of the Path-SGD step under node
//! rescaling (algebraically, and with finite-difference gradients of a ReLU network's loss,
//! where plain SGD is shown not to be invariant); dead units; no accumulation across calls.

use faer::{Col, Mat, Par};
use crate::chain::{max_abs_diff, Net, Rng};
use std::collections::HashMap;
use tessera::nn::{Layer, LayerMut, PathError, PathNorm};

/// An edge of a path: (weight layer, target unit, source unit or `None` for the bias).
type Edge = (usize, usize, Option<usize>);

/// Every path of the chain from an input unit or a bias unit to an output unit, each as its
/// list of edges with their `|w|^p`.
fn all_paths(net: &Net<f64>, p: f64) -> Vec<Vec<(Edge, f64)>> {
    fn extend(net: &Net<f64>, p: f64, l: usize, v: usize, path: &mut Vec<(Edge, f64)>, out: &mut Vec<Vec<(Edge, f64)>>) {
        if l == net.w.len() {
            out.push(path.clone());
            return;
        }
        for t in 0..net.w[l].nrows() {
            path.push(((l, t, Some(v)), net.w[l][(t, v)].abs().powf(p)));
            extend(net, p, l + 1, t, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    for u in 0..net.w[0].ncols() {
        extend(net, p, 0, u, &mut Vec::new(), &mut out);
    }
    for (l, b) in net.b.iter().enumerate() {
        if let Some(b) = b {
            for v in 0..b.nrows() {
                extend(net, p, l + 1, v, &mut vec![((l, v, None), b[v].abs().powf(p))], &mut out);
            }
        }
    }
    out
}

fn brute_norm(net: &Net<f64>, p: f64) -> f64 {
    all_paths(net, p).iter().map(|path| path.iter().map(|e| e.1).product::<f64>()).sum::<f64>().powf(1.0 / p)
}

/// `κ_e = (Σ_{paths ∋ e} Π_{e' ≠ e} |w_e'|^p)^{2/p}`, from the explicit paths.
fn brute_kappa(net: &Net<f64>, p: f64) -> HashMap<Edge, f64> {
    let mut sums: HashMap<Edge, f64> = HashMap::new();
    for path in all_paths(net, p) {
        for (k, (edge, _)) in path.iter().enumerate() {
            let others: f64 = path.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, e)| e.1).product();
            *sums.entry(*edge).or_default() += others;
        }
    }
    sums.into_iter().map(|(e, s)| (e, s.powf(2.0 / p))).collect()
}

fn kappa_of<T: tessera::nn::Float>(net: &Net<T>, p: f64) -> Net<T> {
    let mut out = net.clone();
    let mut ws = PathNorm::for_chain(&net.layers(), p, Par::Seq).unwrap();
    ws.kappa(&net.layers(), &mut out.layers_mut()).unwrap();
    out
}

fn norm_of<T: tessera::nn::Float>(net: &Net<T>, p: f64) -> f64 {
    PathNorm::new(&net.widths(), p, Par::Seq).unwrap().norm(&net.layers()).unwrap()
}

const SHAPES: [(&[usize], &[bool]); 4] = [
    (&[3, 4, 2], &[true, true]),
    (&[2, 3, 4, 2], &[false, true, true]),
    (&[4, 3, 3, 2, 3], &[true, false, true, true]),
    (&[1, 1], &[true]),
];

#[test]
fn norm_and_kappa_match_path_enumeration() {
    for (s, (widths, bias)) in SHAPES.iter().enumerate() {
        let net = Net::random(widths, bias, 0.8, 10 + s as u64);
        for &p in &[1.0, 1.5, 2.0, 3.0] {
            let want = brute_norm(&net, p);
            let got = norm_of(&net, p);
            assert!((got - want).abs() <= 1e-13 * want, "φ_{p} {widths:?}: {got} vs {want}");
            let got32 = norm_of(&net.to_f32(), p);
            let want32 = brute_norm(&net.to_f32().map(|x| x as f64), p);
            assert!((got32 - want32).abs() <= 2e-6 * want32, "f32 φ_{p} {widths:?}: {got32} vs {want32}");

            let kappa = brute_kappa(&net, p);
            for (net_k, tol) in [(kappa_of(&net, p), 1e-13), (kappa_of(&net.to_f32(), p).map(|x| x as f64), 5e-6)] {
                for (l, w) in net_k.w.iter().enumerate() {
                    for (v, u) in (0..w.nrows()).flat_map(|v| (0..w.ncols()).map(move |u| (v, u))) {
                        let want = kappa[&(l, v, Some(u))];
                        assert!((w[(v, u)] - want).abs() <= tol * want, "κ p={p} layer {l} ({v},{u}): {} vs {want}", w[(v, u)]);
                    }
                    if let Some(b) = &net_k.b[l] {
                        for v in 0..b.nrows() {
                            let want = kappa[&(l, v, None)];
                            assert!((b[v] - want).abs() <= tol * want, "κ bias p={p} layer {l} {v}: {} vs {want}", b[v]);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn norm_invariant_under_node_rescaling() {
    let (widths, bias) = SHAPES[2];
    let net = Net::random(widths, bias, 0.7, 3);
    for &p in &[1.0, 2.0, 2.5] {
        let before = norm_of(&net, p);
        let mut scaled = net.clone();
        for (l, h, alpha) in rescalings(widths, 4) {
            scaled.rescale(l, h, alpha);
        }
        let after = norm_of(&scaled, p);
        assert!((after - before).abs() <= 1e-13 * before, "p={p}: {after} vs {before}");
        let after32 = norm_of(&scaled.to_f32(), p);
        assert!((after32 - before).abs() <= 1e-5 * before, "f32 p={p}: {after32} vs {before}");
        // The norm does change under a non-rescaling perturbation (the test can fail).
        let mut other = net.clone();
        other.w[0][(0, 0)] *= 1.5;
        assert!((norm_of(&other, p) - before).abs() > 1e-6 * before);
    }
}

/// Rescalings `(layer, unit, α)` applied to the hidden units of `widths`.
fn rescalings(widths: &[usize], seed: u64) -> Vec<(usize, usize, f64)> {
    let mut rng = Rng::new(seed);
    (1..widths.len() - 1)
        .flat_map(|l| (0..widths[l]).map(move |h| (l, h)))
        .map(|(l, h)| (l, h, (3.0 * rng.uniform() - 1.5).exp()))
        .collect()
}

fn path_sgd_step(net: &mut Net<f64>, grad: &Net<f64>, eta: f64, p: f64) {
    let mut ws = PathNorm::new(&net.widths(), p, Par::Seq).unwrap();
    ws.step(&mut net.layers_mut(), &grad.layers(), eta).unwrap();
}

#[test]
fn step_invariant_under_rescaling_algebraically() {
    for (s, (widths, bias)) in SHAPES.iter().take(3).enumerate() {
        let net = Net::random(widths, bias, 0.8, 20 + s as u64);
        let grad = Net::random(widths, bias, 0.3, 30 + s as u64);
        let scales = rescalings(widths, 40 + s as u64);
        for &p in &[1.0, 2.0, 3.0] {
            let (mut a, mut b, mut gb) = (net.clone(), net.clone(), grad.clone());
            for &(l, h, alpha) in &scales {
                b.rescale(l, h, alpha);
                gb.rescale_gradient(l, h, alpha);
            }
            path_sgd_step(&mut a, &grad, 0.05, p);
            path_sgd_step(&mut b, &gb, 0.05, p);
            // The updated networks are still related by the same rescaling.
            for &(l, h, alpha) in &scales {
                a.rescale(l, h, alpha);
            }
            let err = max_abs_diff(&a.params(), &b.params());
            assert!(err <= 1e-13 * (1.0 + b.params().iter().fold(0.0f64, |m, x| m.max(x.abs()))), "p={p} {widths:?}: {err:e}");
        }
    }
}

/// `½ Σ ‖f(x) − y‖²` of the ReLU network on a fixed batch.
fn loss(net: &Net<f64>, x: &Mat<f64>, y: &Mat<f64>) -> f64 {
    let f = net.forward(x);
    0.5 * (0..f.ncols()).flat_map(|j| (0..f.nrows()).map(move |i| (i, j))).map(|(i, j)| (f[(i, j)] - y[(i, j)]).powi(2)).sum::<f64>()
}

/// The loss gradient by central differences, in the shape of the network.
fn fd_gradient(net: &Net<f64>, x: &Mat<f64>, y: &Mat<f64>) -> Net<f64> {
    let theta = net.params();
    let mut probe = net.clone();
    let mut grad = vec![0.0; theta.len()];
    for k in 0..theta.len() {
        let h = 1e-6 * (1.0 + theta[k].abs());
        let mut t = theta.clone();
        t[k] = theta[k] + h;
        probe.set_params(&t);
        let up = loss(&probe, x, y);
        t[k] = theta[k] - h;
        probe.set_params(&t);
        grad[k] = (up - loss(&probe, x, y)) / (2.0 * h);
    }
    probe.set_params(&grad);
    probe
}

fn random_mat(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    Mat::from_fn(rows, cols, |_, _| rng.normal())
}

#[test]
fn step_with_finite_difference_gradients_gives_the_same_function() {
    let (widths, bias): (&[usize], &[bool]) = (&[3, 5, 4, 2], &[true, true, true]);
    let net = Net::random(widths, bias, 0.7, 50);
    let (x, y) = (random_mat(3, 16, 51), random_mat(2, 16, 52));
    let x_test = random_mat(3, 32, 53);
    let scales = rescalings(widths, 54);
    let mut scaled = net.clone();
    for &(l, h, alpha) in &scales {
        scaled.rescale(l, h, alpha);
    }
    let f0 = net.forward(&x_test);
    let (g, gs) = (fd_gradient(&net, &x, &y), fd_gradient(&scaled, &x, &y));
    // The gradient transforms as g → g/α (incoming), g·α (outgoing).
    let mut g_moved = g.clone();
    for &(l, h, alpha) in &scales {
        g_moved.rescale_gradient(l, h, alpha);
    }
    assert!(max_abs_diff(&g_moved.params(), &gs.params()) < 1e-6);

    let outputs = |a: &Net<f64>, b: &Net<f64>| {
        let (fa, fb) = (a.forward(&x_test), b.forward(&x_test));
        let diff = max_abs_diff(&(0..fa.ncols()).flat_map(|j| fa.col(j).iter().copied().collect::<Vec<_>>()).collect::<Vec<_>>(),
            &(0..fb.ncols()).flat_map(|j| fb.col(j).iter().copied().collect::<Vec<_>>()).collect::<Vec<_>>());
        let moved = max_abs_diff(&(0..fa.ncols()).flat_map(|j| fa.col(j).iter().copied().collect::<Vec<_>>()).collect::<Vec<_>>(),
            &(0..f0.ncols()).flat_map(|j| f0.col(j).iter().copied().collect::<Vec<_>>()).collect::<Vec<_>>());
        (diff, moved)
    };
    let eta = 0.02;
    let (mut a, mut b) = (net.clone(), scaled.clone());
    path_sgd_step(&mut a, &g, eta, 2.0);
    path_sgd_step(&mut b, &gs, eta, 2.0);
    let (diff, moved) = outputs(&a, &b);
    assert!(moved > 1e-3, "the step should change the function ({moved:e})");
    assert!(diff < 1e-6, "Path-SGD: the two updated networks differ by {diff:e} (step moved {moved:e})");
    assert!(loss(&a, &x, &y) < loss(&net, &x, &y), "a small Path-SGD step decreases the loss");

    // Plain SGD on the same pair is not invariant.
    let (mut a, mut b) = (net.clone(), scaled.clone());
    let sgd = |n: &mut Net<f64>, g: &Net<f64>| {
        let t: Vec<f64> = n.params().iter().zip(g.params()).map(|(w, g)| w - eta * g).collect();
        n.set_params(&t)
    };
    sgd(&mut a, &g);
    sgd(&mut b, &gs);
    let (diff, _) = outputs(&a, &b);
    assert!(diff > 1e-3, "plain SGD should not be rescaling invariant ({diff:e})");
}

#[test]
fn dead_unit_gets_no_update_and_no_nan() {
    let (widths, bias): (&[usize], &[bool]) = (&[3, 4, 2], &[true, true]);
    let mut net = Net::random(widths, bias, 0.8, 60);
    // Unit 1 of the hidden layer has no incoming weight: its outgoing κ is 0.
    for u in 0..3 {
        net.w[0][(1, u)] = 0.0;
    }
    net.b[0].as_mut().unwrap()[1] = 0.0;
    let k = kappa_of(&net, 2.0);
    assert!((0..2).all(|v| k.w[1][(v, 1)] == 0.0));
    let mut grad = Net::random(widths, bias, 0.3, 61);
    for v in 0..2 {
        grad.w[1][(v, 1)] = 0.0; // a chain loss has zero gradient on those edges
    }
    let before = net.clone();
    path_sgd_step(&mut net, &grad, 0.1, 2.0);
    assert!(net.params().iter().all(|x| x.is_finite()));
    assert!((0..2).all(|v| net.w[1][(v, 1)] == before.w[1][(v, 1)]));
}

#[test]
fn kappa_is_recomputed_not_accumulated() {
    let (widths, bias) = SHAPES[1];
    let net = Net::random(widths, bias, 0.8, 70);
    let mut ws = PathNorm::for_chain(&net.layers(), 2.0, Par::Seq).unwrap();
    let (mut k1, mut k2) = (net.clone(), net.clone());
    ws.kappa(&net.layers(), &mut k1.layers_mut()).unwrap();
    let other = Net::random(widths, bias, 2.0, 71);
    ws.norm(&other.layers()).unwrap();
    ws.step(&mut other.clone().layers_mut(), &net.layers(), 0.1).unwrap();
    ws.kappa(&net.layers(), &mut k2.layers_mut()).unwrap();
    assert_eq!(k1.params(), k2.params());
}

#[test]
fn parallel_sweeps_agree() {
    let net = Net::random(&[40, 300, 200, 10], &[true, true, true], 0.1, 80);
    let mut seq = PathNorm::for_chain(&net.layers(), 2.0, Par::Seq).unwrap();
    let mut par = PathNorm::for_chain(&net.layers(), 2.0, Par::rayon(2)).unwrap();
    let (a, b) = (seq.norm(&net.layers()).unwrap(), par.norm(&net.layers()).unwrap());
    assert!((a - b).abs() <= 1e-13 * a);
}

#[test]
fn bad_input() {
    let net = Net::random(&[3, 4, 2], &[true, false], 1.0, 90);
    assert!(matches!(PathNorm::<f64>::new(&[3, 4, 2], 0.5, Par::Seq), Err(PathError::InvalidExponent { .. })));
    assert!(matches!(PathNorm::<f64>::new(&[3, 4, 2], f64::INFINITY, Par::Seq), Err(PathError::InvalidExponent { .. })));
    assert_eq!(PathNorm::<f64>::new(&[3], 2.0, Par::Seq).unwrap_err(), PathError::EmptyChain);
    let mut ws = PathNorm::<f64>::new(&[3, 5, 2], 2.0, Par::Seq).unwrap();
    assert_eq!(ws.norm(&net.layers()).unwrap_err(), PathError::WorkspaceMismatch);
    let w1 = Mat::<f64>::zeros(2, 5);
    let bad = [net.layers()[0], Layer::new(w1.as_ref(), None)];
    assert!(matches!(tessera::nn::widths(&bad), Err(PathError::WidthMismatch { layer: 1, expected: 4, got: 5 })));
    // Gradients with a bias where the chain has none.
    let mut ws = PathNorm::for_chain(&net.layers(), 2.0, Par::Seq).unwrap();
    let mut grad = Net::random(&[3, 4, 2], &[true, true], 1.0, 91);
    let err = ws.step(&mut grad.layers_mut(), &net.layers(), 0.1).unwrap_err();
    assert_eq!(err, PathError::ShapeMismatch { what: "layers", layer: 1 });
    let mut short = Col::<f64>::zeros(3);
    let mut wk = Mat::<f64>::zeros(4, 3);
    let err = ws.kappa(&net.layers(), &mut [LayerMut::new(wk.as_mut(), Some(short.as_mut()))]).unwrap_err();
    assert!(matches!(err, PathError::ShapeMismatch { what: "kappa", .. }));
}

/// The Path-SGD optimiser on a network's parameter buffer takes exactly the chain step.
#[test]
fn path_sgd_optimiser_is_the_chain_step_on_the_parameter_buffer() {
    use tessera::nn::{Activation, Dense, Loss, Optimiser, PathSgd, PathSgdOptions, Spec};
    for (s, widths) in [&[3usize, 4, 2][..], &[4, 3, 3, 2, 3], &[1, 1]].iter().enumerate() {
        let bias = vec![true; widths.len() - 1];
        let net = Net::random(widths, &bias, 0.8, 60 + s as u64);
        let grad = Net::random(widths, &bias, 0.3, 70 + s as u64);
        let layers = widths.windows(2).map(|w| Dense { inputs: w[0], outputs: w[1], activation: Activation::Relu }).collect();
        let spec = Spec::new(layers, Loss::SquaredError).unwrap();
        for p in [1.0, 2.0, 3.0] {
            let mut expected = net.clone();
            path_sgd_step(&mut expected, &grad, 0.05, p);
            let mut params = net.params();
            let mut opt = PathSgd::new(&spec, PathSgdOptions { learning_rate: 0.05, p }).unwrap();
            opt.step(&spec, &mut params, &grad.params());
            assert_eq!(params, expected.params(), "p={p} {widths:?}");
        }
    }
    let spec = Spec::new(vec![Dense { inputs: 2, outputs: 1, activation: Activation::Identity }], Loss::SquaredError).unwrap();
    for (lr, p) in [(0.0, 2.0), (f64::NAN, 2.0), (0.1, 0.5), (0.1, f64::INFINITY)] {
        assert!(PathSgd::<f64>::new(&spec, PathSgdOptions { learning_rate: lr, p }).is_err(), "lr={lr} p={p}");
    }
}

/// Trained by Path-SGD on real gradients of a ReLU network, a network and its node-rescaled
/// copy stay rescalings of each other: after every step they compute the same function.
#[test]
fn path_sgd_training_is_invariant_under_node_rescaling() {
    use tessera::nn::{Activation, Loss, Network, PathSgd, PathSgdOptions, Spec, Targets, Trainer, Workspace};
    let sizes = [3usize, 5, 4, 2];
    let spec = Spec::from_codes(&sizes, &[Activation::Relu as u32, Activation::Relu as u32, 0], Loss::SquaredError as u32).unwrap();
    let net = Network::<f64>::new(spec.clone(), 9);
    // Rescale hidden unit h of layer l by α: its incoming weights and bias times α, its
    // outgoing weights over α (exact for ReLU, which is positively homogeneous).
    let mut scaled = net.clone();
    for &(l, h, alpha) in &rescalings(&sizes, 50) {
        let (d, next) = (spec.layers()[l - 1], spec.layers()[l]);
        let params = scaled.params_mut();
        for j in 0..d.inputs {
            params[spec.weights_offset(l - 1) + h + j * d.outputs] *= alpha;
        }
        params[spec.bias_offset(l - 1) + h] *= alpha;
        for i in 0..next.outputs {
            params[spec.weights_offset(l) + i + h * next.outputs] /= alpha;
        }
    }
    let mut rng = Rng::new(51);
    let x = Mat::from_fn(3, 16, |_, _| rng.uniform() * 2.0 - 1.0);
    let y = Mat::from_fn(2, 16, |_, _| rng.uniform());
    let opt = || Box::new(PathSgd::new(&spec, PathSgdOptions { learning_rate: 0.05, p: 2.0 }).unwrap());
    let mut a = Trainer::new(net, opt(), 16, 1).unwrap();
    let mut b = Trainer::new(scaled, opt(), 16, 1).unwrap();
    let mut ws = Workspace::new(&spec, 16, 1).unwrap();
    let mut first = None;
    for step in 0..20 {
        let la = a.step(x.as_ref(), Targets::Values(y.as_ref())).unwrap();
        let lb = b.step(x.as_ref(), Targets::Values(y.as_ref())).unwrap();
        assert!((la - lb).abs() <= 1e-12 * la.abs().max(1.0), "step {step}: loss {la} vs {lb}");
        first.get_or_insert(la);
        let ya = a.network().predict(x.as_ref(), &mut ws).unwrap().to_owned();
        let yb = b.network().predict(x.as_ref(), &mut ws).unwrap().to_owned();
        assert!((&ya - &yb).norm_max() <= 1e-11, "step {step}: outputs differ by {:e}", (&ya - &yb).norm_max());
    }
    let last = a.step(x.as_ref(), Targets::Values(y.as_ref())).unwrap();
    assert!(last < 0.9 * first.unwrap(), "Path-SGD did not reduce the loss: {} -> {last}", first.unwrap());
}
