//! The closure of a mask in the rank-r determinantal matroid: which entries are finitely
//! completable, decided exactly over a prime field at random points.
//!
//! **Meaning.** (i, j) is in the closure cl_r(Ω) when, for a generic rank-r matrix A, the
//! observed entries A_Ω leave only finitely many possible values of A_ij. At r = 1 the value is
//! then unique; for r ≥ 2 "completable" means *finitely many* completions, not necessarily one.
//! Ω is finitely completable when every entry is in its closure, i.e. when the Jacobian J_Ω of
//! (U, V) ↦ (UVᵀ)_Ω has the rank r(m + n − r) of the rank-r variety.
//!
//! **Exact passes.** An entry joining two components of the row/column graph is never in the
//! closure; at r = 1 the closure is exactly "same component" (union–find, no arithmetic).
//! Iterated r-core pruning ([`RCore`]) removes coloops: a pruned row or column has no
//! completable missing entry and the closure on the core is unchanged.
//!
//! **Rank.** For every component of the core, with rows I and columns J, J_Ω has 2r nonzeros per
//! row: V_j in block U_i and U_i in block V_j. Row i has d_i ≥ r observations; r of them whose
//! V_j are independent (checked exactly; the point is redrawn otherwise) eliminate block U_i
//! from the other d_i − r, which leaves a Σ(d_i − r) × |J|r matrix R on the V blocks with
//! rank J = |I|r + rank R. Instead of R we eliminate the |J|r × |J|r matrix RᵀDR, D a random
//! diagonal (Cauchy–Binet: a nonzero minor of R stays a nonzero polynomial in D, so the rank
//! and kernel are kept with probability ≥ 1 − rank/p), by the blocked f64 elimination of
//! `Echelon` over p = 2²⁴ − 3.
//!
//! **Closure.** e ∈ cl ⇔ J_e ⟂ ker J_Ω. Three uniformly random kernel vectors z per point
//! (z_V from the echelon form, z_U from the pivot rows) give the test
//! V_jᵀ z_{U_i} + U_iᵀ z_{V_j} ≡ 0, O(r) per entry.
//!
//! **Failure probability.** The computed rank can only be too low; all errors come from the random points
//! (Schwartz–Zippel over F_p, p = 16 777 213). Let ρ ≤ r(m + n − r) be the generic rank and t
//! the number of points (`trials`).
//! - At one point the rank falls short of ρ with probability α ≤ 2ρ/p: a nonzero ρ-minor of J
//!   has degree ρ in (U, V), and the Cauchy–Binet minor of RᵀDR degree ≤ ρ in D. The reported
//!   rank is the maximum over the points, per component, so P(rank wrong) ≤ αᵗ.
//! - A component whose rank reaches r(|I| + |J| − r) is certified: no point can exceed the
//!   generic rank, so it is exact, all its entries are in the closure with no error at all, and
//!   later points skip it (the benchmark mask at x = 3 stops after one point).
//! - Otherwise an entry is reported in the closure only if it passes the kernel test at every
//!   point of maximal rank. At a point of correct rank, an entry of the closure always passes
//!   (no false negatives), and a non-closure entry passes with probability β ≤ (ρ + 1)/p + p⁻³
//!   (a rank drop of J_{Ω∪e}, or all three kernel vectors orthogonal to J_e). Summing over which
//!   points had a rank drop, P(non-closure entry reported) ≤ (α + β)ᵗ ≤ (3(ρ + 1)/p)ᵗ.
//! - Numbers: ρ = 1000 (100 × 100 at r = 5): 1.8 · 10⁻⁴ per point, 3.2 · 10⁻⁸ per entry at the
//!   default t = 2, 5.7 · 10⁻¹² at t = 3. ρ = 10⁴ (1000 × 1000 at r = 5): 1.8 · 10⁻³ per
//!   point, 3.2 · 10⁻⁶ at t = 2, 5.7 · 10⁻⁹ at t = 3, 1.0 · 10⁻¹¹ at t = 4. For a bound below
//!   10⁻⁹ on deficient masks of that size, set `trials = 4`; certified components cost nothing
//!   extra. With p = 2⁶¹ − 1 one point would give ≈ 10⁻¹⁴, but without the f64 matmul the
//!   elimination at that size is ≈ 4 · 10¹⁰ scalar u128 mulmods (tens of seconds) against
//!   ≈ 2 s of CPU here, so we trade a smaller prime for more points when they are needed.
//!
//! **Cost.** O(|Ω|) for the exact passes, O(|Ω| r⁴) to form RᵀDR, and (|J| r)³ / 3 multiply–adds
//! per point and component in faer's matmul; the dense |J|r × |J|r matrix (8 (|J|r)² bytes)
//! bounds the size (|J|r ≈ 2 · 10⁴ needs 3.2 GB). Measured (`benches/src/bin/closure.rs`):
//! 1000 × 1000, r = 5, |Ω| = 3r(2n − r), every entry decided, 2.2 s user CPU.

