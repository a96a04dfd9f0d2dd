//! Forward and backward passes against independent computations, in `f64`: the forward pass
//! against plain loops with the standard library's functions, the loss values against their
//! definitions, and every parameter and input gradient against central finite differences,
//! for every activation (hidden and output) and every loss. Also the vector-Jacobian product
//! and `f32` against `f64`.

use faer::Mat;
use crate::support::*;
use tessera::nn::{Activation, Loss, Network, Targets, Workspace};

const BATCH: usize = 5;

/// Owned targets of a loss for `n` outputs.
enum Owned {
    Values(Mat<f64>),
    Labels(Vec<u32>),
}

impl Owned {
    fn new(loss: Loss, n: usize, d: &mut Draw) -> Self {
        match loss {
            Loss::SquaredError => Owned::Values(d.mat(n, BATCH, -1.0, 1.0)),
            Loss::Logistic => Owned::Values(d.mat(n, BATCH, 0.0, 1.0)),
            Loss::SoftmaxCrossEntropy => Owned::Labels((0..BATCH).map(|_| d.below(n as u32)).collect()),
        }
    }
    fn targets(&self) -> Targets<'_, f64> {
        match self {
            Owned::Values(t) => Targets::Values(t.as_ref()),
            Owned::Labels(c) => Targets::Labels(c),
        }
    }
}

/// The loss from its definition, on the outputs of the reference forward pass.
fn loss_ref(loss: Loss, y: &Mat<f64>, t: &Owned) -> f64 {
    let b = y.ncols() as f64;
    let n = y.nrows();
    let total: f64 = match t {
        Owned::Values(t) => (0..y.ncols())
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| {
                let (v, tv) = (y[(i, j)], t[(i, j)]);
                match loss {
                    Loss::SquaredError => 0.5 * (v - tv) * (v - tv),
                    _ => -(tv * (1.0 / (1.0 + (-v).exp())).ln() + (1.0 - tv) * (1.0 / (1.0 + v.exp())).ln()),
                }
            })
            .sum(),
        Owned::Labels(c) => (0..y.ncols())
            .map(|j| {
                let s: f64 = (0..n).map(|i| y[(i, j)].exp()).sum();
                s.ln() - y[(c[j] as usize, j)]
            })
            .sum(),
    };
    total / b
}

fn loss_of(net: &Network<f64>, x: &Mat<f64>, t: &Owned, ws: &mut Workspace<f64>) -> f64 {
    let mut g = vec![0.0; net.spec().num_params()];
    net.loss_gradient(x.as_ref(), t.targets(), ws, &mut g, None).unwrap()
}

/// Checks value, parameter gradient and input gradient of one network and loss.
fn check(sizes: &[usize], acts: &[Activation], loss: Loss, seed: u64) {
    let net = network(spec(sizes, acts, loss), seed);
    let mut d = Draw::new(seed + 7);
    let x = d.mat(sizes[0], BATCH, -1.5, 1.5);
    let t = Owned::new(loss, *sizes.last().unwrap(), &mut d);
    let mut ws = Workspace::new(net.spec(), BATCH, 1).unwrap();

    let y = net.predict(x.as_ref(), &mut ws).unwrap().to_owned();
    let y_ref = forward_ref(&net, &x);
    let fwd_err = (&y - &y_ref).norm_max() / y_ref.norm_max().max(1.0);
    assert!(fwd_err < 1e-14, "{acts:?} {loss:?}: forward differs from the reference by {fwd_err:e}");

    let mut grad = vec![0.0; net.spec().num_params()];
    let mut gx = Mat::<f64>::zeros(sizes[0], BATCH);
    let value = net.loss_gradient(x.as_ref(), t.targets(), &mut ws, &mut grad, Some(gx.as_mut())).unwrap();
    let want = loss_ref(loss, &y_ref, &t);
    assert!((value - want).abs() < 1e-13 * want.abs().max(1.0), "{acts:?} {loss:?}: loss {value} vs {want}");

    // Central differences, step h, error O(h²) + O(eps/h): about 1e-9 relative at h = 1e-5.
    let h = 1e-5;
    let mut scratch = net.clone();
    let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs())).max(1e-3);
    for (k, &gk) in grad.iter().enumerate() {
        let p = net.params()[k];
        scratch.params_mut()[k] = p + h;
        let up = loss_of(&scratch, &x, &t, &mut ws);
        scratch.params_mut()[k] = p - h;
        let down = loss_of(&scratch, &x, &t, &mut ws);
        scratch.params_mut()[k] = p;
        let fd = (up - down) / (2.0 * h);
        assert!((fd - gk).abs() < 1e-7 * scale, "{acts:?} {loss:?}: ∂L/∂θ[{k}] = {gk} but FD {fd}");
    }
    let scale = gx.norm_max().max(1e-3);
    for j in 0..BATCH {
        for i in 0..sizes[0] {
            let mut xp = x.clone();
            xp[(i, j)] += h;
            let up = loss_of(&net, &xp, &t, &mut ws);
            xp[(i, j)] -= 2.0 * h;
            let down = loss_of(&net, &xp, &t, &mut ws);
            let fd = (up - down) / (2.0 * h);
            assert!((fd - gx[(i, j)]).abs() < 1e-7 * scale, "{acts:?} {loss:?}: ∂L/∂x[{i},{j}] = {} but FD {fd}", gx[(i, j)]);
        }
    }
}

