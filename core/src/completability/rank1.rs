//! Rank-1 completion: every entry in the component of its row and column is determined, by
//! one alternating path or by the minimum-variance combination of all paths (Király & Theran
//! 2013), with its first-order variance.
//!
//! **Noise model.** The observed values are a_e + ε_e with independent ε_e of variance σ_e²
//! (`variances`, or σ_e² = 1 when none are given). At rank 1, a_ij = u_i v_j is linear in log
//! space, log|a_ij| = log|u_i| + log|v_j|, so b_e = log|a_e| is observed with first-order
//! variance w_e = σ_e²/a_e², and signs are tracked separately. A path estimate is the
//! alternating sum of the b_e along the path, with log variance Σ w_e; the minimum-variance
//! unbiased combination of all paths is the electrical flow with resistances w_e, i.e. the
//! weighted least-squares fit min Σ (b_e − x_i − y_j)²/w_e, with log variance the effective
//! resistance R_eff(i, j). The reported variance is the first-order value-space variance
//! â_ij² · (log variance), which equals the general-rank first-order variance
//! gᵀ(JᵀΣ⁻¹J)⁺g at r = 1.
//!
//! Signs are those of the spanning-tree path; data whose signs are not consistent around a
//! cycle are not of rank 1, and the tree decides.
//!
//! **Zeros.** A zero observed at (i, j) means u_i = 0 or v_j = 0. If row i has a nonzero
//! observed entry, v_j = 0 and the whole column j is zero (likewise a column with a nonzero
//! entry forces its row to zero); a zero whose row and column both have nonzero entries is
//! [`CompletabilityError::InconsistentZero`]. Entries of a forced-zero row or column are
//! estimated as 0, whatever their component. All other entries are estimated through the
//! nonzero entries only; an entry whose row and column are connected only through zeros would
//! divide by a zero: [`CompletabilityError::ZeroValue`].

use super::rank1_forest::Forest;
use super::rank1_laplacian::Laplacian;
use super::input::{check_queries, check_values, check_variances};
use super::{CompletabilityError, Components, Estimate, Mask};
use super::rank1_local::{edge_signs, local_part, Scratch};
use faer::Par;
use rayon::prelude::*;

/// How a rank-1 entry is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rank1Method {
    /// One alternating path: the path in a breadth-first spanning tree of the component
    /// (an observed entry is its own path, returned as observed). O(1) per estimate after
    /// O(|Ω|); the variance walks the tree path (O(depth)).
    Path,
    /// The minimum-variance unbiased estimate in log space over all paths (electrical flow =
    /// weighted least squares); for an observed entry this is the denoised value that also
    /// uses every other path. One Laplacian solve per component for all estimates.
    MinVariance,
}

/// How the effective resistances (log variances) of [`Rank1Method::MinVariance`] are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rank1Variance {
    /// One grounded Laplacian solve per queried entry (8 in lockstep per matrix pass), to
    /// relative residual √tol (the resistance error is quadratic in the residual). Each
    /// solve sweeps the whole component: on a 10⁵ × 10⁵ mask with 10⁶ random entries, about
    /// 0.3 s of CPU per 8 queries.
    Exact,
    /// Johnson–Lindenstrauss sketch (Spielman–Srivastava) with a local control variate:
    /// `dimensions` solves with random ±1 right-hand sides Bᵀ C^{1/2} q shared by all queries
    /// estimate only what a two-hop Galerkin lower bound R_low around the entry's row and column
    /// misses. Unbiased and never below R_low; relative standard deviation at most
    /// √(2 / dimensions)·(R − R_low)/R per entry (plus the solver error); `seed` fixes the
    /// signs.
    Sketch { dimensions: usize, seed: u64 },
}

/// Options of [`complete_rank1`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rank1Options {
    pub method: Rank1Method,
    /// Relative residual ‖r‖ ≤ tol‖b‖ at which the potential solve stops (√tol for the
    /// resistance solves, whose error is quadratic in the residual).
    pub tol: f64,
    /// Conjugate-gradient iterations per solve before [`CompletabilityError::NotConverged`].
    pub max_iter: usize,
    /// Only used by [`Rank1Method::MinVariance`].
    pub variance: Rank1Variance,
}

impl Default for Rank1Options {
    /// Minimum variance, exact variances, tol = 1e-10, at most 1000 iterations.
    fn default() -> Self {
        Self { method: Rank1Method::MinVariance, tol: 1e-10, max_iter: 1000, variance: Rank1Variance::Exact }
    }
}

/// Right-hand sides solved in lockstep for exact effective resistances.
const BLOCK: usize = 8;

