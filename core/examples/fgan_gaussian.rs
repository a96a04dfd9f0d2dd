//! The first experiment of the f-GAN paper (Nowozin, Cseke, Tomioka 2016, §4): fit a
//! univariate Gaussian `Q_θ = N(μ, σ²)` to a Gaussian mixture `P` under each f-divergence,
//! once by the variational saddle point (the learned `θ̂`, with a variational network `T_ω`)
//! and once by minimising `D_f(P‖Q_θ)` directly with the integral done by quadrature (the
//! best fit `θ*`), and print the table of both with the divergence and the variational bound.
//!
//! `Q_θ` is sampled by reparametrisation, `x = μ + e^ρ z`, `z ∼ N(0, 1)`, `θ = (μ, ρ = ln σ)`.
//! `V_ω` is a 1–64–64–1 network of the engine (`tessera::nn`, tanh hidden units, seeded
//! initialisation); the objective and its gradient with respect to every output come from
//! `tessera::nn::objective_grad`, the network's VJP gives `∂F/∂ω` and `∂F/∂x` (hence `∂F/∂θ`),
//! and the training is the paper's single-step simultaneous scheme (ascent in ω, descent in θ,
//! both every step) with the engine's Adam on both.
//!
//! Run: `cargo run --release -p tessera --example fgan_gaussian [steps]` (default 4000).

use faer::{Col, Mat};
use tessera::nn::{objective, objective_grad, Activation, Adam, AdamOptions, Divergence, Loss, Network, Optimiser, Spec, Trainer};

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

/// Learns `(μ̂, ρ̂)` by the saddle point and returns it with the final bound `F(ω̂, θ̂)`
/// estimated on 20 fresh batches.
fn learn(div: Divergence, steps: usize, seed: u64) -> ([f64; 2], f64) {
    let mut draws = Draws(seed);
    let n = 2 * BATCH;
    // The engine descends: it is given −∂F/∂V, so that its Adam step ascends F in ω. The loss
    // of the spec is unused (the VJP takes the upstream gradient instead).
    let acts = [Activation::Tanh, Activation::Tanh, Activation::Identity].map(|a| a as u32);
    let spec = Spec::from_codes(&[1, HIDDEN, HIDDEN, 1], &acts, Loss::SquaredError as u32).expect("a valid spec");
    let critic_adam = Adam::new(&spec, AdamOptions { learning_rate: 1e-3, ..AdamOptions::default() }).expect("valid options");
    let mut critic = Trainer::new(Network::<f64>::new(spec, seed), Box::new(critic_adam), n, 1).expect("a valid workspace");
    // θ = (μ, ρ) laid out as the two parameters (weight, bias) of a 1–1 layer, so that the
    // engine's Adam updates it too (descending F).
    let theta_spec = Spec::from_codes(&[1, 1], &[Activation::Identity as u32], Loss::SquaredError as u32).expect("a valid spec");
    let mut theta_adam = Adam::new(&theta_spec, AdamOptions { learning_rate: 1e-2, ..AdamOptions::default() }).expect("valid options");
    let mut theta = [0.0, 0.0];
    let (mut x, mut z) = (Mat::zeros(1, n), vec![0.0; BATCH]);
    let (mut up, mut dx) = (Mat::zeros(1, n), Mat::zeros(1, n));
    let (mut gp, mut gq) = (Col::zeros(BATCH), Col::zeros(BATCH));
    let sample = |draws: &mut Draws, x: &mut Mat<f64>, z: &mut [f64], theta: [f64; 2]| {
        for j in 0..BATCH {
            x[(0, j)] = draws.mixture();
            z[j] = draws.normal();
            x[(0, BATCH + j)] = theta[0] + theta[1].exp() * z[j];
        }
    };
    let critic_values = |critic: &mut Trainer<f64>, x: &Mat<f64>| -> Col<f64> {
        let (net, ws) = critic.parts();
        net.predict(x.as_ref(), ws).expect("finite samples").row(0).transpose().to_owned()
    };
    for _ in 0..steps {
        sample(&mut draws, &mut x, &mut z, theta);
        let v = critic_values(&mut critic, &x);
        objective_grad(div, v.subrows(0, BATCH), v.subrows(BATCH, BATCH), gp.as_mut(), gq.as_mut()).expect("batches are non-empty");
        for j in 0..BATCH {
            (up[(0, j)], up[(0, BATCH + j)]) = (-gp[j], -gq[j]);
        }
        critic.vjp(x.as_ref(), up.as_ref(), Some(dx.as_mut())).expect("finite gradients");
        // dx = −∂F/∂x; x = μ + σ z on the Q side.
        let sigma = theta[1].exp();
        let dtheta = [
            -(0..BATCH).map(|j| dx[(0, BATCH + j)]).sum::<f64>(),
            -(0..BATCH).map(|j| dx[(0, BATCH + j)] * sigma * z[j]).sum::<f64>(),
        ];
        critic.apply(None).expect("finite parameters");
        theta_adam.step(&theta_spec, &mut theta, &dtheta);
    }
    let mut bound = 0.0;
    for _ in 0..20 {
        sample(&mut draws, &mut x, &mut z, theta);
        let v = critic_values(&mut critic, &x);
        bound += objective(div, v.subrows(0, BATCH), v.subrows(BATCH, BATCH)).expect("non-empty") / 20.0;
    }
    (theta, bound)
}

