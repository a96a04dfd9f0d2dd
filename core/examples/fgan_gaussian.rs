//! The first experiment of the f-GAN paper (Nowozin, Cseke, Tomioka 2016, §4): fit a
//! univariate Gaussian `Q_θ = N(μ, σ²)` to a Gaussian mixture `P` under each f-divergence,
//! once by the variational saddle point (the learned `θ̂`, with a variational network `T_ω`)
//! and once by minimising `D_f(P‖Q_θ)` directly with the integral done by quadrature (the
//! best fit `θ*`), and print the table of both with the divergence and the variational bound.
//!
//! `Q_θ` is sampled by reparametrisation, `x = μ + e^ρ z`, `z ∼ N(0, 1)`, `θ = (μ, ρ = ln σ)`.
//! `V_ω` is a 1–64–64–1 network with tanh hidden units; the objective and its gradient with
//! respect to every output come from `tessera::nn::objective_grad`, and the training is the
//! paper's single-step simultaneous scheme (ascent in ω, descent in θ, both every step) with
//! Adam on both.
//!
//! NOTE for the coordinator: the tiny two-layer tanh network below (`Critic`) is written
//! inline only because the dense network engine is not available on this branch; replace it
//! with the engine's layers once they are merged.
//!
//! Run: `cargo run --release -p tessera --example fgan_gaussian [steps]` (default 4000).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, MatMut, MatRef, Par};
use tessera::nn::{objective, objective_grad, Divergence};

/// The target: `Σ_k w_k N(m_k, s_k²)`.
const MIXTURE: [(f64, f64, f64); 2] = [(0.3, -2.0, 0.5), (0.7, 1.0, 0.8)];
const HIDDEN: usize = 64;
const BATCH: usize = 1024;

/// A small seeded generator (Knuth's 64-bit LCG, top 53 bits) with Gaussian draws (polar
/// method).
struct Draws(u64);

impl Draws {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn normal(&mut self) -> f64 {
        loop {
            let (a, b) = (2.0 * self.uniform() - 1.0, 2.0 * self.uniform() - 1.0);
            let r = a * a + b * b;
            if r > 0.0 && r < 1.0 {
                return a * (-2.0 * r.ln() / r).sqrt();
            }
        }
    }

    fn mixture(&mut self) -> f64 {
        let mut u = self.uniform();
        for &(w, m, s) in &MIXTURE {
            if u < w {
                return m + s * self.normal();
            }
            u -= w;
        }
        let (_, m, s) = MIXTURE[MIXTURE.len() - 1];
        m + s * self.normal()
    }
}

fn log_normal_pdf(x: f64, m: f64, s: f64) -> f64 {
    let z = (x - m) / s;
    -0.5 * z * z - s.ln() - 0.5 * (2.0 * core::f64::consts::PI).ln()
}

fn log_p(x: f64) -> f64 {
    let terms: Vec<f64> = MIXTURE.iter().map(|&(w, m, s)| w.ln() + log_normal_pdf(x, m, s)).collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
}

/// The quadrature grid on [−12, 12] with `ln p` at its nodes.
struct Grid {
    x: Vec<f64>,
    log_p: Vec<f64>,
    h: f64,
}

impl Grid {
    fn new() -> Self {
        let (n, lo, hi) = (12_000, -12.0, 12.0);
        let h = (hi - lo) / n as f64;
        let x: Vec<f64> = (0..=n).map(|i| lo + h * i as f64).collect();
        Self { log_p: x.iter().map(|&x| log_p(x)).collect(), x, h }
    }

    /// `D_f(P‖Q_θ) = ∫ q f(p/q) dx` by the trapezoidal rule.
    fn divergence(&self, div: Divergence, mu: f64, rho: f64) -> f64 {
        let n = self.x.len() - 1;
        let mut sum = 0.0;
        for (i, (&x, &lp)) in self.x.iter().zip(&self.log_p).enumerate() {
            let lq = log_normal_pdf(x, mu, rho.exp());
            let u = (lp - lq).exp();
            let term = if u.is_finite() { lq.exp() * div.generator(u) } else { f64::INFINITY };
            sum += if i == 0 || i == n { 0.5 * term } else { term };
        }
        sum * self.h
    }
}