/// Estimates of the entries `queries` (0-based (row, column)) of a rank-1 matrix from the
/// `values` observed at the entries of `mask` (entry order), with noise variances `variances`
/// (σ_e² = 1 when `None`). An entry whose row and column lie in different components (and
/// not in a forced-zero row or column) is [`Estimate::UNDETERMINED`]. For
/// [`Rank1Method::MinVariance`], `estimators` is the number of independent paths combined
/// (the cycle rank of the component plus one); for [`Rank1Method::Path`] it is 1. An entry
/// forced to zero has `estimators` = 1 and variance computed from its column's (row's)
/// observations whose scale relative to the entry is determined (+∞ if none, 0 if both its
/// row and column are forced to zero).
pub fn complete_rank1(
    mask: &Mask,
    values: &[f64],
    variances: Option<&[f64]>,
    queries: &[(usize, usize)],
    options: &Rank1Options,
    par: Par,
) -> Result<Vec<Estimate>, CompletabilityError> {
    validate(mask, values, variances, queries, options)?;
    let m = mask.nrows();
    let sigma2 = |e: usize| variances.map_or(1.0, |v| v[e]);
    let log_abs: Vec<f64> = values.iter().map(|a| a.abs().ln()).collect();
    let log_var: Vec<f64> = (0..mask.len()).map(|e| sigma2(e) / (values[e] * values[e])).collect();
    let zeros = Zeros::new(mask, values)?;
    let forest = Forest::new(mask, values, &log_abs, &log_var);

    let laplacian =
        (options.method == Rank1Method::MinVariance).then(|| Laplacian::new(mask, &forest, &log_abs, &log_var));
    let z = match &laplacian {
        None => forest.z.clone(),
        Some(lap) => potentials(mask, &forest, lap, &log_abs, &log_var, options, par)?,
    };

    let mut out = vec![Estimate::UNDETERMINED; queries.len()];
    let mut connected = Vec::new();
    for (q, &(i, j)) in queries.iter().enumerate() {
        let (ci, cj) = (forest.comp[i], forest.comp[m + j]);
        out[q] = match (zeros.row[i], zeros.col[j]) {
            (true, true) => Estimate { value: 0.0, variance: 0.0, estimators: 1 },
            (false, true) => {
                // |u_k / u_i| = exp(z_k − z_i) for rows k in the component of row i.
                let info: f64 = mask
                    .col(j)
                    .filter(|&(k, _)| forest.comp[k] == ci)
                    .map(|(k, e)| (2.0 * (z[k] - z[i])).exp() / sigma2(e))
                    .sum();
                Estimate { value: 0.0, variance: 1.0 / info, estimators: 1 }
            }
            (true, false) => {
                // |v_l / v_j| = exp(z_{m+j} − z_{m+l}) for columns l in the component of column j.
                let info: f64 = mask
                    .row(i)
                    .filter(|&(l, _)| forest.comp[m + l] == cj)
                    .map(|(l, e)| (2.0 * (z[m + j] - z[m + l])).exp() / sigma2(e))
                    .sum();
                Estimate { value: 0.0, variance: 1.0 / info, estimators: 1 }
            }
            (false, false) if ci == cj => {
                connected.push(q);
                let sign = if forest.negative[i] ^ forest.negative[m + j] { -1.0 } else { 1.0 };
                let value = sign * (z[i] - z[m + j]).exp();
                match options.method {
                    Rank1Method::Path => match mask.find(i, j) {
                        Some(e) => Estimate { value: values[e], variance: sigma2(e), estimators: 1 },
                        None => {
                            let variance = value * value * forest.path_variance(i, m + j);
                            Estimate { value, variance, estimators: 1 }
                        }
                    },
                    Rank1Method::MinVariance => {
                        let c = ci as usize;
                        let paths = forest.edges[c] + 2 - (forest.start[c + 1] - forest.start[c]);
                        Estimate { value, variance: f64::NAN, estimators: paths.min(u32::MAX as usize) as u32 }
                    }
                }
            }
            (false, false) => match &zeros.components {
                Some(components) if components.connected(i, j) => {
                    // Every path from row i to column j leaves the nonzero component of row i
                    // through a zero.
                    let entry = (0..mask.len())
                        .find(|&e| {
                            let (k, l) = mask.entry(e);
                            values[e] == 0.0 && (forest.comp[k] == ci || forest.comp[m + l] == ci)
                        })
                        .unwrap_or(0);
                    return Err(CompletabilityError::ZeroValue { entry });
                }
                _ => Estimate::UNDETERMINED,
            },
        };
    }
    if let Some(lap) = &laplacian {
        let pairs: Vec<(usize, usize)> = connected.iter().map(|&q| (queries[q].0, m + queries[q].1)).collect();
        let resistances = match options.variance {
            Rank1Variance::Exact => exact_resistances(&forest, lap, &pairs, options, par)?,
            Rank1Variance::Sketch { dimensions, seed } => {
                sketched_resistances(mask, &forest, lap, &log_abs, &log_var, &pairs, dimensions, seed, options, par)?
            }
        };
        for (&q, r) in connected.iter().zip(resistances) {
            out[q].variance = out[q].value * out[q].value * r;
        }
    }
    Ok(out)
}