use super::echelon::{reduce_all, Echelon};
use super::field::{self, P};
use super::{CompletabilityError, Components, Mask, RCore};
use crate::rng::SplitMix64;
use faer::{Mat, Par};
use rayon::prelude::*;
use std::time::Instant;

/// Independent random kernel vectors per point.
const KERNEL_VECTORS: usize = 3;
const NONE: u32 = u32::MAX;

/// Options of [`closure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosureOptions {
    /// Seed of the random points; the same seed gives the same answer at every thread count.
    pub seed: u64,
    /// Independent random points (≥ 1); the rank is the maximum over them. Certified
    /// components stop early.
    pub trials: usize,
}

impl Default for ClosureOptions {
    fn default() -> Self {
        Self { seed: 0, trials: 2 }
    }
}

/// Wall-clock seconds spent in each phase of [`closure`] (for benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClosureProfile {
    /// Components and r-core pruning.
    pub prune: f64,
    /// Pivot choice and forming RᵀDR.
    pub reduce: f64,
    /// Blocked elimination.
    pub eliminate: f64,
    /// Kernel vectors and the per-row/column test vectors.
    pub kernel: f64,
}

/// The closure cl_r(Ω) of a mask (see the module documentation).
#[derive(Clone, Debug)]
pub struct Closure {
    mask: Mask,
    rank: usize,
    par: Par,
    jacobian_rank: usize,
    components: usize,
    pruned: (usize, usize),
    pruned_entries: usize,
    /// Core component of each row/column (`NONE` if pruned) and its index inside it.
    row_part: Vec<u32>,
    row_local: Vec<u32>,
    col_part: Vec<u32>,
    col_local: Vec<u32>,
    parts: Vec<Part>,
    profile: ClosureProfile,
}

/// One component of the r-core.
#[derive(Clone, Debug)]
struct Part {
    rows: Vec<usize>,
    cols: Vec<usize>,
    /// Largest rank of the Jacobian of this component seen so far.
    rank: usize,
    /// Whether `rank` is the full r(|I| + |J| − r).
    complete: bool,
    /// Kernel tests from the points of maximal rank (unused when complete).
    tests: Vec<Test>,
}

/// (i, j) passes iff `row[i] · col[j] ≡ 0 (mod p)`, both of length 2r.
#[derive(Clone, Debug)]
struct Test {
    row: Vec<u64>,
    col: Vec<u64>,
}