/// How far above the best fit's divergence the learned fit's may be, at the default 4000
/// steps, for the run to pass (every divergence lands within 0.002 in docs/fdiv.md's run).
const EXCESS_TOLERANCE: f64 = 0.01;

fn main() {
    let steps = std::env::args().nth(1).map_or(4000, |s| s.parse().expect("steps: a positive integer"));
    let mean: f64 = MIXTURE.iter().map(|&(w, m, _)| w * m).sum();
    let var: f64 = MIXTURE.iter().map(|&(w, m, s)| w * (s * s + m * m)).sum::<f64>() - mean * mean;
    println!("P = 0.3 N(-2, 0.5²) + 0.7 N(1, 0.8²); Q_θ = N(μ, σ²); {steps} steps, batches of {BATCH}");
    println!("{:<10} {:>8} {:>8} {:>8} {:>8} {:>12} {:>12} {:>12}", "divergence", "μ*", "σ*", "μ̂", "σ̂", "D_f(P‖Qθ*)", "D_f(P‖Qθ̂)", "F(ω̂,θ̂)");
    let grid = Grid::new();
    let mut excess = Vec::new();
    for (k, div) in Divergence::ALL.into_iter().enumerate() {
        let star = best_fit(&grid, div, [mean, 0.5 * var.ln()]);
        if div == Divergence::KullbackLeibler {
            // Independent check of quadrature + Nelder–Mead: the KL(P‖Q) best Gaussian matches
            // the mixture's mean and variance.
            assert!((star[0] - mean).abs() < 1e-3 && (star[1].exp() - var.sqrt()).abs() < 1e-3, "KL best fit {star:?}");
        }
        let (hat, bound) = learn(div, steps, 0x5eed + k as u64);
        let (best, learned) = (grid.divergence(div, star[0], star[1]), grid.divergence(div, hat[0], hat[1]));
        excess.push(learned - best);
        println!(
            "{:<10} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>12.4} {:>12.4} {:>12.4}",
            div.name(),
            star[0],
            star[1].exp(),
            hat[0],
            hat[1].exp(),
            best,
            learned,
            bound
        );
    }
    let worst = excess.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    println!("largest D_f(P‖Qθ̂) − D_f(P‖Qθ*): {worst:.4} (tolerance {EXCESS_TOLERANCE} at 4000 steps)");
    // `all`, not `worst`: a NaN excess fails here, while `f64::max` would skip it.
    if steps >= 4000 && !excess.iter().all(|&e| e <= EXCESS_TOLERANCE) {
        eprintln!("the learned fit of some divergence is more than {EXCESS_TOLERANCE} above its best fit");
        std::process::exit(1);
    }
}