/// Nelder–Mead on `(μ, ρ)`: the best fit `θ*`.
fn best_fit(grid: &Grid, div: Divergence, start: [f64; 2]) -> [f64; 2] {
    let f = |p: &[f64; 2]| grid.divergence(div, p[0], p[1]);
    let mut simplex = [start, [start[0] + 0.5, start[1]], [start[0], start[1] + 0.3]];
    let mut values = simplex.map(|p| f(&p));
    for _ in 0..400 {
        let mut order = [0, 1, 2];
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let (b, m, w) = (order[0], order[1], order[2]);
        if values[w] - values[b] < 1e-12 {
            break;
        }
        let centre = [(simplex[b][0] + simplex[m][0]) / 2.0, (simplex[b][1] + simplex[m][1]) / 2.0];
        let along = |t: f64| [centre[0] + t * (simplex[w][0] - centre[0]), centre[1] + t * (simplex[w][1] - centre[1])];
        let reflected = along(-1.0);
        let fr = f(&reflected);
        if fr < values[b] {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            (simplex[w], values[w]) = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < values[m] {
            (simplex[w], values[w]) = (reflected, fr);
        } else {
            let contracted = along(0.5);
            let fc = f(&contracted);
            if fc < values[w] {
                (simplex[w], values[w]) = (contracted, fc);
            } else {
                for k in [m, w] {
                    simplex[k] = [(simplex[k][0] + simplex[b][0]) / 2.0, (simplex[k][1] + simplex[b][1]) / 2.0];
                    values[k] = f(&simplex[k]);
                }
            }
        }
    }
    let best = (0..3).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap();
    simplex[best]
}

/// Adam on a flat parameter vector (`sign = +1` ascends, `−1` descends).
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
    lr: f64,
}

impl Adam {
    fn new(n: usize, lr: f64) -> Self {
        Self { m: vec![0.0; n], v: vec![0.0; n], t: 0, lr }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], sign: f64) {
        let (b1, b2): (f64, f64) = (0.9, 0.999);
        self.t += 1;
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        for i in 0..params.len() {
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * grad[i];
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * grad[i] * grad[i];
            params[i] += sign * self.lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

/// The variational network `V_ω(x) = w3ᵀ tanh(W2 tanh(W1 x + b1) + b2) + b3`, parameters
/// packed as `[W1 | b1 | W2 | b2 | w3 | b3]` (column-major).
struct Critic {
    params: Vec<f64>,
    h1: Mat<f64>,
    h2: Mat<f64>,
}

const SIZES: [(usize, usize); 6] = [(HIDDEN, 1), (HIDDEN, 1), (HIDDEN, HIDDEN), (HIDDEN, 1), (1, HIDDEN), (1, 1)];

fn offsets() -> [usize; 7] {
    let mut o = [0; 7];
    for k in 0..6 {
        o[k + 1] = o[k] + SIZES[k].0 * SIZES[k].1;
    }
    o
}

fn view(p: &[f64], k: usize) -> MatRef<'_, f64> {
    let o = offsets();
    MatRef::from_column_major_slice(&p[o[k]..o[k + 1]], SIZES[k].0, SIZES[k].1)
}

fn view_mut(p: &mut [f64], k: usize) -> MatMut<'_, f64> {
    let o = offsets();
    MatMut::from_column_major_slice_mut(&mut p[o[k]..o[k + 1]], SIZES[k].0, SIZES[k].1)
}

/// `vzeroupper` after a faer product: without it every `tanh` after the product runs about
/// 30 times slower on AVX-512 machines (see `tessera::nn` `float.rs`; the engine will own this).
fn clear_upper_simd_state() {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX was just detected; no vector register holds a live value here.
        unsafe { core::arch::x86_64::_mm256_zeroupper() };
    }
}

