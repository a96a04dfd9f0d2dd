//! A weighted rank-r fit Û V̂ᵀ of the observations, the point at which the first-order
//! variances are evaluated.
//!
//! Start: per connected component, the rank-r truncated SVD of the observations with the
//! entries that single minors complete filled in ([`super::complete_minors`], zeros where none reach), which is exact on
//! noiseless data that the minors complete. From there alternating least squares (each row of U, then each row of V, is the weighted ridge
//! solution with ridge 10⁻¹² of its normal matrix' mean diagonal) until a sweep lowers the cost
//! by less than 10⁻³ relative or 100 sweeps; then Levenberg–Marquardt steps on all of θ,
//! (F + μ s I) δ = Jᵀ Σ⁻¹ res with s = tr F / N, μ adapted (÷3 on success, ×4 on failure),
//! until the cost is below 10⁻³⁰ of Σ a_e²/σ_e², a step lowers it by less than 10⁻¹⁴
//! relative, or 200 steps. On noiseless rank-r data with a completable mask this reaches the
//! exact factors up to rounding. Weighted low-rank fits have local minima (ALS from random
//! starts stalls on about one rank-1 12 × 11 mask in six at 60 % observed), so unless the
//! minor start fits to 10⁻¹⁰ relative, two seeded Gaussian starts (SplitMix64, fixed seed,
//! scaled to the observations' rms) are refined too and the lowest cost wins. A local
//! minimum remains possible on sparse masks; the reported relative residual shows it.

use super::minors_block::inverse;
use super::variance_dense::cholesky_solve;
use super::variance_fisher::{block, cost, normal_equations};
use super::{complete_minors, CompletabilityError, Components, Mask, MinorOptions};
use crate::rng::SplitMix64;
use faer::{Mat, Par};
use rayon::prelude::*;

const SEED: u64 = 0x0bad_5eed_f00d_1234;
const RIDGE: f64 = 1e-12;
const ALS_SWEEPS: usize = 100;
const ALS_STALL: f64 = 1e-3;
const LM_STEPS: usize = 200;
const LM_STALL: f64 = 1e-14;
const EXACT: f64 = 1e-30;
/// Random restarts when the minor start does not fit to this relative cost.
const EXACT_RESTART: f64 = 1e-20;
const RESTARTS: usize = 2;

/// A rank-r fit of the observations.
#[derive(Clone, Debug, PartialEq)]
pub struct LowRankFit {
    /// `m × r` row factor Û.
    pub u: Mat<f64>,
    /// `n × r` column factor V̂.
    pub v: Mat<f64>,
    /// Alternating least-squares sweeps run.
    pub sweeps: usize,
    /// Levenberg–Marquardt steps accepted.
    pub steps: usize,
    /// `√(Σ_e (a_e − Û_iV̂_j)²/σ_e² / Σ_e a_e²/σ_e²)`.
    pub relative_residual: f64,
}

impl LowRankFit {
    /// `(Û V̂ᵀ)_ij`.
    pub fn value(&self, i: usize, j: usize) -> f64 {
        (0..self.u.ncols()).map(|k| self.u[(i, k)] * self.v[(j, k)]).sum()
    }
}

/// Fits θ = (U, V) to `values` (checked inputs, `sigma2` the noise variances): the best of
/// the refinements from the minor start and, unless that one fits exactly, `RESTARTS` random
/// starts.
pub(super) fn fit(mask: &Mask, values: &[f64], sigma2: &[f64], r: usize, par: Par) -> Result<LowRankFit, CompletabilityError> {
    let (m, n) = (mask.nrows(), mask.ncols());
    let total: f64 = values.iter().zip(sigma2).map(|(a, s)| a * a / s).sum();
    let mut best = refine(minor_start(mask, values, sigma2, r, par)?, mask, values, sigma2, r, total, par)?;
    let rms = (values.iter().map(|a| a * a).sum::<f64>() / values.len() as f64).sqrt();
    let scale = if rms > 0.0 { (rms * rms / r as f64).powf(0.25) } else { 1.0 };
    let mut rng = SplitMix64::new(SEED);
    for _ in 0..RESTARTS {
        if best.cost <= EXACT_RESTART * total {
            break;
        }
        let start: Vec<f64> = (0..(m + n) * r).map(|_| scale * rng.normal()).collect();
        let other = refine(start, mask, values, sigma2, r, total, par)?;
        if other.cost < best.cost {
            best = other;
        }
    }
    let theta = best.theta;
    Ok(LowRankFit {
        u: Mat::from_fn(m, r, |i, k| theta[i * r + k]),
        v: Mat::from_fn(n, r, |j, k| theta[(m + j) * r + k]),
        sweeps: best.sweeps,
        steps: best.steps,
        relative_residual: if total > 0.0 { (best.cost / total).sqrt() } else { 0.0 },
    })
}

