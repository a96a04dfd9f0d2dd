//! Completion of missing entries from vanishing (r+1)-minors, iterated (the r-closure of
//! Király & Tomioka 2012), with first-order variances of the combined estimates.
//!
//! A missing `(i, j)` with rows I and columns J such that I×J, {i}×J and I×{j} are known spans
//! K_{r+1,r+1} minus an edge, a circuit of the rank-r determinantal matroid; its (r+1)-minor
//! vanishes and is linear in a_ij, so a_ij = A_iJ A_IJ⁻¹ A_Ij. Each round completes, from the
//! entries known at its start (observed or completed in earlier rounds), every missing entry
//! for which the bounded block search ([`super::minors_search`]) finds a well-conditioned
//! block; entries completed in a round become usable in the next one. An entry's estimate is
//! fixed in the round it is first completed.
//!
//! Every known entry carries its gradient with respect to the observations, so the estimators
//! of one entry, which share entries, have an exact first-order covariance C = G Σ Gᵀ
//! (Σ = diag σ²), and they are combined with the BLUE weights w = C⁻¹1/(1ᵀC⁻¹1)
//! ([`super::minors_combine`]). The reported variance is gᵀΣg of the combined gradient g. It is
//! the variance of this estimator, not the Cramér–Rao bound of the entry
//! ([`super::first_order_variance`]), which it is never below to first order.
//!
//! Cost per round: O(mn) to list the candidates, then per missing entry at most
//! `4 r · max_estimators` row extensions of O(d) each (d the largest known degree) and up to
//! `max_estimators` blocks of O(r³ + r²d + s) (s the gradient supports) plus the combination,
//! O(k² s). Memory: a dense m·n table of 4-byte slots and the gradients, whose supports grow
//! with the round (an entry completed in round t depends on up to ((r+1)² − 1)^t · k^t
//! observations, capped by |Ω|): dense masks, completed in one or two rounds, stay small.
//! The candidates of a round are processed in parallel when `par.degree() > 1`; the result
//! does not depend on the thread count.

use super::minors_combine::combine;
use super::input::check_inputs;
use super::minors_known::{Completed, Known};
use super::minors_search::find_estimators;
use super::{CompletabilityError, Estimate, Mask};
use faer::Par;
use rayon::prelude::*;

/// Options of [`complete_minors`].
#[derive(Clone, Debug, PartialEq)]
pub struct MinorOptions {
    /// Most minor estimators combined per entry (≥ 1).
    pub max_estimators: usize,
    /// Most rounds of the r-closure (≥ 1); rounds also stop when one completes nothing or
    /// every query is known.
    pub max_rounds: usize,
    /// Floor in [0, 1] on the reciprocal 1-norm condition number `1/(‖A_IJ‖₁‖A_IJ⁻¹‖₁)` of an
    /// accepted block.
    pub min_reciprocal_condition: f64,
}

impl Default for MinorOptions {
    /// 8 estimators per entry, rounds until no progress, blocks with condition number ≤ 10⁶.
    fn default() -> Self {
        Self { max_estimators: 8, max_rounds: usize::MAX, min_reciprocal_condition: 1e-6 }
    }
}

fn invalid(name: &'static str, value: f64, requirement: &'static str) -> CompletabilityError {
    CompletabilityError::InvalidParameter { name, value, requirement }
}

/// Estimates of the entries `queries` (0-based `(row, column)`) of a rank-`rank` matrix from
/// its observed entries: `values[e]` at `mask.entry(e)`, with noise variances `variances[e]`
/// (1 when `None`; the variance of the observed value itself, Var a_e = σ_e²).
///
/// A queried observed entry returns its observed value, variance σ_e² and one estimator. A
/// missing entry that the minor chains reach within `options.max_rounds` gets the BLUE
/// combination of up to `options.max_estimators` minors and its first-order variance; any
/// other entry is [`Estimate::UNDETERMINED`]. Not being reached does not prove an entry
/// uncompletable (the r-closure is a sufficient condition; [`super::first_order_variance`] is
/// finite exactly on the completable entries).
///
/// Errors: rank 0 or ≥ min(m, n), `values`/`variances` of the wrong length, non-finite values
/// or variances, a variance ≤ 0, a query outside the matrix, `m · n > 2³²`, options out of range.
pub fn complete_minors(
    mask: &Mask,
    values: &[f64],
    variances: Option<&[f64]>,
    rank: usize,
    queries: &[(usize, usize)],
    options: &MinorOptions,
    par: Par,
) -> Result<Vec<Estimate>, CompletabilityError> {
    let sigma2 = check_inputs(mask, values, variances, rank, queries)?;
    if options.max_estimators == 0 {
        return Err(invalid("max_estimators", 0.0, ">= 1"));
    }
    if options.max_rounds == 0 {
        return Err(invalid("max_rounds", 0.0, ">= 1"));
    }
    let floor = options.min_reciprocal_condition;
    if !(0.0..=1.0).contains(&floor) {
        return Err(invalid("min_reciprocal_condition", floor, "in [0, 1]"));
    }
    let mut known = Known::new(mask, values);
    let pending = |known: &Known| queries.iter().any(|&(i, j)| !known.is_known(i, j));
    let mut round = 0;
    while round < options.max_rounds && pending(&known) {
        round += 1;
        let candidates: Vec<(usize, usize)> = (0..known.ncols())
            .filter(|&j| known.col(j).len() >= rank)
            .flat_map(|j| (0..known.nrows()).map(move |i| (i, j)))
            .filter(|&(i, j)| known.row(i).len() >= rank && !known.is_known(i, j))
            .collect();
        let complete = |&(i, j): &(usize, usize)| -> Option<Completed> {
            let found = find_estimators(&known, i, j, rank, options.max_estimators, floor);
            if found.is_empty() { None } else { combine(&found, &sigma2) }
        };
        let done: Vec<Option<Completed>> = if par.degree() > 1 {
            candidates.par_iter().map(complete).collect()
        } else {
            candidates.iter().map(complete).collect()
        };
        let mut progress = false;
        for (&(i, j), d) in candidates.iter().zip(done) {
            if let Some(d) = d {
                known.insert(i, j, d);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    Ok(queries
        .iter()
        .map(|&(i, j)| match known.get(i, j) {
            Some(s) => Estimate {
                value: known.value(s),
                variance: known.gradient(s).variance(&sigma2),
                estimators: known.estimators(s),
            },
            None => Estimate::UNDETERMINED,
        })
        .collect())
}