/// `act(W x + b)` for a batch of columns `x`.
fn affine(out: &mut Mat<f64>, w: MatRef<'_, f64>, b: MatRef<'_, f64>, x: MatRef<'_, f64>, act: fn(f64) -> f64) {
    matmul(out.as_mut(), Accum::Replace, w, x, 1.0, Par::Seq);
    clear_upper_simd_state();
    for j in 0..out.ncols() {
        for i in 0..out.nrows() {
            out[(i, j)] = act(out[(i, j)] + b[(i, 0)]);
        }
    }
}

impl Critic {
    fn new(draws: &mut Draws, n: usize) -> Self {
        let o = offsets();
        let mut params = vec![0.0; o[6]];
        for k in [0, 2, 4] {
            let scale = 1.0 / (SIZES[k].1 as f64).sqrt();
            params[o[k]..o[k + 1]].iter_mut().for_each(|w| *w = scale * draws.normal());
        }
        Self { params, h1: Mat::zeros(HIDDEN, n), h2: Mat::zeros(HIDDEN, n) }
    }

    /// `V_ω` of the columns of `x` (1 × n) into `v` (1 × n).
    fn forward(&mut self, x: MatRef<'_, f64>, v: &mut Mat<f64>) {
        let p = &self.params;
        affine(&mut self.h1, view(p, 0), view(p, 1), x, f64::tanh);
        affine(&mut self.h2, view(p, 2), view(p, 3), self.h1.as_ref(), f64::tanh);
        affine(v, view(p, 4), view(p, 5), self.h2.as_ref(), |z| z);
    }

    /// Given `dv = ∂F/∂V` (1 × n) after [`Critic::forward`], writes `∂F/∂ω` into `grad` and
    /// returns `∂F/∂x` (1 × n).
    fn backward(&self, x: MatRef<'_, f64>, dv: &Mat<f64>, grad: &mut [f64]) -> Mat<f64> {
        let p = &self.params;
        let n = x.ncols();
        let tanh_back = |d: &mut Mat<f64>, h: &Mat<f64>| {
            faer::zip!(d.as_mut(), h.as_ref()).for_each(|faer::unzip!(d, h)| *d *= 1.0 - *h * *h)
        };
        let row_sums = |m: &Mat<f64>, mut out: MatMut<'_, f64>| {
            for i in 0..m.nrows() {
                out[(i, 0)] = (0..m.ncols()).map(|j| m[(i, j)]).sum();
            }
        };
        matmul(view_mut(grad, 4), Accum::Replace, dv.as_ref(), self.h2.transpose(), 1.0, Par::Seq);
        row_sums(dv, view_mut(grad, 5));
        let mut d2 = Mat::zeros(HIDDEN, n);
        matmul(d2.as_mut(), Accum::Replace, view(p, 4).transpose(), dv.as_ref(), 1.0, Par::Seq);
        tanh_back(&mut d2, &self.h2);
        matmul(view_mut(grad, 2), Accum::Replace, d2.as_ref(), self.h1.transpose(), 1.0, Par::Seq);
        row_sums(&d2, view_mut(grad, 3));
        let mut d1 = Mat::zeros(HIDDEN, n);
        matmul(d1.as_mut(), Accum::Replace, view(p, 2).transpose(), d2.as_ref(), 1.0, Par::Seq);
        tanh_back(&mut d1, &self.h1);
        matmul(view_mut(grad, 0), Accum::Replace, d1.as_ref(), x.transpose(), 1.0, Par::Seq);
        row_sums(&d1, view_mut(grad, 1));
        let mut dx = Mat::zeros(1, n);
        matmul(dx.as_mut(), Accum::Replace, view(p, 0).transpose(), d1.as_ref(), 1.0, Par::Seq);
        dx
    }
}