/// Per connected component of the mask, the rank-r truncated SVD of the block holding the
/// observations, the entries one minor each completes (every round), and zeros elsewhere,
/// split as (U S^½, V S^½) (components are independent problems, and one SVD of the whole
/// matrix would drop all but the r strongest).
fn minor_start(mask: &Mask, values: &[f64], sigma2: &[f64], r: usize, par: Par) -> Result<Vec<f64>, CompletabilityError> {
    let (m, n) = (mask.nrows(), mask.ncols());
    let positions: Vec<(usize, usize)> = (0..n).flat_map(|j| (0..m).map(move |i| (i, j))).collect();
    let options = MinorOptions { max_estimators: 1, ..MinorOptions::default() };
    let filled = complete_minors(mask, values, Some(sigma2), r, &positions, &options, par)?;
    let components = Components::new(mask);
    let mut theta = vec![0.0; (m + n) * r];
    for c in 0..components.count() {
        let rows: Vec<usize> = (0..m).filter(|&i| components.row(i) == c).collect();
        let cols: Vec<usize> = (0..n).filter(|&j| components.col(j) == c).collect();
        if rows.is_empty() || cols.is_empty() {
            continue;
        }
        let x = Mat::from_fn(rows.len(), cols.len(), |p, q| {
            let e = &filled[rows[p] + cols[q] * m];
            if e.is_determined() { e.value } else { 0.0 }
        });
        let svd = x.thin_svd().map_err(|_| CompletabilityError::Decomposition("singular value decomposition"))?;
        for k in 0..r.min(rows.len()).min(cols.len()) {
            let root = svd.S()[k].max(0.0).sqrt();
            rows.iter().enumerate().for_each(|(p, &i)| theta[i * r + k] = svd.U()[(p, k)] * root);
            cols.iter().enumerate().for_each(|(q, &j)| theta[(m + j) * r + k] = svd.V()[(q, k)] * root);
        }
    }
    Ok(theta)
}

struct Refined {
    theta: Vec<f64>,
    cost: f64,
    sweeps: usize,
    steps: usize,
}

/// ALS sweeps, then Levenberg–Marquardt steps, from `theta`.
fn refine(mut theta: Vec<f64>, mask: &Mask, values: &[f64], sigma2: &[f64], r: usize, total: f64, par: Par) -> Result<Refined, CompletabilityError> {
    let mut current = cost(&theta, mask, values, sigma2, r);
    let mut sweeps = 0;
    while sweeps < ALS_SWEEPS && current > EXACT * total {
        sweeps += 1;
        als_sweep(&mut theta, mask, values, sigma2, r, par);
        let next = cost(&theta, mask, values, sigma2, r);
        let stalled = current - next < ALS_STALL * current;
        current = next;
        if stalled {
            break;
        }
    }
    let mut steps = 0;
    let mut mu = 1e-3;
    while steps < LM_STEPS && current > EXACT * total {
        let (f, b) = normal_equations(&theta, mask, Some(values), sigma2, r);
        let shift = (0..f.nrows()).map(|t| f[(t, t)]).sum::<f64>() / f.nrows() as f64;
        let mut accepted = None;
        while mu < 1e12 {
            let mut a = f.clone();
            for t in 0..a.nrows() {
                a[(t, t)] += mu * shift;
            }
            let mut delta = b.clone();
            cholesky_solve(&mut a, delta.as_mut(), par)?;
            let trial: Vec<f64> = theta.iter().enumerate().map(|(t, x)| x + delta[(t, 0)]).collect();
            let c = cost(&trial, mask, values, sigma2, r);
            if c < current {
                accepted = Some((trial, c));
                mu = (mu / 3.0).max(1e-15);
                break;
            }
            mu *= 4.0;
        }
        let Some((trial, c)) = accepted else { break };
        steps += 1;
        let stalled = current - c < LM_STALL * current;
        theta = trial;
        current = c;
        if stalled {
            break;
        }
    }
    Ok(Refined { theta, cost: current, sweeps, steps })
}

/// One ALS sweep: every row of U given V, then every row of V given U.
fn als_sweep(theta: &mut [f64], mask: &Mask, values: &[f64], sigma2: &[f64], r: usize, par: Par) {
    let m = mask.nrows();
    let (u, v) = theta.split_at_mut(m * r);
    solve_side(u, v, r, par, |i| mask.row(i).map(|(j, e)| (j, values[e], 1.0 / sigma2[e])).collect());
    solve_side(v, u, r, par, |j| mask.col(j).map(|(i, e)| (i, values[e], 1.0 / sigma2[e])).collect());
}

/// Each r-block x_p of `side` ← argmin Σ w (a − x_p·y_q)² + ridge over its observations
/// `(q, a, w)`; a block without observations becomes 0.
fn solve_side(side: &mut [f64], other: &[f64], r: usize, par: Par, observations: impl Fn(usize) -> Vec<(usize, f64, f64)> + Sync) {
    let update = |(p, x): (usize, &mut [f64])| {
        let mut normal = vec![0.0; r * r];
        let mut rhs = vec![0.0; r];
        for (q, a, w) in observations(p) {
            let y = &other[block(q, r)];
            for s in 0..r {
                rhs[s] += w * a * y[s];
                for t in 0..r {
                    normal[s + t * r] += w * y[s] * y[t];
                }
            }
        }
        let ridge = RIDGE * (0..r).map(|s| normal[s + s * r]).sum::<f64>() / r as f64;
        (0..r).for_each(|s| normal[s + s * r] += ridge);
        match inverse(&normal, r) {
            Some(inv) => (0..r).for_each(|s| x[s] = (0..r).map(|t| inv[s + t * r] * rhs[t]).sum()),
            None => x.fill(0.0),
        }
    };
    if par.degree() > 1 {
        side.par_chunks_mut(r).enumerate().for_each(update);
    } else {
        side.chunks_mut(r).enumerate().for_each(update);
    }
}

/// θ = (Û rows, V̂ rows) of a fit.
pub(super) fn theta_of(fit: &LowRankFit) -> Vec<f64> {
    let r = fit.u.ncols();
    let rows = (0..fit.u.nrows()).flat_map(|i| (0..r).map(move |k| fit.u[(i, k)]));
    let cols = (0..fit.v.nrows()).flat_map(|j| (0..r).map(move |k| fit.v[(j, k)]));
    rows.chain(cols).collect()
}