/// The closure of `mask` in the rank-`rank` determinantal matroid. Errors: `rank = 0` or
/// `rank ≥ min(m, n)`, `trials = 0`.
pub fn closure(mask: &Mask, rank: usize, options: &ClosureOptions, par: Par) -> Result<Closure, CompletabilityError> {
    let (m, n) = (mask.nrows(), mask.ncols());
    if rank == 0 || rank >= m.min(n) {
        return Err(CompletabilityError::InvalidRank { rank, nrows: m, ncols: n });
    }
    if options.trials == 0 {
        return Err(CompletabilityError::InvalidParameter {
            name: "trials",
            value: 0.0,
            requirement: "at least 1",
        });
    }
    let start = Instant::now();
    let components = Components::new(mask).count();
    let core = RCore::new(mask, rank);
    let mut closure = Closure {
        mask: mask.clone(),
        rank,
        par,
        jacobian_rank: 0,
        components,
        pruned: core.pruned(),
        pruned_entries: core.pruned_entries(),
        row_part: vec![NONE; m],
        row_local: vec![NONE; m],
        col_part: vec![NONE; n],
        col_local: vec![NONE; n],
        parts: Vec::new(),
        profile: ClosureProfile::default(),
    };
    closure.split_core(&core)?;
    closure.profile.prune = start.elapsed().as_secs_f64();
    if rank == 1 {
        // Graphic matroid: every component is spanned by a tree.
        for part in &mut closure.parts {
            part.rank = part.rows.len() + part.cols.len() - 1;
            part.complete = true;
        }
    } else {
        let mut seeds = SplitMix64::new(options.seed);
        for _ in 0..options.trials {
            let mut rng = SplitMix64::new(seeds.next_u64());
            if closure.parts.iter().all(|p| p.complete) {
                break;
            }
            closure.trial(&mut rng);
        }
    }
    closure.jacobian_rank = closure.pruned_entries + closure.parts.iter().map(|p| p.rank).sum::<usize>();
    Ok(closure)
}