fn validate(
    mask: &Mask,
    values: &[f64],
    variances: Option<&[f64]>,
    queries: &[(usize, usize)],
    options: &Rank1Options,
) -> Result<(), CompletabilityError> {
    use CompletabilityError::*;
    check_values(mask, "values", values)?;
    check_variances(mask, variances)?;
    check_queries(mask, queries)?;
    if !(options.tol.is_finite() && options.tol > 0.0) {
        return Err(InvalidParameter { name: "tol", value: options.tol, requirement: "positive and finite" });
    }
    if options.max_iter == 0 {
        return Err(InvalidParameter { name: "max_iter", value: 0.0, requirement: "at least 1" });
    }
    if let Rank1Variance::Sketch { dimensions: 0, .. } = options.variance {
        return Err(InvalidParameter { name: "dimensions", value: 0.0, requirement: "at least 1" });
    }
    Ok(())
}

/// Rows and columns forced to zero by the zero observations.
struct Zeros {
    row: Vec<bool>,
    col: Vec<bool>,
    /// The components of the whole mask, when a zero is observed.
    components: Option<Components>,
}

impl Zeros {
    fn new(mask: &Mask, values: &[f64]) -> Result<Self, CompletabilityError> {
        let (m, n) = (mask.nrows(), mask.ncols());
        let mut row_nonzero = vec![false; m];
        let mut col_nonzero = vec![false; n];
        for (e, &a) in values.iter().enumerate() {
            if a != 0.0 {
                let (i, j) = mask.entry(e);
                row_nonzero[i] = true;
                col_nonzero[j] = true;
            }
        }
        let mut row = vec![false; m];
        let mut col = vec![false; n];
        let mut any = false;
        for (e, _) in values.iter().enumerate().filter(|(_, &a)| a == 0.0) {
            any = true;
            let (i, j) = mask.entry(e);
            match (row_nonzero[i], col_nonzero[j]) {
                (true, true) => return Err(CompletabilityError::InconsistentZero { entry: e }),
                (true, false) => col[j] = true,
                (false, true) => row[i] = true,
                (false, false) => {}
            }
        }
        Ok(Self { row, col, components: any.then(|| Components::new(mask)) })
    }
}

/// Weighted least-squares log potentials: L z = Bᵀ C b per component, grounded at its root.
fn potentials(
    mask: &Mask,
    forest: &Forest,
    lap: &Laplacian,
    log_abs: &[f64],
    log_var: &[f64],
    options: &Rank1Options,
    par: Par,
) -> Result<Vec<f64>, CompletabilityError> {
    let m = mask.nrows();
    let mut rhs = vec![[0.0]; forest.order.len()];
    for e in (0..mask.len()).filter(|&e| log_abs[e].is_finite()) {
        let (i, j) = mask.entry(e);
        let flow = log_abs[e] / log_var[e];
        rhs[forest.pos[i] as usize][0] += flow;
        rhs[forest.pos[m + j] as usize][0] -= flow;
    }
    // Start from the tree potentials (zero at the root; the solution when the data are
    // exactly rank 1).
    let tree: Vec<[f64; 1]> = forest.order.iter().map(|&v| [forest.z[v as usize]]).collect();
    let mut by_position = vec![[0.0]; rhs.len()];
    for c in (0..forest.count()).filter(|&c| forest.edges[c] > 0) {
        let range = forest.start[c]..forest.start[c + 1];
        let x = lap.solve(
            range.clone(),
            &rhs[range.clone()],
            Some(&tree[range.clone()]),
            options.tol,
            options.max_iter,
            par,
        )?;
        by_position[range].copy_from_slice(&x);
    }
    Ok(forest.pos.iter().map(|&p| by_position[p as usize][0]).collect())
}

/// Relative residual of the resistance solves: the conjugate-gradient resistance bᵀx_k
/// misses R_eff by rᵀL⁻¹r (quadratic in the residual), so √tol gives a relative error of at
/// most tol·κ, κ the condition number of the grounded Laplacian.
fn resistance_tol(options: &Rank1Options) -> f64 {
    options.tol.sqrt()
}

/// The queried pairs (vertices of one component each) grouped by component, in query order
/// within a component: (component, query indices).
fn by_component(forest: &Forest, pairs: &[(usize, usize)]) -> Vec<(usize, Vec<usize>)> {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by_key(|&q| (forest.comp[pairs[q].0], q));
    order
        .chunk_by(|&p, &q| forest.comp[pairs[p].0] == forest.comp[pairs[q].0])
        .map(|group| (forest.comp[pairs[group[0]].0] as usize, group.to_vec()))
        .collect()
}

