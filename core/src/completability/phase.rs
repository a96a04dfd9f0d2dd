//! The completability phase transition: the fraction of entries of an n × n matrix in the
//! rank-r closure of a uniformly random mask, against the number of observations relative to
//! the r(2n − r) degrees of freedom (Király, Theran & Tomioka 2015, §"phase transition").

use super::{closure, ClosureOptions, CompletabilityError, Mask};
use crate::rng::SplitMix64;
use faer::Par;
use rayon::prelude::*;

/// One point of the curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhasePoint {
    /// |Ω| / (r(2n − r)) requested; the masks have |Ω| = round(x · r(2n − r)) entries
    /// (at least 1, at most n²).
    pub x: f64,
    /// Mean over the trials of the fraction of the n² entries in the closure.
    pub fraction: f64,
    /// Trials in which the whole matrix was finitely completable.
    pub fully_completable: usize,
    /// Number of masks sampled.
    pub trials: usize,
}

/// For every `x` in `xs`, `trials` masks of |Ω| = round(x · r(2n − r)) positions drawn
/// uniformly without replacement, and their closures (default [`ClosureOptions`] with a
/// derived seed). Masks are independent of the thread count; with `par` allowing more than one
/// thread the masks are processed in parallel (each closure sequentially).
pub fn phase_transition(
    n: usize,
    rank: usize,
    xs: &[f64],
    trials: usize,
    seed: u64,
    par: Par,
) -> Result<Vec<PhasePoint>, CompletabilityError> {
    if n == 0 {
        return Err(CompletabilityError::ZeroExtent { nrows: n, ncols: n });
    }
    if rank == 0 || rank >= n {
        return Err(CompletabilityError::InvalidRank { rank, nrows: n, ncols: n });
    }
    if trials == 0 {
        return Err(CompletabilityError::InvalidParameter { name: "trials", value: 0.0, requirement: "at least 1" });
    }
    let cells = n.checked_mul(n).filter(|&c| c <= u32::MAX as usize).ok_or(CompletabilityError::TooLarge)?;
    if let Some(&x) = xs.iter().find(|&&x| !(x.is_finite() && x > 0.0)) {
        return Err(CompletabilityError::InvalidParameter { name: "x", value: x, requirement: "finite and positive" });
    }
    let dof = (rank * (2 * n - rank)) as f64;
    let mut seeds = SplitMix64::new(seed);
    let jobs: Vec<(usize, usize, u64)> = xs
        .iter()
        .enumerate()
        .flat_map(|(a, &x)| {
            let size = ((x * dof).round() as usize).clamp(1, cells);
            (0..trials).map(move |_| (a, size)).collect::<Vec<_>>()
        })
        .map(|(a, size)| (a, size, seeds.next_u64()))
        .collect();
    let run = |&(_, size, s): &(usize, usize, u64)| -> Result<(f64, bool), CompletabilityError> {
        let mut rng = SplitMix64::new(s);
        let mask = uniform_mask(n, size, &mut rng)?;
        let options = ClosureOptions { seed: rng.next_u64(), ..ClosureOptions::default() };
        let c = closure(&mask, rank, &options, Par::Seq)?;
        Ok((c.count() as f64 / cells as f64, c.is_finitely_completable()))
    };
    let results: Vec<(f64, bool)> = if par.degree() > 1 {
        jobs.par_iter().map(run).collect::<Result<_, _>>()?
    } else {
        jobs.iter().map(run).collect::<Result<_, _>>()?
    };
    Ok(xs
        .iter()
        .enumerate()
        .map(|(a, &x)| {
            let mine: Vec<&(f64, bool)> =
                jobs.iter().zip(&results).filter(|((b, _, _), _)| *b == a).map(|(_, res)| res).collect();
            PhasePoint {
                x,
                fraction: mine.iter().map(|r| r.0).sum::<f64>() / trials as f64,
                fully_completable: mine.iter().filter(|r| r.1).count(),
                trials,
            }
        })
        .collect())
}

/// `size` distinct positions of an n × n matrix, uniformly (partial Fisher–Yates).
fn uniform_mask(n: usize, size: usize, rng: &mut SplitMix64) -> Result<Mask, CompletabilityError> {
    let mut cells: Vec<u32> = (0..(n * n) as u32).collect();
    for k in 0..size {
        let pick = k + rng.below((cells.len() - k) as u64) as usize;
        cells.swap(k, pick);
    }
    let rows: Vec<i64> = cells[..size].iter().map(|&c| (c as usize % n) as i64).collect();
    let cols: Vec<i64> = cells[..size].iter().map(|&c| (c as usize / n) as i64).collect();
    Mask::from_coordinates(n, n, &rows, &cols)
}