impl Closure {
    /// Groups the core rows and columns by component of the core's graph.
    fn split_core(&mut self, core: &RCore) -> Result<(), CompletabilityError> {
        let (m, n) = (self.mask.nrows(), self.mask.ncols());
        let (mut rows, mut cols) = (Vec::new(), Vec::new());
        for e in 0..self.mask.len() {
            let (i, j) = self.mask.entry(e);
            if core.row(i) && core.col(j) {
                rows.push(i as i64);
                cols.push(j as i64);
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        let labels = Components::new(&Mask::from_coordinates(m, n, &rows, &cols)?);
        let mut part_of = vec![NONE; labels.count()];
        let mut part = |label: usize, parts: &mut Vec<Part>| {
            if part_of[label] == NONE {
                part_of[label] = parts.len() as u32;
                parts.push(Part { rows: Vec::new(), cols: Vec::new(), rank: 0, complete: false, tests: Vec::new() });
            }
            part_of[label] as usize
        };
        for i in (0..m).filter(|&i| core.row(i)) {
            let p = part(labels.row(i), &mut self.parts);
            self.row_part[i] = p as u32;
            self.row_local[i] = self.parts[p].rows.len() as u32;
            self.parts[p].rows.push(i);
        }
        for j in (0..n).filter(|&j| core.col(j)) {
            let p = part(labels.col(j), &mut self.parts);
            self.col_part[j] = p as u32;
            self.col_local[j] = self.parts[p].cols.len() as u32;
            self.parts[p].cols.push(j);
        }
        Ok(())
    }

    /// One random point for every component not yet certified.
    fn trial(&mut self, rng: &mut SplitMix64) {
        let r = self.rank;
        let (m, n) = (self.mask.nrows(), self.mask.ncols());
        loop {
            let u: Vec<u64> = (0..m * r).map(|_| rng.below(P)).collect();
            let v: Vec<u64> = (0..n * r).map(|_| rng.below(P)).collect();
            let point = Point { r, u: &u, v: &v };
            let t0 = Instant::now();
            let open: Vec<usize> = (0..self.parts.len()).filter(|&p| !self.parts[p].complete).collect();
            let Some(pivots) = open.iter().map(|&p| self.pivot_rows(p, &point)).collect::<Option<Vec<_>>>() else {
                continue;
            };
            self.profile.reduce += t0.elapsed().as_secs_f64();
            for (&p, pivots) in open.iter().zip(&pivots) {
                self.point_on_part(p, &point, pivots, rng);
            }
            return;
        }
    }

    /// For every core row of component `p` (aligned with its rows), r observed columns whose
    /// V_j are independent and the inverse of their r × r block; `None` if some row has none.
    fn pivot_rows(&self, p: usize, point: &Point<'_>) -> Option<Vec<Pivots>> {
        let r = self.rank;
        self.parts[p]
            .rows
            .iter()
            .map(|&i| {
                let mut basis: Vec<(usize, Vec<u64>)> = Vec::with_capacity(r);
                let mut chosen = Vec::with_capacity(r);
                for (j, _) in self.mask.row(i).filter(|&(j, _)| self.col_part[j] != NONE) {
                    let mut w = point.v_row(j).to_vec();
                    for (lead, b) in &basis {
                        let f = field::neg(field::mul(w[*lead], field::inv(b[*lead])));
                        w.iter_mut().zip(b).for_each(|(x, &y)| *x = field::add(*x, field::mul(f, y)));
                    }
                    if let Some(lead) = w.iter().position(|&x| x != 0) {
                        basis.push((lead, w));
                        chosen.push(j);
                        if chosen.len() == r {
                            break;
                        }
                    }
                }
                if chosen.len() < r {
                    return None;
                }
                let block: Vec<u64> = chosen.iter().flat_map(|&j| point.v_row(j).iter().copied()).collect();
                Some(Pivots { inverse: field::invert(&block, r)?, cols: chosen })
            })
            .collect()
    }

    /// Rank (and, if not full, kernel tests) of component `p` at `point`.
    fn point_on_part(&mut self, p: usize, point: &Point<'_>, pivots: &[Pivots], rng: &mut SplitMix64) {
        let r = self.rank;
        let t0 = Instant::now();
        let part = &self.parts[p];
        let size = part.cols.len() * r;
        let mut gram = Mat::<f64>::zeros(size, size);
        let mut pending = 0usize;
        for (&i, piv) in part.rows.iter().zip(pivots) {
            let ui = point.u_row(i);
            let uu: Vec<f64> = (0..r * r).map(|k| field::to_balanced(field::mul(ui[k / r], ui[k % r]))).collect();
            let pivot_blocks: Vec<usize> = piv.cols.iter().map(|&c| self.col_local[c] as usize * r).collect();
            // Σ_j d_j c_j c_jᵀ, the pivot–pivot part of this row's share of RᵀDR.
            let mut pp = vec![0u64; r * r];
            for (j, _) in self.mask.row(i).filter(|&(j, _)| self.col_part[j] != NONE && !piv.cols.contains(&j)) {
                // c = B⁻ᵀ V_j: the reduced row is U_i in block j and −c_k U_i in block p_k, so it
                // adds d (1, −c)(1, −c)ᵀ ⊗ U_i U_iᵀ on those blocks.
                let vj = point.v_row(j);
                let c: Vec<u64> = (0..r)
                    .map(|k| (0..r).fold(0, |s, l| field::add(s, field::mul(piv.inverse[l * r + k], vj[l]))))
                    .collect();
                let d = 1 + rng.below(P - 1);
                let bj = self.col_local[j] as usize * r;
                add_block(&mut gram, bj, bj, d, &uu, r);
                for (k, &bk) in pivot_blocks.iter().enumerate() {
                    let dc = field::mul(d, c[k]);
                    add_block(&mut gram, bj, bk, field::neg(dc), &uu, r);
                    add_block(&mut gram, bk, bj, field::neg(dc), &uu, r);
                    for l in 0..r {
                        pp[k * r + l] = field::add(pp[k * r + l], field::mul(dc, c[l]));
                    }
                }
                pending += 1;
            }
            for (k, &bk) in pivot_blocks.iter().enumerate() {
                for (l, &bl) in pivot_blocks.iter().enumerate() {
                    add_block(&mut gram, bk, bl, pp[k * r + l], &uu, r);
                }
            }
            pending += 1;
            // Each entry gains at most one residue (≤ 2²³) per reduced row and per row.
            if pending >= 1 << 28 {
                reduce_all(gram.as_mut(), Par::Seq);
                pending = 0;
            }
        }
        reduce_all(gram.as_mut(), self.par);
        let t1 = Instant::now();
        self.profile.reduce += (t1 - t0).as_secs_f64();
        let echelon = Echelon::new(gram, self.par);
        let t2 = Instant::now();
        self.profile.eliminate += (t2 - t1).as_secs_f64();
        let part = &self.parts[p];
        let rank = part.rows.len() * r + echelon.rank();
        let full = r * (part.rows.len() + part.cols.len() - r);
        debug_assert!(rank <= full);
        if rank < part.rank {
            return;
        }
        let complete = rank == full;
        let tests = if complete { Vec::new() } else { self.kernel_tests(p, point, pivots, &echelon, rng) };
        let part = &mut self.parts[p];
        if rank > part.rank {
            part.tests.clear();
        }
        part.rank = rank;
        part.complete = complete;
        part.tests.extend(tests);
        self.profile.kernel += t2.elapsed().as_secs_f64();
    }

    /// Random kernel vectors of J on component `p`, as per-row/column test vectors.
    fn kernel_tests(
        &self,
        p: usize,
        point: &Point<'_>,
        pivots: &[Pivots],
        echelon: &Echelon,
        rng: &mut SplitMix64,
    ) -> Vec<Test> {
        let r = self.rank;
        let part = &self.parts[p];
        let size = part.cols.len() * r;
        let z = echelon.kernel(KERNEL_VECTORS, rng);
        (0..KERNEL_VECTORS)
            .map(|k| {
                let zv = &z[k * size..(k + 1) * size];
                let zv_of = |j: usize| &zv[self.col_local[j] as usize * r..][..r];
                let mut col = Vec::with_capacity(part.cols.len() * 2 * r);
                for &j in &part.cols {
                    col.extend_from_slice(zv_of(j));
                    col.extend_from_slice(point.v_row(j));
                }
                let mut row = Vec::with_capacity(part.rows.len() * 2 * r);
                for (&i, piv) in part.rows.iter().zip(pivots) {
                    let ui = point.u_row(i);
                    row.extend_from_slice(ui);
                    // B z_U = −w with w_k = U_iᵀ z_{V_{p_k}} (the pivot rows of J vanish on z).
                    let w: Vec<u64> = piv.cols.iter().map(|&c| dot(ui, zv_of(c))).collect();
                    row.extend((0..r).map(|s| field::neg(dot(&piv.inverse[s * r..(s + 1) * r], &w))));
                }
                Test { row, col }
            })
            .collect()
    }

    /// Whether the unobserved or observed entry (i, j) is in the closure by the component
    /// structure and kernel tests (observed entries are handled by the callers).
    fn generic(&self, i: usize, j: usize) -> bool {
        let p = self.row_part[i];
        if p == NONE || p != self.col_part[j] {
            return false;
        }
        let part = &self.parts[p as usize];
        if part.complete {
            return true;
        }
        let w = 2 * self.rank;
        let (li, lj) = (self.row_local[i] as usize * w, self.col_local[j] as usize * w);
        part.tests.iter().all(|t| dot(&t.row[li..li + w], &t.col[lj..lj + w]) == 0)
    }

    /// The rank r.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// m.
    pub fn nrows(&self) -> usize {
        self.mask.nrows()
    }

    /// n.
    pub fn ncols(&self) -> usize {
        self.mask.ncols()
    }

    /// Whether entry (i, j) is in the closure (observed entries are).
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.mask.find(i, j).is_some() || self.generic(i, j)
    }

    /// The generic rank of J_Ω (maximum over the random points).
    pub fn jacobian_rank(&self) -> usize {
        self.jacobian_rank
    }

    /// r(m + n − r), the rank of J for the fully observed matrix.
    pub fn full_rank(&self) -> usize {
        self.rank * (self.nrows() + self.ncols() - self.rank)
    }

    /// `full_rank − jacobian_rank`: the dimension of the set of rank-r completions.
    pub fn deficiency(&self) -> usize {
        self.full_rank() - self.jacobian_rank
    }

    /// Whether every entry is in the closure (finitely many completions; one at r = 1).
    pub fn is_finitely_completable(&self) -> bool {
        self.deficiency() == 0
    }

    /// Components of the row/column graph of Ω (a row or column without observations
    /// counts as one).
    pub fn components(&self) -> usize {
        self.components
    }

    /// Rows and columns removed by r-core pruning.
    pub fn pruned(&self) -> (usize, usize) {
        self.pruned
    }

    /// Number of entries in the closure (observed ones included).
    pub fn count(&self) -> usize {
        let inner: usize = self
            .parts
            .iter()
            .map(|part| {
                if part.complete {
                    part.rows.len() * part.cols.len()
                } else {
                    let pairs = part.cols.iter().flat_map(|&j| part.rows.iter().map(move |&i| (i, j)));
                    pairs.filter(|&(i, j)| self.contains(i, j)).count()
                }
            })
            .sum();
        inner + self.pruned_entries
    }

    /// Writes the closure as `m · n` column-major bytes, 1 = in the closure (in parallel over
    /// columns when the `par` given to [`closure`] allows). Panics if `out.len() ≠ m · n`.
    pub fn fill_dense(&self, out: &mut [u8]) {
        let m = self.nrows();
        assert_eq!(out.len(), m * self.ncols(), "fill_dense needs m · n bytes");
        let fill = |(j, col): (usize, &mut [u8])| {
            col.iter_mut().enumerate().for_each(|(i, x)| *x = u8::from(self.generic(i, j)));
            self.mask.col(j).for_each(|(i, _)| col[i] = 1);
        };
        if self.par.degree() > 1 {
            out.par_chunks_mut(m).enumerate().for_each(fill);
        } else {
            out.chunks_mut(m).enumerate().for_each(fill);
        }
    }

    /// Seconds per phase.
    pub fn profile(&self) -> &ClosureProfile {
        &self.profile
    }
}

/// A random evaluation point (U, V) over F_p, rows of length r.
struct Point<'a> {
    r: usize,
    u: &'a [u64],
    v: &'a [u64],
}

impl Point<'_> {
    fn u_row(&self, i: usize) -> &[u64] {
        &self.u[i * self.r..(i + 1) * self.r]
    }

    fn v_row(&self, j: usize) -> &[u64] {
        &self.v[j * self.r..(j + 1) * self.r]
    }
}

/// The pivot columns of a core row and the inverse of the block B of their V_j (rows).
struct Pivots {
    cols: Vec<usize>,
    inverse: Vec<u64>,
}

/// `gram[block (x, y)] += coef · U_i U_iᵀ` (balanced residues, unreduced sum).
fn add_block(gram: &mut Mat<f64>, x: usize, y: usize, coef: u64, uu: &[f64], r: usize) {
    if coef == 0 {
        return;
    }
    let coef = field::to_balanced(coef);
    for t in 0..r {
        let col = &mut gram.col_as_slice_mut(y + t)[x..x + r];
        col.iter_mut().enumerate().for_each(|(s, g)| *g += field::reduce(coef * uu[s * r + t]));
    }
}

/// `a · b mod p` for canonical vectors (no overflow for length < 2¹⁶).
fn dot(a: &[u64], b: &[u64]) -> u64 {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum::<u64>() % P
}