/// R_eff(a, b) = (e_a − e_b)ᵀ L⁺ (e_a − e_b), one grounded solve per pair, `BLOCK` at a time.
fn exact_resistances(
    forest: &Forest,
    lap: &Laplacian,
    pairs: &[(usize, usize)],
    options: &Rank1Options,
    par: Par,
) -> Result<Vec<f64>, CompletabilityError> {
    let mut out = vec![0.0; pairs.len()];
    for (c, group) in by_component(forest, pairs) {
        let range = forest.start[c]..forest.start[c + 1];
        let local = |v: usize| forest.pos[v] as usize - range.start;
        for block in group.chunks(BLOCK) {
            let mut rhs = vec![[0.0; BLOCK]; range.len()];
            for (l, &q) in block.iter().enumerate() {
                rhs[local(pairs[q].0)][l] += 1.0;
                rhs[local(pairs[q].1)][l] -= 1.0;
            }
            let x = lap.solve(range.clone(), &rhs, None, resistance_tol(options), options.max_iter, par)?;
            for (l, &q) in block.iter().enumerate() {
                out[q] = x[local(pairs[q].0)][l] - x[local(pairs[q].1)][l];
            }
        }
    }
    Ok(out)
}

/// R_eff(a, b) ≈ R_low + ‖Z(e_a − e_b) − Qv‖² (the local lower bound and control variate of
/// `rank1_local`), with Z = Q C^{1/2} B L⁺ from k grounded solves L z_l = Bᵀ C^{1/2} q_l,
/// q_l ∈ {±1/√k}^{|Ω|} (signs hashed from the seed and the edge), solved `BLOCK` at a time on
/// the components that are queried.
#[allow(clippy::too_many_arguments)]
fn sketched_resistances(
    mask: &Mask,
    forest: &Forest,
    lap: &Laplacian,
    log_abs: &[f64],
    log_var: &[f64],
    pairs: &[(usize, usize)],
    k: usize,
    seed: u64,
    options: &Rank1Options,
    par: Par,
) -> Result<Vec<f64>, CompletabilityError> {
    let m = mask.nrows();
    let scale = 1.0 / (k as f64).sqrt();
    let is_row = |p: u32| (forest.order[p as usize] as usize) < m;
    // Per pair: the lower bound, and the remainder's sketch, −Qv until Zb is added.
    let local = |scratch: &mut Scratch, &(a, b): &(usize, usize)| {
        let mut qv = vec![0.0; k];
        let low = local_part(lap, (forest.pos[a], forest.pos[b]), seed, scale, is_row, scratch, &mut qv);
        qv.iter_mut().for_each(|t| *t = -*t);
        (low, qv)
    };
    let positions = forest.order.len();
    let mut parts: Vec<(f64, Vec<f64>)> = if par.degree() > 1 {
        pairs.par_iter().map_init(|| Scratch::new(positions), local).collect()
    } else {
        let mut scratch = Scratch::new(positions);
        pairs.iter().map(|pair| local(&mut scratch, pair)).collect()
    };

    let mut rhs = vec![vec![[0.0; BLOCK]; positions]; k.div_ceil(BLOCK)];
    for e in (0..mask.len()).filter(|&e| log_abs[e].is_finite()) {
        let (i, j) = mask.entry(e);
        let (a, b) = (forest.pos[i], forest.pos[m + j]);
        let w = scale * (1.0 / log_var[e]).sqrt();
        let mut bits = 0;
        for l in 0..k {
            if l % 64 == 0 {
                bits = edge_signs(seed, a, b, l / 64);
            }
            let flow = if bits >> (l % 64) & 1 == 1 { w } else { -w };
            rhs[l / BLOCK][a as usize][l % BLOCK] += flow;
            rhs[l / BLOCK][b as usize][l % BLOCK] -= flow;
        }
    }
    for (c, group) in by_component(forest, pairs) {
        let range = forest.start[c]..forest.start[c + 1];
        let local = |v: usize| forest.pos[v] as usize - range.start;
        for (t, block) in rhs.iter().enumerate() {
            let x =
                lap.solve(range.clone(), &block[range.clone()], None, resistance_tol(options), options.max_iter, par)?;
            for &q in &group {
                let (xa, xb) = (&x[local(pairs[q].0)], &x[local(pairs[q].1)]);
                for (l, d) in parts[q].1[t * BLOCK..].iter_mut().take(BLOCK).enumerate() {
                    *d += xa[l] - xb[l];
                }
            }
        }
    }
    Ok(parts.into_iter().map(|(low, d)| low + d.iter().map(|t| t * t).sum::<f64>()).collect())
}