#[test]
fn every_activation_as_hidden_and_output_layer() {
    for (k, &a) in Activation::ALL.iter().enumerate() {
        check(&[4, 6, 5, 3], &[a, a, Activation::Identity], Loss::SquaredError, 10 + k as u64);
        check(&[3, 5, 4], &[Activation::Tanh, a], Loss::SquaredError, 30 + k as u64);
    }
}

#[test]
fn every_loss() {
    for (k, loss) in [Loss::SquaredError, Loss::SoftmaxCrossEntropy, Loss::Logistic].into_iter().enumerate() {
        check(&[5, 7, 4], &[Activation::Gelu, Activation::Identity], loss, 50 + k as u64);
        check(&[6, 3], &[Activation::Identity], loss, 60 + k as u64);
    }
}

#[test]
fn softmax_cross_entropy_is_stable_for_huge_logits() {
    // Logits of ±1e4 (e^{1e4} overflows): the loss is `max − y_c` and the gradient p − e_c.
    let net = Network::from_params(spec(&[1, 3], &[Activation::Identity], Loss::SoftmaxCrossEntropy), vec![1e4, -1e4, 0.0, 0.0, 0.0, 0.0]).unwrap();
    let mut ws = Workspace::new(net.spec(), 1, 1).unwrap();
    let mut g = vec![0.0; 6];
    let x = Mat::<f64>::from_fn(1, 1, |_, _| 1.0);
    let l = net.loss_gradient(x.as_ref(), Targets::Labels(&[2]), &mut ws, &mut g, None).unwrap();
    assert_eq!(l, 1e4);
    assert_eq!(&g[3..], &[1.0, 0.0, -1.0]);
}

#[test]
fn vjp_matches_finite_differences_of_the_weighted_outputs() {
    let net = network(spec(&[3, 6, 2], &[Activation::Softplus, Activation::Tanh], Loss::SquaredError), 70);
    let mut d = Draw::new(71);
    let x = d.mat(3, BATCH, -1.0, 1.0);
    let u = d.mat(2, BATCH, -1.0, 1.0);
    let mut ws = Workspace::new(net.spec(), BATCH, 1).unwrap();
    let mut grad = vec![0.0; net.spec().num_params()];
    let mut gx = Mat::<f64>::zeros(3, BATCH);
    net.vjp(x.as_ref(), u.as_ref(), &mut ws, &mut grad, Some(gx.as_mut())).unwrap();
    let e = |xx: &Mat<f64>| {
        let y = forward_ref(&net, xx);
        (0..BATCH).flat_map(|j| (0..2).map(move |i| (i, j))).map(|(i, j)| u[(i, j)] * y[(i, j)]).sum::<f64>()
    };
    let h = 1e-5;
    for j in 0..BATCH {
        for i in 0..3 {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[(i, j)] += h;
            xm[(i, j)] -= h;
            let fd = (e(&xp) - e(&xm)) / (2.0 * h);
            assert!((fd - gx[(i, j)]).abs() < 1e-8, "∂E/∂x[{i},{j}] = {} but FD {fd}", gx[(i, j)]);
        }
    }
    // ∂E/∂b of the last layer is Σ_b u ⊙ f'(z): the bias gradient is a column sum.
    let y = forward_ref(&net, &x);
    let b_at = net.spec().bias_offset(1);
    for i in 0..2 {
        let want: f64 = (0..BATCH).map(|j| u[(i, j)] * (1.0 - y[(i, j)] * y[(i, j)])).sum();
        assert!((grad[b_at + i] - want).abs() < 1e-14, "bias gradient {i}");
    }
}

#[test]
fn f32_forward_and_gradient_follow_f64() {
    for (k, &a) in Activation::ALL.iter().enumerate() {
        let net = network(spec(&[8, 16, 4], &[a, Activation::Identity], Loss::SoftmaxCrossEntropy), 80 + k as u64);
        let net32 = Network::<f32>::from_params(net.spec().clone(), net.params().iter().map(|&p| p as f32).collect()).unwrap();
        let mut d = Draw::new(90);
        let x = d.mat(8, BATCH, -2.0, 2.0);
        let x32 = Mat::<f32>::from_fn(8, BATCH, |i, j| x[(i, j)] as f32);
        let labels: Vec<u32> = (0..BATCH as u32).map(|j| j % 4).collect();
        let mut ws = Workspace::new(net.spec(), BATCH, 1).unwrap();
        let mut ws32 = Workspace::new(net.spec(), BATCH, 1).unwrap();
        let y = net.predict(x.as_ref(), &mut ws).unwrap().to_owned();
        let y32 = net32.predict(x32.as_ref(), &mut ws32).unwrap();
        let err = (0..BATCH).flat_map(|j| (0..4).map(move |i| (i, j))).map(|(i, j)| (y32[(i, j)] as f64 - y[(i, j)]).abs()).fold(0.0, f64::max);
        assert!(err < 1e-5 * y.norm_max().max(1.0), "{a:?}: f32 outputs off by {err:e}");
        let (mut g, mut g32) = (vec![0.0; net.spec().num_params()], vec![0.0f32; net.spec().num_params()]);
        let l = net.loss_gradient(x.as_ref(), Targets::Labels(&labels), &mut ws, &mut g, None).unwrap();
        let l32 = net32.loss_gradient(x32.as_ref(), Targets::Labels(&labels), &mut ws32, &mut g32, None).unwrap();
        assert!((l - l32).abs() < 1e-5 * l.abs().max(1.0), "{a:?}: loss {l} vs f32 {l32}");
        let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let gerr = g.iter().zip(&g32).map(|(a, b)| (a - *b as f64).abs()).fold(0.0, f64::max);
        assert!(gerr < 1e-5 * gmax.max(1e-3), "{a:?}: f32 gradient off by {gerr:e} (max {gmax:e})");
    }
}