/// Learns `(μ̂, ρ̂)` by the saddle point and returns it with the final bound `F(ω̂, θ̂)`
/// estimated on 20 fresh batches.
fn learn(div: Divergence, steps: usize, seed: u64) -> ([f64; 2], f64) {
    let mut draws = Draws(seed);
    let n = 2 * BATCH;
    let mut critic = Critic::new(&mut draws, n);
    let mut theta = [0.0, 0.0];
    let (mut opt_w, mut opt_t) = (Adam::new(critic.params.len(), 1e-3), Adam::new(2, 1e-2));
    let mut grad = vec![0.0; critic.params.len()];
    let (mut x, mut z) = (Mat::zeros(1, n), vec![0.0; BATCH]);
    let (mut v, mut dv) = (Mat::zeros(1, n), Mat::zeros(1, n));
    let (mut gp, mut gq) = (Col::zeros(BATCH), Col::zeros(BATCH));
    let sample = |draws: &mut Draws, x: &mut Mat<f64>, z: &mut [f64], theta: [f64; 2]| {
        for j in 0..BATCH {
            x[(0, j)] = draws.mixture();
            z[j] = draws.normal();
            x[(0, BATCH + j)] = theta[0] + theta[1].exp() * z[j];
        }
    };
    for _ in 0..steps {
        sample(&mut draws, &mut x, &mut z, theta);
        critic.forward(x.as_ref(), &mut v);
        let row = v.row(0).transpose();
        objective_grad(div, row.subrows(0, BATCH), row.subrows(BATCH, BATCH), gp.as_mut(), gq.as_mut())
            .expect("batches are non-empty");
        for j in 0..BATCH {
            (dv[(0, j)], dv[(0, BATCH + j)]) = (gp[j], gq[j]);
        }
        let dx = critic.backward(x.as_ref(), &dv, &mut grad);
        let sigma = theta[1].exp();
        let dtheta = [(0..BATCH).map(|j| dx[(0, BATCH + j)]).sum::<f64>(), (0..BATCH).map(|j| dx[(0, BATCH + j)] * sigma * z[j]).sum::<f64>()];
        opt_w.step(&mut critic.params, &grad, 1.0);
        opt_t.step(&mut theta, &dtheta, -1.0);
    }
    let mut bound = 0.0;
    for _ in 0..20 {
        sample(&mut draws, &mut x, &mut z, theta);
        critic.forward(x.as_ref(), &mut v);
        let row = v.row(0).transpose();
        bound += objective(div, row.subrows(0, BATCH), row.subrows(BATCH, BATCH)).expect("non-empty") / 20.0;
    }
    (theta, bound)
}

fn main() {
    let steps = std::env::args().nth(1).map_or(4000, |s| s.parse().expect("steps: a positive integer"));
    let mean: f64 = MIXTURE.iter().map(|&(w, m, _)| w * m).sum();
    let var: f64 = MIXTURE.iter().map(|&(w, m, s)| w * (s * s + m * m)).sum::<f64>() - mean * mean;
    println!("P = 0.3 N(-2, 0.5²) + 0.7 N(1, 0.8²); Q_θ = N(μ, σ²); {steps} steps, batches of {BATCH}");
    println!("{:<10} {:>8} {:>8} {:>8} {:>8} {:>12} {:>12} {:>12}", "divergence", "μ*", "σ*", "μ̂", "σ̂", "D_f(P‖Qθ*)", "D_f(P‖Qθ̂)", "F(ω̂,θ̂)");
    let grid = Grid::new();
    for (k, div) in Divergence::ALL.into_iter().enumerate() {
        let star = best_fit(&grid, div, [mean, 0.5 * var.ln()]);
        if div == Divergence::KullbackLeibler {
            // Independent check of quadrature + Nelder–Mead: the KL(P‖Q) best Gaussian matches
            // the mixture's mean and variance.
            assert!((star[0] - mean).abs() < 1e-3 && (star[1].exp() - var.sqrt()).abs() < 1e-3, "KL best fit {star:?}");
        }
        let (hat, bound) = learn(div, steps, 0x5eed + k as u64);
        println!(
            "{:<10} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>12.4} {:>12.4} {:>12.4}",
            div.name(),
            star[0],
            star[1].exp(),
            hat[0],
            hat[1].exp(),
            grid.divergence(div, star[0], star[1]),
            grid.divergence(div, hat[0], hat[1]),
            bound
        );
    }
}