/// The weight gradient of a layer large enough for the transposed-input product (one thread,
/// `TRANSPOSE_MIN_MACS`) against dot products: for one identity layer, the VJP with upstream
/// `U` is `∂W = U Xᵀ` and `∂b = U 1`.
#[test]
fn large_layer_weight_gradient_is_upstream_times_input_transpose() {
    let (n_in, n_out, batch) = (512, 1024, 256);
    assert!(n_in * n_out * batch >= tessera::nn::TRANSPOSE_MIN_MACS);
    let net = network(spec(&[n_in, n_out], &[Activation::Identity], Loss::SquaredError), 3);
    let mut d = Draw::new(4);
    let x = d.mat(n_in, batch, -1.0, 1.0);
    let u = d.mat(n_out, batch, -1.0, 1.0);
    let mut ws = Workspace::new(net.spec(), batch, 1).unwrap();
    let mut grad = vec![0.0; net.spec().num_params()];
    net.vjp(x.as_ref(), u.as_ref(), &mut ws, &mut grad, None).unwrap();
    for _ in 0..2000 {
        let (i, j) = (d.below(n_out as u32) as usize, d.below(n_in as u32) as usize);
        let want: f64 = (0..batch).map(|b| u[(i, b)] * x[(j, b)]).sum();
        let got = grad[i + j * n_out];
        assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()), "dW[{i}, {j}] = {got}, want {want}");
    }
    let bias = net.spec().bias_offset(0);
    for i in 0..n_out {
        let want: f64 = (0..batch).map(|b| u[(i, b)]).sum();
        assert!((grad[bias + i] - want).abs() <= 1e-12 * (1.0 + want.abs()));
    }
}

/// On several threads, large products are cut into row blocks (forward, and a layer's two
/// backward products one after the other) or, where a product has too few rows for a block per
/// task (130 rows for three), a layer's two backward products run beside each other: the same
/// bits as one thread, with and without the input gradient, for row counts that do and do not
/// divide evenly (520 rows in two blocks of 256 + 264, 130 in 64 + 66, three blocks for three
/// threads), called on a pool's worker and from outside any pool (the call moves to a worker).
#[test]
fn products_cut_into_tasks_give_the_bits_of_one_thread() {
    let (sizes, batch) = ([300, 520, 130, 3], 64);
    assert!(130 * 520 * batch >= tessera::nn::PARALLEL_MIN_MACS && 520 * 300 * batch >= tessera::nn::PARALLEL_MIN_MACS);
    let net = network(spec(&sizes, &[Activation::Gelu, Activation::Relu, Activation::Identity], Loss::SoftmaxCrossEntropy), 8);
    let mut d = Draw::new(9);
    let x = d.mat(300, batch, -1.0, 1.0);
    let labels: Vec<u32> = (0..batch).map(|_| d.below(3)).collect();
    let gradient = |threads: usize, with_input_grad: bool, on_pool: bool| {
        let mut ws = Workspace::new(net.spec(), batch, threads).unwrap();
        let mut grad = vec![0.0; net.spec().num_params()];
        let mut input_grad = Mat::zeros(300, batch);
        let mut passes = || {
            let g = with_input_grad.then(|| input_grad.as_mut());
            let loss = net.loss_gradient(x.as_ref(), Targets::Labels(&labels), &mut ws, &mut grad, g).unwrap();
            (loss, net.predict(x.as_ref(), &mut ws).unwrap().to_owned())
        };
        let (loss, y) = if on_pool { crate::common::in_two_threads(passes) } else { passes() };
        (loss.to_bits(), grad, input_grad, y)
    };
    for with_input_grad in [false, true] {
        let one = gradient(1, with_input_grad, true);
        assert!(one.1.iter().any(|&g| g != 0.0));
        assert_eq!(one.2.norm_max() > 0.0, with_input_grad);
        for (threads, on_pool) in [(2, true), (3, true), (2, false)] {
            assert!(one == gradient(threads, with_input_grad, on_pool), "threads={threads} input_grad={with_input_grad} on_pool={on_pool}");
        }
    }
}
